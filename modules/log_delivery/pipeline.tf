# The OpenSearch Ingestion pipeline: reads the staging bucket through its queue and writes one
# index per source and day into the domain. It runs with VPC access in the private subnets
# (security group: HTTPS to the domain's group only). Its role is the delivery role.

locals {
  # Data Prepper pipeline (OpenSearch Ingestion "Creating pipelines", S3 source with SQS
  # notifications, opensearch sink with aws.sts_role_arn and an S3 DLQ; read 2026-12-01). The
  # source's key (logs/<source>/...) becomes log_source; the index name takes it and the day.
  # Not checkable offline: OpenSearch Ingestion validates the body at create (apply) time.
  pipeline_body = yamlencode({
    version = "2"
    "service-logs" = {
      source = {
        s3 = {
          notification_type = "sqs"
          compression       = "none"
          acknowledgments   = true
          codec             = { newline = {} }
          sqs               = { queue_url = aws_sqs_queue.this.url }
          aws               = { region = local.region, sts_role_arn = aws_iam_role.service["pipeline"].arn }
        }
      }
      processor = [
        { grok = { match = { "/s3/key" = ["${local.log_prefix}%%{DATA:log_source}/%%{GREEDYDATA}"] } } },
      ]
      sink = [{
        opensearch = {
          hosts = ["https://${var.opensearch_endpoint}"]
          index = "logs-$${/log_source}-%%{yyyy.MM.dd}"
          aws   = { region = local.region, sts_role_arn = aws_iam_role.service["pipeline"].arn }
          dlq = {
            s3 = {
              bucket          = module.bucket.bucket
              key_path_prefix = local.dlq_prefix
              region          = local.region
              sts_role_arn    = aws_iam_role.service["pipeline"].arn
            }
          }
        }
      }]
    }
  })
}

resource "aws_iam_role_policy" "pipeline" {
  name = "${var.name_prefix}-log-delivery"
  role = aws_iam_role.service["pipeline"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The sink describes the domain, then writes with signed HTTP requests.
        Sid      = "DescribeDomain"
        Effect   = "Allow"
        Action   = "es:DescribeDomain"
        Resource = var.opensearch_domain_arn
      },
      {
        Sid      = "WriteDocuments"
        Effect   = "Allow"
        Action   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
        Resource = "${var.opensearch_domain_arn}/*"
      },
      {
        Sid      = "ReadLogFiles"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.bucket_arn}/${local.log_prefix}*"
      },
      {
        Sid      = "WriteRefusedDocuments"
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "${local.bucket_arn}/${local.dlq_prefix}*"
      },
      {
        Sid      = "ReadNotifications"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
        Resource = aws_sqs_queue.this.arn
      },
      {
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

resource "aws_osis_pipeline" "this" {
  pipeline_name               = local.pipeline_name
  pipeline_role_arn           = aws_iam_role.service["pipeline"].arn
  pipeline_configuration_body = local.pipeline_body
  min_units                   = var.pipeline_units.min
  max_units                   = var.pipeline_units.max

  vpc_options {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }

  tags = merge(var.tags, { Name = local.pipeline_name })

  depends_on = [aws_iam_role_policy.pipeline]
}
