# --- naming and placement -------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge. The instance is <name_prefix>-rds-postgres."
  type        = string
}

variable "environment" {
  description = "Deployment environment: staging, qa, uat or prod (used in descriptions)."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets of the DB subnet group; RDS requires subnets in at least two AZs, also for single-AZ instances."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list data subnets in at least two AZs (an RDS subnet group requires two); got ${length(var.subnet_ids)}."
  }
}

variable "security_group_id" {
  description = "Security group of the instance (PostgreSQL port in from the services only)."
  type        = string
}

variable "kms_key_arn" {
  description = "Environment KMS key (ARN): encrypts storage, snapshots, Performance Insights, the master user secret and the log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL log groups, in days (a value CloudWatch accepts)."
  type        = number
}

variable "deletion_protection" {
  description = "RDS deletion protection (on in uat and prod). Protected environments also keep automated backups after the instance is deleted."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags on every resource of the module (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

# --- the database ---------------------------------------------------------------------

variable "rds_config" {
  description = "PostgreSQL instance. The product spec's fields: engine (\"postgres\"), engine_version (prefer a major version such as \"16\": RDS picks the newest minor and upgrades minors in the maintenance window; a pinned minor must be one RDS still creates, see engine_versions.tf; the spec's \"14.9\" is retired), instance_class (db.<family>.<size>), allocated_storage (GiB of gp3, 20-65536), database_name, username (master user; RDS generates and rotates its password in Secrets Manager). Optional: max_allocated_storage (storage autoscaling ceiling, default 5x allocated_storage, at most 65536), multi_az, backup_retention_period (days, 1-35; default 7), backup_window / maintenance_window (UTC, must not overlap), skip_final_snapshot (true only where the data may be lost on destroy), performance_insights (default true), monitoring_interval (enhanced monitoring seconds: 0 = off, 1, 5, 10, 15, 30, 60), apply_immediately, port, parameters (extra parameter-group settings; rds.force_ssl is always 1)."
  type = object({
    engine                  = string
    engine_version          = string
    instance_class          = string
    allocated_storage       = number
    database_name           = string
    username                = string
    max_allocated_storage   = optional(number)
    multi_az                = optional(bool, false)
    backup_retention_period = optional(number, 7)
    backup_window           = optional(string, "08:00-09:00")
    maintenance_window      = optional(string, "sun:09:30-sun:10:30")
    skip_final_snapshot     = optional(bool, false)
    performance_insights    = optional(bool, true)
    monitoring_interval     = optional(number, 60)
    apply_immediately       = optional(bool, false)
    port                    = optional(number, 5432)
    parameters              = optional(map(string), {})
  })

  validation {
    condition     = var.rds_config.engine == "postgres"
    error_message = "rds_config.engine must be \"postgres\" (the platform runs RDS for PostgreSQL); got \"${var.rds_config.engine}\"."
  }

  validation {
    # A pinned minor must be one RDS still creates (the tables in engine_versions.tf, derived
    # from the rules gate's, carcierge_pipeline/rules/engines.py); a major alone is always
    # current, RDS picks its newest minor.
    condition = !can(regex("^[0-9]+\\.[0-9]+$", var.rds_config.engine_version)) || try(
      contains(keys(local.postgres_oldest_creatable_minor), split(".", var.rds_config.engine_version)[0])
      ? tonumber(split(".", var.rds_config.engine_version)[1]) >= local.postgres_oldest_creatable_minor[split(".", var.rds_config.engine_version)[0]] && !contains(local.postgres_no_create_minors, var.rds_config.engine_version)
      : tonumber(split(".", var.rds_config.engine_version)[0]) > max([for major in keys(local.postgres_oldest_creatable_minor) : tonumber(major)]...),
      false
    )
    error_message = "rds_config.engine_version \"${var.rds_config.engine_version}\" is a PostgreSQL minor that RDS no longer creates (RDS release calendar; the tables of carcierge_pipeline/rules/engines.py). Use a major such as \"16\" (recommended: RDS picks the newest minor and keeps it current) or a minor of at least ${join(", ", [for major, minor in local.postgres_oldest_creatable_minor : "${major}.${minor}"])}, none of ${join(", ", local.postgres_no_create_minors)} (NO_CREATE)."
  }

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.rds_config.engine_version)) && try(tonumber(split(".", var.rds_config.engine_version)[0]) >= 13, false)
    error_message = "rds_config.engine_version must be a PostgreSQL major version 13 or later, optionally with a minor: \"16\" (recommended; RDS keeps the minor current) or \"16.4\" (pinned minors stop being creatable once AWS retires them); got \"${var.rds_config.engine_version}\"."
  }

  validation {
    condition     = can(regex("^db\\.[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.rds_config.instance_class)) && !can(regex("^db\\.(m1|m2|m3|t1|t2|r3)\\.", var.rds_config.instance_class))
    error_message = "rds_config.instance_class must be a current RDS instance class db.<family>.<size>, e.g. \"db.t4g.micro\", \"db.t3.micro\" or \"db.m7g.large\" (previous-generation m1-m3, t1, t2, r3 are refused); got \"${var.rds_config.instance_class}\"."
  }

  validation {
    condition     = var.rds_config.allocated_storage >= 20 && var.rds_config.allocated_storage <= 65536 && floor(var.rds_config.allocated_storage) == var.rds_config.allocated_storage
    error_message = "rds_config.allocated_storage must be a whole number of GiB from 20 to 65536 (gp3 limits for PostgreSQL); got ${var.rds_config.allocated_storage}."
  }

  validation {
    condition     = var.rds_config.max_allocated_storage == null || try(var.rds_config.max_allocated_storage >= var.rds_config.allocated_storage && var.rds_config.max_allocated_storage <= 65536, false)
    error_message = "rds_config.max_allocated_storage must be at least allocated_storage (${var.rds_config.allocated_storage}) and at most 65536 GiB."
  }

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.rds_config.database_name)) && !contains(["template0", "template1", "rdsadmin"], lower(var.rds_config.database_name))
    error_message = "rds_config.database_name must be 1-63 letters, digits or underscores starting with a letter, and not template0, template1 or rdsadmin; got \"${var.rds_config.database_name}\"."
  }

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.rds_config.username)) && !contains(["rdsadmin", "rdsrepladmin", "rds_superuser", "public"], lower(var.rds_config.username)) && !startswith(lower(var.rds_config.username), "pg_")
    error_message = "rds_config.username must be 1-63 letters, digits or underscores starting with a letter, not a reserved name (rdsadmin, rdsrepladmin, rds_superuser, public, pg_*); got \"${var.rds_config.username}\"."
  }

  validation {
    condition     = var.rds_config.backup_retention_period >= 1 && var.rds_config.backup_retention_period <= 35 && floor(var.rds_config.backup_retention_period) == var.rds_config.backup_retention_period
    error_message = "rds_config.backup_retention_period must be a whole number of days from 1 to 35 (0 would turn automated backups off); got ${var.rds_config.backup_retention_period}."
  }

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds_config.backup_window))
    error_message = "rds_config.backup_window must be hh:mm-hh:mm in UTC, at least 30 minutes, e.g. \"08:00-09:00\"; got \"${var.rds_config.backup_window}\"."
  }

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds_config.maintenance_window))
    error_message = "rds_config.maintenance_window must be ddd:hh:mm-ddd:hh:mm in UTC with lowercase days (mon-sun), at least 30 minutes, e.g. \"sun:09:30-sun:10:30\"; got \"${var.rds_config.maintenance_window}\"."
  }

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.rds_config.monitoring_interval)
    error_message = "rds_config.monitoring_interval must be one of 0 (enhanced monitoring off), 1, 5, 10, 15, 30, 60 seconds; got ${var.rds_config.monitoring_interval}."
  }

  validation {
    condition     = var.rds_config.port >= 1150 && var.rds_config.port <= 65535 && floor(var.rds_config.port) == var.rds_config.port
    error_message = "rds_config.port must be a whole number from 1150 to 65535 (RDS's range); got ${var.rds_config.port}."
  }

  validation {
    # log_statement = ddl, mod or all logs ALTER ROLE ... PASSWORD '...' in clear text.
    condition     = lower(lookup(var.rds_config.parameters, "log_statement", "none")) == "none"
    error_message = "rds_config.parameters.log_statement must be \"none\": ddl, mod and all write passwords of CREATE/ALTER ROLE statements to the log in clear text; DDL is audited by pgaudit (pgaudit.log = \"ddl\", which leaves out role statements); got \"${lookup(var.rds_config.parameters, "log_statement", "none")}\"."
  }

  validation {
    # pgaudit's ROLE class (part of ALL unless -role) logs CREATE/ALTER ROLE statements,
    # passwords included.
    condition     = !contains(split(",", lower(replace(lookup(var.rds_config.parameters, "pgaudit.log", "ddl"), " ", ""))), "role") && !(contains(split(",", lower(replace(lookup(var.rds_config.parameters, "pgaudit.log", "ddl"), " ", ""))), "all") && !contains(split(",", lower(replace(lookup(var.rds_config.parameters, "pgaudit.log", "ddl"), " ", ""))), "-role"))
    error_message = "rds_config.parameters[\"pgaudit.log\"] must leave out the role class (role, or all without -role): it logs CREATE/ALTER ROLE ... PASSWORD in clear text; use classes such as \"ddl\" or \"ddl,write\"; got \"${lookup(var.rds_config.parameters, "pgaudit.log", "ddl")}\"."
  }

  validation {
    condition     = can(regex("(^|,)\\s*pgaudit\\s*(,|$)", lookup(var.rds_config.parameters, "shared_preload_libraries", "pgaudit")))
    error_message = "rds_config.parameters.shared_preload_libraries must include pgaudit (DDL auditing); got \"${lookup(var.rds_config.parameters, "shared_preload_libraries", "pgaudit")}\"."
  }

  validation {
    condition     = !contains([for name in keys(var.rds_config.parameters) : lower(name)], "rds.force_ssl")
    error_message = "rds_config.parameters must not set rds.force_ssl: the module always requires TLS (rds.force_ssl = 1)."
  }

  validation {
    condition     = !(var.deletion_protection && var.rds_config.skip_final_snapshot)
    error_message = "rds_config.skip_final_snapshot must be false (or unset) where deletion_protection is true (uat, prod): a protected database keeps a final snapshot; got skip_final_snapshot = true."
  }
}

