# Persistent data of Prometheus (TSDB) and Grafana (its database), one access point each.

resource "aws_efs_file_system" "this" {
  #checkov:skip=CKV_AWS_184:Encrypted with the AWS managed key; a CMK adds cost and key policy upkeep
  creation_token   = local.name
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = { Name = local.name }
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = var.protection.efs_backups ? "ENABLED" : "DISABLED"
  }
}

resource "aws_security_group" "efs" {
  name        = "${local.name}-efs"
  description = "Observability EFS: NFS from the observability tasks only"
  vpc_id      = local.base.vpc_id
  tags        = { Name = "${local.name}-efs" }
}

resource "aws_vpc_security_group_ingress_rule" "efs" {
  security_group_id            = aws_security_group.efs.id
  description                  = "NFS from the observability tasks"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
}

resource "aws_efs_mount_target" "this" {
  count = length(local.base.private_subnet_ids)

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = local.base.private_subnet_ids[count.index]
  security_groups = [aws_security_group.efs.id]
}

resource "aws_efs_access_point" "this" {
  for_each = { for name, component in local.components : name => component if component.persistent }

  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = each.value.uid
    gid = each.value.uid
  }

  root_directory {
    path = "/${each.key}"
    creation_info {
      owner_uid   = each.value.uid
      owner_gid   = each.value.uid
      permissions = "0750"
    }
  }

  tags = { Name = "${local.name}-${each.key}" }
}

# Only TLS, and only through the access points.
data "aws_iam_policy_document" "efs" {
  statement {
    sid       = "DenyWithoutTls"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]
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

  # Each component through its own access point only: Prometheus cannot mount Grafana's data.
  dynamic "statement" {
    for_each = aws_efs_access_point.this
    content {
      sid       = "Mount${title(statement.key)}ThroughItsAccessPoint"
      actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      resources = [aws_efs_file_system.this.arn]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.task[statement.key].arn]
      }
      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = [statement.value.arn]
      }
    }
  }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.efs.json
}
