data "aws_caller_identity" "current" {}
data "aws_elb_service_account" "current" {}

resource "aws_s3_bucket" "alb_logs" {
  #checkov:skip=CKV_AWS_144:Access logs are reproducible operational data; cross-region replication is not worth its cost
  #checkov:skip=CKV_AWS_145:ALB access log delivery supports only SSE-S3 (AES256), not KMS
  #checkov:skip=CKV_AWS_18:This bucket is the access-log destination; logging it into itself would loop
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of log objects
  bucket        = "${local.name}-alb-logs-${data.aws_caller_identity.current.account_id}"
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_public_access_block" "alb_logs" {
  bucket                  = aws_s3_bucket.alb_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = 90
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "alb_logs" {
  statement {
    sid       = "ElbLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.alb_logs.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.alb_logs.arn, "${aws_s3_bucket.alb_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.id
  policy = data.aws_iam_policy_document.alb_logs.json
}

resource "aws_security_group" "public_alb" {
  #checkov:skip=CKV_AWS_260:The public ALB serves the internet; port 80 only redirects to HTTPS
  name        = "${local.name}-public-alb"
  description = "Public ALB: HTTP and HTTPS from the internet"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-public-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "public_alb" {
  #checkov:skip=CKV_AWS_260:The public ALB serves the internet on 80 (redirect to HTTPS only) and 443
  for_each = toset(["80", "443"])

  security_group_id = aws_security_group.public_alb.id
  description       = "Port ${each.value} from the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
}

resource "aws_security_group" "private_alb" {
  name        = "${local.name}-private-alb"
  description = "Private ALB: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${local.name}-private-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "private_alb" {
  security_group_id = aws_security_group.private_alb.id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# Both ALBs may reach targets (Traefik) inside the VPC only.
resource "aws_vpc_security_group_egress_rule" "alb_to_vpc" {
  for_each = {
    public  = aws_security_group.public_alb.id
    private = aws_security_group.private_alb.id
  }

  security_group_id = each.value
  description       = "To targets inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  ip_protocol       = "tcp"
  from_port         = 1
  to_port           = 65535
}

locals {
  albs = {
    public = {
      internal        = false
      subnets         = aws_subnet.public[*].id
      security_groups = [aws_security_group.public_alb.id]
    }
    private = {
      internal        = true
      subnets         = aws_subnet.private[*].id
      security_groups = [aws_security_group.private_alb.id]
    }
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:Deletion protection is on in prd (var.deletion_protection); local and dev are disposable
  #checkov:skip=CKV2_AWS_28:WAF is an opt-in cost; Traefik rate limits every public service
  for_each = local.albs

  name                       = "${local.name}-${each.key}"
  load_balancer_type         = "application"
  internal                   = each.value.internal
  subnets                    = each.value.subnets
  security_groups            = each.value.security_groups
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = aws_s3_bucket.alb_logs.id
    prefix  = each.key
    enabled = true
  }

  depends_on = [aws_s3_bucket_policy.alb_logs]
}

moved {
  from = aws_lb.public
  to   = aws_lb.this["public"]
}

moved {
  from = aws_lb.private
  to   = aws_lb.this["private"]
}

resource "aws_lb_listener" "public_http" {
  #checkov:skip=CKV_AWS_2:Port 80 only redirects to HTTPS
  #checkov:skip=CKV_AWS_103:Port 80 only redirects to HTTPS
  load_balancer_arn = aws_lb.this["public"].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  for_each = aws_lb.this

  load_balancer_arn = each.value.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.this.certificate_arn

  # 02-traefik adds the rule that forwards to Traefik; anything else is unknown.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = "{\"status\":\"NOT-FOUND\",\"message\":\"no such host\"}"
      status_code  = "404"
    }
  }
}
