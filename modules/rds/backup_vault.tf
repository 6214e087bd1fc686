# A copy of the database that nobody can erase (review 2026-12-07 M5): the automated backups and
# their cross-region replica (backup_replication.tf) can be deleted by anyone allowed
# rds:DeleteDBInstanceAutomatedBackup. With backup_replication set, AWS Backup also snapshots the
# instance every day into a vault of its own region and copies each snapshot into a vault in the
# backup region; both vaults carry a vault lock, so no recovery point is deleted, and no
# retention shortened, before its minimum retention (AWS Backup Developer Guide, "AWS Backup
# Vault Lock", read 2026-12-07). The lock is in governance mode (no changeable_for_days,
# provider docs website/docs/r/backup_vault_lock_configuration.html.markdown): a principal
# allowed backup:DeleteBackupVaultLockConfiguration can still remove it, which the deploy roles'
# permissions boundary denies; compliance mode (changeable_for_days) cannot be undone by anyone,
# including AWS, after its grace time, so it is a decision for the account owner
# (docs/runbooks/restore-backups.md). The copy vault's access policy also denies deleting a
# recovery point or shortening its lifecycle to every principal. A separate backup account (an
# AWS Organizations vault as copy target) keeps the copy away from this account's
# administrators too: optional, documented in the runbook.
# Resources in the backup region use the provider's per-resource region (hashicorp/aws 6.0).

locals {
  backup_vault          = var.backup_replication != null
  backup_vault_name     = "${var.name_prefix}-backup-rds"
  backup_copy_vault     = "${var.name_prefix}-backup-rds-copy"
  backup_copy_vault_arn = local.backup_vault ? "arn:${data.aws_partition.current.partition}:backup:${var.backup_replication.region}:${data.aws_caller_identity.current.account_id}:backup-vault:${local.backup_copy_vault}" : null
}

# The vault AWS Backup writes the daily snapshot into first, in the instance's region, with the
# environment key.
resource "aws_backup_vault" "rds" {
  count = local.backup_vault ? 1 : 0

  name          = local.backup_vault_name
  kms_key_arn   = var.kms_key_arn
  force_destroy = false

  tags = merge(var.tags, { Name = local.backup_vault_name })
}

resource "aws_backup_vault_lock_configuration" "rds" {
  count = local.backup_vault ? 1 : 0

  backup_vault_name  = aws_backup_vault.rds[0].name
  min_retention_days = var.backup_replication.vault_local_days
}

# The copy in the backup region, with that region's key.
resource "aws_backup_vault" "rds_copy" {
  count = local.backup_vault ? 1 : 0

  region        = var.backup_replication.region
  name          = local.backup_copy_vault
  kms_key_arn   = var.backup_replication.kms_key_arn
  force_destroy = false

  tags = merge(var.tags, { Name = local.backup_copy_vault })
}

resource "aws_backup_vault_lock_configuration" "rds_copy" {
  count = local.backup_vault ? 1 : 0

  region             = var.backup_replication.region
  backup_vault_name  = aws_backup_vault.rds_copy[0].name
  min_retention_days = var.backup_replication.vault_copy_days
}

# AWS Backup Developer Guide, "Vault access policies", example "Deny access to delete recovery
# points": nobody, whatever their IAM permissions, deletes a copy or shortens its lifecycle; the
# copies expire by the plan's lifecycle (the service's own deletion is not a principal's call).
resource "aws_backup_vault_policy" "rds_copy" {
  count = local.backup_vault ? 1 : 0

  region            = var.backup_replication.region
  backup_vault_name = aws_backup_vault.rds_copy[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "NobodyErasesTheCopies"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]
      Resource  = "*"
    }]
  })
}

resource "aws_backup_plan" "rds" {
  count = local.backup_vault ? 1 : 0

  name = local.backup_vault_name

  rule {
    rule_name         = "daily-copy-to-${var.backup_replication.region}"
    target_vault_name = aws_backup_vault.rds[0].name
    # Daily, after the instance's own backup window would usually end (UTC).
    schedule          = "cron(0 5 ? * * *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = var.backup_replication.vault_local_days
      # Explicit: AWS Backup answers false when it is not set, and a plan after apply would
      # otherwise show false -> null on every run (the rehearsal's second plan found it).
      opt_in_to_archive_for_supported_resources = false
    }

    copy_action {
      # Built from the name (known at plan); depends_on below: the copies go to a locked vault.
      destination_vault_arn = local.backup_copy_vault_arn

      lifecycle {
        delete_after                              = var.backup_replication.vault_copy_days
        opt_in_to_archive_for_supported_resources = false
      }
    }
  }

  tags = merge(var.tags, { Name = local.backup_vault_name })

  depends_on = [aws_backup_vault_lock_configuration.rds, aws_backup_vault_lock_configuration.rds_copy, aws_backup_vault_policy.rds_copy]
}

# The role AWS Backup assumes to snapshot the instance and copy the snapshot: AWS's managed
# policies for backup and restore (AWS Backup Developer Guide, "Default service role for AWS
# Backup"). The trust is limited to AWS Backup acting for this account (aws:SourceAccount, and
# aws:SourceArn of any AWS Backup resource of the account, in either region), as every service
# trust of the project (IAM User Guide, "The confused deputy problem"). That AWS Backup sends
# both keys when it assumes the role is not confirmed by the AWS Backup guide: if the first
# backup or copy job fails with an access error on the role, check this condition first.
resource "aws_iam_role" "backup" {
  count = local.backup_vault ? 1 : 0

  name                 = "${var.name_prefix}-backup-rds"
  description          = "AWS Backup snapshots ${local.identifier} into ${local.backup_vault_name} and copies it to ${local.backup_copy_vault}"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AwsBackupOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:backup:*:${data.aws_caller_identity.current.account_id}:*" }
      }
    }]
  })

  tags = merge(var.tags, { Name = "${var.name_prefix}-backup-rds" })
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = local.backup_vault ? toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) : toset([])

  role       = aws_iam_role.backup[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_selection" "rds" {
  count = local.backup_vault ? 1 : 0

  name         = local.backup_vault_name
  plan_id      = aws_backup_plan.rds[0].id
  iam_role_arn = aws_iam_role.backup[0].arn
  resources    = [aws_db_instance.this.arn]
}
