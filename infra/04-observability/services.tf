# Prometheus and Alertmanager find each other (and Grafana finds Prometheus) through
# Cloud Map names inside the VPC; people reach all three through Traefik, privately.
resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = "observability.${local.base.private_domain_name}"
  description = "Names of the observability tasks, inside the VPC"
  vpc         = local.base.vpc_id
}

resource "aws_service_discovery_service" "this" {
  for_each = local.components

  name = each.key

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

locals {
  log_options = { for name in concat(keys(local.components), ["ecs-discovery"]) : name => {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.this[name].name
      awslogs-region        = var.aws_region
      awslogs-stream-prefix = name
    }
  } }

  # Routed by Traefik on the internal entrypoint (private ALB only); Prometheus and
  # Alertmanager have no login of their own, so Traefik's basic auth guards them.
  traefik_labels = { for name, component in local.components : name => merge({
    "traefik.enable"                                              = "true"
    "traefik.http.routers.${name}.rule"                           = "Host(`${local.hosts[name]}`)"
    "traefik.http.routers.${name}.entrypoints"                    = "internal"
    "traefik.http.services.${name}.loadbalancer.server.port"      = tostring(component.port)
    "traefik.http.services.${name}.loadbalancer.healthcheck.path" = component.health_path
    }, component.basic_auth ? { "traefik.http.routers.${name}.middlewares" = "dashboard-auth@ecs" } : {})
  }

  health_checks = { for name, component in local.components : name => {
    command     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${component.port}${component.health_path}"]
    interval    = 15
    timeout     = 5
    retries     = 3
    startPeriod = component.start_period
  } }

  containers = {
    prometheus = [
      {
        name       = "prometheus"
        image      = var.observability.prometheus_image
        essential  = true
        user       = "65534"
        entryPoint = ["/bin/sh", "-c"]
        command = [join(" ", [
          "mkdir -p /tmp/rules",
          "&& for name in $(env | sed -n 's/^\\(PROMETHEUS_RULES_[A-Z0-9_]*\\)=.*/\\1/p'); do printenv \"$name\" > \"/tmp/rules/$name.yml\"; done",
          "&& printf '%s' \"$PROMETHEUS_CONFIG\" > /tmp/prometheus.yml && exec /bin/prometheus",
          "--config.file=/tmp/prometheus.yml",
          "--storage.tsdb.path=/prometheus",
          "--storage.tsdb.retention.time=${var.observability.prometheus_retention}",
          "--web.external-url=https://${local.hosts.prometheus}/",
          "--web.enable-lifecycle",
        ])]
        secrets = concat(
          [{ name = "PROMETHEUS_CONFIG", valueFrom = aws_ssm_parameter.config["prometheus.yml"].arn }],
          [for name, variable in local.rule_variables : { name = variable, valueFrom = aws_ssm_parameter.config["rules/${name}"].arn }],
        )
        portMappings = [{ containerPort = 9090, protocol = "tcp" }]
        mountPoints = [
          { sourceVolume = "data", containerPath = "/prometheus", readOnly = false },
          { sourceVolume = "targets", containerPath = "/targets", readOnly = true },
        ]
        dependsOn        = [{ containerName = "ecs-discovery", condition = "START" }]
        dockerLabels     = local.traefik_labels.prometheus # scrapes itself (static job), not via discovery
        healthCheck      = local.health_checks.prometheus
        logConfiguration = local.log_options.prometheus
      },
      {
        # Writes /targets/ecs.json from the cluster's tasks labelled PROMETHEUS_EXPORTER_PORT.
        # Its image declares VOLUME /targets, owned by its user: Fargate copies that directory,
        # ownership included, into the bind volume mounted at the same path; without it the
        # volume is root's, 0755, and the sidecar could not write
        # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
        name             = "ecs-discovery"
        image            = local.base.images["ecs-discovery"].repository_url
        essential        = true
        environment      = [{ name = "ECS_CLUSTER", value = local.base.cluster_name }, { name = "OUTPUT_FILE", value = "/targets/ecs.json" }, { name = "INTERVAL_SECONDS", value = tostring(var.observability.intervals.discovery) }]
        mountPoints      = [{ sourceVolume = "targets", containerPath = "/targets", readOnly = false }]
        portMappings     = []
        healthCheck      = local.image_health_checks["ecs-discovery"]
        logConfiguration = local.log_options["ecs-discovery"]
      },
    ]
    grafana = [{
      name      = "grafana"
      image     = local.base.images["grafana"].repository_url
      essential = true
      environment = [
        { name = "GF_SERVER_ROOT_URL", value = "https://${local.hosts.grafana}/" },
        { name = "GF_AUTH_ANONYMOUS_ENABLED", value = "false" },
        { name = "GF_USERS_ALLOW_SIGN_UP", value = "false" },
        { name = "GF_ANALYTICS_REPORTING_ENABLED", value = "false" },
        { name = "GF_LOG_MODE", value = "console" },
        { name = "GF_LOG_CONSOLE_FORMAT", value = "json" },
        { name = "AWS_REGION", value = var.aws_region },
        { name = "PROMETHEUS_URL", value = "http://prometheus.${aws_service_discovery_private_dns_namespace.this.name}:9090" },
      ]
      secrets          = [{ name = "GF_SECURITY_ADMIN_PASSWORD", valueFrom = module.grafana_admin.arn }]
      portMappings     = [{ containerPort = 3000, protocol = "tcp" }]
      mountPoints      = [{ sourceVolume = "data", containerPath = "/var/lib/grafana", readOnly = false }]
      dockerLabels     = local.traefik_labels.grafana
      healthCheck      = local.image_health_checks.grafana
      logConfiguration = local.log_options.grafana
    }]
    alertmanager = [{
      name       = "alertmanager"
      image      = var.observability.alertmanager_image
      essential  = true
      entryPoint = ["/bin/sh", "-c"]
      command = [join(" ", [
        "mkdir -p /tmp/secrets && umask 077",
        "&& for file in pagerduty-routing-key slack-webhook-url; do name=$(echo \"RECEIVER_$file\" | tr 'a-z-' 'A-Z_'); printenv \"$name\" > \"/tmp/secrets/$file\" || true; done",
        "&& printf '%s' \"$ALERTMANAGER_CONFIG\" > /tmp/alertmanager.yml && exec /bin/alertmanager",
        "--config.file=/tmp/alertmanager.yml",
        "--storage.path=/tmp/alertmanager",
        "--web.external-url=https://${local.hosts.alertmanager}/",
      ])]
      secrets = concat(
        [{ name = "ALERTMANAGER_CONFIG", valueFrom = aws_ssm_parameter.config["alertmanager.yml"].arn }],
        [for file, arn in local.receiver_secrets : { name = upper(replace("RECEIVER_${file}", "-", "_")), valueFrom = arn }],
      )
      portMappings     = [{ containerPort = 9093, protocol = "tcp" }]
      mountPoints      = []
      dockerLabels     = local.traefik_labels.alertmanager
      healthCheck      = local.health_checks.alertmanager
      logConfiguration = local.log_options.alertmanager
    }]
  }

  # ECS ignores an image's Docker HEALTHCHECK: the images built here repeat theirs here
  # (the tests compare the two).
  image_health_checks = {
    "ecs-discovery" = {
      command     = ["CMD", "python", "-c", "import os, sys, time; sys.exit(time.time() - os.path.getmtime(os.environ['HEARTBEAT_FILE']) > 300)"]
      interval    = 60
      timeout     = 3
      retries     = 3
      startPeriod = 60
    }
    "grafana" = {
      command     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"]
      interval    = 30
      timeout     = 3
      retries     = 3
      startPeriod = 30
    }
  }

  sizes = {
    prometheus   = { cpu = 512, memory = 1024 }
    grafana      = { cpu = 256, memory = 512 }
    alertmanager = { cpu = 256, memory = 512 }
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.components

  family                   = "${var.environment}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.sizes[each.key].cpu
  memory                   = local.sizes[each.key].memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  container_definitions = jsonencode([for container in local.containers[each.key] : contains(keys(local.deployments), container.name)
    ? merge(container, { image = "${container.image}:${data.aws_ssm_parameter.image_tag[container.name].insecure_value}" })
  : container])
  # Older revisions stay registered: ecs-deploy rolls back to them (decision 5).
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    for_each = each.value.persistent ? [aws_efs_access_point.this[each.key].id] : []
    content {
      name = "data"
      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.this.id
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = volume.value
          iam             = "ENABLED"
        }
      }
    }
  }

  dynamic "volume" {
    for_each = each.key == "prometheus" ? ["targets"] : []
    content {
      name = volume.value
    }
  }

  lifecycle {
    # The images built here are rolled out by `invoke deploy` (docs/adr/0003): their tag is
    # not part of the shape, so a deploy leaves Terraform nothing to change, and a change of
    # shape registers a revision with the deployed tag.
    ignore_changes       = [container_definitions]
    replace_triggered_by = [terraform_data.task_shape[each.key]]
  }
}

