# The opensearch module planned with a mocked AWS provider.
mock_provider "aws" {
  # Mocked computed values (ARNs) are known at plan time, so policies can be asserted.
  source          = "../conventions/tests/mocks"
  override_during = plan

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock-opensearch-admin" }
  }
  mock_resource "aws_opensearch_domain" {
    defaults = { arn = "arn:aws:es:us-west-1:123456789012:domain/mock", endpoint = "vpc-mock.us-west-1.es.amazonaws.com" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-west-1:123456789012:log-group:mock" }
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
  admin_principal_arns = [
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
  ]
  # The product spec's example, with its OpenSearch_2.3 (past AWS's end of support) replaced by
  # the environments' version.
  opensearch_config = {
    engine_version = "OpenSearch_2.19"
    instance_type  = "t3.small.search"
    instance_count = 1
    volume_size    = 20
  }
}

run "spec_example_single_node" {
  command = plan

  assert {
    condition     = aws_opensearch_domain.this.domain_name == "staging-carcierge-opensearch" && length(aws_opensearch_domain.this.domain_name) <= 28
    error_message = "the domain is <env>-carcierge-opensearch and fits AWS's 28 characters in staging, the longest environment"
  }

  assert {
    condition     = aws_opensearch_domain.this.cluster_config[0].instance_count == 1 && !aws_opensearch_domain.this.cluster_config[0].zone_awareness_enabled && length(aws_opensearch_domain.this.cluster_config[0].zone_awareness_config) == 0
    error_message = "one data node: no zone awareness"
  }

  assert {
    condition     = toset(aws_opensearch_domain.this.vpc_options[0].subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaa1"])
    error_message = "a single-node domain sits in exactly one data subnet"
  }

  assert {
    condition     = aws_opensearch_domain.this.auto_tune_options[0].desired_state == "DISABLED"
    error_message = "Auto-Tune is off on burstable T3 instances (not supported there)"
  }

  assert {
    condition     = output.connection_environment == { OPENSEARCH_ENDPOINT = "https://vpc-mock.us-west-1.es.amazonaws.com" } && output.connection_secrets == {}
    error_message = "services get OPENSEARCH_ENDPOINT as an https URL and no secret (SigV4 with the task role)"
  }

  assert {
    condition     = aws_opensearch_domain.this.ebs_options[0].volume_type == "gp3" && aws_opensearch_domain.this.ebs_options[0].volume_size == 20 && aws_opensearch_domain.this.ebs_options[0].throughput == 125
    error_message = "gp3 storage of the configured size with baseline throughput"
  }
}

run "zone_aware_production_domain" {
  command = plan

  variables {
    name_prefix = "prod-carcierge"
    environment = "prod"
    opensearch_config = {
      engine_version         = "OpenSearch_2.19"
      instance_type          = "m7g.large.search"
      instance_count         = 2
      volume_size            = 50
      dedicated_master_count = 3
      dedicated_master_type  = "m7g.large.search"
    }
  }

  assert {
    condition     = aws_opensearch_domain.this.cluster_config[0].zone_awareness_enabled && aws_opensearch_domain.this.cluster_config[0].zone_awareness_config[0].availability_zone_count == 2
    error_message = "two data nodes: zone-aware over two AZs"
  }

  assert {
    condition     = length(aws_opensearch_domain.this.vpc_options[0].subnet_ids) == 2
    error_message = "a zone-aware domain gets one subnet per AZ"
  }

  assert {
    condition     = aws_opensearch_domain.this.cluster_config[0].dedicated_master_enabled && aws_opensearch_domain.this.cluster_config[0].dedicated_master_count == 3
    error_message = "dedicated masters when asked for"
  }

  assert {
    condition     = aws_opensearch_domain.this.auto_tune_options[0].desired_state == "ENABLED" && aws_opensearch_domain.this.auto_tune_options[0].use_off_peak_window
    error_message = "Auto-Tune runs on non-burstable instances, in the off-peak window"
  }
}

run "encryption_tls_and_fine_grained_access" {
  command = plan

  assert {
    condition     = aws_opensearch_domain.this.encrypt_at_rest[0].enabled && aws_opensearch_domain.this.encrypt_at_rest[0].kms_key_id == var.kms_key_arn
    error_message = "encrypted at rest with the environment key"
  }

  assert {
    condition     = aws_opensearch_domain.this.node_to_node_encryption[0].enabled
    error_message = "node-to-node encryption is on"
  }

  assert {
    condition     = aws_opensearch_domain.this.domain_endpoint_options[0].enforce_https && aws_opensearch_domain.this.domain_endpoint_options[0].tls_security_policy == "Policy-Min-TLS-1-2-PFS-2023-10"
    error_message = "HTTPS only, TLS 1.2+ with forward secrecy"
  }

  assert {
    condition     = aws_opensearch_domain.this.advanced_security_options[0].enabled && !aws_opensearch_domain.this.advanced_security_options[0].internal_user_database_enabled && !aws_opensearch_domain.this.advanced_security_options[0].anonymous_auth_enabled
    error_message = "fine-grained access control is on, without internal users or anonymous access"
  }

  assert {
    condition     = aws_opensearch_domain.this.advanced_security_options[0].master_user_options[0].master_user_arn == aws_iam_role.master[0].arn && aws_opensearch_domain.this.advanced_security_options[0].master_user_options[0].master_user_password == null
    error_message = "the master user is the module's IAM role; no password exists"
  }

  assert {
    condition = aws_iam_role.master[0].name == "staging-carcierge-opensearch-admin" && jsondecode(aws_iam_role.master[0].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:root" && jsondecode(aws_iam_role.master[0].assume_role_policy).Statement[0].Condition.ArnLike["aws:PrincipalArn"] == [
      "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
    ]
    error_message = "the master role is <env>-carcierge-opensearch-admin, assumable by the named admin roles of this account only"
  }

  assert {
    # automated_snapshot_start_hour applies only to legacy Elasticsearch < 5.3; OpenSearch
    # snapshots hourly. The block is left out rather than set to something that does nothing.
    condition     = length(aws_opensearch_domain.this.snapshot_options) == 0
    error_message = "snapshot_options must not be set: it has no effect on OpenSearch engines"
  }

  assert {
    condition     = toset(aws_opensearch_domain.this.vpc_options[0].security_group_ids) == toset([var.security_group_id])
    error_message = "the domain endpoints use only the OpenSearch security group"
  }
}

run "logs_go_to_encrypted_groups_with_a_scoped_resource_policy" {
  command = plan

  assert {
    condition     = toset([for o in aws_opensearch_domain.this.log_publishing_options : o.log_type]) == toset(["INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"])
    error_message = "index/search slow logs, error (application) logs and audit logs are published"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 14 && startswith(g.name, "/aws/opensearch/staging-carcierge-opensearch/")])
    error_message = "log groups are encrypted with the environment key and keep the environment's retention"
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_log_resource_policy.this.policy_document).Statement[0].Principal.Service == "es.amazonaws.com" && jsondecode(aws_cloudwatch_log_resource_policy.this.policy_document).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:es:us-west-1:123456789012:domain/staging-carcierge-opensearch"
    error_message = "only OpenSearch, on behalf of this domain, may write to the log groups"
  }

  assert {
    condition     = aws_cloudwatch_log_resource_policy.this.policy_name == "staging-carcierge-opensearch-logs"
    error_message = "the resource policy is named after the environment"
  }
}