# --- service access ---------------------------------------------------------------------

variable "iam_database_users" {
  description = "Database role of each service (service key => role name). Services sign in as their role with IAM database authentication tokens; the module outputs each role's rds-db:connect ARN (iam_connect_arns) and DB_USERNAME (service_connection_environment). The roles themselves are created in the database by `carcierge db roles`, which the root runs inside the apply (terraform_data.ops_setup)."
  type        = map(string)
  default     = {}

  validation {
    # Unquoted PostgreSQL identifiers that stay as written: lowercase, at most 63 bytes.
    condition     = alltrue([for user in values(var.iam_database_users) : can(regex("^[a-z_][a-z0-9_]{0,62}$", user))])
    error_message = "iam_database_users values must be PostgreSQL role names of 1-63 lowercase letters, digits or underscores, not starting with a digit; got: ${join(", ", [for key, user in var.iam_database_users : "${key} = \"${user}\"" if !can(regex("^[a-z_][a-z0-9_]{0,62}$", user))])}."
  }

  validation {
    condition = alltrue([for user in values(var.iam_database_users) :
      !startswith(user, "pg_") && !startswith(user, "rds") && !contains(["public", "postgres", lower(var.rds_config.username)], user)
    ])
    error_message = "iam_database_users values must not be reserved or the master user (pg_*, rds*, public, postgres, ${lower(var.rds_config.username)}): a service never signs in as the master user."
  }

  validation {
    condition     = length(distinct(values(var.iam_database_users))) == length(var.iam_database_users)
    error_message = "iam_database_users must give every service a role of its own; shared: ${join(", ", distinct([for user in values(var.iam_database_users) : user if length([for other in values(var.iam_database_users) : other if other == user]) > 1]))}."
  }
}

