# The log_delivery module planned with a mocked AWS provider.
mock_provider "aws" {
  source          = "../conventions/tests/mocks"
  override_during = plan

  mock_resource "aws_kinesis_firehose_delivery_stream" {
    defaults = { arn = "arn:aws:firehose:us-west-1:123456789012:deliverystream/mock" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-west-1:123456789012:mock", url = "https://sqs.us-west-1.amazonaws.com/123456789012/mock" }
  }
}

# The ALB's queue answers with values of its own, so a test can tell which queue is read.
override_resource {
  target          = aws_sqs_queue.this["alb"]
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-west-1:123456789012:staging-carcierge-log-delivery-alb"
    url = "https://sqs.us-west-1.amazonaws.com/123456789012/staging-carcierge-log-delivery-alb"
  }
}

variables {
  name_prefix           = "staging-carcierge"
  environment           = "staging"
  sources               = { service1 = "/ecs/staging-carcierge-service1", service2 = "/ecs/staging-carcierge-service2", vpc-flow-logs = "/aws/vpc/staging-carcierge-vpc-flow-logs" }
  alb_access_logs       = { bucket = "staging-carcierge-alb-logs-123456789012-us-west-1", prefix = "alb" }
  log_retention_days    = 14
  kms_key_arn           = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  opensearch_domain_arn = "arn:aws:es:us-west-1:123456789012:domain/staging-carcierge-opensearch"
  opensearch_endpoint   = "vpc-staging-carcierge-opensearch-mock.us-west-1.es.amazonaws.com"
  subnet_ids            = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  security_group_id     = "sg-0ccccccccccccccc3"
  # The CI deploy role creates roles only under the environment's boundary (ci_policies.py):
  # every run plans with one, as every environment does.
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"
}

run "one_stream_and_filter_per_source" {
  command = plan

  assert {
    condition     = keys(aws_kinesis_firehose_delivery_stream.this) == ["service1", "service2", "vpc-flow-logs"] && keys(aws_cloudwatch_log_subscription_filter.this) == ["service1", "service2", "vpc-flow-logs"]
    error_message = "every source (the services and the VPC flow logs) gets a stream and a subscription filter"
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this["vpc-flow-logs"].log_group_name == "/aws/vpc/staging-carcierge-vpc-flow-logs" && aws_kinesis_firehose_delivery_stream.this["vpc-flow-logs"].extended_s3_configuration[0].prefix == "logs/vpc-flow-logs/"
    error_message = "the flow log group streams into logs/vpc-flow-logs/, hence indices logs-vpc-flow-logs-<day>"
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this["service1"].log_group_name == "/ecs/staging-carcierge-service1"
    error_message = "the filter subscribes the source's own log group"
  }

  assert {
    condition     = length(aws_iam_role.service) == 3 && alltrue([for role in aws_iam_role.service : role.permissions_boundary == "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"])
    error_message = "every IAM role of the module must carry permissions_boundary_arn"
  }
}

run "subscription_role_may_put_into_its_streams_only" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role_policy.subscription.policy).Statement[0].Action == ["firehose:PutRecord", "firehose:PutRecordBatch"] && length(jsondecode(aws_iam_role_policy.subscription.policy).Statement) == 1
    error_message = "CloudWatch Logs may only put records into the module's streams"
  }
}

run "pipeline_writes_daily_indices_per_source" {
  command = plan

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].sink[0].opensearch.index == "logs-$${/log_source}-%%{yyyy.MM.dd}"
    error_message = "indices are logs-<source>-<day>"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].sink[0].opensearch.hosts == ["https://${var.opensearch_endpoint}"]
    error_message = "the pipeline writes to the environment's domain"
  }

  # Built from names, so the body is known at plan (the rules gate and ValidatePipeline).
  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].sink[0].opensearch.aws.sts_role_arn == "arn:aws:iam::123456789012:role/staging-carcierge-log-delivery"
    error_message = "the sink signs as the delivery role, its ARN built from its name"
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.pipeline.policy).Statement[*].Resource, "${var.opensearch_domain_arn}/*") && !contains(flatten(jsondecode(aws_iam_role_policy.pipeline.policy).Statement[*].Action), "es:ESHttpDelete")
    error_message = "the delivery role writes to this domain and deletes nothing"
  }
}

# Firehose concatenates records without a delimiter unless told (M3): each record (one
# CloudWatch Logs batch, its messages extracted) ends with a newline, and the pipeline drops
# the empty line that may follow.
run "records_end_with_a_newline_and_empty_lines_are_dropped" {
  command = plan

  assert {
    condition     = alltrue([for stream in aws_kinesis_firehose_delivery_stream.this : [for processor in stream.extended_s3_configuration[0].processing_configuration[0].processors : processor.type] == ["Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"]])
    error_message = "every stream decompresses, extracts the messages, then appends a newline delimiter to each record"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].processor[0] == { drop_events = { drop_when = "/message == \"\"" } }
    error_message = "the service-logs pipeline drops empty lines first"
  }
}

