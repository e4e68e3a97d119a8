# Settings shared by every layer, set per environment in <env>.tfvars.
# Each layer links this file (settings.tf -> ../environments/settings.tf), so one
# tfvars file per environment serves the four layers without undeclared values.

variable "environment" {
  description = "Environment name: local (the embedded emulator), dev or prd; an environment is its <name>.tfvars and <name>.s3.tfbackend in infra/environments."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "environment must be 1-10 lower-case letters or digits, starting with a letter (the name of its files in infra/environments)."
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
  description = "DNS domain of the environment: public services are <name>.<domain_name>, private ones <name>.internal.<domain_name>. On AWS, a domain you control (Route 53 refuses reserved names such as example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name such as dev.platform.acme.io."
  }

  # RFC 2606 / RFC 6761 names: Route 53 refuses example.* zones, and nothing delegates .test
  # or .invalid, so ACM could never validate a certificate for them.
  validation {
    condition     = var.environment == "local" || !can(regex("(^|\\.)(example\\.(com|net|org)|test|invalid|localhost|local)$", var.domain_name))
    error_message = "domain_name of dev and prd must be a domain you control, not a reserved name (example.com, .test, ...): set it in infra/environments/<env>.tfvars."
  }
}

variable "create_public_zone" {
  description = "true: 01-base creates the public Route 53 zone of domain_name (only where nothing must resolve from the internet, such as the emulator). false: 01-base uses the existing zone, which `invoke bootstrap` creates once and whose name servers you delegate to (docs/adr/0009)."
  type        = bool
  default     = false
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

variable "protection" {
  description = "What the environment keeps: Secrets Manager's recovery window for a deleted secret (0: deleted at once, or 7-30 days), ElastiCache's daily snapshots (days) and whether its changes wait for the maintenance window, EFS's AWS Backup plan."
  type = object({
    secret_recovery_days    = optional(number, 0)
    cache_snapshot_days     = optional(number, 1)
    cache_changes_in_window = optional(bool, false)
    efs_backups             = optional(bool, false)
  })
  default = {}

  validation {
    condition     = var.protection.secret_recovery_days == 0 || (var.protection.secret_recovery_days >= 7 && var.protection.secret_recovery_days <= 30)
    error_message = "protection.secret_recovery_days must be 0 or from 7 to 30."
  }
}

variable "log_level" {
  description = "Log level of the services (api-comments' API_COMMENTS_LOG_LEVEL); null keeps the image's own (INFO)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "CloudWatch log retention of the platform's own logs (flow logs, Traefik, observability)."
  type        = number
  default     = 14
}

variable "traefik" {
  description = "Traefik service: pinned image, size and autoscaling bounds."
  type = object({
    image          = optional(string, "traefik:v3.7.15")
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
    alertmanager_image   = optional(string, "prom/alertmanager:v0.27.0")
    prometheus_retention = optional(string, "15d")
    # Links of every alert; null: docs/runbooks of github_repository on GitHub.
    runbook_url = optional(string)
    # Long-term storage: an AMP workspace's .../api/v1/remote_write (signed with the task
    # role) or a Thanos Receive URL. Empty: Prometheus keeps only its own retention.
    remote_write_url = optional(string, "")
    # Alertmanager receivers: Secrets Manager secrets (name or ARN) of a PagerDuty routing
    # key and a Slack webhook URL (null: that receiver is left out; a secret named here must
    # exist before the apply), channels, a dead man's switch URL, and PagerDuty's Events API
    # (empty: PagerDuty's own; https://events.eu.pagerduty.com/v2/enqueue for EU accounts).
    receivers = optional(object({
      pagerduty_routing_key_secret = optional(string)
      slack_webhook_secret         = optional(string)
      slack_channel_critical       = optional(string, "#alerts")
      slack_channel_warning        = optional(string, "#alerts-tickets")
      heartbeat_url                = optional(string, "")
      pagerduty_url                = optional(string, "")
    }), {})
    # How often Prometheus scrapes and evaluates its rules, the discovery sidecar lists the
    # cluster's tasks (seconds), and Alertmanager waits before a group's first notification
    # and between its updates (resolved ones included).
    intervals = optional(object({
      scrape         = optional(string, "30s")
      evaluation     = optional(string, "30s")
      discovery      = optional(number, 30)
      group_wait     = optional(string, "30s")
      group_interval = optional(string, "5m")
    }), {})
    # Bump to generate a new Grafana admin password.
    grafana_admin_version = optional(number, 1)
  })
  default = {}

  validation {
    condition     = var.observability.runbook_url != null || var.github_repository != ""
    error_message = "set observability.runbook_url, or github_repository for the default one: every alert links to its runbook."
  }
}

variable "github_repository" {
  description = "GitHub repository (OWNER/NAME) of this platform: its workflows may assume the environment's plan, apply and deploy roles (01-base), and alert runbook links point at its docs/runbooks. Set once for every environment in common.tfvars; empty makes no roles."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME."
  }
}

variable "images" {
  description = "Images built from this repository, by name: the directory each is built from. 01-base makes their ECR repositories and image-tag parameters; `invoke build` and `invoke deploy` take these names. Set in common.tfvars."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.images) : can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", name))])
    error_message = "image names must be 3-32 lower-case letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default_tags)."
  type        = map(string)
  default     = {}
}
