resource "aws_route53_zone" "public" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and registrar changes; enable it per domain when the registrar is ready
  #checkov:skip=CKV2_AWS_39:Query logging of the public zone is opt-in (cost); resolver logs cover the VPC
  name    = var.domain_name
  comment = "Public names of the ${var.environment} platform"
}

resource "aws_route53_zone" "private" {
  name    = "internal.${var.domain_name}"
  comment = "Names reachable only inside the ${var.environment} VPC"

  vpc {
    vpc_id = aws_vpc.this.id
  }
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = ["*.${var.domain_name}", "*.internal.${var.domain_name}"]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "certificate_validation" {
  for_each = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option
  }

  zone_id         = aws_route53_zone.public.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.certificate_validation : record.fqdn]
}

# Every public name goes to the public ALB; Traefik routes by Host.
resource "aws_route53_record" "public_wildcard" {
  zone_id = aws_route53_zone.public.zone_id
  name    = "*.${var.domain_name}"
  type    = "A"

  alias {
    name                   = aws_lb.this["public"].dns_name
    zone_id                = aws_lb.this["public"].zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "private_wildcard" {
  zone_id = aws_route53_zone.private.zone_id
  name    = "*.internal.${var.domain_name}"
  type    = "A"

  alias {
    name                   = aws_lb.this["private"].dns_name
    zone_id                = aws_lb.this["private"].zone_id
    evaluate_target_health = true
  }
}