variable "backup_replication" {
  description = "Copies in a second region: region (not the instance's) and kms_key_arn (a KMS key of that region). The automated backups are replicated there (kept as long as rds_config.backup_retention_period), and AWS Backup snapshots the instance daily into a locked vault of its region (kept vault_local_days, 7 by default) and copies it into a locked vault in the second region (kept vault_copy_days, 35 by default): backup_vault.tf. null: no cross-region copies."
  type = object({
    region           = string
    kms_key_arn      = string
    vault_local_days = optional(number, 7)
    vault_copy_days  = optional(number, 35)
  })
  default = null

  validation {
    # AWS Backup: a recovery point's retention is at least 1 day; the vault lock refuses one
    # shorter than its minimum retention, which is these values.
    condition     = var.backup_replication == null || try(var.backup_replication.vault_local_days >= 1 && var.backup_replication.vault_copy_days >= var.backup_replication.vault_local_days && floor(var.backup_replication.vault_local_days) == var.backup_replication.vault_local_days && floor(var.backup_replication.vault_copy_days) == var.backup_replication.vault_copy_days, false)
    error_message = "backup_replication.vault_local_days must be a whole number of days, at least 1, and vault_copy_days a whole number at least as large (the copy outlives the local snapshot)."
  }

  validation {
    condition     = var.backup_replication == null || can(regex("^arn:aws[a-z-]*:kms:${try(var.backup_replication.region, "")}:[0-9]{12}:key/.+$", try(var.backup_replication.kms_key_arn, "")))
    error_message = "backup_replication.kms_key_arn must be a KMS key ARN of backup_replication.region (RDS encrypts the copies with a key of the destination region)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the environment's CI boundary (<environment>-carcierge-ci-boundary, `carcierge oidc bootstrap`), without which the CI deploy role may not create a role. null: none."
  type        = string
  default     = null
}
