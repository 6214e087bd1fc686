"""Logs into OpenSearch, read from each environment's offline plan: for every service and for
the VPC's flow logs a subscription filter on its log group into a Firehose stream of its own
that decompresses and extracts the messages into the encrypted staging bucket; the ALB's access
logs announced from their bucket to a queue of their own; one ingestion pipeline per source in
the private subnets writes them to the domain; least-privilege roles.

The pipeline's body and its role's policy hold the role's and the queues' ARNs, which an
offline plan knows only after apply: their planned values (the ALB pipeline reading the ALB
queue into logs-alb-<day>, the role reading only the ALB log prefix) are asserted in
modules/log_delivery/tests/log_delivery.tftest.hcl, where the mock provider makes them known."""

from __future__ import annotations

import json

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS

MODULE = "module.log_delivery[0]"


def _after(plan: dict) -> dict[str, dict]:
    return {
        rc["address"]: rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["change"].get("after") is not None
    }


def _services(plan: dict) -> list[str]:
    return sorted(plan["variables"]["services"]["value"])


def _assert_streams_into_the_staging_bucket(stream: dict, source: str) -> None:
    assert stream["server_side_encryption"][0]["enabled"] is True
    assert stream["server_side_encryption"][0]["key_type"] == "CUSTOMER_MANAGED_CMK"
    s3 = stream["extended_s3_configuration"][0]
    # logs/<source>/ is what the pipeline turns into the index logs-<source>-<day>.
    assert s3["prefix"] == f"logs/{source}/"
    assert s3["error_output_prefix"].startswith(f"failed/{source}/")
    processors = s3["processing_configuration"][0]["processors"]
    # CloudWatch Logs sends gzip batches: decompress first, then keep the messages, then end
    # each record with a newline (Firehose concatenates records without one otherwise).
    assert [p["type"] for p in processors] == [
        "Decompression",
        "CloudWatchLogProcessing",
        "AppendDelimiterToRecord",
    ]
    assert processors[1]["parameters"] == [
        {"parameter_name": "DataMessageExtraction", "parameter_value": "true"}
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_service_log_group_streams_through_its_own_firehose(environment_plans, environment):
    plan = environment_plans(environment)
    assert plan["variables"]["enable_log_delivery"]["value"] is True
    resources = _after(plan)
    for service in _services(plan):
        subscription = resources[
            f'{MODULE}.aws_cloudwatch_log_subscription_filter.this["{service}"]'
        ]
        assert subscription["log_group_name"] == f"/ecs/{environment}-carcierge-{service}"
        assert subscription["filter_pattern"] == ""
        stream = resources[f'{MODULE}.aws_kinesis_firehose_delivery_stream.this["{service}"]']
        assert stream["name"] == f"{environment}-carcierge-logs-{service}"
        _assert_streams_into_the_staging_bucket(stream, service)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_vpc_flow_logs_stream_into_indices_of_their_own(environment_plans, environment):
    plan = environment_plans(environment)
    assert plan["variables"]["enable_log_delivery"]["value"] is True
    resources = _after(plan)
    group = resources["module.vpc.aws_cloudwatch_log_group.flow_logs"]["name"]
    assert group == f"/aws/vpc/{environment}-carcierge-vpc-flow-logs"
    subscription = resources[
        f'{MODULE}.aws_cloudwatch_log_subscription_filter.this["vpc-flow-logs"]'
    ]
    assert subscription["log_group_name"] == group
    assert subscription["filter_pattern"] == ""
    stream = resources[f'{MODULE}.aws_kinesis_firehose_delivery_stream.this["vpc-flow-logs"]']
    assert stream["name"] == f"{environment}-carcierge-logs-vpc-flow-logs"
    _assert_streams_into_the_staging_bucket(stream, "vpc-flow-logs")
    # Sources are the services and the flow logs, nothing else.
    streams = {
        rc["address"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_kinesis_firehose_delivery_stream"
    }
    assert streams == {
        f'{MODULE}.aws_kinesis_firehose_delivery_stream.this["{source}"]'
        for source in [*_services(plan), "vpc-flow-logs"]
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_alb_access_logs_are_announced_to_a_queue_of_their_own(environment_plans, environment):
    plan = environment_plans(environment)
    resources = _after(plan)
    bucket = resources["module.ecs.aws_s3_bucket.alb_logs"]["bucket"]
    prefix = resources["module.ecs.aws_lb.main"]["access_logs"][0]["prefix"]
    # An S3 bucket has one notification configuration: the ALB bucket's is log delivery's.
    notifications = [
        rc["address"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_s3_bucket_notification"
        and (rc["change"]["after"] or {}).get("bucket") == bucket
    ]
    assert notifications == [f'{MODULE}.aws_s3_bucket_notification.this["alb"]']
    (queue,) = resources[notifications[0]]["queue"]
    assert queue["events"] == ["s3:ObjectCreated:*"]
    assert queue["filter_prefix"] == (
        f"{prefix}/AWSLogs/123456789012/elasticloadbalancing/us-west-1/"
    )
    assert queue["filter_suffix"] == ".log.gz"
    sqs = resources[f'{MODULE}.aws_sqs_queue.this["alb"]']
    assert sqs["name"] == f"{environment}-carcierge-log-delivery-alb"
    assert sqs["sqs_managed_sse_enabled"] is True
    # ALB log delivery writes SSE-S3 only, so the pipeline needs no KMS grant to read them.
    sse = resources["module.ecs.aws_s3_bucket_server_side_encryption_configuration.alb_logs"]
    assert sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == (
        "AES256"
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_staging_bucket_is_encrypted_private_tls_only_and_follows_log_retention(
    environment_plans, environment
):
    plan = environment_plans(environment)
    resources = _after(plan)
    sse = resources[
        f"{MODULE}.module.bucket.aws_s3_bucket_server_side_encryption_configuration.this"
    ]
    assert (
        sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    )
    block = resources[f"{MODULE}.module.bucket.aws_s3_bucket_public_access_block.this"]
    assert block["block_public_policy"] and block["restrict_public_buckets"]
    policy = json.loads(resources[f"{MODULE}.module.bucket.aws_s3_bucket_policy.this"]["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = resources[f"{MODULE}.module.bucket.aws_s3_bucket_lifecycle_configuration.this"]
    retention = plan["variables"]["log_retention_days"]["value"]
    assert lifecycle["rule"][0]["expiration"][0]["days"] == retention


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_pipeline_runs_in_the_private_subnets_and_reaches_opensearch_only(
    environment_plans, environment
):
    resources = _after(environment_plans(environment))
    # One pipeline per source (AWS allows one per pipeline definition): the log groups' files
    # and the ALB's access logs, each named within OpenSearch Ingestion's 28 characters.
    pipelines = {
        address: values
        for address, values in resources.items()
        if address.startswith(f"{MODULE}.aws_osis_pipeline.this[")
    }
    assert {p["pipeline_name"] for p in pipelines.values()} == {
        f"{environment}-carcierge-logs",
        f"{environment}-carcierge-logs-alb",
    }
    for pipeline in pipelines.values():
        assert 3 <= len(pipeline["pipeline_name"]) <= 28
        assert pipeline["vpc_options"], "the pipeline has VPC access"
    # The pipeline's rules are entries of the tasks' data-store rules (modules/security_groups).
    rules = "module.security_groups.aws_vpc_security_group"
    egress = resources[f'{rules}_egress_rule.task_to_store["log-delivery-opensearch"]']
    ingress = resources[f'{rules}_ingress_rule.store_from_task["log-delivery-opensearch"]']
    assert egress["from_port"] == egress["to_port"] == 443
    assert ingress["from_port"] == ingress["to_port"] == 443
    assert "cidr_ipv4" not in egress or egress["cidr_ipv4"] is None


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_roles_trust_only_their_service_in_this_account(environment_plans, environment):
    resources = _after(environment_plans(environment))
    expected = {
        "firehose": "firehose.amazonaws.com",
        "subscription": "logs.amazonaws.com",
        "pipeline": "osis-pipelines.amazonaws.com",
    }
    for role, service in expected.items():
        trust = json.loads(
            resources[f'{MODULE}.aws_iam_role.service["{role}"]']["assume_role_policy"]
        )
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    subscription = json.loads(
        resources[f'{MODULE}.aws_iam_role.service["subscription"]']["assume_role_policy"]
    )
    source_arn = subscription["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source_arn == ["arn:aws:logs:us-west-1:123456789012:*"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_delivery_role_is_in_the_domain_access_policy(environment_plans, environment):
    """AWS's guide for pipelines writing to a domain: the pipeline role is in the domain's
    access policy (its ARN is known after apply: the wiring is read from the configuration;
    the statement itself is asserted in modules/opensearch/tests)."""
    plan = environment_plans(environment)
    call = plan["configuration"]["root_module"]["module_calls"]["opensearch"]
    references = call["expressions"]["ingestion_role_arns"]["references"]
    assert "module.log_delivery" in references
