# Cross-region backup copies (enable_cross_region_backups, on in prod): a KMS key in
# backup_region encrypts RDS's replicated automated backups and the replica of the OpenSearch
# snapshot bucket; copies in another region must be encrypted with a key of that region (RDS
# User Guide, "Replicating automated backups to another AWS Region"; S3 User Guide, "Replicating
# encrypted objects"). Resources in backup_region use the provider's per-resource region
# argument (hashicorp/aws 6.0 "Enhanced Region Support"): one provider configuration, no
# aliases to pass into modules, and no second provider process per plan.

locals {
  backup_copies = var.enable_cross_region_backups ? {
    region      = var.backup_region
    kms_key_arn = module.backup_kms[0].key_arn
  } : null
}

module "backup_kms" {
  source = "./modules/kms"
  count  = var.enable_cross_region_backups ? 1 : 0

  # Use and administration through the account's IAM policies (AWS default key policy): RDS and
  # the S3 replication role use it with the permissions of their callers and role.
  region                  = var.backup_region
  name_prefix             = local.name_prefix
  name                    = "backup"
  description             = "${local.name_prefix}-kms-backup: cross-region backup copies of the ${var.environment} environment in ${var.backup_region}"
  deletion_window_in_days = var.kms_deletion_window_in_days
}
