environment         = "prd"
aws_region          = "us-east-1"
domain_name         = "platform.acme.io" # a zone you control: `invoke bootstrap --env prd` makes it and prints its name servers
deletion_protection = true
protection = {
  secret_recovery_days    = 30
  cache_snapshot_days     = 7
  cache_changes_in_window = true
  efs_backups             = true
}
log_level          = "WARNING"
log_retention_days = 90
network = {
  vpc_cidr           = "10.30.0.0/16"
  az_count           = 3
  nat_gateway_per_az = true
}
traefik = {
  min_capacity = 2
  max_capacity = 6
}
redis = {
  node_type = "cache.t4g.small"
  replicas  = 2
  multi_az  = true
}
tags = {
  Project     = "platform"
  Environment = "prd"
  ManagedBy   = "terraform"
}
