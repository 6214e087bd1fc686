# The environments and log retention values the variable validations check against.
module "conventions" {
  source = "../conventions"
}

locals {
  replication_group_id = "${var.name_prefix}-redis"
  engine_major         = tonumber(split(".", var.redis_config.engine_version)[0])
  # Parameter-group family of the engine: redis7, valkey7, valkey8, ...
  family = "${var.redis_config.engine}${local.engine_major}"

  # Two or more nodes: replicas in other AZs, promoted automatically when the primary fails.
  replicated = var.redis_config.num_cache_nodes >= 2

  log_types = {
    "slow-log"   = "json"
    "engine-log" = "json"
  }
}

# --- network and parameters -----------------------------------------------------------

resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.name_prefix}-redis-subnet-group"
  description = "Data subnets of the ${var.environment} Redis replication group"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.name_prefix}-redis-subnet-group" })
}

resource "aws_elasticache_parameter_group" "this" {
  # The family is part of the name so that an engine upgrade creates the new group before the
  # old one is released (create_before_destroy).
  name        = "${var.name_prefix}-redis-params-${local.family}"
  family      = local.family
  description = "Parameters of the ${var.environment} Redis replication group (${local.family})"

  dynamic "parameter" {
    for_each = var.redis_config.parameters
    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-redis-params-${local.family}" })

  lifecycle {
    create_before_destroy = true
  }
}

# --- logs -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_types
  # checkov:skip=CKV_AWS_338:Retention is chosen per environment (var.log_retention_days: 14 days in staging/qa, 90 in prod); a year is not required for cache logs.

  name              = "/aws/elasticache/${local.replication_group_id}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.replication_group_id}-${each.key}" })
}

# --- AUTH token: generated, stored and applied without entering state or plan ----------
#
# 1. Secrets Manager generates the token (ephemeral: never written to state or plan).
# 2. The token becomes a version of the secret through the write-only secret_string_wo.
# 3. The replication group reads it back from that exact secret version (ephemeral again) into
#    the write-only auth_token_wo. The secret is the single source of truth: if the group
#    fails to create, the next apply reuses the stored token instead of generating another,
#    so the secret and the group can never disagree.
# Write-only arguments are sent only when their *_wo_version changes (or, for the token, when
# the update strategy changes). Rotation is two applies (modules/elasticache/README.md, "Rotating the AUTH token"):
# bump redis_config.auth_token_version with auth_token_update_strategy = "ROTATE" (old and new
# tokens both valid while the tasks restart with the new secret), then set "SET" again: the
# provider re-sends the current token with SET and ElastiCache drops the old one
# (ModifyReplicationGroup AuthTokenUpdateStrategy: ROTATE adds a token, SET - allowed after
# ROTATE - leaves only the given one). ROTATE alone would leave a leaked token valid for good.

ephemeral "aws_secretsmanager_random_password" "auth_token" {
  # AUTH tokens are 16-128 printable characters without / " @ or spaces: alphanumerics only.
  password_length            = 64
  exclude_punctuation        = true
  include_space              = false
  require_each_included_type = true
}

resource "aws_secretsmanager_secret" "auth_token" {
  # checkov:skip=CKV2_AWS_57:The token must change on the cache and in the secret together; rotation is driven by redis_config.auth_token_version (write-only, ROTATE then SET), not by a Secrets Manager rotation Lambda.
  name                    = "${var.name_prefix}-redis-auth"
  description             = "AUTH token of the ${var.environment} Redis replication group ${local.replication_group_id} (plain string)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.deletion_protection ? 30 : 0

  tags = merge(var.tags, { Name = "${var.name_prefix}-redis-auth" })

  # Replacing the secret would cut the services off the cache's AUTH token (see README.md,
  # "Deletion safety").
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id                = aws_secretsmanager_secret.auth_token.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.auth_token.random_password
  secret_string_wo_version = var.redis_config.auth_token_version
}

ephemeral "aws_secretsmanager_secret_version" "auth_token" {
  secret_id  = aws_secretsmanager_secret_version.auth_token.secret_id
  version_id = aws_secretsmanager_secret_version.auth_token.version_id
}

# --- the replication group -------------------------------------------------------------

resource "aws_elasticache_replication_group" "this" {
  # checkov:skip=CKV_AWS_31:In-transit encryption is required and an AUTH token is set, through the write-only auth_token_wo (kept out of state); checkov 3.3 only recognises the legacy auth_token argument.
  # checkov:skip=CKV2_AWS_50:Multi-AZ automatic failover is on whenever num_cache_nodes >= 2 (uat, prod); staging and qa run one node on purpose (cost).
  replication_group_id = local.replication_group_id
  description          = "Carcierge ${var.environment} cache (${var.redis_config.engine} ${var.redis_config.engine_version}, TLS and AUTH required)"

  engine               = var.redis_config.engine
  engine_version       = var.redis_config.engine_version
  node_type            = var.redis_config.node_type
  port                 = var.redis_config.port
  parameter_group_name = aws_elasticache_parameter_group.this.name
  subnet_group_name    = aws_elasticache_subnet_group.this.name
  security_group_ids   = [var.security_group_id]

  num_cache_clusters         = var.redis_config.num_cache_nodes
  automatic_failover_enabled = local.replicated
  multi_az_enabled           = local.replicated

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"

  auth_token_wo              = ephemeral.aws_secretsmanager_secret_version.auth_token.secret_string
  auth_token_wo_version      = var.redis_config.auth_token_version
  auth_token_update_strategy = var.redis_config.auth_token_update_strategy

  auto_minor_version_upgrade = true
  apply_immediately          = var.redis_config.apply_immediately
  maintenance_window         = var.redis_config.maintenance_window
  snapshot_retention_limit   = var.redis_config.snapshot_retention_limit
  snapshot_window            = var.redis_config.snapshot_window
  final_snapshot_identifier  = var.redis_config.skip_final_snapshot ? null : "${local.replication_group_id}-final"

  dynamic "log_delivery_configuration" {
    for_each = local.log_types
    content {
      destination      = aws_cloudwatch_log_group.this[log_delivery_configuration.key].name
      destination_type = "cloudwatch-logs"
      log_format       = log_delivery_configuration.value
      log_type         = log_delivery_configuration.key
    }
  }

  tags = merge(var.tags, { Name = local.replication_group_id })

  lifecycle {
    # Every environment: no plan may delete or replace the cache (a literal; deliberate
    # teardown is in README.md, "Deletion safety").
    prevent_destroy = true

    precondition {
      condition     = !local.replicated || length(var.subnet_ids) >= 2
      error_message = "redis_config.num_cache_nodes >= 2 places replicas in other AZs: subnet_ids must list data subnets in at least two AZs; got ${length(var.subnet_ids)}."
    }
  }
}
