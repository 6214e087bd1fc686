# Cross-region copy of the manual snapshot repository (snapshot_replica set): every snapshot
# file, and the deletion of one, is replicated to a bucket in the second region, re-encrypted
# with that region's key. Resources there use the provider's per-resource region (hashicorp/aws
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

  region         = local.replica_region
  name           = local.replica_bucket
  kms_key_arn    = var.snapshot_replica.kms_key_arn
  force_destroy  = false
  tags           = var.tags
  lifecycle_rule = local.snapshot_lifecycle_rule
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

    # The snapshot policy's deletions follow, so the replica stays a consistent repository.
    delete_marker_replication {
      status = "Enabled"
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
