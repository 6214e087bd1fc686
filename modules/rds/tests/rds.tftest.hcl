# The rds module planned with a mocked AWS provider.
mock_provider "aws" {
  # Mocked computed values are known at plan time, so outputs can be asserted.
  source          = "../conventions/tests/mocks"
  override_during = plan

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock-rds-monitoring" }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address     = "mock.abcdefghijkl.us-west-1.rds.amazonaws.com"
      arn         = "arn:aws:rds:us-west-1:123456789012:db:staging-carcierge-rds-postgres"
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
      master_user_secret = [{
        kms_key_id    = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
        secret_arn    = "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-0123-AbCdEf"
        secret_status = "active"
      }]
    }
  }
}

variables {
  name_prefix        = "staging-carcierge"
  environment        = "staging"
  subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  security_group_id  = "sg-0ccccccccccccccc3"
  kms_key_arn        = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days = 14
  # The CI deploy role creates roles only under the environment's boundary (ci_policies.py):
  # every run plans with one, as every environment does.
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"
  # The product spec's example, with its minor 14.9 (retired by AWS) replaced by the oldest minor
  # of 14 RDS still creates (engine_versions.tf).
  rds_config = {
    engine            = "postgres"
    engine_version    = "14.18"
    instance_class    = "db.t3.micro"
    allocated_storage = 20
    database_name     = "carcierge"
    username          = "carcierge_user"
  }
}

run "spec_example_lower_environment" {
  command = plan

  variables {
    deletion_protection = false
    rds_config = {
      engine              = "postgres"
      engine_version      = "14.18"
      instance_class      = "db.t3.micro"
      allocated_storage   = 20
      database_name       = "carcierge"
      username            = "carcierge_user"
      skip_final_snapshot = true
    }
  }

  assert {
    condition     = aws_db_instance.this.identifier == "staging-carcierge-rds-postgres" && length(aws_db_instance.this.identifier) <= 63
    error_message = "the instance is <env>-carcierge-rds-postgres"
  }

  assert {
    condition     = aws_db_instance.this.instance_class == "db.t3.micro" && aws_db_instance.this.engine_version == "14.18" && aws_db_instance.this.multi_az == false
    error_message = "the spec's example plans as given: db.t3.micro, single-AZ"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres14" && aws_db_parameter_group.this.name == "staging-carcierge-rds-postgres14"
    error_message = "the parameter-group family follows the major version"
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection == false && aws_db_instance.this.skip_final_snapshot == true && aws_db_instance.this.final_snapshot_identifier == null
    error_message = "a lower environment skips deletion protection and the final snapshot explicitly"
  }

  assert {
    condition     = aws_db_instance.this.performance_insights_enabled && aws_db_instance.this.monitoring_interval == 60 && aws_db_instance.this.monitoring_role_arn == aws_iam_role.monitoring[0].arn
    error_message = "Performance Insights and enhanced monitoring run on db.t3.micro (PostgreSQL supports both)"
  }
}

run "protected_multi_az_production" {
  command = plan

  variables {
    name_prefix = "prod-carcierge"
    environment = "prod"
    rds_config = {
      engine            = "postgres"
      engine_version    = "16"
      instance_class    = "db.m7g.large"
      allocated_storage = 100
      database_name     = "carcierge"
      username          = "carcierge_user"
      multi_az          = true
    }
  }

  assert {
    condition     = aws_db_instance.this.multi_az && aws_db_instance.this.deletion_protection
    error_message = "prod is multi-AZ with deletion protection"
  }

  assert {
    condition     = aws_db_instance.this.skip_final_snapshot == false && aws_db_instance.this.final_snapshot_identifier == "prod-carcierge-rds-postgres-final"
    error_message = "prod takes a final snapshot"
  }

  assert {
    condition     = aws_db_instance.this.delete_automated_backups == false
    error_message = "a protected environment keeps automated backups after deletion"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16" && aws_db_instance.this.engine_version == "16"
    error_message = "a major-only version is accepted and selects its family"
  }

  assert {
    condition     = aws_db_instance.this.max_allocated_storage == 500
    error_message = "storage autoscaling defaults to five times the allocated storage"
  }
}

