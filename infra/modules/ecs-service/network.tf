# The service's security group: from the ALB's Traefik and the metrics scraper in, HTTPS and the VPC out.

resource "aws_security_group" "this" {
  name        = local.full_name
  description = "Tasks of ${var.name}: reachable only from Traefik (service port) and Prometheus (metrics port)."
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = local.full_name })
}

resource "aws_vpc_security_group_ingress_rule" "service" {
  for_each = toset(var.ingress_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Service port from Traefik"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_vpc_security_group_ingress_rule" "metrics" {
  for_each = var.metrics_port == null ? toset([]) : toset(var.metrics_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Metrics port from Prometheus"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.metrics_port
  to_port                      = var.metrics_port
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs and ECR (through NAT or VPC endpoints)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "Anything inside the VPC (data stores, other services)"
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  ip_protocol       = "-1"
}

data "aws_vpc" "this" {
  id = var.vpc_id
}
