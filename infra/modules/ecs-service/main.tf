data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  full_name = "${var.environment}-${var.name}"
  host      = coalesce(var.host, "${var.name}.${coalesce(var.domain, "invalid")}")

  log_retention_days = coalesce(var.log_retention_days, lookup({ local = 1, dev = 14, prd = 90 }, var.environment))

  environment_variables = merge(
    var.environment_variables,
    lookup(var.environment_variables_by_env, var.environment, {}),
    local.tracing_environment,
  )
  tracing_environment = var.tracing == null ? {} : {
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://localhost:4318"
    OTEL_SERVICE_NAME           = var.name
    OTEL_RESOURCE_ATTRIBUTES    = "deployment.environment=${var.environment}"
    OTEL_TRACES_SAMPLER         = "parentbased_traceidratio"
    OTEL_TRACES_SAMPLER_ARG     = tostring(var.tracing.sampling_ratio)
  }

  # Traefik's ECS provider reads these labels (providers.ecs.exposedByDefault=false).
  middlewares = compact([
    var.rate_limit != null ? "${var.name}-ratelimit" : "",
    var.request_body_limit != null ? "${var.name}-buffering" : "",
    var.circuit_breaker_expression != null ? "${var.name}-circuitbreaker" : "",
    var.retry_attempts > 0 ? "${var.name}-retry" : "",
  ])
  # The router takes the host's requests except the internal paths, which only the
  # monitoring network reaches, at the task's own address.
  router_rule = join(" && ", concat(["Host(`${local.host}`)"], [for path in var.internal_paths : "!Path(`${path}`)"]))
  traefik_labels = merge(
    {
      "traefik.enable"                                                      = "true"
      "traefik.http.routers.${var.name}.rule"                               = local.router_rule
      "traefik.http.routers.${var.name}.entrypoints"                        = var.exposure == "public" ? "web" : "internal"
      "traefik.http.routers.${var.name}.service"                            = var.name
      "traefik.http.services.${var.name}.loadbalancer.server.port"          = tostring(var.port)
      "traefik.http.services.${var.name}.loadbalancer.healthcheck.path"     = var.health_check_path
      "traefik.http.services.${var.name}.loadbalancer.healthcheck.interval" = "${var.health_check_interval}s"
      "traefik.http.services.${var.name}.loadbalancer.healthcheck.timeout"  = "${var.health_check_timeout}s"
    },
    length(local.middlewares) > 0 ? { "traefik.http.routers.${var.name}.middlewares" = join(",", local.middlewares) } : {},
    var.rate_limit == null ? {} : {
      "traefik.http.middlewares.${var.name}-ratelimit.ratelimit.average"                          = tostring(var.rate_limit.average)
      "traefik.http.middlewares.${var.name}-ratelimit.ratelimit.period"                           = var.rate_limit.period
      "traefik.http.middlewares.${var.name}-ratelimit.ratelimit.burst"                            = tostring(var.rate_limit.burst)
      "traefik.http.middlewares.${var.name}-ratelimit.ratelimit.sourcecriterion.ipstrategy.depth" = tostring(var.rate_limit.source_ip_depth)
    },
    # Traefik reads the whole body before the service sees it: a slow client costs Traefik a
    # goroutine, never a worker of the service; a larger body is answered 413 by Traefik.
    var.request_body_limit == null ? {} : {
      "traefik.http.middlewares.${var.name}-buffering.buffering.maxRequestBodyBytes" = tostring(var.request_body_limit)
      "traefik.http.middlewares.${var.name}-buffering.buffering.memRequestBodyBytes" = tostring(var.request_body_limit)
    },
    var.circuit_breaker_expression == null ? {} : {
      "traefik.http.middlewares.${var.name}-circuitbreaker.circuitbreaker.expression" = var.circuit_breaker_expression
    },
    var.retry_attempts == 0 ? {} : {
      "traefik.http.middlewares.${var.name}-retry.retry.attempts" = tostring(var.retry_attempts)
    },
  )
  # The ECS discovery sidecar of 04-observability turns these into Prometheus targets.
  prometheus_labels = var.metrics_port == null ? {} : {
    "PROMETHEUS_EXPORTER_PORT"     = tostring(var.metrics_port)
    "PROMETHEUS_EXPORTER_PATH"     = var.metrics_path
    "PROMETHEUS_EXPORTER_JOB_NAME" = var.name
  }

  image = var.image != null ? var.image : "${var.deployed_image.repository_url}:${data.aws_ssm_parameter.image_tag[0].insecure_value}"

  # Everything but the image: a change here registers a new revision that keeps the
  # deployed image (DESIGN decision 4, docs/adr/0003).
  container_shape = {
    name         = var.name
    essential    = true
    command      = var.command
    entryPoint   = var.entrypoint
    portMappings = [for port in distinct([for p in [var.port, var.metrics_port] : p if p != null]) : { containerPort = port, protocol = "tcp" }]
    environment  = [for key in sort(keys(local.environment_variables)) : { name = key, value = local.environment_variables[key] }]
    secrets      = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]
    dockerLabels = merge(local.traefik_labels, local.prometheus_labels)
    stopTimeout  = var.stop_timeout
    # ECS ignores the image's HEALTHCHECK: this is the one that runs.
    healthCheck = {
      command     = var.health_check_command
      interval    = var.health_check_interval
      timeout     = var.health_check_timeout
      retries     = 3
      startPeriod = var.health_check_start_period
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.name
      }
    }
    readonlyRootFilesystem = false
  }
  # The ADOT collector (AOT_CONFIG_CONTENT is its whole configuration): OTLP in on the task's
  # loopback only, batched, out to X-Ray (task role) or an OTLP endpoint.
  trace_exporter = var.tracing == null ? null : (var.tracing.exporter == "xray" ? "awsxray" : "otlphttp")
  sidecars = var.tracing == null ? [] : [{
    name      = "otel-collector"
    image     = var.tracing.collector_image
    essential = false
    environment = [{ name = "AOT_CONFIG_CONTENT", value = yamlencode({
      receivers  = { otlp = { protocols = { http = { endpoint = "127.0.0.1:4318" } } } }
      processors = { batch = {} }
      exporters = var.tracing.exporter == "xray" ? { awsxray = { region = data.aws_region.current.name } } : {
        otlphttp = { endpoint = var.tracing.otlp_endpoint }
      }
      service = { pipelines = { traces = { receivers = ["otlp"], processors = ["batch"], exporters = [local.trace_exporter] } } }
    }) }]
    portMappings = []
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "otel-collector"
      }
    }
  }]
  task_shape = {
    container = local.container_shape
    sidecars  = local.sidecars
    cpu       = var.cpu
    memory    = var.memory
    arch      = var.cpu_architecture
  }

  tags = merge(var.tags, { Service = var.name })
}

