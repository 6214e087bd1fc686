# The ALB's access logs (optional, alb_access_logs): Elastic Load Balancing writes gzip files to
# its own bucket (modules/ecs, SSE-S3: the only encryption ALB log delivery supports, so no KMS
# grant is needed to read them); each new file is announced to a queue of its own, which the
# pipeline's second sub-pipeline (pipeline.tf) reads into daily indices logs-alb-yyyy.MM.dd.
#
# Why the bucket's notification is created here and not by modules/ecs, which owns the bucket:
# an S3 bucket has exactly one notification configuration, and its only consumer is this path
# into OpenSearch. Here it exists exactly when delivery does (the root's enable_log_delivery),
# next to the queue and policy it needs, without the ecs module learning about log delivery.
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

resource "aws_sqs_queue" "alb" {
  count = local.alb == null ? 0 : 1

  name                      = "${var.name_prefix}-log-delivery-alb"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 345600 # 4 days: files not read by then are still in the ALB bucket

  tags = merge(var.tags, { Name = "${var.name_prefix}-log-delivery-alb" })
}

# Only S3, only for the ALB's bucket in this account, may send to it (S3 User Guide, "Granting
# permissions to publish event notification messages to a destination": a queue policy for the
# s3.amazonaws.com principal with aws:SourceArn and aws:SourceAccount; read 2026-12-01).
resource "aws_sqs_queue_policy" "alb" {
  count = local.alb == null ? 0 : 1

  queue_url = aws_sqs_queue.alb[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "S3EventsOfTheAlbLogBucket"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.alb[0].arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.alb.bucket_arn }
      }
    }]
  })
}

resource "aws_s3_bucket_notification" "alb" {
  count = local.alb == null ? 0 : 1

  bucket = local.alb.bucket

  queue {
    queue_arn     = aws_sqs_queue.alb[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.alb.key_prefix
    filter_suffix = local.alb.key_suffix
  }

  depends_on = [aws_sqs_queue_policy.alb]
}
