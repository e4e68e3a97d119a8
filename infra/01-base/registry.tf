# Registries of the images built here (common.tfvars `images`), made before any layer runs
# them: `invoke apply` pushes a first build of each (tag `bootstrap`) right after this layer,
# so a first apply on an empty account reaches steady state (docs/adr/0010).

resource "aws_ecr_repository" "this" {
  for_each = var.images

  name                 = "${var.environment}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = !var.deletion_protection

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the 50 most recent images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 50 }
        action       = { type = "expire" }
      },
    ]
  })
}

# The deployed tag of each image. `invoke deploy` writes it after a successful rollout
# (docs/adr/0003); the layers that run the image read it, and Terraform never reverts it.
resource "aws_ssm_parameter" "image_tag" {
  #checkov:skip=CKV2_AWS_34:An image tag is not a secret
  for_each = var.images

  name        = "/${var.environment}/${each.key}/image-tag"
  description = "Image tag of ${each.key} deployed by invoke deploy; read by Terraform so it never rolls an image back."
  type        = "String"
  value       = "bootstrap"

  lifecycle {
    ignore_changes = [value]
  }
}
