# Root-level behaviour: naming, tagging and input validation, planned with the offline stand-in
# of hashicorp/aws rather than a mock provider: Terraform 1.15's mock providers cannot validate
# ephemeral resources (modules/elasticache generates the Redis passwords with them). The
# stand-in answers caller identity, partition and us-west-1's zones deterministically.
provider "aws" {
  region = "us-west-1"
}

variables {
  environment = "qa"
  # The validate stage passes environments/qa.tfvars (stages/validate.py); these replace its
  # data stores with the product spec's example at engine versions AWS still creates (the spec
  # says RDS 14.9 and OpenSearch_2.3, which the modules refuse).
  rds_config        = { engine = "postgres", engine_version = "16", instance_class = "db.t3.micro", allocated_storage = 20, database_name = "carcierge", username = "carcierge_user" }
  opensearch_config = { engine_version = "OpenSearch_2.19", instance_type = "t3.small.search", instance_count = 1, volume_size = 20 }
}

run "names_follow_the_convention" {
  command = plan

  assert {
    condition     = local.name_prefix == "qa-carcierge"
    error_message = "name prefix must be <environment>-<project>"
  }

  assert {
    condition     = module.kms.alias_name == "alias/qa-carcierge-main"
    error_message = "KMS alias must be alias/<env>-carcierge-main"
  }

  assert {
    condition     = output.kms_key_alias == module.kms.alias_name
    error_message = "the root publishes the environment key's alias (its rotation and name: modules/kms/tests)"
  }

  assert {
    condition     = local.common_tags == { Environment = "qa", Project = "carcierge", ManagedBy = "terraform" }
    error_message = "default tags must carry Environment, Project and ManagedBy"
  }
}

run "unknown_environment_is_rejected" {
  command = plan

  variables {
    environment = "dev"
  }

  expect_failures = [var.environment]
}

run "project_name_must_fit_aws_name_limits" {
  command = plan

  variables {
    project_name = "Carcierge-Platform-Long"
  }

  expect_failures = [var.project_name]
}

# 12 characters: staging-<project_name>-logs-alb would have 29, over OpenSearch Ingestion's 28.
run "project_name_must_fit_the_log_pipeline_name" {
  command = plan

  variables {
    project_name = "carcierge123"
  }

  expect_failures = [var.project_name]
}

# staging-carcierge-opensearch-snapshots-<account>-ap-southeast-2 is 66 characters: over S3's 63.
run "snapshot_bucket_names_must_fit_in_both_regions" {
  command = plan

  variables {
    environment   = "staging"
    backup_region = "ap-southeast-2"
  }

  expect_failures = [var.backup_region]
}

# One source for each data-store port: a custom rds_config.port / redis_config.port is what the
# security groups and the data tier's network ACL open (both outputs read the rules).
run "data_store_ports_follow_the_store_configs" {
  command = plan

  variables {
    rds_config   = { engine = "postgres", engine_version = "16", instance_class = "db.t4g.micro", allocated_storage = 20, database_name = "carcierge", username = "carcierge_user", port = 5433 }
    redis_config = { node_type = "cache.t4g.micro", num_cache_nodes = 1, engine_version = "7.1", port = 6380 }
  }

  assert {
    condition     = module.security_groups.data_store_ports == { redis = 6380, opensearch = 443, rds = 5433 }
    error_message = "the data stores' security groups must admit the configured ports (RDS 5433, Redis 6380), got ${jsonencode(module.security_groups.data_store_ports)}"
  }

  assert {
    condition     = module.vpc.data_tier_ports == { redis = 6380, opensearch = 443, rds = 5433 }
    error_message = "the data tier's network ACL must admit the configured ports (RDS 5433, Redis 6380), got ${jsonencode(module.vpc.data_tier_ports)}"
  }
}
