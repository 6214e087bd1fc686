# Manual snapshots: what AWS does not do by itself. OpenSearch Service takes hourly automated
# snapshots and keeps them 14 days in a bucket of its own, for cluster recovery only (OpenSearch
# Service Developer Guide, "Creating index snapshots in Amazon OpenSearch Service", read
# 2026-12-01). Manual snapshots go to this bucket, through the repository and the daily snapshot
# policy that `carcierge opensearch setup` registers after apply, as the role below.

locals {
  # Bucket names are global: the account and region make this one unique (as the ALB log bucket).
  snapshot_bucket     = "${var.name_prefix}-opensearch-snapshots-${local.account_id}-${local.region}"
  snapshot_bucket_arn = "arn:${local.partition}:s3:::${local.snapshot_bucket}"
}

resource "aws_s3_bucket" "snapshots" {
  # checkov:skip=CKV_AWS_18:server access logs of the snapshot bucket would need a log bucket of their own; CloudTrail records who touched the repository
  # checkov:skip=CKV_AWS_144:cross-region replication is per environment (backup_replica): on in prod through aws_s3_bucket_replication_configuration.snapshots, off where the environment does not ask for it
  # checkov:skip=CKV2_AWS_62:nothing consumes object-created events of snapshot files
  bucket = local.snapshot_bucket
  # Snapshots are the copy of last resort: never emptied by a destroy.
  force_destroy = false

  tags = merge(var.tags, { Name = local.snapshot_bucket })
}

resource "aws_s3_bucket_ownership_controls" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

# The snapshot policy's retention deletes old snapshots through the repository; S3 then keeps
# the superseded files as noncurrent versions for snapshot_noncurrent_days (an undo window).
resource "aws_s3_bucket_lifecycle_configuration" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket

  rule {
    id     = "expire-deleted-snapshot-files"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.snapshot_noncurrent_days
    }

    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.snapshots]
}

resource "aws_s3_bucket_policy" "snapshots" {
  bucket = aws_s3_bucket.snapshots.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.snapshot_bucket_arn, "${local.snapshot_bucket_arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.snapshots]
}

# The role OpenSearch Service assumes to read and write the repository ("TheSnapshotRole":
# trusted by es.amazonaws.com; s3:ListBucket on the bucket, s3:GetObject/PutObject/DeleteObject
# on its objects; OpenSearch Service Developer Guide, "Prerequisites" of manual snapshots). The
# trust is limited to this account and this domain (aws:SourceAccount, aws:SourceArn; IAM User
# Guide "The confused deputy problem"), as every service trust of the project. That OpenSearch
# sends the domain as source when it assumes the snapshot role is not confirmed by the snapshot
# guide: if registering the repository fails with an access error, check this condition first.
resource "aws_iam_role" "snapshot" {
  name        = "${var.name_prefix}-opensearch-snapshot"
  description = "OpenSearch Service writes manual snapshots of ${local.domain_name} to ${local.snapshot_bucket}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OpenSearchServiceOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "es.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.domain_arn }
      }
    }]
  })

  tags = merge(var.tags, { Name = "${var.name_prefix}-opensearch-snapshot" })
}

resource "aws_iam_role_policy" "snapshot" {
  name = "${var.name_prefix}-opensearch-snapshot-bucket"
  role = aws_iam_role.snapshot.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListRepository"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = local.snapshot_bucket_arn
      },
      {
        Sid      = "ReadWriteSnapshotFiles"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${local.snapshot_bucket_arn}/*"
      },
      {
        # SSE-KMS with the environment key, only through S3 in this region.
        Sid      = "EnvironmentKeyThroughS3"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = var.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
        }
      },
    ]
  })
}