run "security_and_backups" {
  command = plan

  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "the database is never publicly accessible"
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn && aws_db_instance.this.storage_type == "gp3"
    error_message = "gp3 storage encrypted with the environment key"
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn && aws_db_instance.this.password == null && aws_db_instance.this.password_wo == null
    error_message = "RDS manages the master password in Secrets Manager (environment key); Terraform never holds one"
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value }["rds.force_ssl"] == "1" && aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "TLS is required through rds.force_ssl = 1 in the instance's own parameter group"
  }

  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled
    error_message = "IAM database authentication is on"
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.backup_window == "08:00-09:00" && aws_db_instance.this.copy_tags_to_snapshot
    error_message = "backups are kept 7 days (the spec's default) in a window, snapshots carry the tags"
  }

  assert {
    condition     = aws_db_instance.this.performance_insights_kms_key_id == var.kms_key_arn
    error_message = "Performance Insights data is encrypted with the environment key"
  }

  assert {
    condition     = toset(aws_db_instance.this.enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"]) && alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 14 && startswith(g.name, "/aws/rds/instance/staging-carcierge-rds-postgres/")])
    error_message = "PostgreSQL and upgrade logs go to encrypted log groups with the environment's retention"
  }

  assert {
    condition     = toset(aws_db_instance.this.vpc_security_group_ids) == toset([var.security_group_id]) && toset(aws_db_subnet_group.this.subnet_ids) == toset(var.subnet_ids)
    error_message = "the instance sits in the data subnets behind its own security group"
  }

  assert {
    condition     = jsondecode(aws_iam_role.monitoring[0].assume_role_policy).Statement[0].Principal.Service == "monitoring.rds.amazonaws.com" && aws_iam_role_policy_attachment.monitoring[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    error_message = "the monitoring role is assumable by RDS enhanced monitoring only"
  }
}

run "services_get_settings_and_their_own_iam_roles" {
  command = plan

  variables {
    iam_database_users = { api = "svc_api", web-app = "svc_web_app" }
  }

  assert {
    condition     = output.connection_environment == { DB_HOST = "mock.abcdefghijkl.us-west-1.rds.amazonaws.com", DB_PORT = "5432", DB_NAME = "carcierge", DB_IAM_AUTH = "true" }
    error_message = "services get DB_HOST, DB_PORT, DB_NAME and DB_IAM_AUTH"
  }

  assert {
    condition     = output.service_connection_environment == { api = { DB_USERNAME = "svc_api" }, web-app = { DB_USERNAME = "svc_web_app" } }
    error_message = "each service gets its own role as DB_USERNAME"
  }

  assert {
    condition = output.iam_connect_arns == {
      api     = "arn:aws:rds-db:us-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/svc_api"
      web-app = "arn:aws:rds-db:us-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/svc_web_app"
    }
    error_message = "rds-db:connect resources are dbuser:<resource id>/<role> in the instance's region and account"
  }

  assert {
    condition     = output.connection_secrets == {} && output.secret_arns == [] && output.master_user_secret_arn == "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-0123-AbCdEf"
    error_message = "services get no secret from this module; the master secret stays for break-glass use"
  }
}

# Two inputs' bad values in one run: expect_failures lists both and fails the run if either
# is accepted.
run "bad_database_users_and_a_single_subnet_are_rejected" {
  command = plan

  variables {
    iam_database_users = { api = "svc-api" }          # not a PostgreSQL role name
    subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1"] # a DB subnet group needs two AZs
  }

  expect_failures = [var.iam_database_users, var.subnet_ids]
}

run "iam_database_users_must_not_be_the_master_user" {
  command = plan

  variables {
    iam_database_users = { api = "carcierge_user", web = "rds_superuser" }
  }

  expect_failures = [var.iam_database_users]
}

run "iam_database_users_are_not_shared" {
  command = plan

  variables {
    iam_database_users = { api = "svc_app", web = "svc_app" }
  }

  expect_failures = [var.iam_database_users]
}

run "monitoring_off" {
  command = plan

  variables {
    rds_config = {
      engine              = "postgres"
      engine_version      = "16"
      instance_class      = "db.t4g.micro"
      allocated_storage   = 20
      database_name       = "carcierge"
      username            = "carcierge_user"
      monitoring_interval = 0
    }
  }

  assert {
    condition     = length(aws_iam_role.monitoring) == 0 && length(aws_iam_role_policy_attachment.monitoring) == 0 && aws_db_instance.this.monitoring_interval == 0
    error_message = "no monitoring role when enhanced monitoring is off"
  }
}

# --- inputs that users get wrong ---------------------------------------------------------

run "rejects_class_without_db_prefix" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { instance_class = "t3.micro" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_other_engines" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine = "mysql", engine_version = "8.0" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_storage_below_gp3_minimum" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { allocated_storage = 10 })
  }
  expect_failures = [var.rds_config]
}

