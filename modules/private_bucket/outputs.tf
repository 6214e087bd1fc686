output "bucket" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "region" {
  description = "Region of the bucket."
  value       = aws_s3_bucket.this.region
}

output "kms_key_arn" {
  description = "The key the bucket encrypts its objects with by default."
  value       = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id
}

output "object_lock_retention" {
  description = "The bucket's Object Lock default retention (mode, days), as configured on the bucket; null without Object Lock."
  value       = try(one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention), null)
}

output "noncurrent_days" {
  description = "Days the lifecycle rule keeps superseded (noncurrent) versions."
  value       = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days
}
