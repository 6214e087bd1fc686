# The bucket is private, encrypted with the caller's key, versioned, refuses plain HTTP, and
# carries the lifecycle rule it is given.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

variables {
  name          = "qa-carcierge-opensearch-snapshots-123456789012-us-west-1"
  kms_key_arn   = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  force_destroy = false
  lifecycle_rule = {
    id                    = "expire-deleted-snapshot-files"
    expire_delete_markers = true
    noncurrent_days       = 7
    abort_incomplete_days = 7
  }
}

run "private_encrypted_versioned" {
  command = plan

  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "every public access is blocked"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id == var.kms_key_arn
    error_message = "objects are encrypted with the caller's key"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "the bucket is versioned"
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Effect == "Deny"
    error_message = "plain HTTP is refused"
  }
}

run "lifecycle_as_given" {
  command = plan

  variables {
    lifecycle_rule = { id = "expire-with-log-retention", expiration_days = 14, noncurrent_days = 1, abort_incomplete_days = 1 }
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).expiration).days == 14 && one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == 1
    error_message = "current objects expire after expiration_days, superseded ones after noncurrent_days"
  }
}

run "bucket_name_is_checked" {
  command = plan

  variables {
    name = "Not_A_Bucket"
  }

  expect_failures = [var.name]
}

# Object Lock: a default retention on every new version, and no lock unless asked for.
run "no_object_lock_by_default" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.this) == 0
    error_message = "without object_lock the bucket gets no Object Lock configuration"
  }
}

run "object_lock_governance_with_its_retention" {
  command = plan

  variables {
    object_lock = { days = 7 }
  }

  assert {
    condition     = one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).mode == "GOVERNANCE" && one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).days == 7
    error_message = "object_lock retains every new version in GOVERNANCE mode (the default) for object_lock.days"
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.this[0].bucket == var.name && aws_s3_bucket_object_lock_configuration.this[0].object_lock_enabled == "Enabled"
    error_message = "the lock is enabled on this bucket"
  }
}

run "object_lock_longer_than_the_noncurrent_window" {
  command = plan

  variables {
    object_lock = { days = 30 }
  }

  expect_failures = [var.object_lock]
}

run "object_lock_unknown_mode" {
  command = plan

  variables {
    object_lock = { mode = "LEGAL_HOLD", days = 7 }
  }

  expect_failures = [var.object_lock]
}
