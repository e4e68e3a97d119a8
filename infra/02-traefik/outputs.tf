output "security_group_id" {
  description = "Security group of the Traefik tasks: services allow it on their port."
  value       = aws_security_group.this.id
}

output "service_name" {
  description = "ECS service of Traefik."
  value       = aws_ecs_service.this.name
}

output "dashboard_url" {
  description = "Traefik dashboard, reachable only through the private ALB, behind basic auth."
  value       = "https://${local.dashboard_host}/dashboard/"
}

output "dashboard_credentials_secret_arn" {
  description = "Secrets Manager secret with the dashboard username and password."
  value       = module.dashboard_credentials.arn
}

output "metrics_port" {
  description = "Port of Traefik's Prometheus metrics entrypoint."
  value       = local.ports.metrics
}

output "target_group_arns" {
  description = "Target groups of Traefik on the public and private ALB."
  value       = { for key, group in aws_lb_target_group.this : key => group.arn }
}
