data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  full_name = "${var.environment}-${var.name}"
  host      = coalesce(var.host, "${var.name}.${coalesce(var.domain, "invalid")}")

  environment_variables = merge(var.environment_variables, var.environment_overrides, local.tracing_environment)
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
