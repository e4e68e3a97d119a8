# Module logic with a mock AWS provider: no credentials, no emulator, plan only.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.20.0.0/16" }
  }
  mock_data "aws_ecs_task_definition" {
    defaults = { revision = 1 }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { revision = 1 }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_data "aws_ssm_parameter" {
    defaults = { insecure_value = "0123abc" }
  }
  mock_resource "aws_ecs_service" {
    defaults = { id = "arn:aws:ecs:us-east-1:123456789012:service/dev-platform/api-comments" }
  }
}

variables {
  name                 = "api-comments"
  environment          = "dev"
  cluster_arn          = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-platform"
  vpc_id               = "vpc-0123456789abcdef0"
  subnet_ids           = ["subnet-a", "subnet-b", "subnet-c"]
  port                 = 8000
  domain               = "dev.example.com"
  health_check_command = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/health"]
  log_retention_days   = 14
  deployed_image = {
    name                = "api-comments"
    repository_url      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/api-comments"
    image_tag_parameter = "/dev/api-comments/image-tag"
  }
}

run "five_line_service_gets_a_router_and_no_extras" {
  command = plan

  assert {
    condition     = output.docker_labels["traefik.http.routers.api-comments.rule"] == "Host(`api-comments.dev.example.com`) && !Path(`/metrics`) && !Path(`/ready`)"
    error_message = "the router rule should be Host(<name>.<domain>) without the internal paths"
  }
  assert {
    condition     = output.docker_labels["traefik.http.routers.api-comments.entrypoints"] == "web"
    error_message = "a public service should use the web entrypoint"
  }
  assert {
    condition     = !contains(keys(output.docker_labels), "traefik.http.routers.api-comments.middlewares")
    error_message = "no middleware label without rate limit, circuit breaker or retry"
  }
  assert {
    condition     = !contains(keys(output.docker_labels), "PROMETHEUS_EXPORTER_PORT")
    error_message = "no scrape labels without metrics_port"
  }
  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.this) == 0
    error_message = "no autoscaling unless auto_scaling_metric is set"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "the logs are kept as long as the caller says"
  }
}

run "the_write_up_complete_example" {
  command = plan

  variables {
    metrics_path               = "/metrics"
    metrics_port               = 8000
    memory                     = 2048
    cpu                        = 1024
    use_spot                   = true
    auto_scaling_metric        = "cpu"
    auto_scaling_target_value  = 40
    auto_scaling_up_cooldown   = 120
    auto_scaling_down_cooldown = 300
    auto_scaling_min_capacity  = 2
    auto_scaling_max_capacity  = 8
    rate_limit                 = { average = 10, period = "5s", burst = 20 }
    circuit_breaker_expression = "NetworkErrorRatio() > 0.30"
    retry_attempts             = 2
    request_body_limit         = 16384
  }

  assert {
    condition     = output.docker_labels["traefik.http.routers.api-comments.middlewares"] == "api-comments-ratelimit,api-comments-buffering,api-comments-circuitbreaker,api-comments-retry"
    error_message = "every enabled middleware should be attached to the router, in order"
  }
  assert {
    condition     = output.docker_labels["traefik.http.middlewares.api-comments-buffering.buffering.maxRequestBodyBytes"] == "16384"
    error_message = "Traefik should read bodies whole up to the service's limit"
  }
  assert {
    condition = (
      output.docker_labels["traefik.http.middlewares.api-comments-ratelimit.ratelimit.average"] == "10" &&
      output.docker_labels["traefik.http.middlewares.api-comments-ratelimit.ratelimit.period"] == "5s" &&
      output.docker_labels["traefik.http.middlewares.api-comments-ratelimit.ratelimit.burst"] == "20" &&
      output.docker_labels["traefik.http.middlewares.api-comments-ratelimit.ratelimit.sourcecriterion.ipstrategy.depth"] == "1"
    )
    error_message = "rate limit labels should carry average, period, burst and depth 1"
  }
  assert {
    condition     = output.docker_labels["PROMETHEUS_EXPORTER_PORT"] == "8000" && output.docker_labels["PROMETHEUS_EXPORTER_PATH"] == "/metrics"
    error_message = "scrape labels should carry the metrics port and path"
  }
  assert {
    condition     = aws_appautoscaling_target.this[0].min_capacity == 2 && aws_appautoscaling_target.this[0].max_capacity == 8
    error_message = "autoscaling capacity should be 2-8"
  }
  assert {
    condition = (
      aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].target_value == 40 &&
      aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 120 &&
      aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 300
    )
    error_message = "cpu target tracking at 40 with cooldowns 120/300"
  }
  assert {
    condition = (
      one([for s in aws_ecs_service.this.capacity_provider_strategy : s.base if s.capacity_provider == "FARGATE"]) == 1 &&
      one([for s in aws_ecs_service.this.capacity_provider_strategy : s.weight if s.capacity_provider == "FARGATE_SPOT"]) == 1
    )
    error_message = "spot should keep an on-demand base on FARGATE"
  }
}

