# A credential generated once into Secrets Manager as a write-only value: never in Terraform's
# state or plan. Bumping `version` generates a new one.
resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotated by bumping the caller's version input (no rotation Lambda for a generated credential)
  #checkov:skip=CKV_AWS_149:The AWS managed key is enough for a generated credential; a CMK adds cost and key policy upkeep
  name                    = var.name
  description             = var.description
  recovery_window_in_days = var.recovery_window_days
}

ephemeral "aws_secretsmanager_random_password" "this" {
  password_length     = var.length
  exclude_punctuation = true
}

locals {
  password = ephemeral.aws_secretsmanager_random_password.this.random_password
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  # With a username, basic-auth credentials: the pair and the htpasswd line a proxy reads.
  secret_string_wo = var.username == null ? local.password : jsonencode({
    username = var.username
    password = local.password
    htpasswd = "${var.username}:${bcrypt(local.password)}"
  })
  secret_string_wo_version = var.secret_version
}
