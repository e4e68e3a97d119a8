variable "name" {
  description = "Service name: the ECS service, task family, ECR repository, log group and Traefik router are named after it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, the prefix of the service's names (its policy comes in as inputs: log_retention_days, environment_variables)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "environment must be 1-10 lower-case letters or digits, starting with a letter."
  }
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the service's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in (no public IP is assigned)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids needs at least one subnet."
  }
}

variable "ingress_security_group_ids" {
  description = "Security groups (Traefik's) allowed to reach the service port."
  type        = list(string)
  default     = []
}

variable "metrics_security_group_ids" {
  description = "Security groups (Prometheus') allowed to reach the metrics port."
  type        = list(string)
  default     = []
}

variable "port" {
  description = "Container port the service listens on."
  type        = number

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer from 1 to 65535."
  }
}

variable "host" {
  description = "Host name Traefik routes to the service; null means <name>.<domain>."
  type        = string
  default     = null
}

variable "domain" {
  description = "Domain the default host name is built from (the environment's zone)."
  type        = string
  default     = null
}

variable "exposure" {
  description = "public: reachable through the public ALB; private: only through the private ALB inside the VPC."
  type        = string
  default     = "public"

  validation {
    condition     = contains(["public", "private"], var.exposure)
    error_message = "exposure must be public or private."
  }
}

variable "image" {
  description = "Full image reference that Terraform owns (a public image, say). Leave null for an image built here and given as deployed_image."
  type        = string
  default     = null
}

variable "deployed_image" {
  description = "An image built here and rolled out by `invoke deploy`: one entry of 01-base's `images` output (name, repository_url, image_tag_parameter). Terraform runs the tag `invoke deploy` recorded and never reverts it."
  type = object({
    name                = string
    repository_url      = string
    image_tag_parameter = string
  })
  default = null

  validation {
    condition     = (var.image == null) != (var.deployed_image == null)
    error_message = "give exactly one of image (Terraform owns it) and deployed_image (invoke deploy owns its tag)."
  }
}

variable "deploy_role_name" {
  description = "IAM role `invoke deploy` runs as (01-base's `github_role_names.deploy`): granted passing this service's two roles and updating its service. null: no grant."
  type        = string
  default     = null
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate value: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB; must be a valid Fargate pair with cpu."
  type        = number
  default     = 512

  validation {
    condition = contains(lookup({
      256   = [512, 1024, 2048]
      512   = [1024, 2048, 3072, 4096]
      1024  = [for gb in range(2, 9) : gb * 1024]
      2048  = [for gb in range(4, 17) : gb * 1024]
      4096  = [for gb in range(8, 31) : gb * 1024]
      8192  = [for gb in range(16, 61, 4) : gb * 1024]
      16384 = [for gb in range(32, 121, 8) : gb * 1024]
    }, var.cpu, []), var.memory)
    error_message = "memory is not valid for this cpu on Fargate: 256 takes 512-2048; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (steps of 1024); 8192 takes 16384-61440 (steps of 4096); 16384 takes 32768-122880 (steps of 8192)."
  }
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (Graviton, cheaper; the image must be built for it)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "command" {
  description = "Container command; null keeps the image's CMD."
  type        = list(string)
  default     = null
}

variable "entrypoint" {
  description = "Container entrypoint; null keeps the image's ENTRYPOINT."
  type        = list(string)
  default     = null
}

variable "environment_variables" {
  description = "Environment variables of the service's container."
  type        = map(string)
  default     = {}
}

variable "environment_overrides" {
  description = "Environment variables the environment's policy sets, merged over environment_variables (e.g. a log level from the caller's tfvars)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read at start from SSM Parameter Store or Secrets Manager: name => parameter or secret ARN (a JSON key may follow a secret ARN, as ECS allows). The execution role may read exactly these."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.secrets) : can(regex("^arn:aws[a-z-]*:(ssm|secretsmanager):", arn))])
    error_message = "secrets values must be SSM parameter or Secrets Manager secret ARNs."
  }
}

variable "iam_policy_statements" {
  description = "Extra IAM statements for the task role (what the application itself may call). List actions explicitly."
  type = list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.iam_policy_statements : !contains(s.actions, "*")])
    error_message = "iam_policy_statements must list actions; \"*\" is not allowed."
  }
}

