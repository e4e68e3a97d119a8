# Reads back what the module wrote (the test's only way to see a write-only value).
variable "secret_id" {
  type = string
}

variable "version_id" {
  type = string
}

data "aws_secretsmanager_secret_version" "this" {
  secret_id  = var.secret_id
  version_id = var.version_id
}

output "value" {
  value     = data.aws_secretsmanager_secret_version.this.secret_string
  sensitive = true
}