resource "terraform_data" "task_shape" {
  for_each = local.components

  input = sha256(jsonencode({ containers = local.containers[each.key], size = local.sizes[each.key] }))
}

# The newest revision of each family, whoever registered it (Terraform or invoke deploy).
data "aws_ecs_task_definition" "latest" {
  for_each = local.components

  task_definition = aws_ecs_task_definition.this[each.key].family
  depends_on      = [aws_ecs_task_definition.this]
}

# The images built here (01-base's registries) at the tag `invoke deploy` recorded, and
# where each is rolled out: its service and container.
locals {
  deployments = {
    "ecs-discovery" = { service = "prometheus", container = "ecs-discovery" }
    "grafana"       = { service = "grafana", container = "grafana" }
  }
}

data "aws_ssm_parameter" "image_tag" {
  for_each = local.deployments

  name = local.base.images[each.key].image_tag_parameter
}

resource "aws_ssm_parameter" "deployment" {
  #checkov:skip=CKV2_AWS_34:Names of a cluster, a service and a container are not secrets
  for_each = local.deployments

  name        = "/${var.environment}/${each.key}/deployment"
  description = "Where invoke deploy rolls out ${each.key}: cluster, service and container."
  type        = "String"
  value = jsonencode({
    cluster_arn    = local.base.cluster_arn
    service_name   = aws_ecs_service.this[each.value.service].name
    container_name = each.value.container
  })
}

resource "aws_ecs_service" "this" {
  for_each = local.components

  name                    = each.key
  cluster                 = local.base.cluster_arn
  task_definition         = "${aws_ecs_task_definition.this[each.key].family}:${max(aws_ecs_task_definition.this[each.key].revision, data.aws_ecs_task_definition.latest[each.key].revision)}"
  desired_count           = 1
  launch_type             = "FARGATE"
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true
  # One Prometheus writes the TSDB: never two at once on the same volume.
  deployment_minimum_healthy_percent = each.value.persistent ? 0 : 100
  deployment_maximum_percent         = each.value.persistent ? 100 : 200
  availability_zone_rebalancing      = "DISABLED"
  wait_for_steady_state              = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets = local.base.private_subnet_ids
    # Prometheus also carries the scrapers' group, which services open their metrics ports to.
    security_groups  = each.key == "prometheus" ? [aws_security_group.this.id, local.base.monitoring_security_group_id] : [aws_security_group.this.id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.this[each.key].arn
  }

  depends_on = [aws_efs_mount_target.this, aws_efs_file_system_policy.this]
}