variable "health_check_path" {
  description = "HTTP path Traefik and the container health check probe."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_command" {
  description = "Container health check as ECS runs it, e.g. [\"CMD\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:8000/health\"] (repeat the image's Docker HEALTHCHECK: ECS ignores it). Required: Traefik routes only to tasks ECS reports healthy (providers.ecs.healthyTasksOnly, 02-traefik), so a task is served once it answers, never while it starts."
  type        = list(string)

  validation {
    condition     = try(contains(["CMD", "CMD-SHELL"], var.health_check_command[0]), false)
    error_message = "health_check_command must start with CMD or CMD-SHELL."
  }
}

variable "health_check_start_period" {
  description = "Seconds after start during which failed container health checks do not count (ECS allows 0-300)."
  type        = number
  default     = 15

  validation {
    condition     = var.health_check_start_period >= 0 && var.health_check_start_period <= 300
    error_message = "health_check_start_period must be 0-300 seconds."
  }
}

variable "health_check_interval" {
  description = "Seconds between health checks."
  type        = number
  default     = 10

  validation {
    condition     = var.health_check_interval >= 5 && var.health_check_interval <= 300
    error_message = "health_check_interval must be 5-300 seconds (ECS limits)."
  }
}

variable "health_check_timeout" {
  description = "Seconds a health check may take; less than the interval."
  type        = number
  default     = 5

  validation {
    condition     = var.health_check_timeout >= 2 && var.health_check_timeout <= 60 && var.health_check_timeout < var.health_check_interval
    error_message = "health_check_timeout must be 2-60 seconds and shorter than health_check_interval."
  }
}

variable "metrics_port" {
  description = "Port Prometheus scrapes (PROMETHEUS_EXPORTER_PORT label); null disables scraping."
  type        = number
  default     = null

  validation {
    condition     = var.metrics_port == null || (coalesce(var.metrics_port, 0) >= 1 && coalesce(var.metrics_port, 0) <= 65535)
    error_message = "metrics_port must be from 1 to 65535, or null."
  }
}

variable "metrics_path" {
  description = "Path Prometheus scrapes (PROMETHEUS_EXPORTER_PATH label)."
  type        = string
  default     = "/metrics"

  validation {
    condition     = startswith(var.metrics_path, "/")
    error_message = "metrics_path must start with /."
  }
}

variable "rate_limit" {
  description = "Traefik rate limit per source: average requests per period, burst, and X-Forwarded-For depth (1 behind the ALB). null disables it."
  type = object({
    average         = number
    period          = optional(string, "1s")
    burst           = number
    source_ip_depth = optional(number, 1)
  })
  default = null

  validation {
    condition     = var.rate_limit == null || try(var.rate_limit.average > 0 && var.rate_limit.burst >= 1 && can(regex("^[0-9]+(ms|s|m|h)$", var.rate_limit.period)) && var.rate_limit.source_ip_depth >= 0, false)
    error_message = "rate_limit needs average > 0, burst >= 1, a period like 1s, 5s or 1m, and source_ip_depth >= 0."
  }
}

variable "circuit_breaker_expression" {
  description = "Traefik circuit breaker expression; null disables it. Count only what says the backend is unhealthy: network errors and 500, 502-504 (e.g. \"NetworkErrorRatio() > 0.30 || ResponseCodeRatio(500, 501, 0, 600) > 0.25 || ResponseCodeRatio(502, 505, 0, 600) > 0.25\"). 4xx are the client's doing, 501 (a method the service does not implement) and 505 (an HTTP version) too: counting them lets one client open the breaker for everyone."
  type        = string
  default     = null

  validation {
    condition     = var.circuit_breaker_expression == null || can(regex("(NetworkErrorRatio|ResponseCodeRatio|LatencyAtQuantileMS)\\(", coalesce(var.circuit_breaker_expression, "-")))
    error_message = "circuit_breaker_expression must use NetworkErrorRatio(), ResponseCodeRatio() or LatencyAtQuantileMS()."
  }

  validation {
    condition     = var.circuit_breaker_expression == null || !can(regex("ResponseCodeRatio\\(\\s*[1-4][0-9][0-9]", coalesce(var.circuit_breaker_expression, "-")))
    error_message = "circuit_breaker_expression must not count responses below 500: the client causes those, and one client could open the breaker for everyone."
  }
}

variable "request_body_limit" {
  description = "Largest request body in bytes, read whole by Traefik (its buffering middleware) before the service sees it: slow clients never pin the service's workers. null: bodies are streamed to the service."
  type        = number
  default     = null
}

variable "internal_paths" {
  description = "Paths the router does not take (they answer 404 through Traefik): reachable only at the task's address, from the monitoring network (metrics, readiness)."
  type        = list(string)
  default     = ["/metrics", "/ready"]
}