# The tag `invoke deploy` recorded (docs/adr/0003): read at every plan, so a change of shape
# registers a revision that keeps the deployed image.
data "aws_ssm_parameter" "image_tag" {
  count = var.deployed_image != null ? 1 : 0

  name = var.deployed_image.image_tag_parameter
}

# Where `invoke deploy <image>` finds this service without reading Terraform state.
resource "aws_ssm_parameter" "deployment" {
  #checkov:skip=CKV2_AWS_34:Names of a cluster, a service and a container are not secrets
  count = var.deployed_image != null ? 1 : 0

  name        = "/${var.environment}/${var.deployed_image.name}/deployment"
  description = "Where invoke deploy rolls out ${var.deployed_image.name}: cluster, service and container."
  type        = "String"
  value = jsonencode({
    cluster_arn    = var.cluster_arn
    service_name   = aws_ecs_service.this.name
    container_name = var.name
  })
  tags = local.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (local 1, dev 14, prd 90 days); longer archives belong in S3, not CloudWatch
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; a CMK per service is not worth its cost here
  name              = "/ecs/${var.environment}/${var.name}"
  retention_in_days = local.log_retention_days
  tags              = local.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.full_name}-execution"
  description        = "ECS agent for ${var.name}: pulls the image, writes logs, reads the declared secrets."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

locals {
  # A Secrets Manager valueFrom may end in :json-key:version-stage:version-id; IAM wants the secret ARN.
  secret_arns = distinct([for arn in values(var.secrets) : join(":", slice(split(":", arn), 0, min(7, length(split(":", arn)))))])
}

data "aws_iam_policy_document" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = length([for arn in local.secret_arns : arn if strcontains(arn, ":ssm:")]) > 0 ? [1] : []
    content {
      sid       = "ReadParameters"
      actions   = ["ssm:GetParameters"]
      resources = [for arn in local.secret_arns : arn if strcontains(arn, ":ssm:")]
    }
  }

  dynamic "statement" {
    for_each = length([for arn in local.secret_arns : arn if strcontains(arn, ":secretsmanager:")]) > 0 ? [1] : []
    content {
      sid       = "ReadSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for arn in local.secret_arns : arn if strcontains(arn, ":secretsmanager:")]
    }
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  name   = "read-declared-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets[0].json
}

resource "aws_iam_role" "task" {
  name               = "${local.full_name}-task"
  description        = "What ${var.name} itself may call."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

locals {
  traces_to_xray = try(var.tracing.exporter == "xray", false)
}

data "aws_iam_policy_document" "task" {
  count = length(var.iam_policy_statements) > 0 || var.enable_execute_command || local.traces_to_xray ? 1 : 0

  dynamic "statement" {
    for_each = var.iam_policy_statements
    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []
    content {
      sid = "EcsExec"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"] #checkov:skip=CKV_AWS_111:ssmmessages channel actions have no resource-level permissions
    }
  }

  dynamic "statement" {
    for_each = local.traces_to_xray ? [1] : []
    content {
      sid = "SendTracesToXRay"
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ]
      resources = ["*"] #checkov:skip=CKV_AWS_111:X-Ray trace and sampling actions have no resource-level permissions
    }
  }
}

