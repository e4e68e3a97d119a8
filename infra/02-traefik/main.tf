module "base" {
  source       = "../modules/layer-outputs"
  layer        = "01-base"
  state_bucket = var.state_bucket
  region       = var.aws_region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name    = "${var.environment}-traefik"
  base    = module.base.outputs
  cluster = local.base.cluster_name

  # Entrypoints: web (public ALB), internal (private ALB), ping (ALB health checks), metrics (Prometheus).
  ports = { web = 80, internal = 8081, ping = 8082, metrics = 9100 }

  dashboard_host = "traefik.${local.base.private_domain_name}"
  # Relative to the container's working directory (/tmp): the file is the container's own
  # wherever the task runs, the local data plane included (docs/adr/0018).
  working_directory = "/tmp"
  users_file        = "dashboard-users"

  traefik_flags = [
    "--entrypoints.web.address=:${local.ports.web}",
    "--entrypoints.web.forwardedheaders.trustedips=${local.base.vpc_cidr}",
    "--entrypoints.internal.address=:${local.ports.internal}",
    "--entrypoints.internal.forwardedheaders.trustedips=${local.base.vpc_cidr}",
    # A request must arrive whole within 15 s (slow clients); idle keep-alive connections
    # outlive the ALB's 60 s, so the ALB closes them first.
    "--entrypoints.web.transport.respondingtimeouts.readtimeout=15s",
    "--entrypoints.internal.transport.respondingtimeouts.readtimeout=15s",
    "--entrypoints.web.transport.respondingtimeouts.idletimeout=75s",
    "--entrypoints.internal.transport.respondingtimeouts.idletimeout=75s",
    "--entrypoints.ping.address=:${local.ports.ping}",
    "--entrypoints.metrics.address=:${local.ports.metrics}",
    "--ping=true",
    "--ping.entrypoint=ping",
    "--metrics.prometheus=true",
    "--metrics.prometheus.entrypoint=metrics",
    "--metrics.prometheus.addrouterslabels=true",
    "--providers.ecs=true",
    "--providers.ecs.clusters=${local.cluster}",
    "--providers.ecs.autodiscoverclusters=false",
    "--providers.ecs.exposedbydefault=false",
    "--providers.ecs.region=${var.aws_region}",
    "--providers.ecs.refreshseconds=15",
    # Only tasks whose container health checks pass: a task that started but does not answer
    # yet is never routed to (every ecs-service has a health check; ADR 0017).
    "--providers.ecs.healthytasksonly=true",
    "--api.dashboard=true",
    "--accesslog=true",
    "--accesslog.format=json",
    "--accesslog.fields.headers.defaultmode=drop",
    # The one access log of the services behind Traefik (ADR 0016): each line carries the
    # request id the service answered (downstream_X-Request-Id) and the one a client sent.
    "--accesslog.fields.headers.names.X-Request-Id=keep",
    "--log.level=INFO",
    "--log.format=json",
    "--global.checknewversion=false",
    "--global.sendanonymoususage=false",
  ]
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (local 1, dev 14, prd 90 days); longer archives belong in S3, not CloudWatch
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; a CMK is not worth its cost here
  name              = "/ecs/${var.environment}/traefik"
  retention_in_days = var.log_retention_days
}

# Dashboard credentials: generated once, never stored in Terraform state (write-only);
# bump dashboard_credentials_version to rotate them.
module "dashboard_credentials" {
  source = "../modules/generated-secret"

  name                 = "${var.environment}/traefik/dashboard"
  description          = "Basic-auth credentials of the Traefik dashboard: username, password and the htpasswd line Traefik reads."
  username             = var.traefik.dashboard_user
  secret_version       = var.traefik.dashboard_credentials_version
  recovery_window_days = var.protection.secret_recovery_days
}

moved {
  from = aws_secretsmanager_secret.dashboard
  to   = module.dashboard_credentials.aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.dashboard
  to   = module.dashboard_credentials.aws_secretsmanager_secret_version.this
}
