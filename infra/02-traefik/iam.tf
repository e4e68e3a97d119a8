data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  description        = "ECS agent for Traefik: pulls the image, writes logs, reads the dashboard credentials."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadDashboardCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.dashboard.arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "read-dashboard-credentials"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  description        = "Traefik's ECS provider: reads the tasks of its own cluster, nothing else."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
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
