# A customer-managed KMS key of the environment, with its alias: administered through the
# account's IAM policies, and usable by the AWS services the caller names, each scoped to this
# environment (confused-deputy conditions). The root creates the environment key here, and the
# key of the cross-region backup copies in backup_region.

# The project's conventions: checks name_prefix against the naming pattern.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = coalesce(var.region, data.aws_region.current.region)

  log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"

  statements = concat(
    [{
      # Key administration stays with the account's IAM policies (AWS default key policy).
      Sid       = "AccountAdministration"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }],
    length(var.cloudwatch_log_groups) == 0 ? [] : [{
      # CloudWatch Logs encrypts the named log groups, and only those: the encryption context
      # names the log group (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs
      # using AWS KMS").
      Sid       = "CloudWatchLogsEncryption"
      Effect    = "Allow"
      Principal = { Service = "logs.${local.region}.amazonaws.com" }
      Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*"
      Condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = [for name in var.cloudwatch_log_groups : "${local.log_group_arn_prefix}${name}"]
        }
      }
    }],
    var.cloudwatch_alarms ? [{
      # This environment's CloudWatch alarms publish to a KMS-encrypted topic; the source
      # conditions keep other accounts' and other environments' alarms out (SNS Developer Guide,
      # "Enable compatibility between event sources from AWS services and encrypted topics";
      # IAM User Guide, "The confused deputy problem").
      Sid       = "CloudWatchAlarmsToEncryptedTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*" }
      }
    }] : [],
  )
}

resource "aws_kms_key" "this" {
  region                  = var.region
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = jsonencode({ Version = "2012-10-17", Statement = local.statements })

  tags = merge(var.tags, { Name = "${var.name_prefix}-kms-${var.name}" })

  # Without the key nothing encrypted with it can be read again. A literal; deliberate
  # teardown: modules/rds/README.md, "Deletion safety".
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "this" {
  region        = var.region
  name          = "alias/${var.name_prefix}-${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
