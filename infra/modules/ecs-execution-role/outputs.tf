output "arn" {
  description = "ARN of the execution role, for a task definition's execution_role_arn."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "trust_policy" {
  description = "The ECS tasks trust policy (JSON), for the caller's task roles."
  value       = data.aws_iam_policy_document.ecs_tasks_assume.json
}
