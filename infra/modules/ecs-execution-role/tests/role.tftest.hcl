# Module logic with a mock AWS provider: no credentials, no emulator, plan only.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name        = "dev-traefik-execution"
  description = "ECS agent for Traefik."
}

run "without_a_policy_the_role_has_the_managed_execution_policy_only" {
  command = plan

  assert {
    condition     = aws_iam_role_policy_attachment.this.policy_arn == "arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    error_message = "the managed execution policy, in the account's partition"
  }
  assert {
    condition     = length(aws_iam_role_policy.this) == 0
    error_message = "no inline policy without policy_name"
  }
}

run "a_named_policy_is_attached_inline" {
  command = plan

  variables {
    policy_name = "read-dashboard-credentials"
    policy      = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"arn:aws:secretsmanager:us-east-1:123456789012:secret:x\"}]}"
  }

  assert {
    condition     = aws_iam_role_policy.this[0].name == "read-dashboard-credentials"
    error_message = "the inline policy keeps the caller's name"
  }
}
