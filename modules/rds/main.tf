# The project's conventions: checks the shared inputs and gives the lists the validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix, environment = var.environment, kms_key_arn = var.kms_key_arn, log_retention_days = var.log_retention_days, permissions_boundary_arn = var.permissions_boundary_arn }
  # The longest name this module builds.
  name_prefix_max_length = { length = 34, because = "the backup vault <name_prefix>-backup-rds-copy fits the 50 characters AWS Backup allows (BackupVaultName)" }
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  identifier   = "${var.name_prefix}-rds-postgres"
  engine_major = split(".", var.rds_config.engine_version)[0]
  # Parameter-group family of the engine version: postgres16 for "16" and "16.4".
  family = "postgres${local.engine_major}"

  max_allocated_storage = coalesce(var.rds_config.max_allocated_storage, min(var.rds_config.allocated_storage * 5, 65536))

  # Logged by default: statements slower than one second, and DDL through pgaudit. Not through
  # log_statement: its ddl level writes CREATE/ALTER ROLE ... PASSWORD '...' to the log in clear
  # text (PostgreSQL documentation, log_statement), so it stays "none" (a validation refuses
  # other levels). pgaudit's DDL class excludes the ROLE class (CREATE/ALTER/DROP ROLE, GRANT,
  # REVOKE), so password changes never reach the log (pgaudit README, pgaudit.log; RDS User
  # Guide, "Using pgAudit to log database activity"). pgaudit must be preloaded; the
  # rds_pgaudit role and CREATE EXTENSION pgaudit (once per database) complete AWS's setup.
  # Everything in rds_config.parameters is applied at the next reboot (static and dynamic
  # parameters alike); the defaults below can be overridden there.
  managed_parameters = {
    log_min_duration_statement = lookup(var.rds_config.parameters, "log_min_duration_statement", "1000")
    log_statement              = lookup(var.rds_config.parameters, "log_statement", "none")
    "pgaudit.log"              = lookup(var.rds_config.parameters, "pgaudit.log", "ddl")
    "pgaudit.role"             = lookup(var.rds_config.parameters, "pgaudit.role", "rds_pgaudit")
  }
  # Static: applied at the next reboot (an instance created with the group starts with it).
  shared_preload_libraries = lookup(var.rds_config.parameters, "shared_preload_libraries", "pg_stat_statements,pgaudit")
  extra_parameters         = { for name, value in var.rds_config.parameters : name => value if !contains(concat(keys(local.managed_parameters), ["shared_preload_libraries"]), name) }

  log_exports = ["postgresql", "upgrade"]

  monitoring = var.rds_config.monitoring_interval > 0

  # IAM database authentication: rds-db:connect on arn:<partition>:rds-db:<region>:<account>:
  # dbuser:<DbiResourceId>/<role>. Region and account are those of the instance's own ARN
  # (arn:<partition>:rds:<region>:<account>:db:<identifier>).
  instance_arn_parts = split(":", aws_db_instance.this.arn)
  dbuser_arn_prefix = format(
    "arn:%s:rds-db:%s:%s:dbuser:%s", local.instance_arn_parts[1], local.instance_arn_parts[3],
    local.instance_arn_parts[4], aws_db_instance.this.resource_id,
  )
}

# --- network and parameters -----------------------------------------------------------

resource "aws_db_subnet_group" "this" {
  name        = "${var.name_prefix}-rds-subnet-group"
  description = "Data subnets of the ${var.environment} PostgreSQL instance"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.name_prefix}-rds-subnet-group" })
}

resource "aws_db_parameter_group" "this" {
  # The family is part of the name so that a major upgrade creates the new group before the
  # old one is released (create_before_destroy).
  name        = "${var.name_prefix}-rds-${local.family}"
  family      = local.family
  description = "Parameters of the ${var.environment} PostgreSQL instance (${local.family}): TLS required"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  dynamic "parameter" {
    for_each = local.managed_parameters
    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = local.shared_preload_libraries
    apply_method = "pending-reboot"
  }

  dynamic "parameter" {
    for_each = local.extra_parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-rds-${local.family}" })

  lifecycle {
    create_before_destroy = true
  }
}

# --- logs and monitoring ----------------------------------------------------------------

# Created before the instance so that the exported logs land in encrypted groups with the
# environment's retention, not in groups RDS would create unencrypted and kept forever.
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.log_exports)
  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.identifier}-${each.key}" })
}

resource "aws_iam_role" "monitoring" {
  count = local.monitoring ? 1 : 0

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name        = "${var.name_prefix}-rds-monitoring"
  description = "Enhanced monitoring of the ${var.environment} PostgreSQL instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "RdsEnhancedMonitoring"
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Only on behalf of this instance (RDS User Guide, "Setting up and enabling Enhanced
      # Monitoring": confused deputy conditions aws:SourceAccount and aws:SourceArn).
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:rds:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:db:${local.identifier}" }
      }
    }]
  })

  tags = merge(var.tags, { Name = "${var.name_prefix}-rds-monitoring" })
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = local.monitoring ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# --- the instance -----------------------------------------------------------------------

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_157:Multi-AZ is per environment (rds_config.multi_az): on in uat and prod, off in staging and qa for cost.
  # checkov:skip=CKV_AWS_293:Deletion protection is per environment (deletion_protection): on in uat and prod, off in staging and qa so they can be torn down; prevent_destroy guards the instance everywhere.
  identifier     = local.identifier
  engine         = var.rds_config.engine
  engine_version = var.rds_config.engine_version
  instance_class = var.rds_config.instance_class
  port           = var.rds_config.port
  db_name        = var.rds_config.database_name
  username       = var.rds_config.username

  # RDS generates the master password and keeps (and rotates) it in Secrets Manager: it never
  # passes through Terraform.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  storage_type          = "gp3"
  allocated_storage     = var.rds_config.allocated_storage
  max_allocated_storage = local.max_allocated_storage
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  multi_az               = var.rds_config.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  iam_database_authentication_enabled = true
  # Explicit, not left to an account-level default: RDS's current RSA 2048 CA, which every
  # PostgreSQL client supports (verify it with the RDS global CA bundle).
  ca_cert_identifier = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.rds_config.backup_retention_period
  backup_window             = var.rds_config.backup_window
  maintenance_window        = var.rds_config.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = !var.deletion_protection
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.rds_config.skip_final_snapshot
  final_snapshot_identifier = var.rds_config.skip_final_snapshot ? null : "${local.identifier}-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = var.rds_config.apply_immediately

  # Performance Insights (7 days are free) and enhanced monitoring: RDS for PostgreSQL supports
  # both on every current instance class, including db.t3.micro and db.t4g.micro.
  performance_insights_enabled          = var.rds_config.performance_insights
  performance_insights_kms_key_id       = var.rds_config.performance_insights ? var.kms_key_arn : null
  performance_insights_retention_period = var.rds_config.performance_insights ? 7 : null
  monitoring_interval                   = var.rds_config.monitoring_interval
  monitoring_role_arn                   = local.monitoring ? aws_iam_role.monitoring[0].arn : null

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = merge(var.tags, { Name = local.identifier })

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy_attachment.monitoring]

  # Every environment: Terraform refuses any plan that deletes or replaces the database. It must
  # be a literal; deliberate teardown is in README.md ("Deletion safety").
  lifecycle {
    prevent_destroy = true
  }
}
