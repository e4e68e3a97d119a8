resource "aws_ecs_task_definition" "this" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.traefik.cpu
  memory                   = var.traefik.memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name      = "traefik"
    image     = var.traefik.image
    essential = true
    # The stock image, configured by flags (no custom image). The shell only writes
    # the dashboard's htpasswd line, injected from Secrets Manager, to a file.
    entryPoint       = ["/bin/sh", "-c"]
    workingDirectory = local.working_directory
    command = [join(" ", concat(
      ["printf '%s\\n' \"$DASHBOARD_USERS\" > ${local.users_file} && unset DASHBOARD_USERS && exec traefik"],
      local.traefik_flags,
    ))]
    secrets = [{
      name      = "DASHBOARD_USERS"
      valueFrom = "${module.dashboard_credentials.arn}:htpasswd::"
    }]
    portMappings = [for name, port in local.ports : { name = name, containerPort = port, protocol = "tcp" }]
    dockerLabels = {
      "traefik.enable"                                              = "true"
      "traefik.http.routers.dashboard.rule"                         = "Host(`${local.dashboard_host}`)"
      "traefik.http.routers.dashboard.entrypoints"                  = "internal"
      "traefik.http.routers.dashboard.service"                      = "api@internal"
      "traefik.http.routers.dashboard.middlewares"                  = "dashboard-auth"
      "traefik.http.middlewares.dashboard-auth.basicauth.usersfile" = local.users_file
      "traefik.http.services.dashboard.loadbalancer.server.port"    = tostring(local.ports.internal)
      "PROMETHEUS_EXPORTER_PORT"                                    = tostring(local.ports.metrics)
      "PROMETHEUS_EXPORTER_PATH"                                    = "/metrics"
      "PROMETHEUS_EXPORTER_JOB_NAME"                                = "traefik"
    }
    healthCheck = {
      command     = ["CMD", "traefik", "healthcheck", "--ping", "--ping.entrypoint=ping", "--entrypoints.ping.address=:${local.ports.ping}"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    stopTimeout = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "traefik"
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                               = "traefik"
  cluster                            = local.base.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.traefik.min_capacity
  launch_type                        = "FARGATE"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  availability_zone_rebalancing      = "ENABLED"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 30
  wait_for_steady_state              = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = local.base.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = { public = local.ports.web, private = local.ports.internal }
    content {
      target_group_arn = aws_lb_target_group.this[load_balancer.key].arn
      container_name   = "traefik"
      container_port   = load_balancer.value
    }
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener_rule.to_traefik]
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.traefik.min_capacity
  max_capacity       = var.traefik.max_capacity
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.traefik.cpu_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
