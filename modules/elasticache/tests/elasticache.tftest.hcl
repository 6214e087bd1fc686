# The elasticache module planned against the offline stand-in of hashicorp/aws (not a mock):
# Terraform 1.15's mock providers cannot validate ephemeral resources, and this module
# generates the users' passwords with them. Every assertion reads planned values.
provider "aws" {
  region = "us-west-1"
}

variables {
  name_prefix        = "staging-carcierge"
  environment        = "staging"
  subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  security_group_id  = "sg-0ccccccccccccccc3"
  service_keys       = ["service1", "service2"]
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
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == null && alltrue([for secret in aws_secretsmanager_secret.user : secret.recovery_window_in_days == 0])
    error_message = "an unprotected environment skips the final snapshot and deletes the password secrets at once"
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
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == "prod-carcierge-redis-final" && alltrue([for secret in aws_secretsmanager_secret.user : secret.recovery_window_in_days == 30])
    error_message = "a protected environment takes a final snapshot and keeps the password secrets recoverable"
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
    condition     = aws_elasticache_replication_group.this.auth_token == null && aws_elasticache_replication_group.this.auth_token_wo_version == null && aws_elasticache_replication_group.this.user_group_ids == toset(["staging-carcierge-redis-users"])
    error_message = "no AUTH token: clients sign in as users of the RBAC group staging-carcierge-redis-users"
  }

  assert {
    condition     = keys(output.connection_environment) == ["REDIS_HOST", "REDIS_PORT", "REDIS_TLS"] && output.connection_environment.REDIS_PORT == "6379" && output.connection_environment.REDIS_TLS == "true"
    error_message = "services get REDIS_HOST, REDIS_PORT and REDIS_TLS=true"
  }
}

run "one_user_per_service_default_user_off" {
  command = plan

  assert {
    condition = {
      for key, user in aws_elasticache_user.service : key => [user.user_id, user.user_name, user.engine, user.access_string]
      } == {
      service1 = ["staging-carcierge-redis-service1", "service1", "redis", "on ~service1:* -@all +@read +@write +@transaction +@connection -@dangerous -scan -randomkey"]
      service2 = ["staging-carcierge-redis-service2", "service2", "redis", "on ~service2:* -@all +@read +@write +@transaction +@connection -@dangerous -scan -randomkey"]
    }
    error_message = "each service is a user of its own, on its own key prefix <key>:*, with data commands only (no @admin, @pubsub, @scripting, @dangerous, SCAN or RANDOMKEY)"
  }

  assert {
    condition = alltrue([for user in aws_elasticache_user.service :
      user.passwords == null && user.passwords_wo_version == 1 && length(user.authentication_mode) == 0
    ])
    error_message = "passwords only through the write-only passwords_wo (version 1), never in state"
  }

  assert {
    condition = (
      aws_elasticache_user.default.user_name == "default" && aws_elasticache_user.default.user_id == "staging-carcierge-redis-default" &&
      startswith(aws_elasticache_user.default.access_string, "off ") && strcontains(aws_elasticache_user.default.access_string, "-@all") &&
      !strcontains(aws_elasticache_user.default.access_string, "~") && aws_elasticache_user.default.passwords == null
    )
    error_message = "the group's default user is switched off, with no command and no key"
  }

  assert {
    condition = (
      aws_elasticache_user_group.this.user_group_id == "staging-carcierge-redis-users" && aws_elasticache_user_group.this.engine == "redis" &&
      aws_elasticache_user_group.this.user_ids == toset(["staging-carcierge-redis-default", "staging-carcierge-redis-service1", "staging-carcierge-redis-service2"])
    )
    error_message = "the user group holds the disabled default user and the services' users, nothing else"
  }

  assert {
    condition = {
      for key, secret in aws_secretsmanager_secret.user : key => [secret.name, secret.kms_key_id]
    } == { service1 = ["staging-carcierge-redis-service1", var.kms_key_arn], service2 = ["staging-carcierge-redis-service2", var.kms_key_arn] }
    error_message = "each service's password is in a secret of its own, <env>-carcierge-redis-<key>, encrypted with the environment key"
  }

  assert {
    condition = alltrue([for key, version in aws_secretsmanager_secret_version.user :
      version.secret_string == null && version.secret_string_wo_version == aws_elasticache_user.service[key].passwords_wo_version
    ])
    error_message = "the secret value is written only through secret_string_wo, at the same version as its user's password"
  }

  assert {
    condition     = output.user_environment == { service1 = { REDIS_USERNAME = "service1" }, service2 = { REDIS_USERNAME = "service2" } } && keys(output.user_secrets) == ["service1", "service2"] && alltrue([for settings in values(output.user_secrets) : keys(settings) == ["REDIS_PASSWORD"]])
    error_message = "each service gets its own REDIS_USERNAME and only its own secret, as REDIS_PASSWORD"
  }
}

run "rotation_bumps_both_versions" {
  command = plan

  variables {
    redis_config = {
      node_type        = "cache.t4g.micro"
      num_cache_nodes  = 1
      engine_version   = "7.1"
      password_version = 2
    }
  }

  assert {
    condition     = alltrue([for key, version in aws_secretsmanager_secret_version.user : version.secret_string_wo_version == 2 && aws_elasticache_user.service[key].passwords_wo_version == 2])
    error_message = "password_version drives every service's secret and user together"
  }
}

run "rejects_a_service_named_default" {
  command = plan

  variables {
    service_keys = ["default"]
  }

  expect_failures = [var.service_keys]
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
    condition     = aws_elasticache_parameter_group.this.family == "valkey8" && aws_elasticache_parameter_group.this.name == "staging-carcierge-redis-params-valkey8" && aws_elasticache_user_group.this.engine == "valkey" && alltrue([for user in aws_elasticache_user.service : user.engine == "valkey"])
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

run "rejects_skipping_the_final_snapshot_when_protected" {
  command = plan
  variables {
    deletion_protection = true
    redis_config        = { node_type = "cache.t4g.micro", num_cache_nodes = 2, engine_version = "7.1", skip_final_snapshot = true }
  }
  expect_failures = [var.redis_config]
}
