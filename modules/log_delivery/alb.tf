# The ALB's access logs (optional, alb_access_logs): Elastic Load Balancing writes gzip files to
# its own bucket (modules/ecs, SSE-S3: the only encryption ALB log delivery supports, so no KMS
# grant is needed to read them); each new file is announced to a queue of its own (main.tf's
# notified_buckets, key alb), which the second pipeline (pipeline.tf) reads into daily indices
# logs-alb-yyyy.MM.dd.
#
# Why the bucket's notification is created by this module (main.tf) and not by modules/ecs,
# which owns the bucket: an S3 bucket has exactly one notification configuration, and its only
# consumer is this path into OpenSearch. Here it exists exactly when delivery does (the root's
# enable_log_delivery), next to the queue and policy it needs, without the ecs module learning
# about log delivery.
# modules/ecs creates no aws_s3_bucket_notification (a plan test checks there is one for the bucket).

locals {
  alb = var.alb_access_logs == null ? null : {
    bucket     = var.alb_access_logs.bucket
    bucket_arn = "arn:${local.partition}:s3:::${var.alb_access_logs.bucket}"
    # Elastic Load Balancing User Guide for Application Load Balancers, "Access log files" (read
    # 2026-12-01): bucket[/prefix]/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/
    # <...>.log.gz. Only these keys are announced and readable (not the rest of the bucket).
    key_prefix = trimprefix("${var.alb_access_logs.prefix}/AWSLogs/${local.account_id}/elasticloadbalancing/${local.region}/", "/")
    key_suffix = ".log.gz"
    index      = "logs-${module.conventions.log_sources.alb}-%%{yyyy.MM.dd}"
  }
}
