# GitHub Actions reach this environment through OIDC only (no stored keys): three roles,
# each trusting one kind of workflow run of one repository.
# - plan: pull requests (plan.yml), read-only plus the state lock files.
# - apply: runs in the GitHub environment of this name (apply.yml), gated by its reviewers.
# - deploy: the same environment (deploy.yml), limited to pushing images and rolling out.

locals {
  github_enabled = var.github.repository != ""
  github_subjects = {
    plan   = "repo:${var.github.repository}:pull_request"
    apply  = "repo:${var.github.repository}:environment:${var.environment}"
    deploy = "repo:${var.github.repository}:environment:${var.environment}"
  }
  github_oidc_arn = local.github_enabled ? (var.github.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
  : "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com") : null
  account_arn_prefix = "arn:${data.aws_partition.current.partition}"
}

data "aws_partition" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.github.create_oidc_provider ? 1 : 0

  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_iam_policy_document" "github_trust" {
  #checkov:skip=CKV_AWS_358:The subject is matched exactly (StringEquals) to repo:OWNER/NAME:pull_request or :environment:<env>, OWNER/NAME validated; checkov cannot read for_each values
  for_each = local.github_enabled ? local.github_subjects : {}

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_trust

  name                 = "${var.environment}-github-${each.key}"
  description          = "GitHub Actions (${var.github.repository}) ${each.key} in ${var.environment}, through OIDC."
  assume_role_policy   = each.value.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "github_plan_read_only" {
  count = local.github_enabled ? 1 : 0

  role       = aws_iam_role.github["plan"].name
  policy_arn = "${local.account_arn_prefix}:iam::aws:policy/ReadOnlyAccess"
}

# Terraform creates and changes every kind of resource of the layers, IAM roles included:
# only administrator access covers that. The trust policy limits it to workflow runs in
# this repository's GitHub environment, whose required reviewers gate prd.
resource "aws_iam_role_policy_attachment" "github_apply_admin" {
  #checkov:skip=CKV_AWS_274:Terraform apply manages IAM, VPC, ECS, ELB, EFS, ElastiCache... ; only runs of the protected GitHub environment can assume the role
  count = local.github_enabled ? 1 : 0

  role       = aws_iam_role.github["apply"].name
  policy_arn = "${local.account_arn_prefix}:iam::aws:policy/AdministratorAccess"
}

data "aws_iam_policy_document" "github_plan" {
  count = local.github_enabled ? 1 : 0

  statement {
    sid       = "StateLocks"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.account_arn_prefix}:s3:::${var.state_bucket}/*.tflock"]
  }

  statement {
    sid       = "ReadSecretsTheLayersRead"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.account_arn_prefix}:secretsmanager:${var.aws_region}:${data.aws_caller_identity.current.account_id}:secret:${var.environment}/*"]
  }
}

resource "aws_iam_role_policy" "github_plan" {
  count = local.github_enabled ? 1 : 0

  name   = "state-locks-and-secrets"
  role   = aws_iam_role.github["plan"].id
  policy = data.aws_iam_policy_document.github_plan[0].json
}

data "aws_iam_policy_document" "github_deploy" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken and the ECS task-definition actions have no resource-level permissions
  count = local.github_enabled ? 1 : 0

  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["${local.account_arn_prefix}:ecr:${var.aws_region}:${data.aws_caller_identity.current.account_id}:repository/${var.environment}/*"]
  }

  statement {
    sid = "TaskDefinitions"
    actions = [
      "ecs:DeregisterTaskDefinition",
      "ecs:DescribeTaskDefinition",
      "ecs:ListTaskDefinitions",
      "ecs:RegisterTaskDefinition",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "RollOut"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = ["${local.account_arn_prefix}:ecs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:service/${local.name}/*"]
  }

  statement {
    sid       = "WatchTasks"
    actions   = ["ecs:DescribeTasks", "ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.account_arn_prefix}:iam::${data.aws_caller_identity.current.account_id}:role/${var.environment}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "RecordImageTags"
    actions   = ["ssm:GetParameter", "ssm:PutParameter"]
    resources = ["${local.account_arn_prefix}:ssm:${var.aws_region}:${data.aws_caller_identity.current.account_id}:parameter/${var.environment}/*/image-tag"]
  }

  statement {
    sid       = "ReadLayerOutputs"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["${local.account_arn_prefix}:s3:::${var.state_bucket}", "${local.account_arn_prefix}:s3:::${var.state_bucket}/*"]
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name   = "push-and-roll-out"
  role   = aws_iam_role.github["deploy"].id
  policy = data.aws_iam_policy_document.github_deploy[0].json
}
