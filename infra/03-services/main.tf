module "base" {
  source       = "../modules/layer-outputs"
  layer        = "01-base"
  state_bucket = var.state_bucket
  region       = var.aws_region
}

module "traefik" {
  source       = "../modules/layer-outputs"
  layer        = "02-traefik"
  state_bucket = var.state_bucket
  region       = var.aws_region
}

locals {
  base    = module.base.outputs
  traefik = module.traefik.outputs

  # What every service gets from the platform; a service block adds only its own settings.
  platform = {
    cluster_arn                = local.base.cluster_arn
    vpc_id                     = local.base.vpc_id
    subnet_ids                 = local.base.private_subnet_ids
    domain                     = local.base.domain_name
    ingress_security_group_ids = [local.traefik.security_group_id]
    metrics_security_group_ids = [local.base.monitoring_security_group_id]
    deploy_role_name           = lookup(local.base.github_role_names, "deploy", null)
  }
}

module "api-comments" {
  source      = "../modules/ecs-service"
  environment = var.environment
  name        = "api-comments"
  port        = 8000
  # Built from app/ and rolled out by `invoke deploy api-comments`.
  deployed_image = local.base.images["api-comments"]

  # The write-up's "more complete" example.
  metrics_path               = "/metrics"
  metrics_port               = 8000
  memory                     = 2048
  cpu                        = 1024
  use_spot                   = true
  auto_scaling_metric        = "cpu"
  auto_scaling_target_value  = 40
  auto_scaling_up_cooldown   = 120
  auto_scaling_down_cooldown = 300
  auto_scaling_min_capacity  = 2
  auto_scaling_max_capacity  = 8

  # The write-up's rate limit test: 10 requests per 5 s, bursts of 20, client IP from X-Forwarded-For.
  rate_limit = { average = 10, period = "5s", burst = 20, source_ip_depth = 1 }
  # Unhealthy backend only: network errors, 500 and 502-504, never what a client causes.
  circuit_breaker_expression = "NetworkErrorRatio() > 0.30 || ResponseCodeRatio(500, 501, 0, 600) > 0.25 || ResponseCodeRatio(502, 505, 0, 600) > 0.25"
  request_body_limit         = 16384 # the service's own limit (API_COMMENTS_MAX_CONTENT_LENGTH)
  retry_attempts             = 2
  health_check_path          = "/health"
  # The image's HEALTHCHECK (app/Dockerfile), which ECS would otherwise ignore.
  health_check_command = ["CMD", "python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=2)"]

  environment_variables = {
    # One worker per vCPU: on one core, 1 worker x 4 threads served 5-11 % more than 2 workers
    # and halved p99 (ADR 0016, docs/performance.md).
    SERVER_WORKERS = "1"
    SERVER_THREADS = "4"
    # Traefik logs every request with its X-Request-ID (ADR 0016); the app logs events only.
    API_COMMENTS_ACCESS_LOG = "false"
    # A stopping task serves on until Traefik's ECS provider has dropped it (it refreshes every
    # 15 s, 02-traefik), then stops gracefully: a rollout answers no 502 (ADR 0017).
    SERVER_DRAIN_SECONDS = "20"
  }
  # The environment's policy (its tfvars): prd logs warnings and above.
  environment_overrides = var.log_level == null ? {} : { API_COMMENTS_LOG_LEVEL = var.log_level }
  stop_timeout          = 45 # the drain, then SERVER_GRACEFUL_TIMEOUT (25 s) for in-flight requests
  log_retention_days    = var.log_retention_days
  # The one name the app reads (docs/adr/0008); the image sets no store of its own.
  secrets = {
    API_COMMENTS_STORE_URL = aws_secretsmanager_secret.store_url.arn
  }

  cluster_arn                = local.platform.cluster_arn
  vpc_id                     = local.platform.vpc_id
  subnet_ids                 = local.platform.subnet_ids
  domain                     = local.platform.domain
  ingress_security_group_ids = local.platform.ingress_security_group_ids
  metrics_security_group_ids = local.platform.metrics_security_group_ids
  deploy_role_name           = local.platform.deploy_role_name
}
