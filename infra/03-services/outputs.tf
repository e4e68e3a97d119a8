output "api_comments" {
  description = "api-comments: what `invoke deploy` and the observability layer need."
  value = {
    cluster_arn            = local.base.cluster_arn
    service_name           = module.api-comments.service_name
    task_definition_family = module.api-comments.task_definition_family
    container_name         = module.api-comments.container_name
    ecr_repository_url     = module.api-comments.ecr_repository_url
    image_tag_parameter    = module.api-comments.image_tag_parameter
    log_group_name         = module.api-comments.log_group_name
    host                   = module.api-comments.host
  }
}

output "comments_store_endpoint" {
  description = "Primary endpoint of the comment store (Redis, TLS)."
  value       = aws_elasticache_replication_group.comments.primary_endpoint_address
}
