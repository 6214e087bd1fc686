# The snapshot bucket's and its replica's resources moved into modules/private_bucket: an
# existing state follows them without replacing a bucket.

moved {
  from = aws_s3_bucket.snapshots
  to   = module.snapshots.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.snapshots
  to   = module.snapshots.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.snapshots
  to   = module.snapshots.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.snapshots
  to   = module.snapshots.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.snapshots
  to   = module.snapshots.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.snapshots
  to   = module.snapshots.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.snapshots
  to   = module.snapshots.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.snapshots_replica[0]
  to   = module.snapshots_replica[0].aws_s3_bucket_policy.this
}
