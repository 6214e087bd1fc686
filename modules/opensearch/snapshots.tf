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

locals {
  # The snapshot policy's retention deletes old snapshots through the repository; S3 then
  # keeps the superseded files as noncurrent versions for snapshot_noncurrent_days (an undo
  # window). The replica (snapshot_replication.tf) keeps its copies the same way.
  snapshot_lifecycle_rule = {
    id                    = "expire-deleted-snapshot-files"
    expire_delete_markers = true
    noncurrent_days       = var.snapshot_noncurrent_days
    abort_incomplete_days = 7
  }
}

# Snapshots are the copy of last resort: never emptied by a destroy.
module "snapshots" {
  source = "../private_bucket"

  name           = local.snapshot_bucket
  kms_key_arn    = var.kms_key_arn
  force_destroy  = false
  tags           = var.tags
  lifecycle_rule = local.snapshot_lifecycle_rule
}

# The role OpenSearch Service assumes to read and write the repository ("TheSnapshotRole":
# trusted by es.amazonaws.com; s3:ListBucket on the bucket, s3:GetObject/PutObject/DeleteObject
# on its objects; OpenSearch Service Developer Guide, "Prerequisites" of manual snapshots). The
# trust is limited to this account and this domain (aws:SourceAccount, aws:SourceArn; IAM User
# Guide "The confused deputy problem"), as every service trust of the project. That OpenSearch
# sends the domain as source when it assumes the snapshot role is not confirmed by the snapshot
# guide: if registering the repository fails with an access error, check this condition first.
resource "aws_iam_role" "snapshot" {
  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

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
