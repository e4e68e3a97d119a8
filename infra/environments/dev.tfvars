environment        = "dev"
aws_region         = "us-east-1"
domain_name        = "dev.platform.acme.io" # a zone you control: `invoke bootstrap --env dev` makes it and prints its name servers
log_retention_days = 14
network = {
  vpc_cidr           = "10.20.0.0/16"
  az_count           = 3
  nat_gateway_per_az = false
}
traefik = {
  min_capacity = 1
  max_capacity = 3
}
tags = {
  Project     = "platform"
  Environment = "dev"
  ManagedBy   = "terraform"
}
