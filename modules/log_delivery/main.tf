# Logs into the environment's OpenSearch domain, by AWS-managed delivery only: the log groups
# of `sources` (the services' and the VPC's flow log group) as below, and optionally the ALB's
# access logs from their bucket (alb.tf).
#
# Why not a Firehose stream with an OpenSearch destination: "Amazon Firehose currently does not
# support the delivery of CloudWatch Logs to Amazon OpenSearch Service destination because
# Amazon CloudWatch combines multiple log events into one Firehose record and Amazon OpenSearch
# Service cannot accept multiple log events in one record" (Amazon Data Firehose Developer
# Guide, "Writing to Amazon Data Firehose Using CloudWatch Logs", read 2026-12-01). So:
#
#   log group --subscription filter--> Firehose stream (one per source: decompresses the gzip
#   batches and extracts the log messages) --> S3 staging bucket logs/<source>/ --event--> SQS
#   --> OpenSearch Ingestion pipeline (in the private subnets) --> daily indices
#   logs-<source>-yyyy.MM.dd in the domain; documents the domain refuses go to dlq/ in the bucket.
#
#   ALB bucket <prefix>/AWSLogs/... (gzip) --event--> SQS of its own --> the same pipeline (a
#   second sub-pipeline parses the entries) --> daily indices logs-alb-yyyy.MM.dd.
#
# The pipeline's role is the delivery role: `carcierge opensearch setup` maps it to a role with
# write access to logs-* inside the domain (fine-grained access control).

# The project's conventions: checks the shared inputs and gives the lists the validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix, environment = var.environment, kms_key_arn = var.kms_key_arn, permissions_boundary_arn = var.permissions_boundary_arn }
  # The longest name this module builds.
  name_prefix_max_length = { length = 19, because = "the pipeline <name_prefix>-logs-alb fits the 28 characters OpenSearch Ingestion allows (CreatePipeline)" }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  bucket     = "${var.name_prefix}-log-delivery-${local.account_id}-${local.region}"
  bucket_arn = "arn:${local.partition}:s3:::${local.bucket}"
  # Objects of a source land under logs/<source>/; the pipeline reads the source from the key.
  log_prefix = "logs/"
  dlq_prefix = "dlq/"

  # One OpenSearch Ingestion pipeline per source (pipeline.tf); 3-28 characters each (AWS's
  # PipelineName: [a-z][a-z0-9\-]+, 3-28; botocore osis model and the provider's
  # internal/service/osis/pipeline.go, LengthBetween(3, 28), read 2026-12-07).
  pipeline_names = {
    logs = "${var.name_prefix}-logs"
    alb  = "${var.name_prefix}-logs-alb"
  }

  # The staging bucket is SSE-KMS with the environment key: Firehose (writing) and the pipeline
  # (reading) use the key only through S3 in this region.
  key_through_s3 = {
    Sid      = "EnvironmentKeyThroughS3"
    Effect   = "Allow"
    Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
    Resource = var.kms_key_arn
    Condition = {
      StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
    }
  }
}

# --- staging bucket: decompressed log files, failed records, refused documents ----------

# As long as the environment keeps its logs (log_retention_days); the indices follow the same
# retention through the ISM policy `carcierge opensearch setup` installs. Transient data, no
# deletion protection needed: a destroy may empty it.
module "bucket" {
  source = "../private_bucket"

  name          = local.bucket
  kms_key_arn   = var.kms_key_arn
  force_destroy = true
  tags          = var.tags
  lifecycle_rule = {
    id                    = "expire-with-log-retention"
    expiration_days       = var.log_retention_days
    noncurrent_days       = 1
    abort_incomplete_days = 1
  }
}

# New log files are announced to the pipelines through queues, one per bucket they read (the S3
# source of OpenSearch Ingestion reads S3 event notifications from SQS): the staging bucket's
# logs/ and, with alb_access_logs, the ALB's access-log files (alb.tf). Keyed as the pipelines
# (pipeline.tf); compression is how the pipeline's s3 source reads the bucket's files.
locals {
  notified_buckets = merge(
    {
      logs = {
        queue       = "${var.name_prefix}-log-delivery"
        sid         = "S3EventsOfTheStagingBucket"
        bucket      = module.bucket.bucket
        bucket_arn  = local.bucket_arn
        key_prefix  = local.log_prefix
        key_suffix  = null
        compression = "none" # decompressed by Firehose
      }
    },
    local.alb == null ? {} : {
      alb = {
        queue       = "${var.name_prefix}-log-delivery-alb"
        sid         = "S3EventsOfTheAlbLogBucket"
        bucket      = local.alb.bucket
        bucket_arn  = local.alb.bucket_arn
        key_prefix  = local.alb.key_prefix
        key_suffix  = local.alb.key_suffix
        compression = "gzip"
      }
    },
  )
}

resource "aws_sqs_queue" "this" {
  for_each = local.notified_buckets

  name                      = each.value.queue
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 345600 # 4 days: files not read by then are still in their bucket

  tags = merge(var.tags, { Name = each.value.queue })
}

# Only S3, only for the queue's bucket in this account, may send to it (S3 User Guide,
# "Granting permissions to publish event notification messages to a destination": a queue
# policy for the s3.amazonaws.com principal with aws:SourceArn and aws:SourceAccount; read
# 2026-12-01).
resource "aws_sqs_queue_policy" "this" {
  for_each = local.notified_buckets

  queue_url = aws_sqs_queue.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = each.value.sid
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.this[each.key].arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = each.value.bucket_arn }
      }
    }]
  })
}

