# The ECS service and its autoscaling.

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = "${aws_ecs_task_definition.this.family}:${local.task_definition_revision}"
  desired_count                      = var.auto_scaling_metric == null ? var.desired_count : max(var.desired_count, var.auto_scaling_min_capacity)
  enable_execute_command             = var.enable_execute_command
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  availability_zone_rebalancing      = "ENABLED"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  wait_for_steady_state              = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "capacity_provider_strategy" {
    for_each = var.use_spot ? [
      { provider = "FARGATE", base = var.spot_on_demand_base, weight = 0 },
      { provider = "FARGATE_SPOT", base = 0, weight = 1 },
      ] : [
      { provider = "FARGATE", base = 0, weight = 1 },
    ]
    content {
      capacity_provider = capacity_provider_strategy.value.provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.load_balancer == null ? [] : [var.load_balancer]
    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = var.name
      container_port   = coalesce(load_balancer.value.container_port, var.port)
    }
  }

  tags = local.tags

  lifecycle {
    # Autoscaling owns the running count.
    ignore_changes = [desired_count]
  }
}

# ALBRequestCountPerTarget's resource label: app/<load balancer>/<id>/targetgroup/<group>/<id>.
data "aws_lb_target_group" "this" {
  count = var.auto_scaling_metric == "requests" ? 1 : 0

  arn = var.load_balancer.target_group_arn
}

data "aws_lb" "this" {
  count = length(data.aws_lb_target_group.this)

  arn = one(data.aws_lb_target_group.this[0].load_balancer_arns)
}

resource "aws_appautoscaling_target" "this" {
  count = var.auto_scaling_metric == null ? 0 : 1

  service_namespace  = "ecs"
  resource_id        = "service/${split("/", var.cluster_arn)[1]}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.auto_scaling_min_capacity
  max_capacity       = var.auto_scaling_max_capacity
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = var.auto_scaling_metric == null ? 0 : 1

  name               = "${local.full_name}-${var.auto_scaling_metric}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.auto_scaling_target_value
    scale_out_cooldown = var.auto_scaling_up_cooldown
    scale_in_cooldown  = var.auto_scaling_down_cooldown

    predefined_metric_specification {
      predefined_metric_type = lookup({
        cpu      = "ECSServiceAverageCPUUtilization"
        memory   = "ECSServiceAverageMemoryUtilization"
        requests = "ALBRequestCountPerTarget"
      }, var.auto_scaling_metric)
      resource_label = var.auto_scaling_metric == "requests" ? "${data.aws_lb.this[0].arn_suffix}/${data.aws_lb_target_group.this[0].arn_suffix}" : null
    }
  }
}
