# Configuration files reach the stock images through SSM parameters: each container
# writes its file from an environment variable at start, then execs the program.

module "config" {
  source = "./config"

  environment       = var.environment
  region            = var.aws_region
  alertmanager_host = "alertmanager.${aws_service_discovery_private_dns_namespace.this.name}"
  rules_dir         = "/tmp/rules"
  runbook_url       = coalesce(var.observability.runbook_url, "https://github.com/${var.github_repository}/blob/main/docs/runbooks")
  remote_write_url  = var.observability.remote_write_url
  intervals         = var.observability.intervals
  receivers = {
    pagerduty              = contains(keys(local.receiver_secrets), "pagerduty-routing-key")
    slack                  = contains(keys(local.receiver_secrets), "slack-webhook-url")
    slack_channel_critical = var.observability.receivers.slack_channel_critical
    slack_channel_warning  = var.observability.receivers.slack_channel_warning
    heartbeat_url          = var.observability.receivers.heartbeat_url
    pagerduty_url          = var.observability.receivers.pagerduty_url
  }
}

# The receivers' secrets, by name or ARN: each must exist (a plan says so when one does not),
# and is known from here on by its full ARN, which the execution role may read.
data "aws_secretsmanager_secret" "receiver" {
  for_each = { for file, secret in {
    "pagerduty-routing-key" = var.observability.receivers.pagerduty_routing_key_secret
    "slack-webhook-url"     = var.observability.receivers.slack_webhook_secret
  } : file => secret if secret != null }

  arn  = startswith(each.value, "arn:") ? each.value : null
  name = startswith(each.value, "arn:") ? null : each.value
}

locals {
  # One SSM parameter per file: prometheus.yml, alertmanager.yml and each rule file.
  config_files = merge(
    { "prometheus.yml" = module.config.prometheus, "alertmanager.yml" = module.config.alertmanager },
    { for name, text in module.config.rules : "rules/${name}" => text },
  )
  # Rule files reach the container as PROMETHEUS_RULES_<NAME> variables; it writes each one
  # to /tmp/rules before Prometheus starts.
  rule_variables = { for name in keys(module.config.rules) : name => "PROMETHEUS_RULES_${upper(replace(trimsuffix(name, ".yml"), "-", "_"))}" }
  # Receiver secrets (Secrets Manager ARNs) become files Alertmanager reads (*_file settings).
  receiver_secrets = { for file, secret in data.aws_secretsmanager_secret.receiver : file => secret.arn }
}

resource "aws_ssm_parameter" "config" {
  #checkov:skip=CKV2_AWS_34:Configuration, not secrets: receivers' secrets come from Secrets Manager
  for_each = local.config_files

  name        = "/${var.environment}/observability/${each.key}"
  description = "${each.key} of the observability stack"
  type        = "String"
  # Standard holds 4 KB for free; Advanced 8 KB at a monthly charge (the tests check every file fits).
  tier  = length(each.value) > 4096 ? "Advanced" : "Standard"
  value = each.value
}

# Rotated by bumping observability.grafana_admin_version (Grafana keeps its own user database).
module "grafana_admin" {
  source = "../modules/generated-secret"

  name                 = "${var.environment}/grafana/admin-password"
  description          = "Password of Grafana's admin user."
  secret_version       = var.observability.grafana_admin_version
  recovery_window_days = var.protection.secret_recovery_days
}

moved {
  from = aws_secretsmanager_secret.grafana_admin
  to   = module.grafana_admin.aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.grafana_admin
  to   = module.grafana_admin.aws_secretsmanager_secret_version.this
}
