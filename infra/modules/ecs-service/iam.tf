# The task's two roles (execution and task) and what deploying this service may do.

module "execution_role" {
  source = "../ecs-execution-role"

  name        = "${local.full_name}-execution"
  description = "ECS agent for ${var.name}: pulls the image, writes logs, reads the declared secrets."
  policy_name = length(var.secrets) > 0 ? "read-declared-secrets" : null
  policy      = one(data.aws_iam_policy_document.execution_secrets[*].json)
  tags        = local.tags
}

moved {
  from = aws_iam_role.execution
  to   = module.execution_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.execution
  to   = module.execution_role.aws_iam_role_policy_attachment.this
}

moved {
  from = aws_iam_role_policy.execution_secrets
  to   = module.execution_role.aws_iam_role_policy.this
}

locals {
  # A Secrets Manager valueFrom may end in :json-key:version-stage:version-id; IAM wants the secret ARN.
  secret_arns = distinct([for arn in values(var.secrets) : join(":", slice(split(":", arn), 0, min(7, length(split(":", arn)))))])
}

data "aws_iam_policy_document" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = length([for arn in local.secret_arns : arn if strcontains(arn, ":ssm:")]) > 0 ? [1] : []
    content {
      sid       = "ReadParameters"
      actions   = ["ssm:GetParameters"]
      resources = [for arn in local.secret_arns : arn if strcontains(arn, ":ssm:")]
    }
  }

  dynamic "statement" {
    for_each = length([for arn in local.secret_arns : arn if strcontains(arn, ":secretsmanager:")]) > 0 ? [1] : []
    content {
      sid       = "ReadSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for arn in local.secret_arns : arn if strcontains(arn, ":secretsmanager:")]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${local.full_name}-task"
  description        = "What ${var.name} itself may call."
  assume_role_policy = module.execution_role.trust_policy
  tags               = local.tags
}

locals {
  traces_to_xray = try(var.tracing.exporter == "xray", false)
}

data "aws_iam_policy_document" "task" {
  count = length(var.iam_policy_statements) > 0 || var.enable_execute_command || local.traces_to_xray ? 1 : 0

  dynamic "statement" {
    for_each = var.iam_policy_statements
    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []
    content {
      sid = "EcsExec"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"] #checkov:skip=CKV_AWS_111:ssmmessages channel actions have no resource-level permissions
    }
  }

  dynamic "statement" {
    for_each = local.traces_to_xray ? [1] : []
    content {
      sid = "SendTracesToXRay"
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ]
      resources = ["*"] #checkov:skip=CKV_AWS_111:X-Ray trace and sampling actions have no resource-level permissions
    }
  }
}

resource "aws_iam_role_policy" "task" {
  count = length(data.aws_iam_policy_document.task) > 0 ? 1 : 0

  name   = "service"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task[0].json
}

# What rolling out this service adds to the deploy role's common permissions (01-base):
# passing exactly this service's two roles to its tasks, and moving its service.
data "aws_iam_policy_document" "deploy" {
  count = var.deploy_role_name != null && var.deployed_image != null ? 1 : 0

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = [module.execution_role.arn, aws_iam_role.task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "RollOut"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [aws_ecs_service.this.id]
  }
}

resource "aws_iam_role_policy" "deploy" {
  count = length(data.aws_iam_policy_document.deploy)

  name   = "deploy-${var.name}"
  role   = var.deploy_role_name
  policy = data.aws_iam_policy_document.deploy[0].json
}
