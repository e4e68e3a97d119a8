# Configuration files reach the stock images through SSM parameters: each container
# writes its file from an environment variable at start, then execs the program.

resource "aws_ssm_parameter" "config" {
  #checkov:skip=CKV2_AWS_34:Configuration, not secrets: receivers' secrets come from Secrets Manager
  for_each = {
    prometheus = templatefile("${path.module}/config/prometheus.yml.tftpl", {
      environment       = var.environment
      retention         = var.observability.prometheus_retention
      alertmanager_host = "alertmanager.${aws_service_discovery_private_dns_namespace.this.name}"
    })
    alertmanager = file("${path.module}/config/alertmanager.yml")
  }

  name        = "/${var.environment}/observability/${each.key}.yml"
  description = "${each.key} configuration file"
  type        = "String"
  tier        = "Advanced" # up to 8 KB
  value       = each.value
}

resource "aws_secretsmanager_secret" "grafana_admin" {
  #checkov:skip=CKV2_AWS_57:Rotated by bumping observability.grafana_admin_version (Grafana keeps its own user database)
  #checkov:skip=CKV_AWS_149:The AWS managed key is enough for an admin password; a CMK adds cost and key policy upkeep
  name                    = "${var.environment}/grafana/admin-password"
  description             = "Password of Grafana's admin user."
  recovery_window_in_days = var.environment == "prd" ? 30 : 0
}

ephemeral "aws_secretsmanager_random_password" "grafana_admin" {
  password_length     = 32
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "grafana_admin" {
  secret_id                = aws_secretsmanager_secret.grafana_admin.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.grafana_admin.random_password
  secret_string_wo_version = var.observability.grafana_admin_version
}

# The discovery sidecar is built here (issue: observability) and deployed like a service.
resource "aws_ecr_repository" "discovery" {
  name                 = "${var.environment}/ecs-discovery"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.environment != "prd"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "discovery" {
  repository = aws_ecr_repository.discovery.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 most recent images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}