resource "aws_iam_role_policy" "task" {
  count = length(data.aws_iam_policy_document.task) > 0 ? 1 : 0

  name   = "service"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task[0].json
}

# What rolling out this service adds to the deploy role's common permissions (01-base):
# passing exactly this service's two roles to its tasks, and moving its service.
data "aws_iam_policy_document" "deploy" {
  count = var.deploy_role_name != null && var.deployed_image != null ? 1 : 0

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "RollOut"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [aws_ecs_service.this.id]
  }
}

resource "aws_iam_role_policy" "deploy" {
  count = length(data.aws_iam_policy_document.deploy)

  name   = "deploy-${var.name}"
  role   = var.deploy_role_name
  policy = data.aws_iam_policy_document.deploy[0].json
}

resource "aws_security_group" "this" {
  name        = local.full_name
  description = "Tasks of ${var.name}: reachable only from Traefik (service port) and Prometheus (metrics port)."
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = local.full_name })
}

resource "aws_vpc_security_group_ingress_rule" "service" {
  for_each = toset(var.ingress_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Service port from Traefik"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_vpc_security_group_ingress_rule" "metrics" {
  for_each = var.metrics_port == null ? toset([]) : toset(var.metrics_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Metrics port from Prometheus"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.metrics_port
  to_port                      = var.metrics_port
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs and ECR (through NAT or VPC endpoints)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "Anything inside the VPC (data stores, other services)"
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  ip_protocol       = "-1"
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "terraform_data" "task_shape" {
  input = sha256(jsonencode(local.task_shape))
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(concat([merge(local.container_shape, { image = local.image })], local.sidecars))
  # Older revisions stay registered: ecs-deploy rolls back to them (decision 5).
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = local.tags

  lifecycle {
    # `invoke deploy` registers revisions that differ only by image; a change of
    # shape replaces this one (with the deployed image, read from SSM).
    ignore_changes       = [container_definitions]
    replace_triggered_by = [terraform_data.task_shape]
  }
}

# The newest revision of the family, whoever registered it (Terraform or invoke deploy).
data "aws_ecs_task_definition" "latest" {
  task_definition = aws_ecs_task_definition.this.family
  depends_on      = [aws_ecs_task_definition.this]
}

locals {
  task_definition_revision = max(aws_ecs_task_definition.this.revision, data.aws_ecs_task_definition.latest.revision)
}

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = "${aws_ecs_task_definition.this.family}:${local.task_definition_revision}"
  desired_count                      = var.auto_scaling_metric == null ? var.desired_count : max(var.desired_count, var.auto_scaling_min_capacity)
  enable_execute_command             = var.enable_execute_command
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  availability_zone_rebalancing      = "ENABLED"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  wait_for_steady_state              = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "capacity_provider_strategy" {
    for_each = var.use_spot ? [
      { provider = "FARGATE", base = var.spot_on_demand_base, weight = 0 },
      { provider = "FARGATE_SPOT", base = 0, weight = 1 },
      ] : [
      { provider = "FARGATE", base = 0, weight = 1 },
    ]
    content {
      capacity_provider = capacity_provider_strategy.value.provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.load_balancer == null ? [] : [var.load_balancer]
    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = var.name
      container_port   = coalesce(load_balancer.value.container_port, var.port)
    }
  }

  tags = local.tags

  lifecycle {
    # Autoscaling owns the running count.
    ignore_changes = [desired_count]
  }
}

# ALBRequestCountPerTarget's resource label: app/<load balancer>/<id>/targetgroup/<group>/<id>.
data "aws_lb_target_group" "this" {
  count = var.auto_scaling_metric == "requests" ? 1 : 0

  arn = var.load_balancer.target_group_arn
}

data "aws_lb" "this" {
  count = length(data.aws_lb_target_group.this)

  arn = one(data.aws_lb_target_group.this[0].load_balancer_arns)
}

resource "aws_appautoscaling_target" "this" {
  count = var.auto_scaling_metric == null ? 0 : 1

  service_namespace  = "ecs"
  resource_id        = "service/${split("/", var.cluster_arn)[1]}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.auto_scaling_min_capacity
  max_capacity       = var.auto_scaling_max_capacity
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = var.auto_scaling_metric == null ? 0 : 1

  name               = "${local.full_name}-${var.auto_scaling_metric}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.auto_scaling_target_value
    scale_out_cooldown = var.auto_scaling_up_cooldown
    scale_in_cooldown  = var.auto_scaling_down_cooldown

    predefined_metric_specification {
      predefined_metric_type = lookup({
        cpu      = "ECSServiceAverageCPUUtilization"
        memory   = "ECSServiceAverageMemoryUtilization"
        requests = "ALBRequestCountPerTarget"
      }, var.auto_scaling_metric)
      resource_label = var.auto_scaling_metric == "requests" ? "${data.aws_lb.this[0].arn_suffix}/${data.aws_lb_target_group.this[0].arn_suffix}" : null
    }
  }
}