run "access_policy_lists_only_the_needed_principals" {
  command = plan

  variables {
    access_roles = {
      service1 = { arn = "arn:aws:iam::123456789012:role/staging-carcierge-service1-task", name = "staging-carcierge-service1-task" }
    }
  }

  assert {
    condition = toset(jsondecode(aws_opensearch_domain_policy.this.access_policies).Statement[0].Principal.AWS) == toset([
      "arn:aws:iam::123456789012:role/mock-opensearch-admin",
      "arn:aws:iam::123456789012:role/staging-carcierge-service1-task",
    ])
    error_message = "the access policy names the master role and the given service roles, nobody else"
  }

  assert {
    condition     = !strcontains(aws_opensearch_domain_policy.this.access_policies, "\"*\"")
    error_message = "no wildcard principal"
  }

  assert {
    condition     = aws_iam_role_policy.access["service1"].role == "staging-carcierge-service1-task" && jsondecode(aws_iam_role_policy.access["service1"].policy).Statement[0].Resource == "arn:aws:es:us-west-1:123456789012:domain/mock/*"
    error_message = "each calling role may send HTTP requests to this domain only"
  }
}

# AWS's guide for pipelines writing to a domain: the pipeline role is in the domain access
# policy, with write actions only (M2 of the 2026-12-07 provider review).
run "ingestion_pipeline_role_is_in_the_access_policy" {
  command = plan

  variables {
    ingestion_role_arns = ["arn:aws:iam::123456789012:role/staging-carcierge-log-delivery"]
  }

  assert {
    condition = [for statement in jsondecode(aws_opensearch_domain_policy.this.access_policies).Statement : statement if statement.Sid == "IngestionPipelinesWrite"] == [{
      Sid       = "IngestionPipelinesWrite"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::123456789012:role/staging-carcierge-log-delivery"] }
      Action    = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
      Resource  = "arn:aws:es:us-west-1:123456789012:domain/mock/*"
    }]
    error_message = "the delivery role may write into the domain (GET, HEAD, POST, PUT), no more"
  }
}

