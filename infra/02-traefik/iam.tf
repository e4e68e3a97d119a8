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

# Exactly the calls of Traefik's ECS provider with autodiscoverclusters=false
# (the original granted ecs:*).
data "aws_iam_policy_document" "task" {
  #checkov:skip=CKV_AWS_356:DescribeTaskDefinition and ec2:DescribeInstances have no resource-level permissions
  statement {
    sid       = "DescribeOwnCluster"
    actions   = ["ecs:DescribeClusters"]
    resources = [local.base.cluster_arn]
  }

  statement {
    sid       = "ListOwnClusterTasks"
    actions   = ["ecs:ListTasks", "ecs:DescribeContainerInstances"]
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
    sid       = "ReadDefinitionsAndInstances"
    actions   = ["ecs:DescribeTaskDefinition", "ec2:DescribeInstances"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "ecs-provider"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