run "rejects_autoscaling_ceiling_below_storage" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { allocated_storage = 100, max_allocated_storage = 50 })
  }
  expect_failures = [var.rds_config]
}

run "rejects_unsupported_engine_version" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine_version = "9.6.22" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_reserved_username" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { username = "rdsadmin" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_backups_turned_off" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { backup_retention_period = 0 })
  }
  expect_failures = [var.rds_config]
}

run "rejects_turning_tls_off" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { parameters = { "rds.force_ssl" = "0" } })
  }
  expect_failures = [var.rds_config]
}

run "rejects_skipping_the_final_snapshot_when_protected" {
  command = plan
  variables {
    deletion_protection = true
    rds_config          = merge(var.rds_config, { skip_final_snapshot = true })
  }
  expect_failures = [var.rds_config]
}

# Engine versions: the table in engine_versions.tf (RDS release calendar, read 2026-12-01).
run "rejects_the_spec_example_minor_aws_retired" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine_version = "14.9" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_a_minor_retired_in_may_2026" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine_version = "16.8" })
  }
  expect_failures = [var.rds_config]
}

run "rejects_a_pinned_minor_of_a_major_past_standard_support" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine_version = "13.4" })
  }
  expect_failures = [var.rds_config]
}

# The gate's NO_CREATE minors (rules/engines.py) are refused here too: 16.12 is above 16's floor.
run "rejects_a_no_create_minor" {
  command = plan
  variables {
    rds_config = merge(var.rds_config, { engine_version = "16.12" })
  }
  expect_failures = [var.rds_config]
}

run "accepts_the_oldest_creatable_minor" {
  command = plan
  variables {
    rds_config = { engine = "postgres", engine_version = "17.5", instance_class = "db.t3.micro", allocated_storage = 20, database_name = "carcierge", username = "carcierge_user" }
  }
  assert {
    condition     = aws_db_instance.this.engine_version == "17.5"
    error_message = "engine_version 17.5 is one RDS still creates and must plan"
  }
}

run "accepts_a_major_past_standard_support" {
  command = plan
  variables {
    rds_config = { engine = "postgres", engine_version = "13", instance_class = "db.t3.micro", allocated_storage = 20, database_name = "carcierge", username = "carcierge_user" }
  }
  assert {
    condition     = aws_db_instance.this.engine_version == "13"
    error_message = "engine_version 13 is one RDS still creates and must plan"
  }
}

run "accepts_a_major_newer_than_the_table" {
  command = plan
  variables {
    rds_config = { engine = "postgres", engine_version = "18.1", instance_class = "db.t3.micro", allocated_storage = 20, database_name = "carcierge", username = "carcierge_user" }
  }
  assert {
    condition     = aws_db_instance.this.engine_version == "18.1"
    error_message = "engine_version 18.1 is one RDS still creates and must plan"
  }
}

