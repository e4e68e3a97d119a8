output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per AZ (ALB, NAT)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets, one per AZ (tasks, data stores)."
  value       = aws_subnet.private[*].id
}

output "availability_zones" {
  description = "Availability zones in use."
  value       = local.azs
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "public_alb_dns_name" {
  description = "DNS name of the public ALB."
  value       = aws_lb.this["public"].dns_name
}

output "public_alb_security_group_id" {
  description = "Security group of the public ALB."
  value       = aws_security_group.public_alb.id
}

output "private_alb_security_group_id" {
  description = "Security group of the private ALB."
  value       = aws_security_group.private_alb.id
}

output "https_listener_arns" {
  description = "HTTPS listener of each ALB: { public = ..., private = ... }."
  value       = { for key, listener in aws_lb_listener.https : key => listener.arn }
}

output "certificate_arn" {
  description = "Validated ACM certificate for the domain, *.domain and *.internal.domain."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "public_zone_id" {
  description = "Route53 public hosted zone."
  value       = local.public_zone_id
}

output "private_zone_id" {
  description = "Route53 private hosted zone (internal.<domain>)."
  value       = aws_route53_zone.private.zone_id
}

output "domain_name" {
  description = "Public domain of the environment."
  value       = var.domain_name
}

output "private_domain_name" {
  description = "Private domain of the environment."
  value       = aws_route53_zone.private.name
}

output "monitoring_security_group_id" {
  description = "Security group of the scrapers; services open their metrics port to it."
  value       = aws_security_group.monitoring.id
}

output "github_role_names" {
  description = "Roles GitHub Actions assume (plan, apply, deploy), by kind; the layers of deployable services grant the deploy role what rolling them out needs."
  value       = { for name, role in aws_iam_role.github : name => role.name }
}

output "github_role_arns" {
  description = "Roles GitHub Actions assume (plan, apply, deploy): set them as the secrets AWS_PLAN_ROLE_ARN (repository), AWS_ROLE_ARN and AWS_DEPLOY_ROLE_ARN (this GitHub environment)."
  value       = { for name, role in aws_iam_role.github : name => role.arn }
}

output "images" {
  description = "Each image built here, by name: its ECR repository and the SSM parameter of its deployed tag (pass one to the ecs-service module's `image`)."
  value = { for name, repository in aws_ecr_repository.this : name => {
    name                = name
    repository_url      = repository.repository_url
    image_tag_parameter = aws_ssm_parameter.image_tag[name].name
  } }
}
