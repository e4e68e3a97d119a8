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

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name      = "${var.environment}-observability"
  base      = module.base.outputs
  traefik   = module.traefik.outputs
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id

  # Each component: its port, its host behind the private ALB, the uid its image runs as
  # (owner of its EFS access point), and whether Traefik adds basic auth in front.
  components = {
    prometheus   = { port = 9090, uid = 65534, basic_auth = true, persistent = true, health_path = "/-/healthy", start_period = 30 }
    grafana      = { port = 3000, uid = 472, basic_auth = false, persistent = true, health_path = "/api/health", start_period = 30 }
    alertmanager = { port = 9093, uid = 65534, basic_auth = true, persistent = false, health_path = "/-/healthy", start_period = 15 }
  }
  hosts = { for name, _ in local.components : name => "${name}.${local.base.private_domain_name}" }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (local 1, dev 14, prd 90 days); longer archives belong in S3, not CloudWatch
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; a CMK is not worth its cost here
  for_each = toset(concat(keys(local.components), ["ecs-discovery"]))

  name              = "/ecs/${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_security_group" "this" {
  name        = local.name
  description = "Prometheus, Grafana and Alertmanager tasks: reachable only from Traefik and each other"
  vpc_id      = local.base.vpc_id
  tags        = { Name = local.name }
}

resource "aws_vpc_security_group_ingress_rule" "from_traefik" {
  for_each = local.components

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} from Traefik"
  referenced_security_group_id = local.traefik.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_ingress_rule" "between_components" {
  for_each = local.components

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} from the other observability tasks (Grafana to Prometheus, Prometheus to Alertmanager)"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "Scrapes, EFS and each other, inside the VPC"
  cidr_ipv4         = local.base.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 1
  to_port           = 65535
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (ECS discovery, CloudWatch) and image registries"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
