# Renders the observability configuration: prometheus.yml, its rule files and
# alertmanager.yml. 04-observability uses it, and so do the tests: they apply this module
# alone and run promtool and amtool on its outputs.

variable "environment" {
  description = "Environment name, the external label of every series."
  type        = string
}

variable "region" {
  description = "AWS region (SigV4 of remote write)."
  type        = string
}

variable "alertmanager_host" {
  description = "Host name Prometheus sends alerts to (port 9093)."
  type        = string
}

variable "rules_dir" {
  description = "Directory the rule files are written to in the Prometheus container."
  type        = string
  default     = "/etc/prometheus/rules"
}

variable "targets_dir" {
  description = "Directory of the discovery sidecar's file_sd files."
  type        = string
  default     = "/targets"
}

variable "secrets_dir" {
  description = "Directory the Alertmanager container writes receiver secrets to."
  type        = string
  default     = "/tmp/secrets"
}

variable "runbook_url" {
  description = "Base URL of docs/runbooks, e.g. https://github.com/OWNER/platform/blob/main/docs/runbooks."
  type        = string

  validation {
    condition     = can(regex("^https?://", var.runbook_url)) && !strcontains(var.runbook_url, "OWNER")
    error_message = "runbook_url must be the address of the runbooks, not a placeholder."
  }
}

variable "remote_write_url" {
  description = "Remote-write endpoint for long-term storage (AMP workspace .../api/v1/remote_write or Thanos Receive); empty: off."
  type        = string
  default     = ""
}

variable "remote_write_sigv4" {
  description = "Sign remote writes with the task role (Amazon Managed Service for Prometheus)."
  type        = bool
  default     = true
}

variable "receivers" {
  description = "Which Alertmanager receivers are configured: PagerDuty and Slack read their secrets from files; heartbeat_url is a dead man's switch for the Watchdog."
  type = object({
    pagerduty              = optional(bool, false)
    slack                  = optional(bool, false)
    slack_channel_critical = optional(string, "#alerts")
    slack_channel_warning  = optional(string, "#alerts-tickets")
    heartbeat_url          = optional(string, "")
    pagerduty_url          = optional(string, "")
  })
  default = {}
}

variable "intervals" {
  description = "Prometheus's scrape and evaluation intervals, the discovery files' refresh, Alertmanager's group_wait and group_interval."
  type = object({
    scrape         = optional(string, "30s")
    evaluation     = optional(string, "30s")
    discovery      = optional(number, 30)
    group_wait     = optional(string, "30s")
    group_interval = optional(string, "5m")
  })
  default = {}
}

output "prometheus" {
  description = "prometheus.yml"
  value = templatefile("${path.module}/prometheus.yml.tftpl", {
    environment        = var.environment
    region             = var.region
    intervals          = var.intervals
    alertmanager_host  = var.alertmanager_host
    rules_dir          = var.rules_dir
    targets_dir        = var.targets_dir
    remote_write_url   = var.remote_write_url
    remote_write_sigv4 = var.remote_write_sigv4
  })
}

output "rules" {
  description = "Rule files by name (api-comments.yml, ...)."
  value = {
    for file in fileset("${path.module}/rules", "*.yml.tftpl") :
    trimsuffix(file, ".tftpl") => templatefile("${path.module}/rules/${file}", { runbook_url = var.runbook_url })
  }
}

output "alertmanager" {
  description = "alertmanager.yml"
  value = templatefile("${path.module}/alertmanager.yml.tftpl", {
    environment            = var.environment
    secrets_dir            = var.secrets_dir
    pagerduty              = var.receivers.pagerduty
    slack                  = var.receivers.slack
    slack_channel_critical = var.receivers.slack_channel_critical
    slack_channel_warning  = var.receivers.slack_channel_warning
    heartbeat_url          = var.receivers.heartbeat_url
    pagerduty_url          = var.receivers.pagerduty_url
    intervals              = var.intervals
  })
}