run "automated_backups_replicated_to_the_second_region" {
  command = plan

  variables {
    backup_replication = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/99999999-2222-3333-4444-555555555555" }
  }

  assert {
    condition     = aws_db_instance_automated_backups_replication.this[0].region == "us-west-2" && aws_db_instance_automated_backups_replication.this[0].kms_key_id == var.backup_replication.kms_key_arn
    error_message = "the automated backups are replicated into the second region with its key"
  }

  assert {
    condition     = aws_db_instance_automated_backups_replication.this[0].retention_period == aws_db_instance.this.backup_retention_period
    error_message = "the replicated backups are kept as long as the source's"
  }

  # Review 2026-12-07 M5: a copy nobody can erase, in a locked AWS Backup vault of the second
  # region.
  assert {
    condition     = aws_backup_vault.rds_copy[0].region == "us-west-2" && aws_backup_vault.rds_copy[0].kms_key_arn == var.backup_replication.kms_key_arn && aws_backup_vault.rds_copy[0].name == "staging-carcierge-backup-rds-copy" && !aws_backup_vault.rds_copy[0].force_destroy
    error_message = "the copy vault is in the second region, encrypted with its key, never emptied by a destroy"
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.rds_copy[0].region == "us-west-2" && aws_backup_vault_lock_configuration.rds_copy[0].backup_vault_name == aws_backup_vault.rds_copy[0].name && aws_backup_vault_lock_configuration.rds_copy[0].min_retention_days == 35 && aws_backup_vault_lock_configuration.rds_copy[0].changeable_for_days == null
    error_message = "the copy vault is locked (governance mode) for 35 days by default"
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.rds[0].backup_vault_name == aws_backup_vault.rds[0].name && aws_backup_vault_lock_configuration.rds[0].min_retention_days == 7 && aws_backup_vault.rds[0].kms_key_arn == var.kms_key_arn
    error_message = "the local vault is locked for its 7 days and encrypted with the environment key"
  }

  assert {
    condition = alltrue([for rule in aws_backup_plan.rds[0].rule :
      rule.target_vault_name == aws_backup_vault.rds[0].name &&
      one(rule.lifecycle).delete_after == aws_backup_vault_lock_configuration.rds[0].min_retention_days &&
      one(rule.copy_action).destination_vault_arn == "arn:aws:backup:us-west-2:${data.aws_caller_identity.current.account_id}:backup-vault:${aws_backup_vault.rds_copy[0].name}" &&
      one(one(rule.copy_action).lifecycle).delete_after >= aws_backup_vault_lock_configuration.rds_copy[0].min_retention_days
    ]) && length(aws_backup_plan.rds[0].rule) == 1
    error_message = "the plan snapshots into the local vault daily and copies each snapshot into the locked vault, kept at least its lock"
  }

  assert {
    condition     = aws_backup_selection.rds[0].resources == toset([aws_db_instance.this.arn]) && aws_backup_selection.rds[0].iam_role_arn == aws_iam_role.backup[0].arn
    error_message = "the plan selects this instance, as the backup role"
  }

  assert {
    condition     = jsondecode(aws_backup_vault_policy.rds_copy[0].policy).Statement[0].Effect == "Deny" && jsondecode(aws_backup_vault_policy.rds_copy[0].policy).Statement[0].Principal.AWS == "*" && toset(jsondecode(aws_backup_vault_policy.rds_copy[0].policy).Statement[0].Action) == toset(["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"])
    error_message = "nobody deletes a copy or shortens its lifecycle"
  }

  assert {
    condition     = jsondecode(aws_iam_role.backup[0].assume_role_policy).Statement[0].Principal.Service == "backup.amazonaws.com" && jsondecode(aws_iam_role.backup[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] != null
    error_message = "only AWS Backup of this account assumes the backup role"
  }

  assert {
    condition     = alltrue([for boundary in concat(aws_iam_role.monitoring[*].permissions_boundary, aws_iam_role.backup[*].permissions_boundary) : boundary == "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"]) && length(aws_iam_role.monitoring) == 1 && length(aws_iam_role.backup) == 1
    error_message = "every IAM role of the module must carry permissions_boundary_arn"
  }
}

run "backup_vault_copy_days_stated" {
  command = plan

  variables {
    backup_replication = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/99999999-2222-3333-4444-555555555555", vault_local_days = 3, vault_copy_days = 90 }
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.rds_copy[0].min_retention_days == 90 && aws_backup_vault_lock_configuration.rds[0].min_retention_days == 3
    error_message = "vault_copy_days and vault_local_days set the locks' minimum retention"
  }
}

run "backup_vault_copy_shorter_than_local" {
  command = plan

  variables {
    backup_replication = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/99999999-2222-3333-4444-555555555555", vault_local_days = 14, vault_copy_days = 7 }
  }

  expect_failures = [var.backup_replication]
}

run "no_backup_replication_by_default" {
  command = plan

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 0 && length(aws_backup_vault.rds_copy) == 0 && length(aws_backup_plan.rds) == 0
    error_message = "no cross-region copies (nor backup vaults) unless backup_replication is set"
  }
}

run "backup_replication_key_must_be_of_its_region" {
  command = plan

  variables {
    backup_replication = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-1:123456789012:key/99999999-2222-3333-4444-555555555555" }
  }

  expect_failures = [var.backup_replication]
}
