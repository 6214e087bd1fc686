# Cross-region copies of the automated backups (snapshots and transaction logs), so the instance
# can be restored to a point in time in a second region (RDS User Guide, "Replicating automated
# backups to another AWS Region", read 2026-12-01). The replication is managed in the
# destination region (provider docs, aws_db_instance_automated_backups_replication: "This
# resource has to be created in the destination region"): the provider's per-resource region
# (hashicorp/aws 6.0 "Enhanced Region Support"), not a second provider configuration. The KMS key
# must be one of the destination region (kms_key_id: "the ARN for the KMS encryption key in the
# destination AWS Region"). Not every region pair is offered: check the source with
# `aws rds describe-source-regions --region <destination>` (SupportsDBInstanceAutomatedBackupsReplication).
resource "aws_db_instance_automated_backups_replication" "this" {
  count = var.backup_replication == null ? 0 : 1

  region                 = var.backup_replication.region
  source_db_instance_arn = aws_db_instance.this.arn
  kms_key_id             = var.backup_replication.kms_key_arn
  # As long as in the source region: a restore there reaches as far back as here.
  retention_period = var.rds_config.backup_retention_period
}
