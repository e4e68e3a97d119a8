output "urls" {
  description = "Prometheus, Grafana and Alertmanager, reachable only through the private ALB."
  value       = { for name, host in local.hosts : name => "https://${host}/" }
}

output "grafana_admin_secret_arn" {
  description = "Secrets Manager secret with Grafana's admin password."
  value       = module.grafana_admin.arn
}

output "efs_file_system_id" {
  description = "EFS file system holding Prometheus' and Grafana's data."
  value       = aws_efs_file_system.this.id
}

output "service_names" {
  description = "ECS services of the observability stack."
  value       = { for name, service in aws_ecs_service.this : name => service.name }
}
