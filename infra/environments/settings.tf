# Settings shared by every layer, set per environment in <env>.tfvars.
# Each layer links this file (settings.tf -> ../environments/settings.tf), so one
# tfvars file per environment serves the four layers without undeclared values.

variable "environment" {
  description = "Environment name: local (the embedded emulator), dev or prd."
  type        = string

  validation {
    condition     = contains(["local", "dev", "prd"], var.environment)
    error_message = "environment must be one of local, dev, prd."
  }
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string
}

variable "state_bucket" {
  description = "S3 bucket holding every layer's state; the tasks pass it from <env>.s3.tfbackend."
  type        = string
}

variable "domain_name" {
  description = "DNS domain of the environment: public services are <name>.<domain_name>, private ones <name>.internal.<domain_name>."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name such as dev.example.com."
  }
}

variable "network" {
  description = "VPC layout: CIDR, number of availability zones, one NAT gateway per AZ (prd) or a single one (dev)."
  type = object({
    vpc_cidr           = string
    az_count           = optional(number, 3)
    nat_gateway_per_az = optional(bool, false)
  })

  validation {
    condition     = can(cidrnetmask(var.network.vpc_cidr)) && var.network.az_count >= 2 && var.network.az_count <= 6
    error_message = "network.vpc_cidr must be a CIDR block and network.az_count from 2 to 6."
  }
}

variable "deletion_protection" {
  description = "Protect load balancers and data stores from deletion (prd)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "CloudWatch log retention of the platform's own logs (flow logs, Traefik, observability)."
  type        = number
  default     = 14
}

variable "traefik" {
  description = "Traefik service: pinned image, size and autoscaling bounds."
  type = object({
    image          = optional(string, "traefik:v3.3.4")
    cpu            = optional(number, 256)
    memory         = optional(number, 512)
    min_capacity   = optional(number, 2)
    max_capacity   = optional(number, 6)
    cpu_target     = optional(number, 60)
    dashboard_user = optional(string, "admin")
    # Bump to generate new dashboard credentials.
    dashboard_credentials_version = optional(number, 1)
  })
  default = {}
}

variable "redis" {
  description = "Comment store (ElastiCache Redis): node type, replicas, Multi-AZ."
  type = object({
    node_type      = optional(string, "cache.t4g.micro")
    engine_version = optional(string, "7.1")
    replicas       = optional(number, 1)
    multi_az       = optional(bool, false)
    # Bump to generate a new AUTH token.
    auth_token_version = optional(number, 1)
  })
  default = {}
}

variable "observability" {
  description = "Prometheus, Grafana and Alertmanager images, Prometheus retention and remote write, runbooks and alert receivers."
  type = object({
    prometheus_image     = optional(string, "prom/prometheus:v2.53.3")
    grafana_image_tag    = optional(string, "bootstrap") # infra/04-observability/grafana, built by invoke build
    alertmanager_image   = optional(string, "prom/alertmanager:v0.27.0")
    discovery_image_tag  = optional(string, "bootstrap")
    prometheus_retention = optional(string, "15d")
    # Links of every alert: docs/runbooks of this repository as the team hosts it.
    runbook_url = optional(string, "https://github.com/OWNER/platform/blob/main/docs/runbooks")
    # Long-term storage: an AMP workspace's .../api/v1/remote_write (signed with the task
    # role) or a Thanos Receive URL. Empty: Prometheus keeps only its own retention.
    remote_write_url = optional(string, "")
    # Alertmanager receivers: Secrets Manager ARNs of a PagerDuty routing key and a Slack
    # webhook URL (null: that receiver is left out), channels, a dead man's switch URL.
    receivers = optional(object({
      pagerduty_routing_key_secret_arn = optional(string)
      slack_webhook_secret_arn         = optional(string)
      slack_channel_critical           = optional(string, "#alerts")
      slack_channel_warning            = optional(string, "#alerts-tickets")
      heartbeat_url                    = optional(string, "")
    }), {})
    # Bump to generate a new Grafana admin password.
    grafana_admin_version = optional(number, 1)
  })
  default = {}
}

variable "github" {
  description = "GitHub Actions access through OIDC (01-base): the repository (OWNER/NAME) whose workflows may assume this environment's plan, apply and deploy roles; empty makes none. The OIDC provider exists once per account: set create_oidc_provider = false in the second environment of a shared account."
  type = object({
    repository           = optional(string, "")
    create_oidc_provider = optional(bool, true)
  })
  default = {}

  validation {
    condition     = var.github.repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github.repository))
    error_message = "github.repository must be OWNER/NAME."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags)."
  type        = map(string)
  default     = {}
}