run "no_ingestion_statement_without_a_pipeline" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_opensearch_domain_policy.this.access_policies).Statement) == 1
    error_message = "without ingestion roles the policy has only the callers' statement"
  }
}

run "external_master_user" {
  command = plan

  variables {
    opensearch_config = {
      engine_version  = "OpenSearch_2.19"
      instance_type   = "t3.small.search"
      instance_count  = 1
      volume_size     = 20
      master_user_arn = "arn:aws:iam::123456789012:role/platform-admins"
    }
  }

  assert {
    condition     = length(aws_iam_role.master) == 0 && aws_opensearch_domain.this.advanced_security_options[0].master_user_options[0].master_user_arn == "arn:aws:iam::123456789012:role/platform-admins"
    error_message = "a given master_user_arn replaces the module's role"
  }
}

# --- inputs that users get wrong ---------------------------------------------------------

run "rejects_instance_type_without_search_suffix" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { instance_type = "t3.small" })
  }
  expect_failures = [var.opensearch_config]
}

run "rejects_t2_without_encryption_support" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { instance_type = "t2.small.search" })
  }
  expect_failures = [var.opensearch_config]
}

run "rejects_count_zone_awareness_cannot_spread" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { instance_type = "m7g.large.search", instance_count = 3 })
  }
  expect_failures = [var.opensearch_config]
}

run "rejects_elasticsearch_style_version" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { engine_version = "7.10" })
  }
  expect_failures = [var.opensearch_config]
}

run "rejects_volume_beyond_t3_small_limit" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { volume_size = 200 })
  }
  expect_failures = [var.opensearch_config]
}

# Two inputs' bad values in one run: expect_failures lists both and fails the run if either
# is accepted.
run "rejects_bad_domain_name_and_a_role_wildcard_alone" {
  command = plan
  variables {
    opensearch_config    = merge(var.opensearch_config, { domain_name = "Staging_Search" })
    admin_principal_arns = ["arn:aws:iam::123456789012:role/*"] # every role of the account
  }
  expect_failures = [var.opensearch_config, var.admin_principal_arns]
}

run "rejects_generated_domain_name_over_28_characters" {
  command = plan
  variables {
    # 18 characters: <prefix>-opensearch is 29, one over the domain limit, while the snapshot
    # bucket <prefix>-opensearch-snapshots-<account>-<region> still fits S3's 63.
    name_prefix = "staging-carcierge1"
  }
  expect_failures = [aws_opensearch_domain.this]
}

run "admins_of_another_account_are_refused" {
  command = plan

  variables {
    admin_principal_arns = ["arn:aws:iam::210987654321:role/admin"]
  }

  expect_failures = [aws_iam_role.master]
}

# Engine versions: the table in engine_versions.tf (OpenSearch Service supported versions, read
# 2026-12-01).
run "rejects_the_spec_example_version_past_end_of_support" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { engine_version = "OpenSearch_2.3" })
  }
  expect_failures = [var.opensearch_config]
}

run "rejects_a_minor_the_service_does_not_offer" {
  command = plan
  variables {
    opensearch_config = merge(var.opensearch_config, { engine_version = "OpenSearch_2.18" })
  }
  expect_failures = [var.opensearch_config]
}

run "accepts_the_oldest_supported_1x" {
  command = plan
  variables {
    opensearch_config = { engine_version = "OpenSearch_1.3", instance_type = "t3.small.search", instance_count = 1, volume_size = 20 }
  }
  assert {
    condition     = aws_opensearch_domain.this.engine_version == "OpenSearch_1.3"
    error_message = "OpenSearch_1.3 is a version the service creates domains with and must plan"
  }
}

run "accepts_a_version_newer_than_the_table" {
  command = plan
  variables {
    opensearch_config = { engine_version = "OpenSearch_3.7", instance_type = "t3.small.search", instance_count = 1, volume_size = 20 }
  }
  assert {
    condition     = aws_opensearch_domain.this.engine_version == "OpenSearch_3.7"
    error_message = "OpenSearch_3.7 is a version the service creates domains with and must plan"
  }
}

