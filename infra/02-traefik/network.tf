resource "aws_security_group" "this" {
  name        = local.name
  description = "Traefik tasks: entrypoints open only to the ALBs, metrics only to the scrapers"
  vpc_id      = local.base.vpc_id
  tags        = { Name = local.name }
}

resource "aws_vpc_security_group_ingress_rule" "from_albs" {
  #checkov:skip=CKV_AWS_260:The source is the ALB's security group, not 0.0.0.0/0 (the check misreads referenced groups)
  for_each = {
    "public-web"       = { sg = local.base.public_alb_security_group_id, port = local.ports.web }
    "public-ping"      = { sg = local.base.public_alb_security_group_id, port = local.ports.ping }
    "private-internal" = { sg = local.base.private_alb_security_group_id, port = local.ports.internal }
    "private-ping"     = { sg = local.base.private_alb_security_group_id, port = local.ports.ping }
  }

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} from its ALB"
  referenced_security_group_id = each.value.sg
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_ingress_rule" "metrics" {
  security_group_id            = aws_security_group.this.id
  description                  = "Prometheus metrics entrypoint, from the scrapers only"
  referenced_security_group_id = local.base.monitoring_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.ports.metrics
  to_port                      = local.ports.metrics
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "To the services it routes to, inside the VPC"
  cidr_ipv4         = local.base.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 1
  to_port           = 65535
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the ECS and EC2 APIs and the image registry (through NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB to Traefik stays inside the VPC's private subnets
  for_each = { public = local.ports.web, private = local.ports.internal }

  name                 = "${local.name}-${each.key}"
  port                 = each.value
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = local.base.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/ping"
    port                = tostring(local.ports.ping)
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener_rule" "to_traefik" {
  for_each = {
    public  = "*.${local.base.domain_name}"
    private = "*.${local.base.private_domain_name}"
  }

  listener_arn = local.base.https_listener_arns[each.key]
  priority     = 100

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  condition {
    host_header {
      values = [each.value]
    }
  }
}
