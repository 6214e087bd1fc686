# The log_delivery module planned with a mocked AWS provider.
mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-west-1" }
  }
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

variables {
  name_prefix           = "staging-carcierge"
  environment           = "staging"
  sources               = { service1 = "/ecs/staging-carcierge-service1", service2 = "/ecs/staging-carcierge-service2" }
  log_retention_days    = 14
  kms_key_arn           = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  opensearch_domain_arn = "arn:aws:es:us-west-1:123456789012:domain/staging-carcierge-opensearch"
  opensearch_endpoint   = "vpc-staging-carcierge-opensearch-mock.us-west-1.es.amazonaws.com"
  subnet_ids            = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  security_group_id     = "sg-0ccccccccccccccc3"
}

run "one_stream_and_filter_per_source" {
  command = plan

  assert {
    condition     = keys(aws_kinesis_firehose_delivery_stream.this) == ["service1", "service2"] && keys(aws_cloudwatch_log_subscription_filter.this) == ["service1", "service2"]
    error_message = "every source gets a stream and a subscription filter"
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this["service1"].log_group_name == "/ecs/staging-carcierge-service1"
    error_message = "the filter subscribes the source's own log group"
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
    condition     = yamldecode(aws_osis_pipeline.this.pipeline_configuration_body)["service-logs"].sink[0].opensearch.index == "logs-$${/log_source}-%%{yyyy.MM.dd}"
    error_message = "indices are logs-<source>-<day>"
  }

  assert {
    condition     = yamldecode(aws_osis_pipeline.this.pipeline_configuration_body)["service-logs"].sink[0].opensearch.hosts == ["https://${var.opensearch_endpoint}"]
    error_message = "the pipeline writes to the environment's domain"
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.pipeline.policy).Statement[*].Resource, "${var.opensearch_domain_arn}/*") && !contains(flatten(jsondecode(aws_iam_role_policy.pipeline.policy).Statement[*].Action), "es:ESHttpDelete")
    error_message = "the delivery role writes to this domain and deletes nothing"
  }
}

run "pipeline_name_must_fit" {
  command = plan

  variables {
    name_prefix = "staging-carcierge-with-a-long-name"
  }

  expect_failures = [var.name_prefix]
}
