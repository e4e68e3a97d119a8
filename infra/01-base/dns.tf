# The public zone must be delegated before ACM can validate the certificate below, and a
# zone created in the same apply never is: on AWS the zone exists already (`invoke bootstrap`
# makes it once and prints the name servers to delegate; docs/adr/0009). Only where nothing
# resolves it from the internet (the emulator) does this layer make it.
resource "aws_route53_zone" "public" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and registrar changes; enable it per domain when the registrar is ready
  #checkov:skip=CKV2_AWS_39:Query logging of the public zone is opt-in (cost); resolver logs cover the VPC
  count = var.create_public_zone ? 1 : 0

  name    = var.domain_name
  comment = "Public names of the ${var.environment} platform"
}

data "aws_route53_zone" "public" {
  count = var.create_public_zone ? 0 : 1

  name         = var.domain_name
  private_zone = false
}

locals {
  public_zone_id = one(concat(aws_route53_zone.public[*].zone_id, data.aws_route53_zone.public[*].zone_id))
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

  zone_id         = local.public_zone_id
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
  zone_id = local.public_zone_id
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

moved {
  from = aws_route53_zone.public
  to   = aws_route53_zone.public[0]
}
