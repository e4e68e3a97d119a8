# The comment store of api-comments: ElastiCache Redis, encrypted in transit and at
# rest, with an AUTH token, reachable only from the service's tasks.

resource "aws_elasticache_subnet_group" "comments" {
  name       = "${var.environment}-comments"
  subnet_ids = local.base.private_subnet_ids
}

resource "aws_security_group" "comments_store" {
  name        = "${var.environment}-comments-store"
  description = "Comment store (Redis): port 6379 from api-comments only"
  vpc_id      = local.base.vpc_id
  tags        = { Name = "${var.environment}-comments-store" }
}

resource "aws_vpc_security_group_ingress_rule" "comments_store" {
  security_group_id            = aws_security_group.comments_store.id
  description                  = "Redis from api-comments"
  referenced_security_group_id = module.api-comments.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

# The AUTH token is generated into Secrets Manager as a write-only value; ElastiCache
# has no write-only token argument, so Terraform reads it back from the secret.
module "redis_auth" {
  source = "../modules/generated-secret"

  name                 = "${var.environment}/comments-store/auth-token"
  description          = "AUTH token of the comment store (ElastiCache Redis)."
  length               = 64
  secret_version       = var.redis.auth_token_version # rotating it needs a coordinated rollout
  recovery_window_days = var.protection.secret_recovery_days
}

moved {
  from = aws_secretsmanager_secret.redis_auth
  to   = module.redis_auth.aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.redis_auth
  to   = module.redis_auth.aws_secretsmanager_secret_version.this
}

data "aws_secretsmanager_secret_version" "redis_auth" {
  secret_id  = module.redis_auth.id
  version_id = module.redis_auth.version_id
}

resource "aws_elasticache_replication_group" "comments" {
  #checkov:skip=CKV2_AWS_50:Multi-AZ with automatic failover is on in prd (redis.multi_az); dev keeps one AZ to halve the cost
  #checkov:skip=CKV_AWS_191:At-rest encryption uses the AWS managed key; a CMK adds cost and key policy upkeep
  replication_group_id       = "${var.environment}-comments"
  description                = "Comment store of api-comments"
  engine                     = "redis"
  engine_version             = var.redis.engine_version
  node_type                  = var.redis.node_type
  num_cache_clusters         = 1 + var.redis.replicas
  automatic_failover_enabled = var.redis.replicas > 0
  multi_az_enabled           = var.redis.multi_az
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.comments.name
  security_group_ids         = [aws_security_group.comments_store.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = data.aws_secretsmanager_secret_version.redis_auth.secret_string
  snapshot_retention_limit   = var.protection.cache_snapshot_days
  auto_minor_version_upgrade = true
  apply_immediately          = !var.protection.cache_changes_in_window
}

# What api-comments reads at start (API_COMMENTS_STORE_URL): TLS, the token, the primary endpoint,
# and how many replicas must have a comment before it is acknowledged: all of them, so the one
# a failover promotes has it (docs/adr/0015).
resource "aws_secretsmanager_secret" "store_url" {
  #checkov:skip=CKV2_AWS_57:Derived from the AUTH token; rotates with it
  #checkov:skip=CKV_AWS_149:The AWS managed key is enough here; a CMK adds cost and key policy upkeep
  name                    = "${var.environment}/api-comments/store-url"
  description             = "Connection URL of the comment store for api-comments."
  recovery_window_in_days = var.protection.secret_recovery_days
}

resource "aws_secretsmanager_secret_version" "store_url" {
  secret_id     = aws_secretsmanager_secret.store_url.id
  secret_string = "rediss://:${data.aws_secretsmanager_secret_version.redis_auth.secret_string}@${aws_elasticache_replication_group.comments.primary_endpoint_address}:6379/0?replicas=${var.redis.replicas}" # pragma: allowlist secret (a reference, not a value)
}
