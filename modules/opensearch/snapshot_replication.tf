# Cross-region copy of the manual snapshot repository (snapshot_replica set): every snapshot
# file is replicated to a bucket in the second region, re-encrypted with that region's key.
# The copy survives whoever erases the source (review 2026-12-07 M5): deletions are not
# replicated (no delete markers; S3 never replicates the deletion of a version), and the replica
# is under S3 Object Lock in GOVERNANCE mode for snapshot_replica.lock_days, so within that time
# a file can be removed only by a principal allowed s3:BypassGovernanceRetention (which the
# deploy role's permissions boundary denies). The replica therefore keeps every file the
# repository ever held, a consistent repository to restore from (snapshots are incremental:
# a file of a deleted snapshot can still be part of a later one); its size grows with the
# source's history (docs/runbooks/restore-backups.md: pruning it). Resources there use the provider's per-resource region (hashicorp/aws
# 6.0 "Enhanced Region Support"). S3 User Guide, "Replicating objects" and "Replicating
# encrypted objects (SSE-KMS)" (read 2026-12-01): both buckets versioned; the rule opts in to
# SSE-KMS objects (source_selection_criteria) and names the destination key; the replication
# role may read the source versions, decrypt with the source key through S3 in the source
# region, replicate into the destination and encrypt with its key through S3 there.

locals {
  replicate_snapshots = var.snapshot_replica != null
  replica_region      = local.replicate_snapshots ? var.snapshot_replica.region : null
  replica_bucket      = local.replicate_snapshots ? "${var.name_prefix}-opensearch-snapshots-${local.account_id}-${local.replica_region}" : null
  replica_bucket_arn  = local.replicate_snapshots ? "arn:${local.partition}:s3:::${local.replica_bucket}" : null
}

# The replica, in the second region with that region's key, kept like the source.
module "snapshots_replica" {
  source = "../private_bucket"
  count  = local.replicate_snapshots ? 1 : 0

  region        = local.replica_region
  name          = local.replica_bucket
  kms_key_arn   = var.snapshot_replica.kms_key_arn
  force_destroy = false
  tags          = var.tags
  # Superseded versions (a file rewritten in place) are kept at least as long as the lock.
  lifecycle_rule = merge(local.snapshot_lifecycle_rule, {
    noncurrent_days = max(local.snapshot_lifecycle_rule.noncurrent_days, var.snapshot_replica.lock_days)
  })
  object_lock = { mode = "GOVERNANCE", days = var.snapshot_replica.lock_days }
}

resource "aws_iam_role" "snapshot_replication" {
  count = local.replicate_snapshots ? 1 : 0

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name        = "${var.name_prefix}-opensearch-snapshot-replication"
  description = "S3 replicates ${local.snapshot_bucket} to ${coalesce(local.replica_bucket, "-")}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "S3ReplicationOfTheSnapshotBucket"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.snapshot_bucket_arn }
      }
    }]
  })

  tags = merge(var.tags, { Name = "${var.name_prefix}-opensearch-snapshot-replication" })
}

resource "aws_iam_role_policy" "snapshot_replication" {
  count = local.replicate_snapshots ? 1 : 0

  name = "${var.name_prefix}-opensearch-snapshot-replication"
  role = aws_iam_role.snapshot_replication[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadReplicationConfiguration"
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = local.snapshot_bucket_arn
      },
      {
        Sid      = "ReadSourceVersions"
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = "${local.snapshot_bucket_arn}/*"
      },
      {
        Sid      = "WriteReplica"
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = "${local.replica_bucket_arn}/*"
      },
      {
        # With S3 Bucket Keys the encryption context is the bucket ARN, else the object ARN.
        Sid      = "DecryptSourceThroughS3"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = var.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = [local.snapshot_bucket_arn, "${local.snapshot_bucket_arn}/*"] }
        }
      },
      {
        Sid      = "EncryptReplicaThroughS3"
        Effect   = "Allow"
        Action   = ["kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.snapshot_replica.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.replica_region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = [local.replica_bucket_arn, "${local.replica_bucket_arn}/*"] }
        }
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "snapshots" {
  count = local.replicate_snapshots ? 1 : 0

  bucket = module.snapshots.bucket
  role   = aws_iam_role.snapshot_replication[0].arn

  rule {
    id     = "snapshots-to-${local.replica_region}"
    status = "Enabled"

    filter {}

    # Deletions in the source (the snapshot policy's, or an intruder's) stay there: the replica
    # keeps every file (S3 User Guide, "Replicating delete markers between buckets").
    delete_marker_replication {
      status = "Disabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = module.snapshots_replica[0].arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = var.snapshot_replica.kms_key_arn
      }
    }
  }

  depends_on = [module.snapshots, module.snapshots_replica]
}
