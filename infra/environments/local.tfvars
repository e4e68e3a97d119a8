# The embedded emulator (invoke up). Same code as dev and prd.
environment = "local"
aws_region  = "us-east-1"
domain_name = "platform.localhost"
# Browsers and curl resolve *.localhost to loopback (RFC 6761), where `invoke up` serves
# it; nothing on the internet does: 01-base makes the zone itself.
create_public_zone = true
log_retention_days = 1
network = {
  vpc_cidr           = "10.10.0.0/16"
  az_count           = 3
  nat_gateway_per_az = false
}
traefik = {
  min_capacity = 1
  max_capacity = 2
}
tags = {
  Project     = "platform"
  Environment = "local"
  ManagedBy   = "terraform"
}
observability = {
  # Every receiver posts to the local receivers (ops/receivers.py), a recorder the data plane
  # runs and answers for as receivers.test; `invoke up` makes the two secrets pointing at it.
  receivers = {
    slack_webhook_secret         = "local/alertmanager/slack-webhook-url"     # pragma: allowlist secret (a secret's name)
    pagerduty_routing_key_secret = "local/alertmanager/pagerduty-routing-key" # pragma: allowlist secret (a secret's name)
    pagerduty_url                = "http://receivers.test/pagerduty/v2/enqueue"
    heartbeat_url                = "http://receivers.test/heartbeat"
  }
  # Seconds rather than minutes, so an alert reaches its receiver soon after its cause.
  intervals = {
    scrape         = "5s"
    evaluation     = "5s"
    discovery      = 5
    group_wait     = "5s"
    group_interval = "10s"
  }
}
