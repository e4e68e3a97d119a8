output "arn" {
  description = "ARN of the secret (for valueFrom and IAM)."
  value       = aws_secretsmanager_secret.this.arn
}

output "id" {
  description = "ID of the secret."
  value       = aws_secretsmanager_secret.this.id
}

output "version_id" {
  description = "The version written, for a reader that must come after it."
  value       = aws_secretsmanager_secret_version.this.version_id
}
