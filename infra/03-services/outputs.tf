output "services" {
  description = "Each service by name: what `invoke deploy` and the observability layer need."
  value = {
    for name, service in { "api-comments" = module.api-comments } : name => {
      cluster_arn                         = local.base.cluster_arn
      service_name                        = service.service_name
      task_definition_family              = service.task_definition_family
      container_name                      = service.container_name
      deployment_parameter                = service.deployment_parameter
      log_group_name                      = service.log_group_name
      host                                = service.host
    }
  }
}

output "comments_store_endpoint" {
  description = "Primary endpoint of the comment store (Redis, TLS)."
  value       = aws_elasticache_replication_group.comments.primary_endpoint_address
}