# --- ALB access logs ---------------------------------------------------------------------

run "alb_access_log_files_are_announced_to_their_own_queue" {
  command = plan

  assert {
    condition     = aws_s3_bucket_notification.this["alb"].bucket == var.alb_access_logs.bucket && length([for notification in aws_s3_bucket_notification.this : notification if notification.bucket == var.alb_access_logs.bucket]) == 1
    error_message = "the ALB's bucket gets one event notification configuration"
  }

  assert {
    condition     = length(aws_s3_bucket_notification.this["alb"].queue) == 1 && one(aws_s3_bucket_notification.this["alb"].queue).queue_arn == "arn:aws:sqs:us-west-1:123456789012:staging-carcierge-log-delivery-alb" && one(aws_s3_bucket_notification.this["alb"].queue).events == toset(["s3:ObjectCreated:*"])
    error_message = "new objects of the ALB bucket are announced to the ALB queue"
  }

  assert {
    condition     = one(aws_s3_bucket_notification.this["alb"].queue).filter_prefix == "alb/AWSLogs/123456789012/elasticloadbalancing/us-west-1/" && one(aws_s3_bucket_notification.this["alb"].queue).filter_suffix == ".log.gz"
    error_message = "only the access-log files under the ALB's prefix are announced"
  }

  assert {
    condition     = aws_sqs_queue.this["alb"].sqs_managed_sse_enabled == true && aws_sqs_queue.this["alb"].name == "staging-carcierge-log-delivery-alb"
    error_message = "the ALB queue is encrypted (SSE-SQS) and named after the environment"
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.this["alb"].policy).Statement == [{
      Sid       = "S3EventsOfTheAlbLogBucket"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:us-west-1:123456789012:staging-carcierge-log-delivery-alb"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:s3:::staging-carcierge-alb-logs-123456789012-us-west-1" }
      }
    }]
    error_message = "only S3, for the ALB bucket of this account, may send to the ALB queue"
  }
}

run "pipeline_reads_the_alb_queue_into_daily_alb_indices" {
  command = plan

  # AWS allows one source per pipeline definition ("Limitations of Amazon OpenSearch
  # Ingestion"): one pipeline per source, each with one sub-pipeline and one source.
  assert {
    condition     = keys(aws_osis_pipeline.this) == ["alb", "logs"] && keys(yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)) == ["service-logs", "version"] && keys(yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)) == ["alb-access-logs", "version"]
    error_message = "the service logs and the ALB access logs are two pipelines, one sub-pipeline each"
  }

  assert {
    condition     = alltrue([for pipeline in aws_osis_pipeline.this : alltrue([for name, sub in yamldecode(pipeline.pipeline_configuration_body) : length(keys(sub.source)) == 1 if name != "version"])])
    error_message = "every pipeline definition has exactly one source"
  }

  assert {
    condition     = aws_osis_pipeline.this["logs"].pipeline_name == "staging-carcierge-logs" && aws_osis_pipeline.this["alb"].pipeline_name == "staging-carcierge-logs-alb" && alltrue([for pipeline in aws_osis_pipeline.this : length(pipeline.pipeline_name) <= 28])
    error_message = "the pipelines are <name_prefix>-logs and <name_prefix>-logs-alb, each within OpenSearch Ingestion's 28 characters"
  }

  assert {
    condition     = toset(jsondecode(aws_iam_role.service["pipeline"].assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"]) == toset(["arn:aws:osis:us-west-1:123456789012:pipeline/staging-carcierge-logs", "arn:aws:osis:us-west-1:123456789012:pipeline/staging-carcierge-logs-alb"])
    error_message = "OpenSearch Ingestion may assume the delivery role for the module's two pipelines only"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].source.s3.sqs.queue_url == "https://sqs.us-west-1.amazonaws.com/123456789012/staging-carcierge-log-delivery-alb" && yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].source.s3.notification_type == "sqs"
    error_message = "the ALB sub-pipeline reads the ALB queue"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].source.s3.compression == "gzip"
    error_message = "ALB access-log files are gzip"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].sink[0].opensearch.index == "logs-alb-%%{yyyy.MM.dd}" && yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].sink[0].opensearch.hosts == ["https://${var.opensearch_endpoint}"]
    error_message = "ALB access logs go to the domain's daily indices logs-alb-<day>"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].sink[0].opensearch.dlq.s3.key_path_prefix == "dlq/alb/" && yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].sink[0].opensearch.dlq.s3.bucket == "staging-carcierge-log-delivery-123456789012-us-west-1"
    error_message = "documents the domain refuses land in the staging bucket under dlq/alb/"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].processor[0].grok.target_key == "alb" && startswith(yamldecode(aws_osis_pipeline.this["alb"].pipeline_configuration_body)["alb-access-logs"].processor[0].grok.match.message[0], "%%{NOTSPACE:type} %%{TIMESTAMP_ISO8601:time} %%{NOTSPACE:elb} ")
    error_message = "grok parses each access-log line into alb.* fields, starting with type, time and elb"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].processor[2].grok.grok_when == "/log_source == \"vpc-flow-logs\"" && yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].processor[2].grok.target_key == "flow"
    error_message = "flow-log records, and only they, are parsed into flow.* fields"
  }

  assert {
    condition     = startswith(yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].processor[2].grok.match.message[0], "%%{INT:version} %%{NOTSPACE:account_id} %%{NOTSPACE:interface_id} (?:%%{IP:srcaddr}|-) (?:%%{IP:dstaddr}|-) ") && endswith(yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].processor[2].grok.match.message[0], " %%{INT:start} %%{INT:end} %%{NOTSPACE:action} %%{NOTSPACE:log_status}")
    error_message = "the flow-log pattern follows the default format (version 2) and tolerates NODATA/SKIPDATA's \"-\""
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)["service-logs"].source.s3.sqs.queue_url == "https://sqs.us-west-1.amazonaws.com/123456789012/staging-carcierge-log-delivery"
    error_message = "the service-logs sub-pipeline still reads the staging bucket's queue"
  }
}

