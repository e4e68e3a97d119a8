output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service."
  value       = aws_ecs_service.this.id
}

output "task_definition_family" {
  description = "Task definition family; `invoke deploy` registers new revisions in it."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "Name of the service's container in the task definition."
  value       = var.name
}

output "security_group_id" {
  description = "Security group of the tasks (allow it in the data stores the service uses)."
  value       = aws_security_group.this.id
}

output "task_role_arn" {
  description = "IAM role the application runs as."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "IAM role the ECS agent uses to pull the image and read secrets."
  value       = module.execution_role.arn
}

output "deployment_parameter" {
  description = "SSM parameter where `invoke deploy` finds the service (null when image is set)."
  value       = one(aws_ssm_parameter.deployment[*].name)
}

output "log_group_name" {
  description = "CloudWatch log group of the service."
  value       = aws_cloudwatch_log_group.this.name
}

output "host" {
  description = "Host name Traefik routes to the service."
  value       = local.host
}

output "docker_labels" {
  description = "Traefik and Prometheus labels derived from the inputs."
  value       = local.container_shape.dockerLabels
}

output "autoscaling_policy_name" {
  description = "Name of the target-tracking policy (null without autoscaling)."
  value       = one(aws_appautoscaling_policy.this[*].name)
}