resource "aws_s3_bucket_notification" "this" {
  for_each = local.notified_buckets

  bucket = each.value.bucket

  queue {
    queue_arn     = aws_sqs_queue.this[each.key].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = each.value.key_prefix
    filter_suffix = each.value.key_suffix
  }

  depends_on = [aws_sqs_queue_policy.this]
}

# --- Firehose: one stream per source ---------------------------------------------------

# The three roles AWS services assume here, each trusted by its service for this account and
# only for this module's own resources (aws:SourceAccount, aws:SourceArn; IAM User Guide, "The
# confused deputy problem"). Their permissions are the policies below and in pipeline.tf.
locals {
  service_roles = {
    firehose = {
      name        = "${var.name_prefix}-log-delivery-firehose"
      description = "Firehose writes the ${var.environment} log groups' events to ${local.bucket}"
      service     = "firehose.amazonaws.com"
      source_arn  = ["arn:${local.partition}:firehose:${local.region}:${local.account_id}:deliverystream/${var.name_prefix}-logs-*"]
    }
    # CloudWatch Logs User Guide, "Subscription filters with Amazon Data Firehose" (read
    # 2026-12-01): trusted with aws:SourceArn of this account's log groups in the region (the
    # guide's form, arn:aws:logs:<region>:<account>:*).
    subscription = {
      name        = "${var.name_prefix}-log-delivery-subscription"
      description = "CloudWatch Logs sends the ${var.environment} log groups (services, VPC flow logs) to their Firehose streams"
      service     = "logs.amazonaws.com"
      source_arn  = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
    }
    pipeline = {
      name        = "${var.name_prefix}-log-delivery"
      description = "OpenSearch Ingestion writes the ${var.environment} logs into the domain (map it in fine-grained access control)"
      service     = "osis-pipelines.amazonaws.com"
      # Each of the module's pipelines (only those that exist: the ALB's with alb_access_logs).
      source_arn = [for key, name in local.pipeline_names : "arn:${local.partition}:osis:${local.region}:${local.account_id}:pipeline/${name}" if key == "logs" || var.alb_access_logs != null]
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = local.service_roles

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name        = each.value.name
  description = each.value.description
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = each.value.service }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = each.value.source_arn }
      }
    }]
  })

  tags = merge(var.tags, { Name = each.value.name })
}

# Firehose Developer Guide, "Grant Firehose access to an Amazon S3 destination" (read
# 2026-12-01): these S3 actions on the bucket, and the key through S3 for SSE-KMS.
resource "aws_iam_role_policy" "firehose" {
  name = "${var.name_prefix}-log-delivery-firehose"
  role = aws_iam_role.service["firehose"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StagingBucket"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
        Resource = [local.bucket_arn, "${local.bucket_arn}/*"]
      },
      local.key_through_s3,
    ]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  for_each = var.sources

  name        = "${var.name_prefix}-logs-${each.key}"
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = var.kms_key_arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.service["firehose"].arn
    bucket_arn          = module.bucket.arn
    kms_key_arn         = var.kms_key_arn
    prefix              = "${local.log_prefix}${each.key}/"
    error_output_prefix = "failed/${each.key}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    buffering_interval  = 60
    buffering_size      = 5
    compression_format  = "UNCOMPRESSED" # already decompressed; the pipeline reads lines

    # CloudWatch Logs sends gzip-compressed batches: Decompression unpacks them and
    # CloudWatchLogProcessing (DataMessageExtraction) keeps only the log messages, one a line
    # (Firehose Developer Guide, "Writing to Amazon Data Firehose Using CloudWatch Logs":
    # decompression and message extraction). Processor types and parameter names: provider
    # docs (processors.type) and the Firehose API "Processor" / "ProcessorParameter".
    # AppendDelimiterToRecord: Firehose concatenates records without delimiters unless told
    # (Firehose Developer Guide, "Data delivery format"; API Processor, ProcessorType enum of the
    # botocore firehose model; read 2026-12-07): a newline after each record keeps the last line
    # of one CloudWatch Logs batch apart from the first of the next. The pipeline drops the empty
    # line this may add.
    processing_configuration {
      enabled = true

      processors {
        type = "Decompression"
        parameters {
          parameter_name  = "CompressionFormat"
          parameter_value = "GZIP"
        }
      }

      processors {
        type = "CloudWatchLogProcessing"
        parameters {
          parameter_name  = "DataMessageExtraction"
          parameter_value = "true"
        }
      }

      processors {
        type = "AppendDelimiterToRecord"
      }
    }
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-logs-${each.key}" })

  # The role may write to the bucket before the first delivery: the provider retries
  # CreateDeliveryStream only on some IAM messages (internal/service/firehose/delivery_stream.go,
  # retryDeliveryStreamOp, read 2026-12-07).
  depends_on = [aws_iam_role_policy.firehose]
}

# --- subscription filters ----------------------------------------------------------------

# CloudWatch Logs may put records into the module's streams only.
resource "aws_iam_role_policy" "subscription" {
  name = "${var.name_prefix}-log-delivery-subscription"
  role = aws_iam_role.service["subscription"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PutIntoOwnStreams"
      Effect   = "Allow"
      Action   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
      Resource = [for stream in aws_kinesis_firehose_delivery_stream.this : stream.arn]
    }]
  })
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  for_each = var.sources

  name            = "${var.name_prefix}-logs-${each.key}"
  log_group_name  = each.value
  filter_pattern  = "" # every event
  destination_arn = aws_kinesis_firehose_delivery_stream.this[each.key].arn
  role_arn        = aws_iam_role.service["subscription"].arn

  depends_on = [aws_iam_role_policy.subscription]
}
