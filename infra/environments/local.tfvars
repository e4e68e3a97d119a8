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
