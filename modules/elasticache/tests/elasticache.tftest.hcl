# The elasticache module planned against the offline stand-in of hashicorp/aws (not a mock):
# Terraform 1.15's mock providers cannot validate ephemeral resources, and this module
# generates the AUTH token with two of them. Every assertion reads planned values.
provider "aws" {
  region = "us-west-1"
}

variables {
  name_prefix        = "staging-carcierge"
  environment        = "staging"
  subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  security_group_id  = "sg-0ccccccccccccccc3"
  kms_key_arn        = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days = 14
  redis_config = {
    node_type       = "cache.t4g.micro"
    num_cache_nodes = 1
    engine_version  = "7.1"
  }
}

run "single_node_lower_environment" {
  command = plan

  variables {
    deletion_protection = false
    redis_config = {
      node_type           = "cache.t4g.micro"
      num_cache_nodes     = 1
      engine_version      = "7.1"
      apply_immediately   = true
      skip_final_snapshot = true
    }
  }

  assert {
    condition     = aws_elasticache_replication_group.this.replication_group_id == "staging-carcierge-redis" && length(aws_elasticache_replication_group.this.replication_group_id) <= 40
    error_message = "the replication group is <env>-carcierge-redis and fits ElastiCache's 40 characters"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 1 && !aws_elasticache_replication_group.this.automatic_failover_enabled && !aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "one node: no replica, no failover, no Multi-AZ"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == null && aws_secretsmanager_secret.auth_token.recovery_window_in_days == 0
    error_message = "an unprotected environment skips the final snapshot and deletes the secret at once"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.apply_immediately == true
    error_message = "lower environments may apply changes immediately"
  }
}

run "replicated_production_cache" {
  command = plan

  variables {
    name_prefix = "prod-carcierge"
    environment = "prod"
    redis_config = {
      node_type       = "cache.m7g.large"
      num_cache_nodes = 2
      engine_version  = "7.1"
    }
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 2 && aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "two nodes: a replica in another AZ with Multi-AZ automatic failover"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == "prod-carcierge-redis-final" && aws_secretsmanager_secret.auth_token.recovery_window_in_days == 30
    error_message = "a protected environment takes a final snapshot and keeps the secret recoverable"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.apply_immediately == false
    error_message = "prod applies changes in the maintenance window (apply_immediately defaults to false)"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_retention_limit == 7 && aws_elasticache_replication_group.this.snapshot_window == "03:00-04:00" && aws_elasticache_replication_group.this.maintenance_window == "sun:05:00-sun:06:00"
    error_message = "default snapshot retention (7 days), snapshot and maintenance windows"
  }
}

run "encrypted_at_rest_and_in_transit_with_auth" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this.kms_key_id == var.kms_key_arn
    error_message = "the cache is encrypted at rest with the environment key"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled && aws_elasticache_replication_group.this.transit_encryption_mode == "required"
    error_message = "TLS is required, not merely offered"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == null && aws_elasticache_replication_group.this.auth_token_wo_version == 1
    error_message = "the AUTH token is set only through the write-only auth_token_wo (version 1)"
  }

  # Issue 24, M1: no strategy next to the write-only token outside a rotation (the provider's
  # authTokenUpdateStrategyValidate may refuse it; CreateReplicationGroup takes none).
  assert {
    condition     = aws_elasticache_replication_group.this.auth_token_update_strategy == null
    error_message = "no auth_token_update_strategy is sent by default"
  }

  assert {
    condition     = aws_secretsmanager_secret_version.auth_token.secret_string == null && aws_secretsmanager_secret_version.auth_token.secret_string_wo_version == aws_elasticache_replication_group.this.auth_token_wo_version
    error_message = "the secret value is written only through secret_string_wo, at the same version as the group"
  }

  assert {
    condition     = aws_secretsmanager_secret.auth_token.name == "staging-carcierge-redis-auth" && aws_secretsmanager_secret.auth_token.kms_key_id == var.kms_key_arn
    error_message = "the AUTH secret is <env>-carcierge-redis-auth, encrypted with the environment key"
  }

  assert {
    condition     = keys(output.connection_environment) == ["REDIS_HOST", "REDIS_PORT", "REDIS_TLS"] && output.connection_environment.REDIS_PORT == "6379" && output.connection_environment.REDIS_TLS == "true"
    error_message = "services get REDIS_HOST, REDIS_PORT and REDIS_TLS=true"
  }

  assert {
    condition     = keys(output.connection_secrets) == ["REDIS_AUTH_TOKEN"]
    error_message = "services get the token only as the secret reference REDIS_AUTH_TOKEN"
  }
}

