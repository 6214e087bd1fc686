# A private, encrypted S3 bucket as the project keeps its data buckets: owner-enforced objects,
# every public access blocked, SSE-KMS with the caller's key (bucket keys on), versioning, a
# lifecycle rule, and a policy that refuses plain HTTP. The log staging bucket, the OpenSearch
# snapshot bucket and its cross-region replica are instances of it; the ALB log bucket is not
# (ELB writes access logs only to SSE-S3 buckets).

data "aws_partition" "current" {}

locals {
  # Built from the name, so that the policy is known at plan (the bucket's arn is not).
  arn = "arn:${data.aws_partition.current.partition}:s3:::${var.name}"
}

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:server access logs would need a log bucket of their own per data bucket; this project records no object-level access (no CloudTrail data events): an account trail with S3 data events is the account owner's (docs/backups.md)
  # checkov:skip=CKV_AWS_144:cross-region replication is the caller's decision: the snapshot bucket replicates in prod (aws_s3_bucket_replication_configuration in modules/opensearch), its replica is the copy, log staging is transient
  # checkov:skip=CKV2_AWS_62:event notifications are the caller's, where something consumes them (log delivery's SQS queue)
  region        = var.region
  bucket        = var.name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

# Object Lock (object_lock set): every new object version is retained for object_lock.days
# from its creation; in GOVERNANCE mode only a principal with s3:BypassGovernanceRetention
# can delete or shorten it before then, in COMPLIANCE mode nobody. A DeleteObject without a
# version id still only adds a delete marker. S3 User Guide, "Locking objects with Object Lock"
# and "Enable Object Lock on an existing S3 bucket" (read 2026-12-07): a versioned bucket can
# be locked after creation, so the bucket is not replaced (no object_lock_enabled on
# aws_s3_bucket, which forces a new bucket); provider docs
# (website/docs/r/s3_bucket_object_lock_configuration.html.markdown, v6: object_lock_enabled
# defaults to "Enabled", the token is no longer needed). Object Lock cannot be turned off again.
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock == null ? 0 : 1

  region              = var.region
  bucket              = aws_s3_bucket.this.bucket
  object_lock_enabled = "Enabled" # the provider's default, written out: the only valid value

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket

  rule {
    id     = var.lifecycle_rule.id
    status = "Enabled"

    filter {}

    dynamic "expiration" {
      for_each = var.lifecycle_rule.expiration_days != null || var.lifecycle_rule.expire_delete_markers ? [1] : []
      content {
        days                         = var.lifecycle_rule.expiration_days
        expired_object_delete_marker = var.lifecycle_rule.expire_delete_markers ? true : null
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.lifecycle_rule.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.lifecycle_rule.abort_incomplete_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  region = var.region
  bucket = aws_s3_bucket.this.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.arn, "${local.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
