# GitHub Actions reach this environment through OIDC only (no stored keys): three roles,
# each trusting the jobs of one workflow file of one repository. The repository's OIDC
# subject is customised to carry the workflow a job comes from (job_workflow_ref;
# docs/runbooks/new-account.md, step 5): IAM matches only `sub` and `aud` of a GitHub token,
# and without the workflow in `sub` a deploy job and an apply job of the same environment
# would present the same subject.
# - plan: pull requests (plan.yml), reads what a plan reads, writes only the state locks.
# - apply: apply-environment.yml in the GitHub environment of this name, gated by its reviewers.
# - deploy: deploy-environment.yml in the same environment: push images and roll out only.

locals {
  github_enabled = var.github_repository != ""
  github_jobs = {
    plan   = { context = "pull_request", workflow = "plan.yml", ref = "refs/pull/*/merge" }
    apply  = { context = "environment:${var.environment}", workflow = "apply-environment.yml", ref = "refs/heads/main" }
    deploy = { context = "environment:${var.environment}", workflow = "deploy-environment.yml", ref = "refs/heads/main" }
  }
  github_subjects = { for kind, job in local.github_jobs : kind =>
    "repo:${var.github_repository}:${job.context}:job_workflow_ref:${var.github_repository}/.github/workflows/${job.workflow}@${job.ref}"
  }
  account_arn_prefix = "arn:${data.aws_partition.current.partition}"
  account_id         = data.aws_caller_identity.current.account_id
}

data "aws_partition" "current" {}

# One provider per account, shared by every environment in it: `invoke bootstrap` makes it,
# so a second environment in the same account does not fail with EntityAlreadyExists.
data "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled ? 1 : 0

  url = "https://token.actions.githubusercontent.com"
}

data "aws_iam_policy_document" "github_trust" {
  #checkov:skip=CKV_AWS_358:The subject names one repository, one context and one workflow file (only a pull request number is a wildcard); checkov cannot read for_each values
  for_each = local.github_enabled ? local.github_subjects : {}

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [data.aws_iam_openid_connect_provider.github[0].arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_trust

  name                 = "${var.environment}-github-${each.key}"
  description          = "GitHub Actions (${var.github_repository}) ${each.key} in ${var.environment}, through OIDC."
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

# ReadOnlyAccess reads the configuration of every service a plan refreshes; pull-request code
# runs with this role, so it may read no object but the layers' states and no secret but the
# one a plan needs.
data "aws_iam_policy_document" "github_plan" {
  #checkov:skip=CKV_AWS_356:secretsmanager:GetRandomPassword has no resource-level permissions
  count = local.github_enabled ? 1 : 0

  statement {
    sid       = "StateLocks"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.account_arn_prefix}:s3:::${var.state_bucket}/*.tflock"]
  }

  # Terraform opens ephemeral resources during plan as well as apply (the generated
  # passwords of 02, 03 and 04); nothing is stored by this call.
  statement {
    sid       = "OpenEphemeralPasswords"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  # Not in ReadOnlyAccess: the provider refreshes the tags of every scalable target.
  statement {
    sid       = "ReadScalingTags"
    actions   = ["application-autoscaling:ListTagsForResource"]
    resources = ["arn:${data.aws_partition.current.partition}:application-autoscaling:${var.aws_region}:${local.account_id}:scalable-target/*"]
  }

  # Refreshing a secret version reads its value (write-only ones too), and 03-services reads
  # the comment store's AUTH token to set it on ElastiCache, which has no write-only token
  # argument: a plan reads the secrets Terraform manages in this environment (the provider's
  # default tags mark them), and no other, such as the alert receivers' keys.
  statement {
    sid       = "ReadTheSecretsTerraformManages"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.account_arn_prefix}:secretsmanager:${var.aws_region}:${local.account_id}:secret:${var.environment}/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/ManagedBy"
      values   = ["terraform"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  # The S3 backend reads a lock file it finds before it writes its own.
  statement {
    sid           = "NoObjectButStatesAndLocks"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["${local.account_arn_prefix}:s3:::${var.state_bucket}/*/terraform.tfstate", "${local.account_arn_prefix}:s3:::${var.state_bucket}/*.tflock"]
  }
}

resource "aws_iam_role_policy" "github_plan" {
  count = local.github_enabled ? 1 : 0

  name   = "state-locks-and-secrets"
  role   = aws_iam_role.github["plan"].id
  policy = data.aws_iam_policy_document.github_plan[0].json
}

# What every rollout does; each deployable service's own layer adds passing its roles and
# updating its service (modules/ecs-service `deploy_role_name`, 04-observability).
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
      "ecr:CompleteLayerUpload",
      "ecr:DescribeRepositories",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [for repository in aws_ecr_repository.this : repository.arn]
  }

  statement {
    sid = "TaskDefinitions"
    actions = [
      "ecs:DeregisterTaskDefinition",
      "ecs:DescribeTaskDefinition",
      "ecs:RegisterTaskDefinition",
    ]
    resources = ["*"]
  }

  # ecs-deploy registers a revision with the tags of the one it copies, and ECS then also
  # authorises ecs:TagResource; only on that create call, never on existing resources
  # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
  statement {
    sid       = "TagNewRevisions"
    actions   = ["ecs:TagResource"]
    resources = ["${local.account_arn_prefix}:ecs:${var.aws_region}:${local.account_id}:task-definition/${var.environment}-*:*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RegisterTaskDefinition"]
    }
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
    sid       = "RecordImageTags"
    actions   = ["ssm:GetParameter", "ssm:PutParameter"]
    resources = [for parameter in aws_ssm_parameter.image_tag : parameter.arn]
  }

  statement {
    sid       = "FindDeployments"
    actions   = ["ssm:GetParameter"]
    resources = [for name, _ in var.images : "${local.account_arn_prefix}:ssm:${var.aws_region}:${local.account_id}:parameter/${var.environment}/${name}/deployment"]
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name   = "push-and-roll-out"
  role   = aws_iam_role.github["deploy"].id
  policy = data.aws_iam_policy_document.github_deploy[0].json
}

# Earlier versions made the provider here; it stays in the account for `invoke bootstrap` to find.
removed {
  from = aws_iam_openid_connect_provider.github

  lifecycle {
    destroy = false
  }
}