run "rotation_bumps_both_versions" {
  command = plan

  variables {
    redis_config = {
      node_type          = "cache.t4g.micro"
      num_cache_nodes    = 1
      engine_version     = "7.1"
      auth_token_version = 2
    }
  }

  assert {
    condition     = aws_secretsmanager_secret_version.auth_token.secret_string_wo_version == 2 && aws_elasticache_replication_group.this.auth_token_wo_version == 2
    error_message = "auth_token_version drives the secret and the group together"
  }
}

run "network_parameters_and_logs" {
  command = plan

  variables {
    redis_config = {
      node_type       = "cache.t4g.micro"
      num_cache_nodes = 1
      engine_version  = "7.1"
      parameters      = { "maxmemory-policy" = "allkeys-lru" }
    }
  }

  assert {
    condition     = aws_elasticache_subnet_group.this.name == "staging-carcierge-redis-subnet-group" && toset(aws_elasticache_subnet_group.this.subnet_ids) == toset(var.subnet_ids)
    error_message = "the subnet group is on the data subnets"
  }

  assert {
    condition     = toset(aws_elasticache_replication_group.this.security_group_ids) == toset([var.security_group_id])
    error_message = "the group uses only the Redis security group"
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "redis7" && aws_elasticache_replication_group.this.parameter_group_name == aws_elasticache_parameter_group.this.name && { for p in aws_elasticache_parameter_group.this.parameter : p.name => p.value } == { "maxmemory-policy" = "allkeys-lru" }
    error_message = "the group uses its own redis7 parameter group with the configured parameters"
  }

  assert {
    condition     = toset([for d in aws_elasticache_replication_group.this.log_delivery_configuration : d.log_type]) == toset(["slow-log", "engine-log"]) && alltrue([for d in aws_elasticache_replication_group.this.log_delivery_configuration : d.destination_type == "cloudwatch-logs"])
    error_message = "slow log and engine log are delivered to CloudWatch Logs"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 14 && startswith(g.name, "/aws/elasticache/staging-carcierge-redis/")])
    error_message = "log groups are encrypted with the environment key and keep the environment's retention"
  }
}

run "valkey_family" {
  command = plan

  variables {
    redis_config = {
      node_type       = "cache.t4g.micro"
      num_cache_nodes = 1
      engine          = "valkey"
      engine_version  = "8.0"
    }
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey8" && aws_elasticache_parameter_group.this.name == "staging-carcierge-redis-params-valkey8"
    error_message = "the parameter-group family follows the engine and its major version"
  }
}

# --- inputs that users get wrong ---------------------------------------------------------

run "rejects_node_type_without_cache_prefix" {
  command = plan
  variables {
    redis_config = { node_type = "t4g.micro", num_cache_nodes = 1, engine_version = "7.1" }
  }
  expect_failures = [var.redis_config]
}

run "rejects_more_than_six_nodes" {
  command = plan
  variables {
    redis_config = { node_type = "cache.t4g.micro", num_cache_nodes = 7, engine_version = "7.1" }
  }
  expect_failures = [var.redis_config]
}

run "rejects_pinned_patch_or_old_engine" {
  command = plan
  variables {
    redis_config = { node_type = "cache.t4g.micro", num_cache_nodes = 1, engine_version = "6.2.6" }
  }
  expect_failures = [var.redis_config]
}

run "rejects_bad_maintenance_window" {
  command = plan
  variables {
    redis_config = { node_type = "cache.t4g.micro", num_cache_nodes = 1, engine_version = "7.1", maintenance_window = "Sunday 05:00" }
  }
  expect_failures = [var.redis_config]
}

run "rejects_replicas_without_a_second_az" {
  command = plan
  variables {
    subnet_ids   = ["subnet-0aaaaaaaaaaaaaaa1"]
    redis_config = { node_type = "cache.t4g.micro", num_cache_nodes = 2, engine_version = "7.1" }
  }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "rejects_name_prefix_too_long_for_elasticache" {
  command = plan
  variables {
    name_prefix = "staging-carcierge-platform-longname"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_skipping_the_final_snapshot_when_protected" {
  command = plan
  variables {
    deletion_protection = true
    redis_config        = { node_type = "cache.t4g.micro", num_cache_nodes = 2, engine_version = "7.1", skip_final_snapshot = true }
  }
  expect_failures = [var.redis_config]
}
