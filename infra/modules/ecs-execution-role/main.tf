data "aws_partition" "current" {}

# ECS tasks may assume the role: this trust is also the callers' task roles' (output trust_policy).
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = var.description
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

# Pull from ECR and write to CloudWatch Logs: what every task's agent does.
resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# What else the agent reads for the task (its secrets and parameters), exactly those.
resource "aws_iam_role_policy" "this" {
  count = var.policy_name == null ? 0 : 1

  name   = var.policy_name
  role   = aws_iam_role.this.id
  policy = var.policy
}