run "memory_autoscaling_and_private_exposure" {
  command = plan

  variables {
    auto_scaling_metric = "memory"
    exposure            = "private"
  }

  assert {
    condition     = aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageMemoryUtilization"
    error_message = "memory autoscaling should track ECSServiceAverageMemoryUtilization"
  }
  assert {
    condition     = output.docker_labels["traefik.http.routers.api-comments.entrypoints"] == "internal"
    error_message = "a private service should only be on the internal entrypoint"
  }
}

run "rejects_an_invalid_fargate_pair" {
  command = plan

  variables {
    cpu    = 256
    memory = 4096
  }

  expect_failures = [var.memory]
}

run "rejects_a_wildcard_action" {
  command = plan

  variables {
    iam_policy_statements = [{ actions = ["*"], resources = ["*"] }]
  }

  expect_failures = [var.iam_policy_statements]
}

run "rejects_requests_autoscaling_without_a_target_group" {
  command = plan

  variables {
    auto_scaling_metric = "requests"
  }

  expect_failures = [var.auto_scaling_metric]
}

run "rejects_fargate_spot_on_arm64" {
  command = plan

  variables {
    use_spot         = true
    cpu_architecture = "ARM64"
  }

  expect_failures = [var.use_spot]
}

run "rejects_both_or_neither_image" {
  command = plan

  variables {
    image = "public.ecr.aws/nginx/nginx:1.27"
  }

  expect_failures = [var.deployed_image]
}

run "runs_the_deployed_tag_and_grants_the_deploy_role_only_its_own_roles" {
  command = apply

  variables {
    deploy_role_name = "dev-github-deploy"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/api-comments:0123abc"
    error_message = "the image should be the repository at the tag invoke deploy recorded"
  }
  assert {
    condition     = jsondecode(aws_ssm_parameter.deployment[0].value) == { cluster_arn = var.cluster_arn, service_name = "api-comments", container_name = "api-comments" }
    error_message = "the deployment parameter should name the cluster, service and container"
  }
  assert {
    condition     = aws_ssm_parameter.deployment[0].name == "/dev/api-comments/deployment"
    error_message = "invoke deploy looks for /<env>/<image>/deployment"
  }
  assert {
    condition     = aws_iam_role_policy.deploy[0].role == "dev-github-deploy"
    error_message = "the deploy role should get this service's rollout grant"
  }
}

run "rejects_a_circuit_breaker_that_counts_client_errors" {
  command = plan

  variables {
    circuit_breaker_expression = "ResponseCodeRatio(400, 600, 0, 600) > 0.25"
  }

  expect_failures = [var.circuit_breaker_expression]
}

run "rejects_a_malformed_rate_limit_period" {
  command = plan

  variables {
    rate_limit = { average = 10, period = "five seconds", burst = 20 }
  }

  expect_failures = [var.rate_limit]
}

run "tracing_adds_a_collector_sidecar_and_points_the_app_at_it" {
  command = apply # the container definitions are known once the mock provider has applied

  variables {
    tracing = { sampling_ratio = 0.25 }
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[1].name == "otel-collector"
    error_message = "the ADOT collector should run beside the app"
  }
  assert {
    condition     = !jsondecode(aws_ecs_task_definition.this.container_definitions)[1].essential
    error_message = "a collector failure must not stop the app"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "OTEL_EXPORTER_OTLP_ENDPOINT", value = "http://localhost:4318" })
    error_message = "the app should export to the sidecar"
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "OTEL_TRACES_SAMPLER_ARG", value = "0.25" })
    error_message = "the sampling ratio should reach the app"
  }
  assert {
    condition     = strcontains(jsondecode(aws_ecs_task_definition.this.container_definitions)[1].environment[0].value, "awsxray")
    error_message = "X-Ray is the default exporter"
  }
  assert {
    condition     = length(aws_iam_role_policy.task) == 1
    error_message = "the task role needs the X-Ray permissions"
  }
}

run "rejects_otlp_tracing_without_an_endpoint" {
  command = plan

  variables {
    tracing = { exporter = "otlp" }
  }

  expect_failures = [var.tracing]
}

run "rejects_a_health_check_that_is_not_cmd_or_cmd_shell" {
  command = plan

  variables {
    health_check_command = ["curl", "http://127.0.0.1:8000/health"]
  }

  expect_failures = [var.health_check_command]
}
