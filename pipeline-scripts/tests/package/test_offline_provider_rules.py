"""The offline stand-in refuses what hashicorp/aws refuses at plan time and replaces what it
replaces (carcierge_pipeline/offline/rules.py, data/aws-provider-rules.json).

* the engine, one check class at a time, on decoded configurations;
* the enum values copied from botocore's AWS API models still equal the installed models;
* coverage: the validator-guarded (type, argument) kinds the four environments set, and how
  many of them the stand-in enforces (at least 95 %), with the arguments not read listed;
* a real ``terraform plan`` with the stand-in refuses a sample of each class with the
  provider's message on the attribute, and plans a ForceNew change as a replacement.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.offline import rules, server, values
from carcierge_pipeline.project import Project

UNKNOWN = values.UNKNOWN


def messages(type_name: str, config: dict) -> list[str]:
    return [f.message for f in rules.check_config(type_name, config)]


# -- the engine ------------------------------------------------------------------------------
def test_each_value_check_refuses_what_the_provider_refuses_and_passes_the_rest():
    assert messages("aws_cloudwatch_log_group", {"retention_in_days": 30}) == []
    assert messages("aws_cloudwatch_log_group", {"retention_in_days": 31}) == [
        "expected retention_in_days to be one of [0 1 3 5 7 14 30 60 90 120 150 180 365 400 "
        "545 731 1096 1827 2192 2557 2922 3288 3653], got 31"
    ]
    # range, enum (case-sensitive), pattern, length, ARN, window
    assert messages("aws_kms_key", {"deletion_window_in_days": 31}) == [
        "expected deletion_window_in_days to be in the range (7 - 30), got 31"
    ]
    assert messages("aws_cloudwatch_metric_alarm", {"comparison_operator": "greaterThanThreshold"})
    assert messages("aws_lb_target_group", {"name": "a_b"}) == [
        'only alphanumeric characters and hyphens allowed in "name"'
    ]
    assert messages("aws_kinesis_firehose_delivery_stream", {"name": "x" * 65}) == [
        f"expected length of name to be in the range (1 - 64), got {'x' * 65}"
    ]
    assert messages("aws_db_instance", {"monitoring_role_arn": "role/rds-monitoring"})
    assert messages("aws_db_instance", {"backup_window": "25:00-26:00"})
    assert messages("aws_db_instance", {"backup_window": "03:00-04:00"}) == []
    # elements of a list are checked one by one, on their own path
    failures = rules.check_config(
        "aws_cloudwatch_metric_alarm",
        {"alarm_actions": ["arn:aws:sns:us-west-1:123456789012:ok", "not-an-arn"]},
    )
    assert [f.path for f in failures] == [("alarm_actions", 1)]
    # validation.Any: either alternative passes
    assert messages("aws_cloudwatch_metric_alarm", {"period": 120}) == []
    assert messages("aws_cloudwatch_metric_alarm", {"period": 45})


def test_nested_blocks_unknown_values_and_cross_argument_rules():
    nested = {"health_check": [{"interval": 2, "healthy_threshold": 3}]}
    failures = rules.check_config("aws_lb_target_group", nested)
    assert [(f.path, f.message) for f in failures] == [
        (("health_check", 0, "interval"), "expected interval to be in the range (5 - 300), got 2")
    ]
    assert (
        rules.check_config("aws_lb_target_group", {"health_check": [{"interval": UNKNOWN}]}) == []
    )
    assert messages("aws_cloudwatch_log_group", {"name": "a", "name_prefix": "b"}) == [
        '"name": conflicts with name_prefix',
        '"name_prefix": conflicts with name',
    ]
    assert messages("aws_kms_key", {"rotation_period_in_days": 365}) == [
        '"rotation_period_in_days": all of `enable_key_rotation` must be specified'
    ]
    assert messages("aws_lb", {"subnets": [], "subnet_mapping": []}) == [
        '"subnet_mapping": one of `subnet_mapping,subnets` must be specified'
    ]


def test_customize_diff_rules_run_at_plan_and_wait_for_unknown_inputs():
    alarm = {"metric_name": "CPUUtilization", "statistic": None, "extended_statistic": None}
    assert [f.message for f in rules.check_plan("aws_cloudwatch_metric_alarm", alarm)] == [
        "One of `statistic` or `extended_statistic` must be set for a cloudwatch metric alarm"
    ]
    assert rules.check_plan("aws_cloudwatch_metric_alarm", {**alarm, "statistic": UNKNOWN}) == []
    stream = {"destination": "extended_s3", "extended_s3_configuration": []}
    assert [
        f.message for f in rules.check_plan("aws_kinesis_firehose_delivery_stream", stream)
    ] == ["when destination is 'extended_s3', extended_s3_configuration is required"]
    redis = {"multi_az_enabled": True, "automatic_failover_enabled": False}
    assert rules.check_plan("aws_elasticache_replication_group", redis)


def test_requires_replace_names_changed_force_new_arguments_only():
    prior = {"name": "a", "retention_in_days": 30, "log_group_class": "STANDARD"}
    assert rules.requires_replace("aws_cloudwatch_log_group", prior, {**prior, "name": "b"}) == [
        ("name",)
    ]
    assert (
        rules.requires_replace("aws_cloudwatch_log_group", prior, {**prior, "retention_in_days": 7})
        == []
    )
    # a nested ForceNew argument replaces through its top-level block
    before = {"encrypt_at_rest": [{"enabled": True, "kms_key_id": "k1"}]}
    after = {"encrypt_at_rest": [{"enabled": True, "kms_key_id": "k2"}]}
    assert rules.requires_replace("aws_opensearch_domain", before, after) == [("encrypt_at_rest",)]


def test_network_checks_of_the_types_recorded_from_the_v6_source():
    # validation.IsCIDRNetwork(16, 28) on aws_vpc.cidr_block: the network address and its size
    assert messages("aws_vpc", {"cidr_block": "10.20.0.0/16"}) == []
    assert messages("aws_vpc", {"cidr_block": "10.0.0.0/8"}) == [
        'expected "cidr_block" to contain a network Value with between 16 and 28 significant '
        "bits, got: 8"
    ]
    assert messages("aws_vpc", {"cidr_block": "10.20.0.1/16"}) == [
        "expected cidr_block to contain a valid network Value, expected 10.20.0.0/16, got "
        "10.20.0.1/16"
    ]
    # networkACLProtocolNumber: an IANA name or one of its numbers
    rule = {"cidr_block": "0.0.0.0/0", "rule_action": "allow", "egress": False}
    assert messages("aws_network_acl_rule", {**rule, "protocol": "tcp"}) == []
    assert messages("aws_network_acl_rule", {**rule, "protocol": "6"}) == []
    assert messages("aws_network_acl_rule", {**rule, "protocol": "57"}) == [
        '"protocol" : unsupported NACL protocol: 57'
    ]
    assert messages("aws_network_acl_rule", {**rule, "rule_action": "Allow", "protocol": "-1"})
    # IntInSlice, enum from the EC2 model, ARN
    flow = {"vpc_id": "vpc-1", "log_destination_type": "s3", "traffic_type": "ALL"}
    assert messages("aws_flow_log", {**flow, "max_aggregation_interval": 600}) == []
    assert messages("aws_flow_log", {**flow, "max_aggregation_interval": 300}) == [
        "expected max_aggregation_interval to be one of [60 600], got 300"
    ]
    assert messages("aws_flow_log", {**flow, "log_destination": "bucket"})
    # validation.Any(IntBetween(7, 30), IntInSlice(0))
    assert messages("aws_secretsmanager_secret", {"recovery_window_in_days": 0}) == []
    assert messages("aws_secretsmanager_secret", {"recovery_window_in_days": 3})
    assert messages("aws_sqs_queue", {"message_retention_seconds": 30}) == [
        "expected message_retention_seconds to be in the range (60 - 1209600), got 30"
    ]


def test_cross_argument_rules_see_unset_and_unknown_members_as_helper_schema_does():
    targets = {"destination_cidr_block": "0.0.0.0/0", "route_table_id": "rtb-1"}
    # ExactlyOneOf is reported from its first member (carrier_gateway_id), which is unset
    assert messages("aws_route", {**targets, "gateway_id": "igw-1"}) == []
    assert messages("aws_route", {**targets, "gateway_id": "igw-1", "nat_gateway_id": "nat-1"}) == [
        '"carrier_gateway_id": only one of `carrier_gateway_id,core_network_arn,'
        "egress_only_gateway_id,gateway_id,instance_id,local_gateway_id,nat_gateway_id,"
        "network_interface_id,transit_gateway_id,vpc_endpoint_id,vpc_peering_connection_id` can "
        "be specified, but `gateway_id,nat_gateway_id` were specified."
    ]
    assert messages("aws_route", targets) == [
        '"carrier_gateway_id": one of `carrier_gateway_id,core_network_arn,'
        "egress_only_gateway_id,gateway_id,instance_id,local_gateway_id,nat_gateway_id,"
        "network_interface_id,transit_gateway_id,vpc_endpoint_id,vpc_peering_connection_id` "
        "must be specified"
    ]
    # a member known only at apply: none is asked for, and it is not counted as specified
    sg_rule = {"security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    assert messages("aws_vpc_security_group_egress_rule", {**sg_rule, "cidr_ipv4": UNKNOWN}) == []
    both = {**sg_rule, "cidr_ipv4": "10.0.0.0/16", "referenced_security_group_id": UNKNOWN}
    assert messages("aws_vpc_security_group_egress_rule", both) == []
    # ConflictsWith waits until both sides are known
    assert (
        messages("aws_sqs_queue", {"kms_master_key_id": UNKNOWN, "sqs_managed_sse_enabled": True})
        == []
    )
    assert messages(
        "aws_sqs_queue", {"kms_master_key_id": "k", "sqs_managed_sse_enabled": True}
    ) == [
        '"kms_master_key_id": conflicts with sqs_managed_sse_enabled',
        '"sqs_managed_sse_enabled": conflicts with kms_master_key_id',
    ]


def test_customize_diff_of_the_network_and_messaging_types():
    def plan(type_name: str, config: dict) -> list[str]:
        return [f.message for f in rules.check_plan(type_name, config)]

    assert plan("aws_sqs_queue", {"name": "prod-carcierge-logs", "fifo_queue": False}) == []
    assert plan("aws_sqs_queue", {"name": "prod.carcierge", "fifo_queue": False}) == [
        "invalid queue name: prod.carcierge"
    ]
    assert plan("aws_sqs_queue", {"name": "q", "fifo_queue": UNKNOWN}) == []
    assert plan("aws_sns_topic", {"name": "x" * 257, "fifo_topic": False}) == [
        f"invalid topic name: {'x' * 257}"
    ]
    nat = {"connectivity_type": "private", "allocation_id": "eipalloc-1", "subnet_id": "s"}
    assert plan("aws_nat_gateway", nat) == [
        'allocation_id is not supported with connectivity_type = "private"'
    ]
    assert plan("aws_nat_gateway", {**nat, "connectivity_type": "public"}) == []


def test_force_new_arguments_of_the_types_recorded_from_the_v6_source():
    subnet = {"vpc_id": "vpc-1", "cidr_block": "10.0.0.0/24", "map_public_ip_on_launch": False}
    assert rules.requires_replace(
        "aws_subnet", subnet, {**subnet, "cidr_block": "10.0.1.0/24"}
    ) == [("cidr_block",)]
    assert (
        rules.requires_replace("aws_subnet", subnet, {**subnet, "map_public_ip_on_launch": True})
        == []
    )
    pipeline = {"pipeline_name": "p", "min_units": 1, "vpc_options": [{"subnet_ids": ["a"]}]}
    moved = {**pipeline, "vpc_options": [{"subnet_ids": ["b"]}]}
    assert rules.requires_replace("aws_osis_pipeline", pipeline, moved) == [("vpc_options",)]
    assert rules.requires_replace("aws_osis_pipeline", pipeline, {**pipeline, "min_units": 2}) == []


def test_validators_h24b_could_not_read_are_enforced_from_the_v6_copies():
    # elbv2 validTargetGroupHealthCheckPort: "traffic-port" or a port 1-65536 (a string)
    for port in ("traffic-port", "8080", "65536"):
        assert messages("aws_lb_target_group", {"health_check": [{"port": port}]}) == []
    assert messages("aws_lb_target_group", {"health_check": [{"port": "70000"}]}) == [
        '"port" must be a valid port number (1-65536) or "traffic-port"'
    ]
    # elasticache: validation.Any(validRedisVersionString, validValkeyVersionString)
    for version in ("7.1", "6.x", "5.0.6", "8.0"):
        assert messages("aws_elasticache_replication_group", {"engine_version": version}) == []
    assert len(messages("aws_elasticache_replication_group", {"engine_version": "7"})) == 2


def test_dns_firewall_and_redis_user_types_recorded_by_h24d():
    # route53resolver validResolverName: charset, a single digit, 64 characters
    group = "aws_route53_resolver_firewall_rule_group"
    assert messages(group, {"name": "prod-carcierge-vpc-egress"}) == []
    assert messages(group, {"name": "prod.egress"}) == [
        "only alphanumeric characters, '-', '_' and ' ' are allowed in \"name\""
    ]
    assert messages(group, {"name": "7"}) == ['"name" cannot be a single digit']
    assert messages(group, {"name": "x" * 65}) == ['"name" cannot be greater than 64 characters']
    # enums from the Route 53 Resolver model; the rule's ConflictsWith
    rule = {"name": "r", "firewall_rule_group_id": "rslvr-frg-1", "priority": 100}
    listed = {**rule, "firewall_domain_list_id": "rslvr-fdl-1", "action": "BLOCK"}
    assert messages("aws_route53_resolver_firewall_rule", listed) == []
    assert messages("aws_route53_resolver_firewall_rule", {**listed, "action": "DENY"}) == [
        'expected action to be one of ["ALLOW" "BLOCK" "ALERT"], got DENY'
    ]
    assert messages(
        "aws_route53_resolver_firewall_rule", {**listed, "dns_threat_protection": "DGA"}
    ) == [
        '"dns_threat_protection": conflicts with firewall_domain_list_id',
        '"firewall_domain_list_id": conflicts with dns_threat_protection',
    ]
    assert messages(
        "aws_route53_resolver_firewall_rule_group_association", {"mutation_protection": "ON"}
    )
    assert (
        messages("aws_route53_resolver_firewall_config", {"firewall_fail_open": "DISABLED"}) == []
    )
    assert messages("aws_route53_resolver_firewall_config", {"firewall_fail_open": "OFF"})
    # firewallRuleCustomizeDiff reads the raw configuration: a list id known at apply is set
    plan = rules.check_plan
    assert (
        plan("aws_route53_resolver_firewall_rule", {**rule, "firewall_domain_list_id": UNKNOWN})
        == []
    )
    assert [f.message for f in plan("aws_route53_resolver_firewall_rule", rule)] == [
        "one of firewall_domain_list_id or dns_threat_protection must be specified"
    ]
    assert [
        f.message
        for f in plan(
            "aws_route53_resolver_firewall_rule", {**rule, "dns_threat_protection": "DGA"}
        )
    ] == ["confidence_threshold is required when dns_threat_protection is specified"]
    # ForceNew: moving a rule to another domain list replaces it; a new priority updates it
    moved = {**listed, "firewall_domain_list_id": "rslvr-fdl-2"}
    assert rules.requires_replace("aws_route53_resolver_firewall_rule", listed, moved) == [
        ("firewall_domain_list_id",)
    ]
    assert (
        rules.requires_replace(
            "aws_route53_resolver_firewall_rule", listed, {**listed, "priority": 1}
        )
        == []
    )
    # aws_elasticache_user: engine case-insensitive, password lengths, user_name ForceNew
    user = {"user_id": "u", "user_name": "api", "engine": "VALKEY", "access_string": "on ~* +@all"}
    assert messages("aws_elasticache_user", user) == []
    assert messages("aws_elasticache_user", {**user, "engine": "memcached"})
    assert messages("aws_elasticache_user", {**user, "passwords": ["short"]}) == [
        "expected length of passwords.0 to be in the range (16 - 128), got short"
    ]
    assert rules.requires_replace("aws_elasticache_user", user, {**user, "user_name": "web"}) == [
        ("user_name",)
    ]


def test_backup_and_object_lock_types_recorded_by_h24d():
    # validation.All(StringLenBetween, StringMatch(re, message)): the SDK's "invalid value for"
    assert messages("aws_backup_vault", {"name": "prod-carcierge-backup-rds"}) == []
    assert messages("aws_backup_vault", {"name": "prod.backup"}) == [
        "invalid value for name (must consist of letters, numbers, and hyphens.)"
    ]
    rule = {"rule_name": "daily-copy", "target_vault_name": "prod-carcierge-backup-rds"}
    assert messages("aws_backup_plan", {"name": "p", "rule": [rule]}) == []
    assert messages("aws_backup_plan", {"name": "p", "rule": [{**rule, "rule_name": "a b"}]}) == [
        "invalid value for rule_name (must contain only alphanumeric characters, hyphens, "
        "underscores, and periods)"
    ]
    lock = {"backup_vault_name": "prod-carcierge-backup-rds", "min_retention_days": 35}
    assert messages("aws_backup_vault_lock_configuration", {**lock, "changeable_for_days": 2}) == [
        "expected changeable_for_days to be at least (3), got 2"
    ]
    # no Update in the provider: a shorter minimum retention replaces the lock configuration
    shorter = {**lock, "min_retention_days": 7}
    assert rules.requires_replace("aws_backup_vault_lock_configuration", lock, shorter) == [
        ("min_retention_days",)
    ]
    retention = {"default_retention": [{"mode": "GOVERNANCE", "days": 30}]}
    locked = {"bucket": "b", "object_lock_enabled": "Enabled", "rule": [retention]}
    assert messages("aws_s3_bucket_object_lock_configuration", locked) == []
    assert messages(
        "aws_s3_bucket_object_lock_configuration",
        {**locked, "rule": [{"default_retention": [{"mode": "governance", "days": 30}]}]},
    ) == ['expected mode to be one of ["GOVERNANCE" "COMPLIANCE"], got governance']


def test_coverage_skips_resources_of_other_providers():
    # terraform_data (terraform.io/builtin/terraform) is not in the aws provider schema
    change = {"mode": "managed", "type": "terraform_data", "name": "x", "change": {"after": {}}}
    assert rules.configured_paths({"resource_changes": [change]}, {"resource_schemas": {}}) == {}


def test_enum_values_are_the_installed_botocore_models():
    stale = [
        spec["botocore"]
        for spec in rules._enum_specs(rules.table())
        if spec.get("values") != rules.botocore_enum(spec["botocore"])
    ]
    assert stale == [], "run: python -m carcierge_pipeline.offline.rules --refresh-enums"


# -- coverage of what the environments set ------------------------------------------------------
@pytest.mark.slow(seconds=60)
def test_coverage_of_guarded_arguments_the_environments_set(environment_plans, offline_cache):
    schema = offline_cache.provider_schema()
    configured: dict[str, set[str]] = defaultdict(set)
    for environment in ENVIRONMENTS:
        for type_name, paths in rules.configured_paths(
            environment_plans(environment), schema
        ).items():
            configured[type_name] |= paths
    kinds: dict[str, list[str]] = defaultdict(list)
    for type_name, paths in sorted(configured.items()):
        for path in sorted(paths):
            kinds[rules.classify(type_name, path)].append(f"{type_name}.{path}")
    counts = Counter({kind: len(found) for kind, found in kinds.items()})
    # The denominator is honest: a configured argument whose source was not read (an unread
    # type, or an argument missing from the stored copy read) may be guarded, so it counts as
    # guarded and not enforced until someone reads it.
    guarded = counts["enforced"] + counts["not enforced"] + counts["unread"]
    unrecorded_types = sorted(t for t in configured if rules.resource_rules(t) is None)
    print(
        f"\n(resource, argument) kinds the environments set: {sum(counts.values())}"
        f" in {len(configured)} resource types"
        f"\n  validator-guarded or not read: {guarded}, enforced offline: {counts['enforced']}"
        f" ({counts['enforced'] / guarded:.1%})"
        f"\n  read, no plan-time check: {counts['unguarded']}"
        f"\n  guarded, not enforced: {', '.join(kinds['not enforced']) or '-'}"
        f"\n  not read (counted as not enforced): {', '.join(kinds['unread']) or '-'}"
    )
    # Every type the project plans has its provider source read and recorded.
    assert unrecorded_types == [], unrecorded_types
    assert counts["enforced"] >= 0.95 * guarded, f"{counts['enforced']}/{guarded} enforced"


def test_the_rule_table_names_each_type_once():
    """A type is either recorded or listed as not read, never both; every recorded type names
    the provider source it was read from."""
    table = rules.table()
    assert set(table["unread_types"]).isdisjoint(table["resources"])
    assert all(entry.get("source") for entry in table["resources"].values())


# -- a real plan with the stand-in ----------------------------------------------------------------
def _plan(terraform, *extra):
    return terraform.run(
        ["plan", "-input=false", "-no-color", "-lock=false", *extra], capture=True, check=False
    )


SEEDED = [  # (class, edit of the fixture, the provider's message)
    ("enum", ('"GreaterThanThreshold"', '"MoreThan"'), "expected comparison_operator to be one of"),
    ("range", ("retention_in_days = 30", "retention_in_days = 31"), "got 31"),
    (
        "pattern",
        ('"fixture-tg"', '"fixture_tg"'),
        'only alphanumeric characters and hyphens allowed in "name"',
    ),
    ("ARN", ("arn:aws:sns:us-west-1:123456789012:fixture", "sns:fixture"), "is an invalid ARN"),
    (
        "conflicts",
        (
            "  rotation_period_in_days = 365\n",
            '  rotation_period_in_days = 365\n  xks_key_id = "k"\n',
        ),
        '"xks_key_id": all of `custom_key_store_id` must be specified',
    ),
    # types recorded from the v6 source (h24c): IsCIDRNetwork and an SQS range
    ("CIDR network", ('"10.20.0.0/16"', '"10.0.0.0/8"'), "significant bits, got: 8"),
    (
        "range (SQS)",
        ("message_retention_seconds = 345600", "message_retention_seconds = 30"),
        "expected message_retention_seconds to be in the range (60 - 1209600), got 30",
    ),
    # types recorded by h24d: validResolverName and an enum from the Route 53 Resolver model
    ("resolver name", ('"fixture-egress"', '"fixture.egress"'), "' ' are allowed in \"name\""),
    (  # on a resource without dependencies: Terraform skips those of a refused resource
        "enum (Resolver)",
        ('firewall_fail_open = "DISABLED"', 'firewall_fail_open = "OFF"'),
        'expected firewall_fail_open to be one of ["ENABLED" "DISABLED" '
        '"USE_LOCAL_RESOURCE_SETTING"], got OFF',
    ),
]


@pytest.mark.slow(seconds=8)
def test_terraform_plan_refuses_a_sample_of_each_validator_class(fixture_workdir):
    def seed_all(text: str) -> str:
        for _, (old, new), _ in SEEDED:
            assert old in text, old
            text = text.replace(old, new)
        return text

    refused = _plan(fixture_workdir("provider-rules", seed_all))
    assert refused.returncode != 0
    shown = " ".join(refused.stderr.split())
    for kind, _, message in SEEDED:
        assert message in shown, (kind, refused.stderr)
    assert "on main.tf line" in refused.stderr  # reported on the attribute, as the provider does


@pytest.mark.slow(seconds=8)
def test_terraform_plan_applies_customize_diff_rules(fixture_workdir):
    # PlanResourceChange refuses an alarm with neither statistic, as the provider's
    # CustomizeDiff does
    customized = _plan(
        fixture_workdir(
            "provider-rules", lambda t: t.replace('  statistic           = "Average"\n', "")
        )
    )
    assert customized.returncode != 0
    assert "One of `statistic` or `extended_statistic` must be set" in customized.stderr


@pytest.mark.slow(seconds=8)
def test_terraform_plan_applies_the_sqs_queue_name_check(fixture_workdir):
    # sqs/queue.go's CustomizeDiff refuses a queue name SQS would refuse
    queue = _plan(
        fixture_workdir("provider-rules", lambda t: t.replace('"fixture-queue"', '"fixture.queue"'))
    )
    assert queue.returncode != 0
    assert "invalid queue name: fixture.queue" in queue.stderr


FORCE_NEW_EDITS = (
    ('"fixture-logs"', '"fixture-logs-renamed"'),
    ("deletion_window_in_days = 7", "deletion_window_in_days = 10"),
    ('"10.20.0.0/16"', '"10.21.0.0/16"'),
    ("message_retention_seconds = 345600", "message_retention_seconds = 86400"),
    ('"fixture-egress"', '"fixture-egress-2"'),
    ('firewall_fail_open = "DISABLED"', 'firewall_fail_open = "ENABLED"'),
)


def _apply_then_change(terraform) -> tuple[int, str, dict[str, Any]]:
    """Apply the fixture (the rehearsal's apply switch), edit it, plan the change: the plan's
    exit code, its errors and the plan."""
    terraform.extra_env = {server.APPLY_SWITCH: "1"}
    terraform.run(
        ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"], capture=True
    )
    main = terraform.workdir / "main.tf"
    text = main.read_text()
    for before, after in FORCE_NEW_EDITS:
        text = text.replace(before, after)
    main.write_text(text)
    changed = _plan(terraform, "-out=change.bin")
    if changed.returncode != 0:
        return changed.returncode, changed.stderr, {}
    plan = json.loads(terraform.run(["show", "-json", "change.bin"], capture=True).stdout)
    return 0, "", plan


@pytest.mark.slow(seconds=12)
def test_terraform_plans_a_force_new_change_as_a_replacement(fixture_workdir, terraform_results):
    # Applied once, a changed name replaces the log group while a changed retention updates it
    # in place. (Kept between runs while the fixture and the edits are unchanged.)
    terraform = fixture_workdir("provider-rules")
    returncode, stderr, plan = terraform_results(
        "force-new change planned",
        Project(terraform.workdir),
        lambda: _apply_then_change(terraform),
        repr(FORCE_NEW_EDITS),
    )
    assert returncode == 0, stderr
    actions = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"]}
    assert actions["aws_cloudwatch_log_group.fixture"] == ["delete", "create"]
    assert actions["aws_kms_key.fixture"] == ["update"]
    assert actions["aws_vpc.fixture"] == ["delete", "create"]  # cidr_block is ForceNew
    assert actions["aws_sqs_queue.fixture"] == ["update"]
    # a renamed rule group is replaced, and so is its rule (firewall_rule_group_id is ForceNew
    # and known only after the new group exists); fail-open changes in place
    assert actions["aws_route53_resolver_firewall_rule_group.fixture"] == ["delete", "create"]
    assert actions["aws_route53_resolver_firewall_rule.fixture"] == ["delete", "create"]
    assert actions["aws_route53_resolver_firewall_config.fixture"] == ["update"]
    replaced = {c["address"]: c.get("action_reason") for c in plan["resource_changes"]}
    assert replaced["aws_cloudwatch_log_group.fixture"] == "replace_because_cannot_update"