run "pipeline_role_reads_only_the_alb_log_prefix_and_queue" {
  command = plan

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : statement if statement.Sid == "ReadAlbAccessLogFiles"] == [{
      Sid      = "ReadAlbAccessLogFiles"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "arn:aws:s3:::staging-carcierge-alb-logs-123456789012-us-west-1/alb/AWSLogs/123456789012/elasticloadbalancing/us-west-1/*"
    }]
    error_message = "the delivery role may read the ALB's access-log files under their prefix, nothing else of the bucket"
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : statement if statement.Sid == "ReadAlbNotifications"] == [{
      Sid      = "ReadAlbNotifications"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
      Resource = "arn:aws:sqs:us-west-1:123456789012:staging-carcierge-log-delivery-alb"
    }]
    error_message = "the delivery role may receive and delete the ALB queue's messages, that queue only"
  }

  assert {
    condition     = !contains(flatten([for statement in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : statement.Resource]), "arn:aws:s3:::staging-carcierge-alb-logs-123456789012-us-west-1/*")
    error_message = "the delivery role gets no access to the whole ALB bucket"
  }
}

run "without_alb_access_logs_there_is_no_alb_path" {
  command = plan

  variables {
    alb_access_logs = null
  }

  assert {
    condition     = keys(aws_sqs_queue.this) == ["logs"] && keys(aws_sqs_queue_policy.this) == ["logs"] && keys(aws_s3_bucket_notification.this) == ["logs"]
    error_message = "no ALB queue, queue policy or bucket notification without alb_access_logs"
  }

  assert {
    condition     = keys(aws_osis_pipeline.this) == ["logs"] && keys(yamldecode(aws_osis_pipeline.this["logs"].pipeline_configuration_body)) == ["service-logs", "version"]
    error_message = "no ALB pipeline without alb_access_logs"
  }

  assert {
    condition     = jsondecode(aws_iam_role.service["pipeline"].assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == ["arn:aws:osis:us-west-1:123456789012:pipeline/staging-carcierge-logs"]
    error_message = "without alb_access_logs the delivery role trusts only the service-logs pipeline"
  }

  assert {
    condition     = length([for statement in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : statement if startswith(statement.Sid, "ReadAlb")]) == 0
    error_message = "the delivery role gets no ALB rights without alb_access_logs"
  }
}

run "alb_logs_without_a_prefix_are_read_from_awslogs" {
  command = plan

  variables {
    alb_access_logs = { bucket = "staging-carcierge-alb-logs-123456789012-us-west-1", prefix = "" }
  }

  assert {
    condition     = one(aws_s3_bucket_notification.this["alb"].queue).filter_prefix == "AWSLogs/123456789012/elasticloadbalancing/us-west-1/"
    error_message = "an ALB without an access_logs prefix writes under AWSLogs/ at the bucket's root"
  }
}

run "a_source_keyed_alb_is_refused_next_to_the_alb_access_logs" {
  command = plan

  variables {
    sources = { service1 = "/ecs/staging-carcierge-service1", alb = "/ecs/staging-carcierge-alb" }
  }

  expect_failures = [var.sources]
}

run "alb_prefix_must_not_contain_awslogs" {
  command = plan

  variables {
    alb_access_logs = { bucket = "staging-carcierge-alb-logs-123456789012-us-west-1", prefix = "alb/AWSLogs" }
  }

  expect_failures = [var.alb_access_logs]
}

run "alb_bucket_must_be_a_bucket_name" {
  command = plan

  variables {
    alb_access_logs = { bucket = "arn:aws:s3:::staging-carcierge-alb-logs", prefix = "alb" }
  }

  expect_failures = [var.alb_access_logs]
}
