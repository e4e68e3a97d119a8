module "execution_role" {
  source = "../modules/ecs-execution-role"

  name        = "${local.name}-execution"
  description = "ECS agent for Traefik: pulls the image, writes logs, reads the dashboard credentials."
  policy_name = "read-dashboard-credentials"
  policy      = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadDashboardCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.dashboard_credentials.arn]
  }
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

resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  description        = "Traefik's ECS provider: reads the tasks of its own cluster, nothing else."
  assume_role_policy = module.execution_role.trust_policy
}

# Exactly the calls of Traefik's ECS provider with autodiscoverclusters=false on Fargate
# (the original granted ecs:*): list the cluster's tasks, describe them and their task
# definitions. ecs:DescribeContainerInstances and ec2:DescribeInstances serve EC2 capacity
# only, which this cluster has none of (tests/e2e/test_least_privilege.py runs the provider).
data "aws_iam_policy_document" "task" {
  #checkov:skip=CKV_AWS_356:ecs:DescribeTaskDefinition has no resource-level permissions
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
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:task/${local.cluster}/*"]
  }

  statement {
    sid       = "ReadDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "ecs-provider"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
