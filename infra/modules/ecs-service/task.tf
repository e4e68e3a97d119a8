# The task: its definition, the deployed image's tag, its logs.

# The tag `invoke deploy` recorded (docs/adr/0003): read at every plan, so a change of shape
# registers a revision that keeps the deployed image.
data "aws_ssm_parameter" "image_tag" {
  count = var.deployed_image != null ? 1 : 0

  name = var.deployed_image.image_tag_parameter
}

# Where `invoke deploy <image>` finds this service without reading Terraform state.
resource "aws_ssm_parameter" "deployment" {
  #checkov:skip=CKV2_AWS_34:Names of a cluster, a service and a container are not secrets
  count = var.deployed_image != null ? 1 : 0

  name        = "/${var.environment}/${var.deployed_image.name}/deployment"
  description = "Where invoke deploy rolls out ${var.deployed_image.name}: cluster, service and container."
  type        = "String"
  value = jsonencode({
    cluster_arn    = var.cluster_arn
    service_name   = aws_ecs_service.this.name
    container_name = var.name
  })
  tags = local.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (local 1, dev 14, prd 90 days); longer archives belong in S3, not CloudWatch
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; a CMK per service is not worth its cost here
  name              = "/ecs/${var.environment}/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "terraform_data" "task_shape" {
  input = sha256(jsonencode(local.task_shape))
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(concat([merge(local.container_shape, { image = local.image })], local.sidecars))
  # Older revisions stay registered: ecs-deploy rolls back to them (decision 5).
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = local.tags

  lifecycle {
    # `invoke deploy` registers revisions that differ only by image; a change of
    # shape replaces this one (with the deployed image, read from SSM).
    ignore_changes       = [container_definitions]
    replace_triggered_by = [terraform_data.task_shape]
  }
}

# The newest revision of the family, whoever registered it (Terraform or invoke deploy).
data "aws_ecs_task_definition" "latest" {
  task_definition = aws_ecs_task_definition.this.family
  depends_on      = [aws_ecs_task_definition.this]
}

locals {
  task_definition_revision = max(aws_ecs_task_definition.this.revision, data.aws_ecs_task_definition.latest.revision)
}
