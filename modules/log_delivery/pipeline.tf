# The OpenSearch Ingestion pipelines, one per data source: AWS allows a single source per
# pipeline definition (OpenSearch Service Developer Guide, "Limitations of Amazon OpenSearch
# Ingestion": "You can only configure a single data source within a pipeline definition"; read
# 2026-12-07). <name_prefix>-logs reads the staging bucket through its queue and writes one
# index per source and day into the domain; with alb_access_logs, <name_prefix>-logs-alb reads
# the ALB's access-log files through their own queue (alb.tf). Both run with VPC access in the
# private subnets (security group: HTTPS to the domain's group only) and share one role, the
# delivery role.

locals {
  # The role's ARN and the queues' URLs built from their names (IAM User Guide, "IAM
  # identifiers": arn:<partition>:iam::<account>:role/<name>; Amazon SQS Developer Guide,
  # "Queue and message identifiers": https://sqs.<region>.<dns suffix>/<account>/<name>), so
  # that the body is known at plan wherever its inputs are: the rules gate and OpenSearch
  # Ingestion's ValidatePipeline (real-mode pre-flight) read it before apply. The references
  # to the resources' names keep the order (role and queues first).
  pipeline_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${aws_iam_role.service["pipeline"].name}"
  queue_url_prefix  = "https://sqs.${local.region}.${data.aws_partition.current.dns_suffix}/${local.account_id}"

  # The sink both sub-pipelines share: the domain, the delivery role and the bucket's dlq/.
  # Data Prepper opensearch sink (index with a date pattern, aws.sts_role_arn, S3 DLQ; read
  # 2026-12-01).
  sink = {
    hosts = ["https://${var.opensearch_endpoint}"]
    aws   = { region = local.region, sts_role_arn = local.pipeline_role_arn }
  }
  dlq = {
    bucket       = module.bucket.bucket
    region       = local.region
    sts_role_arn = local.pipeline_role_arn
  }

  # A VPC flow-log record in the default format (modules/vpc sets no log_format): version 2's
  # fields, space-separated, in the order of the Amazon VPC User Guide, "Flow log records"
  # (read 2026-12-01): version account-id interface-id srcaddr dstaddr srcport dstport protocol
  # packets bytes start end action log-status. A NODATA or SKIPDATA record has "-" from srcaddr
  # to bytes: those captures are optional, so "-" leaves the field out instead of failing the
  # ip/number mapping of `carcierge opensearch setup`'s template. start and end are epoch seconds.
  flow_log_grok = join(" ", [
    "%%{INT:version}",
    "%%{NOTSPACE:account_id}",
    "%%{NOTSPACE:interface_id}",
    "(?:%%{IP:srcaddr}|-)",
    "(?:%%{IP:dstaddr}|-)",
    "(?:%%{INT:srcport}|-)",
    "(?:%%{INT:dstport}|-)",
    "(?:%%{INT:protocol}|-)",
    "(?:%%{INT:packets}|-)",
    "(?:%%{INT:bytes}|-)",
    "%%{INT:start}",
    "%%{INT:end}",
    "%%{NOTSPACE:action}",
    "%%{NOTSPACE:log_status}",
  ])

  # Each pipeline's source: the files its queue announces (main.tf, keyed as the pipelines), one
  # a line (newline codec), read as the delivery role; Data Prepper s3 source with SQS
  # notifications (read 2026-12-01).
  s3_sources = {
    for key, notified in local.notified_buckets : key => {
      s3 = {
        notification_type = "sqs"
        compression       = notified.compression
        acknowledgments   = true
        codec             = { newline = {} }
        sqs               = { queue_url = "${local.queue_url_prefix}/${aws_sqs_queue.this[key].name}" }
        aws               = { region = local.region, sts_role_arn = local.pipeline_role_arn }
      }
    }
  }

  # Data Prepper pipeline (OpenSearch Ingestion "Creating pipelines", S3 source with SQS
  # notifications, opensearch sink with aws.sts_role_arn and an S3 DLQ; read 2026-12-01). The
  # source's key (logs/<source>/...) becomes log_source; the index name takes it and the day.
  service_logs = {
    source = local.s3_sources.logs
    processor = [
      # Firehose ends every record with a newline (AppendDelimiterToRecord, main.tf); where the
      # extracted messages already end with one, the newline codec reads an empty line: dropped
      # (Data Prepper drop_events processor, drop_when; read 2026-12-07).
      { drop_events = { drop_when = "/message == \"\"" } },
      { grok = { match = { "/s3/key" = ["${local.log_prefix}%%{DATA:log_source}/%%{GREEDYDATA}"] } } },
      # Flow-log records (only those: grok_when on the source) into flow.* fields.
      {
        grok = {
          grok_when  = "/log_source == \"${module.conventions.log_sources.vpc_flow_logs}\""
          match      = { message = [local.flow_log_grok] }
          target_key = "flow"
        }
      },
    ]
    sink = [{
      opensearch = merge(local.sink, {
        index = "logs-$${/log_source}-%%{yyyy.MM.dd}"
        dlq   = { s3 = merge(local.dlq, { key_path_prefix = local.dlq_prefix }) }
      })
    }]
  }

  # One ALB access-log entry a line, space-separated, quoted where a field may hold spaces, in
  # the order of Elastic Load Balancing User Guide for Application Load Balancers, "Access log
  # entries" (read 2026-12-01): type time elb client:port target:port, the three processing
  # times (-1 when not measured), elb/target status codes, received/sent bytes, "request",
  # "user_agent", ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
  # "chosen_cert_arn" matched_rule_priority request_creation_time "actions_executed"
  # "redirect_url" "error_reason" "target:port_list" "target_status_code_list" "classification"
  # "classification_reason" conn_trace_id. "-" stands for a value the entry does not have. The
  # guide asks parsers to ignore fields added at the end later: the pattern is not anchored
  # there. Built-in grok patterns (TIMESTAMP_ISO8601, IP, INT, NUMBER, NOTSPACE, DATA, WORD):
  # Data Prepper grok processor (java-grok's default pattern set, read 2026-12-01).
  alb_grok = join(" ", [
    "%%{NOTSPACE:type}",
    "%%{TIMESTAMP_ISO8601:time}",
    "%%{NOTSPACE:elb}",
    "%%{IP:client_ip}:%%{INT:client_port}",
    "(?:%%{IP:target_ip}:%%{INT:target_port}|-)",
    "%%{NUMBER:request_processing_time}",
    "%%{NUMBER:target_processing_time}",
    "%%{NUMBER:response_processing_time}",
    "(?:%%{INT:elb_status_code}|-)",
    "(?:%%{INT:target_status_code}|-)",
    "%%{INT:received_bytes}",
    "%%{INT:sent_bytes}",
    "\"(?:%%{WORD:http_method} %%{NOTSPACE:url} %%{NOTSPACE:http_version}|[^\"]*)\"",
    "\"%%{DATA:user_agent}\"",
    "%%{NOTSPACE:ssl_cipher}",
    "%%{NOTSPACE:ssl_protocol}",
    "%%{NOTSPACE:target_group_arn}",
    "\"%%{DATA:trace_id}\"",
    "\"%%{DATA:domain_name}\"",
    "\"%%{DATA:chosen_cert_arn}\"",
    "%%{NOTSPACE:matched_rule_priority}",
    "%%{TIMESTAMP_ISO8601:request_creation_time}",
    "\"%%{DATA:actions_executed}\"",
    "\"%%{DATA:redirect_url}\"",
    "\"%%{DATA:error_reason}\"",
    "\"%%{DATA:target_port_list}\"",
    "\"%%{DATA:target_status_code_list}\"",
    "\"%%{DATA:classification}\"",
    "\"%%{DATA:classification_reason}\"",
    "%%{NOTSPACE:conn_trace_id}",
  ])

  # The ALB sub-pipeline (only with alb_access_logs): the gzip files, one entry a line (s3
  # source: compression gzip, newline codec, the line in "message"), parsed into alb.* by grok
  # (target_key), its time as @timestamp (date processor), written to logs-alb-<day>; refused
  # documents under dlq/alb/. Data Prepper s3 source, grok and date processors, read 2026-12-01.
  alb_logs = local.alb == null ? null : {
    source = local.s3_sources.alb
    processor = [
      { grok = { match = { message = [local.alb_grok] }, target_key = "alb" } },
      { date = { match = [{ key = "/alb/time", patterns = ["yyyy-MM-dd'T'HH:mm:ss.SSSSSSX"] }], destination = "@timestamp" } },
    ]
    sink = [{
      opensearch = merge(local.sink, {
        index = local.alb.index
        dlq   = { s3 = merge(local.dlq, { key_path_prefix = "${local.dlq_prefix}alb/" }) }
      })
    }]
  }

  # One pipeline per source (see the top of this file), keyed: logs (the staging bucket's
  # queue) and, with alb_access_logs, alb. OpenSearch Ingestion validates a body at create
  # (apply) time; the real-mode pre-flight asks it first (osis:ValidatePipeline) and the rules
  # gate checks the body wherever it is known (carcierge_pipeline/rules/pipeline.py).
  pipelines = merge(
    {
      logs = {
        name = local.pipeline_names.logs
        body = yamlencode({ version = "2", "service-logs" = local.service_logs })
      }
    },
    local.alb_logs == null ? {} : {
      alb = {
        name = local.pipeline_names.alb
        body = yamlencode({ version = "2", "alb-access-logs" = local.alb_logs })
      }
    },
  )

  # The pipeline role's reading rights on the ALB's files and queue, only with alb_access_logs.
  alb_statements = local.alb == null ? [] : [
    {
      Sid      = "ReadAlbAccessLogFiles"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "${local.alb.bucket_arn}/${local.alb.key_prefix}*"
    },
    {
      Sid      = "ReadAlbNotifications"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
      Resource = aws_sqs_queue.this["alb"].arn
    },
  ]
}

resource "aws_iam_role_policy" "pipeline" {
  name = "${var.name_prefix}-log-delivery"
  role = aws_iam_role.service["pipeline"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
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
        Resource = aws_sqs_queue.this["logs"].arn
      },
      local.key_through_s3,
    ], local.alb_statements)
  })
}

resource "aws_osis_pipeline" "this" {
  for_each = local.pipelines

  pipeline_name               = each.value.name
  pipeline_role_arn           = aws_iam_role.service["pipeline"].arn
  pipeline_configuration_body = each.value.body
  min_units                   = var.pipeline_units.min
  max_units                   = var.pipeline_units.max

  vpc_options {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }

  tags = merge(var.tags, { Name = each.value.name })

  depends_on = [aws_iam_role_policy.pipeline]
}

# The service-logs pipeline was the module's only one before the split: same name, same body's
# first source, kept in place.
moved {
  from = aws_osis_pipeline.this
  to   = aws_osis_pipeline.this["logs"]
}