run "manual_snapshots_bucket_and_role" {
  command = plan

  assert {
    condition     = module.snapshots.bucket == "staging-carcierge-opensearch-snapshots-123456789012-us-west-1"
    error_message = "the snapshot bucket is <name_prefix>-opensearch-snapshots-<account>-<region>"
  }

  assert {
    condition     = module.snapshots.kms_key_arn == var.kms_key_arn
    error_message = "the snapshot bucket is encrypted with the environment key"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.snapshot.policy).Statement[1].Resource == "arn:aws:s3:::${module.snapshots.bucket}/*" && jsondecode(aws_iam_role_policy.snapshot.policy).Statement[0].Resource == "arn:aws:s3:::${module.snapshots.bucket}" && jsondecode(aws_iam_role_policy.snapshot.policy).Statement[2].Resource == var.kms_key_arn
    error_message = "the snapshot role reaches its bucket and the environment key only"
  }

  assert {
    condition     = jsondecode(aws_iam_role.snapshot.assume_role_policy).Statement[0].Principal.Service == "es.amazonaws.com"
    error_message = "OpenSearch Service assumes the snapshot role"
  }

  assert {
    condition     = length(module.snapshots_replica) == 0 && length(aws_s3_bucket_replication_configuration.snapshots) == 0
    error_message = "no replica without snapshot_replica"
  }
}

run "snapshot_replica_in_the_second_region" {
  command = plan

  variables {
    snapshot_replica = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/99999999-2222-3333-4444-555555555555" }
  }

  assert {
    condition     = module.snapshots_replica[0].region == "us-west-2" && module.snapshots_replica[0].bucket == "staging-carcierge-opensearch-snapshots-123456789012-us-west-2"
    error_message = "the replica bucket lives in the second region"
  }

  assert {
    condition     = one(one(aws_s3_bucket_replication_configuration.snapshots[0].rule).destination).encryption_configuration[0].replica_kms_key_id == var.snapshot_replica.kms_key_arn
    error_message = "replicated snapshots are re-encrypted with the second region's key"
  }

  # Review 2026-12-07 M5: erasing the source does not erase the copy.
  assert {
    condition     = one(one(aws_s3_bucket_replication_configuration.snapshots[0].rule).delete_marker_replication).status == "Disabled"
    error_message = "deletions in the snapshot bucket are not replicated (delete_marker_replication Disabled)"
  }

  assert {
    condition     = module.snapshots_replica[0].object_lock_retention.mode == "GOVERNANCE" && module.snapshots_replica[0].object_lock_retention.days == 30
    error_message = "the replica is under Object Lock, GOVERNANCE mode, 30 days unless snapshot_replica.lock_days says otherwise"
  }

  assert {
    condition     = module.snapshots_replica[0].noncurrent_days >= module.snapshots_replica[0].object_lock_retention.days
    error_message = "the replica keeps superseded versions at least as long as the lock"
  }

  assert {
    condition     = alltrue([for boundary in concat([aws_iam_role.snapshot.permissions_boundary], aws_iam_role.master[*].permissions_boundary, aws_iam_role.snapshot_replication[*].permissions_boundary) : boundary == "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"]) && length(aws_iam_role.master) == 1 && length(aws_iam_role.snapshot_replication) == 1
    error_message = "every IAM role of the module must carry permissions_boundary_arn"
  }
}

run "snapshot_replica_lock_days_stated" {
  command = plan

  variables {
    snapshot_replica = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/99999999-2222-3333-4444-555555555555", lock_days = 90 }
  }

  assert {
    condition     = module.snapshots_replica[0].object_lock_retention.days == 90 && module.snapshots_replica[0].noncurrent_days == 90
    error_message = "lock_days sets the replica's retention, and its noncurrent versions are kept as long"
  }

  assert {
    condition     = module.snapshots.object_lock_retention == null
    error_message = "the source bucket is not locked: the snapshot policy deletes there (the replica is the locked copy)"
  }
}

run "snapshot_replica_key_must_be_of_its_region" {
  command = plan

  variables {
    snapshot_replica = { region = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-1:123456789012:key/99999999-2222-3333-4444-555555555555" }
  }

  expect_failures = [var.snapshot_replica]
}

# The master role registers the snapshot repository, so it may pass exactly the named roles,
# and only to OpenSearch Service; without any, no policy.
run "master_role_passes_the_snapshot_role" {
  command = plan

  variables {
    pass_role_arns = ["arn:aws:iam::123456789012:role/staging-carcierge-opensearch-snapshots"]
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.master_pass_role[0].policy).Statement == [{
      Sid       = "PassSnapshotRoleToOpenSearch"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = ["arn:aws:iam::123456789012:role/staging-carcierge-opensearch-snapshots"]
      Condition = { StringEquals = { "iam:PassedToService" = "es.amazonaws.com" } }
    }]
    error_message = "the master role may pass only the named roles, only to es.amazonaws.com"
  }
}

run "no_pass_role_by_default" {
  command = plan

  assert {
    condition     = length(aws_iam_role_policy.master_pass_role) == 0
    error_message = "without pass_role_arns the master role passes no role"
  }
}
