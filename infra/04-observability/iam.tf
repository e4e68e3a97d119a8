module "execution_role" {
  source = "../modules/ecs-execution-role"

  name        = "${local.name}-execution"
  description = "ECS agent for the observability tasks: images, logs, configuration parameters, Grafana's admin password, receiver secrets."
  policy_name = "read-configuration"
  policy      = data.aws_iam_policy_document.execution.json
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
  from = aws_iam_role_policy.execution
  to   = module.execution_role.aws_iam_role_policy.this[0]
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadConfiguration"
    actions   = ["ssm:GetParameters"]
    resources = [for parameter in aws_ssm_parameter.config : parameter.arn]
  }

  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([module.grafana_admin.arn], values(local.receiver_secrets))
  }
}

# One task role per component, each with only what it calls.
resource "aws_iam_role" "task" {
  for_each = local.components

  name               = "${var.environment}-${each.key}-task"
  description        = "What ${each.key} itself may call."
  assume_role_policy = module.execution_role.trust_policy
}

# Prometheus' ECS discovery sidecar: the tasks of this environment's cluster, the calls of one
# refresh (tests/e2e/test_least_privilege.py runs one).
data "aws_iam_policy_document" "discovery" {
  #checkov:skip=CKV_AWS_356:DescribeTaskDefinition has no resource-level permissions
  statement {
    sid       = "ListOwnClusterTasks"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.base.cluster_arn]
    }
  }

  statement {
    sid       = "DescribeOwnClusterTasks"
    actions   = ["ecs:DescribeTasks"]
    resources = ["arn:${local.partition}:ecs:${var.aws_region}:${local.account}:task/${local.base.cluster_name}/*"]
  }

  statement {
    sid       = "ReadDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "discovery" {
  name   = "ecs-discovery"
  role   = aws_iam_role.task["prometheus"].id
  policy = data.aws_iam_policy_document.discovery.json
}

# Grafana's CloudWatch datasource, with the task role (no keys): metrics and the
# platform's log groups, read-only.
data "aws_iam_policy_document" "grafana_cloudwatch" {
  #checkov:skip=CKV_AWS_356:CloudWatch metric reads, tag:GetResources and the EC2 describes have no resource-level permissions
  statement {
    sid = "ReadMetrics"
    actions = [
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListMetrics",
      "cloudwatch:GetMetricData",
      "cloudwatch:GetInsightRuleReport",
      "ec2:DescribeTags",
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "tag:GetResources",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  statement {
    sid = "QueryPlatformLogs"
    actions = [
      "logs:GetLogGroupFields",
      "logs:StartQuery",
      "logs:GetLogEvents",
    ]
    resources = ["arn:${local.partition}:logs:${var.aws_region}:${local.account}:log-group:/ecs/${var.environment}/*"]
  }

  statement {
    sid       = "FollowQueries"
    actions   = ["logs:StopQuery", "logs:GetQueryResults"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "grafana_cloudwatch" {
  name   = "cloudwatch-read"
  role   = aws_iam_role.task["grafana"].id
  policy = data.aws_iam_policy_document.grafana_cloudwatch.json
}

# Remote write to Amazon Managed Service for Prometheus, when a workspace URL is set.
data "aws_iam_policy_document" "remote_write" {
  count = strcontains(var.observability.remote_write_url, "aps-workspaces") ? 1 : 0

  statement {
    sid     = "RemoteWrite"
    actions = ["aps:RemoteWrite"]
    resources = [format("arn:%s:aps:%s:%s:workspace/%s", local.partition, var.aws_region, local.account,
    regex("workspaces/([^/]+)/", var.observability.remote_write_url)[0])]
  }
}

resource "aws_iam_role_policy" "remote_write" {
  count = length(data.aws_iam_policy_document.remote_write)

  name   = "amp-remote-write"
  role   = aws_iam_role.task["prometheus"].id
  policy = data.aws_iam_policy_document.remote_write[0].json
}

# Rolling out the images built here (`invoke deploy ecs-discovery|grafana`): the deploy role
# of 01-base may pass exactly these tasks' roles and move exactly these services.
data "aws_iam_policy_document" "deploy" {
  count = contains(keys(local.base.github_role_names), "deploy") ? 1 : 0

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = concat([module.execution_role.arn], [for name, deployment in local.deployments : aws_iam_role.task[deployment.service].arn])
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "RollOut"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [for name, deployment in local.deployments : aws_ecs_service.this[deployment.service].id]
  }
}

resource "aws_iam_role_policy" "deploy" {
  count = length(data.aws_iam_policy_document.deploy)

  name   = "deploy-observability"
  role   = local.base.github_role_names.deploy
  policy = data.aws_iam_policy_document.deploy[0].json
}