variable "retry_attempts" {
  description = "Traefik retries on network errors before answering (0 disables the retry middleware)."
  type        = number
  default     = 0

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 10
    error_message = "retry_attempts must be from 0 to 10."
  }
}

variable "desired_count" {
  description = "Tasks to run when autoscaling is off (with autoscaling, the starting count)."
  type        = number
  default     = 1
}

variable "use_spot" {
  description = "Run on FARGATE_SPOT, keeping spot_on_demand_base tasks on FARGATE. X86_64 only: Fargate Spot does not run ARM64 tasks."
  type        = bool
  default     = false

  # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
  validation {
    condition     = !(var.use_spot && var.cpu_architecture == "ARM64")
    error_message = "use_spot needs cpu_architecture = X86_64: Fargate Spot does not support ARM64."
  }
}

variable "spot_on_demand_base" {
  description = "With use_spot, tasks that always run on on-demand FARGATE."
  type        = number
  default     = 1

  validation {
    condition     = var.spot_on_demand_base >= 0
    error_message = "spot_on_demand_base must be >= 0."
  }
}

variable "auto_scaling_metric" {
  description = "Target-tracking metric: cpu, memory, requests (ALB requests per target; needs load_balancer) or null for no autoscaling."
  type        = string
  default     = null

  validation {
    condition     = var.auto_scaling_metric == null || contains(["cpu", "memory", "requests"], coalesce(var.auto_scaling_metric, "-"))
    error_message = "auto_scaling_metric must be cpu, memory, requests or null."
  }

  # ALBRequestCountPerTarget counts the requests of the target group the service's tasks are
  # registered in; a service reached through Traefik is in none.
  validation {
    condition     = var.auto_scaling_metric != "requests" || var.load_balancer != null
    error_message = "auto_scaling_metric = requests needs load_balancer: the service must be a target of its own ALB target group."
  }
}

variable "load_balancer" {
  description = "Register the tasks in an ALB target group (ip target type) besides Traefik: its ARN and the container port (null: the service port). Needed by auto_scaling_metric = requests."
  type = object({
    target_group_arn = string
    container_port   = optional(number)
  })
  default = null
}

variable "auto_scaling_target_value" {
  description = "Target of the metric: percent for cpu and memory, requests per target for requests."
  type        = number
  default     = 60

  validation {
    condition     = var.auto_scaling_target_value > 0
    error_message = "auto_scaling_target_value must be positive."
  }
}

variable "auto_scaling_up_cooldown" {
  description = "Seconds after a scale-out before the next one."
  type        = number
  default     = 60
}

variable "auto_scaling_down_cooldown" {
  description = "Seconds after a scale-in before the next one."
  type        = number
  default     = 300
}

variable "auto_scaling_min_capacity" {
  description = "Fewest tasks autoscaling keeps."
  type        = number
  default     = 1

  validation {
    condition     = var.auto_scaling_min_capacity >= 0
    error_message = "auto_scaling_min_capacity must be >= 0."
  }
}

variable "auto_scaling_max_capacity" {
  description = "Most tasks autoscaling runs; at least auto_scaling_min_capacity."
  type        = number
  default     = 4

  validation {
    condition     = var.auto_scaling_max_capacity >= var.auto_scaling_min_capacity
    error_message = "auto_scaling_max_capacity must be >= auto_scaling_min_capacity."
  }
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL when a task stops (Fargate allows up to 120)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be from 2 to 120 seconds."
  }
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into the tasks (adds the SSM messages permissions)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "CloudWatch retention of the service's logs, in days (the environment's policy, given by the caller)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "tracing" {
  description = "OpenTelemetry traces: an ADOT collector sidecar receives OTLP/HTTP on localhost:4318 and exports to AWS X-Ray (exporter xray) or to an OTLP endpoint such as Grafana Tempo (exporter otlp). The app gets OTEL_EXPORTER_OTLP_ENDPOINT and a parent-based sampler. null: off."
  type = object({
    exporter        = optional(string, "xray")
    otlp_endpoint   = optional(string)
    sampling_ratio  = optional(number, 0.1)
    collector_image = optional(string, "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3")
  })
  default = null

  validation {
    condition     = var.tracing == null || try(contains(["xray", "otlp"], var.tracing.exporter) && (var.tracing.exporter == "xray" || var.tracing.otlp_endpoint != null) && var.tracing.sampling_ratio >= 0 && var.tracing.sampling_ratio <= 1, false)
    error_message = "tracing.exporter must be xray, or otlp with otlp_endpoint; sampling_ratio must be between 0 and 1."
  }
}
