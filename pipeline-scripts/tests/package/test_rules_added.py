"""The rules gate's rules for what was added since 2026-12-01 (issue 24, item 4): OpenSearch
Ingestion pipeline bodies, S3 event types, WAF log destinations and rule_json keys, description
character sets, and the typed instance/node types against the region's dated table. Each
refuses its bad case with one line naming its source and read date, and passes the project's
own values: the log pipeline bodies where they are known (the module planned alone with
placeholder inputs), everything else in the environments' offline plans."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from support import module_planned_alone

from carcierge_pipeline import rules
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.rules import apivalues, offerings, pipeline


def change(address: str, after: dict, unknown: dict | None = None) -> dict:
    rtype, name = address.split(".")[-2:]
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {"actions": ["create"], "after": after, "after_unknown": unknown or {}},
    }


def plan(*changes: dict, region: str = "us-west-1") -> Plan:
    return Plan.of(
        {"variables": {"aws_region": {"value": region}}, "resource_changes": list(changes)}
    )


def one_line(rule: rules.Rule, model: Plan, *expected: str) -> str:
    found = rules.evaluate(model, [rule]).findings
    assert len(found) == 1, [f.line for f in found]
    line = found[0].line
    assert line.startswith(f"{rule.id}: ") and "\n" not in line, line
    assert f"read {rule.read})" in line and "(source: " in line, line
    for text in expected:
        assert text in line, line
    return line


# --- the log pipelines, planned alone where their bodies are known -----------------------

PLACEHOLDERS = """
name_prefix = "staging-carcierge"
environment = "staging"
sources = {
  service1      = "/ecs/staging-carcierge-service1"
  vpc-flow-logs = "/aws/vpc/staging-carcierge-vpc-flow-logs"
}
alb_access_logs = {
  bucket = "staging-carcierge-alb-logs-123456789012-us-west-1"
  prefix = "alb"
}
log_retention_days    = 14
kms_key_arn           = "arn:aws:kms:us-west-1:123456789012:key/00000000-0000-0000-0000-00000000"
opensearch_domain_arn = "arn:aws:es:us-west-1:123456789012:domain/staging-carcierge-opensearch"
opensearch_endpoint   = "vpc-staging-carcierge-opensearch-abc.us-west-1.es.amazonaws.com"
subnet_ids            = ["subnet-0aaaaaaaaaaaaaaa1"]
security_group_id     = "sg-0ccccccccccccccc3"
"""


@pytest.fixture(scope="module")
def log_delivery_plan(project, terraform_results, tmp_path_factory) -> Plan:
    shown = module_planned_alone(
        terraform_results,
        project,
        tmp_path_factory.mktemp("log_delivery"),
        ("log_delivery", "conventions", "private_bucket"),  # and what it calls
        PLACEHOLDERS,
        region='provider "aws" {\n  region = "us-west-1"\n}\n',
    )
    shown.setdefault("variables", {})["aws_region"] = {"value": "us-west-1"}
    return Plan.of(shown)


def test_the_log_pipeline_bodies_are_known_and_pass(log_delivery_plan):
    result = rules.evaluate(log_delivery_plan, [pipeline.RULE])
    assert result.unchecked == [] and result.findings == []
    bodies = [
        yaml.safe_load(p.get("pipeline_configuration_body"))
        for p in log_delivery_plan.of_type("aws_osis_pipeline")
    ]
    assert sorted(next(k for k in body if k != "version") for body in bodies) == [
        "alb-access-logs",
        "service-logs",
    ]


def test_the_whole_module_plan_passes_every_rule(log_delivery_plan):
    assert [f.line for f in rules.check_plan(log_delivery_plan)] == []


def _pipeline_plan(body: dict, name: str = "staging-carcierge-logs") -> Plan:
    return plan(
        change(
            "aws_osis_pipeline.p",
            {"pipeline_name": name, "pipeline_configuration_body": yaml.safe_dump(body)},
        )
    )


@pytest.fixture(scope="module")
def service_logs(log_delivery_plan) -> dict:
    (logs,) = [
        p
        for p in log_delivery_plan.of_type("aws_osis_pipeline")
        if p.get("pipeline_name") == "staging-carcierge-logs"
    ]
    return yaml.safe_load(logs.get("pipeline_configuration_body"))


def test_two_sources_in_one_pipeline_are_refused(service_logs):
    """H1 of the 2026-12-07 review: what the module built before the split."""
    body = copy.deepcopy(service_logs)
    body["alb-access-logs"] = copy.deepcopy(body["service-logs"])
    one_line(
        pipeline.RULE,
        _pipeline_plan(body),
        "has 2 data sources; a pipeline definition takes one",
        "Limitations of Amazon OpenSearch Ingestion",
    )


def test_a_pipeline_source_connecting_sub_pipelines_is_not_a_data_source(service_logs):
    body = copy.deepcopy(service_logs)
    body["next"] = {
        "source": {"pipeline": {"name": "service-logs"}},
        "sink": [{"opensearch": {"index": "logs-next"}}],
    }
    assert rules.evaluate(_pipeline_plan(body), [pipeline.RULE]).findings == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda sub: sub["processor"].append({"grokk": {}}),
            "pipeline_configuration_body.service-logs.processor[3]: is not a Data Prepper",
        ),
        (
            lambda sub: sub["sink"][0]["opensearch"].update(routes=["alb"]),
            "routes: names no route of this sub-pipeline",
        ),
        (
            lambda sub: sub["sink"][0]["opensearch"].update(index="Logs-${/log_source}"),
            "opensearch.index: has 'L'",
        ),
        (lambda sub: sub.update(buffer={"bounded_blocking": {}}), "takes no buffer"),
        (lambda sub: sub.update(source={}), "must name exactly one source plugin"),
        (lambda sub: sub.update(processor={"grok": {}}), "service-logs.processor: must be a list"),
        (
            lambda sub: sub["processor"].append({"grok": {}, "date": {}}),
            "service-logs.processor[3]: must name exactly one processor",
        ),
        (
            lambda sub: sub.update(route={"flow": "/a == 1"}),
            "service-logs.route: must be a list of {name: condition}",
        ),
        (lambda sub: sub.update(route=["flow"]), "route[0]: must be one {name: condition}"),
        (lambda sub: sub.pop("sink"), "service-logs.sink: must be a list of at least one sink"),
        (lambda sub: sub.update(sink=[]), "service-logs.sink: must be a list of at least one"),
        (
            lambda sub: sub["sink"].append("stdout"),
            "service-logs.sink[1]: must name exactly one sink plugin",
        ),
    ],
)
def test_bad_pipeline_bodies_are_refused(service_logs, edit, expected):
    body = copy.deepcopy(service_logs)
    edit(body["service-logs"])
    one_line(pipeline.RULE, _pipeline_plan(body), expected)


def test_a_route_that_exists_passes(service_logs):
    body = copy.deepcopy(service_logs)
    body["service-logs"]["route"] = [{"flow": '/log_source == "vpc-flow-logs"'}]
    body["service-logs"]["sink"][0]["opensearch"]["routes"] = ["flow"]
    assert rules.evaluate(_pipeline_plan(body), [pipeline.RULE]).findings == []


def test_pipeline_names_and_yaml(service_logs):
    one_line(pipeline.RULE, _pipeline_plan(service_logs, "Staging_Logs"), "pipeline_name")
    bad_yaml = plan(
        change(
            "aws_osis_pipeline.p",
            {"pipeline_name": "ok-name", "pipeline_configuration_body": "a: [b"},
        )
    )
    one_line(pipeline.RULE, bad_yaml, "pipeline_configuration_body: ")


def test_an_unknown_body_is_unchecked_never_passed():
    model = plan(change("aws_osis_pipeline.p", {}, {"pipeline_configuration_body": True}))
    result = rules.evaluate(model, [pipeline.RULE])
    assert [u.line for u in result.unchecked] == [
        "aws-osis-pipeline: aws_osis_pipeline.p: pipeline_configuration_body: unchecked "
        "(unknown at plan)"
    ]


# --- S3 event notification types ------------------------------------------------------------


def _notification(*events: str) -> Plan:
    return plan(
        change(
            "aws_s3_bucket_notification.n",
            {"queue": [{"events": list(events), "queue_arn": "arn:aws:sqs:::q"}]},
        )
    )


def test_s3_event_types_come_from_botocores_model():
    assert "s3:ObjectCreated:*" in apivalues.s3_events()
    assert rules.evaluate(_notification("s3:ObjectCreated:*"), [apivalues.S3_EVENTS_RULE]) == (
        rules.Result([], [])
    )
    one_line(
        apivalues.S3_EVENTS_RULE,
        _notification("s3:ObjectCreated:*", "s3:ObjectCreated"),
        "s3:ObjectCreated: queue[0].events: not an S3 event type",
        "botocore s3",
    )


# --- WAF -----------------------------------------------------------------------------------


def _logging(arn: str) -> Plan:
    return plan(
        change("aws_wafv2_web_acl_logging_configuration.l", {"log_destination_configs": [arn]})
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:logs:us-west-1:123456789012:log-group:aws-waf-logs-prod-carcierge",
        "arn:aws:s3:::aws-waf-logs-prod-carcierge",
        "arn:aws:firehose:us-west-1:123456789012:deliverystream/aws-waf-logs-prod",
    ],
)
def test_waf_log_destinations_named_aws_waf_logs_pass(arn):
    assert rules.evaluate(_logging(arn), [apivalues.WAF_LOGGING_RULE]).findings == []


def test_a_waf_log_group_not_named_aws_waf_logs_is_refused():
    one_line(
        apivalues.WAF_LOGGING_RULE,
        _logging("arn:aws:logs:us-west-1:123456789012:log-group:/aws/waf/prod"),
        "WAF logs only to destinations named aws-waf-logs-*",
        "logging-destinations.html",
    )


@pytest.fixture(scope="module")
def prod_rules(environment_plans) -> list:
    (acl,) = Plan.of(environment_plans("prod")).of_type("aws_wafv2_web_acl")
    return json.loads(acl.get("rule_json"))


def _acl(rule_list: list) -> Plan:
    return plan(change("aws_wafv2_web_acl.a", {"rule_json": json.dumps(rule_list)}))


def test_the_projects_waf_rules_fit_the_api_shapes(prod_rules):
    assert rules.evaluate(_acl(prod_rules), [apivalues.WAF_RULES_RULE]).findings == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda r: r[0].update(OverideAction=r[0].pop("OverrideAction")),
            "rule_json[0].OverideAction: is not a member of Rule (dropped silently)",
        ),
        (lambda r: r[0].pop("VisibilityConfig"), "Rule requires VisibilityConfig"),
        (
            lambda r: r[-1]["Statement"]["RateBasedStatement"].update(AggregateKeyType="IPX"),
            "AggregateKeyType: must be one of",
        ),
        (
            lambda r: r[1]["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"][
                0
            ].update(ActionToUse={"Count": {}, "Cont": {}}),
            "ActionToUse.Cont: is not a member of RuleAction",
        ),
    ],
)
def test_misspelt_waf_rule_keys_and_values_are_refused(prod_rules, edit, expected):
    changed = copy.deepcopy(prod_rules)
    edit(changed)
    one_line(apivalues.WAF_RULES_RULE, _acl(changed), expected, "botocore wafv2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[{", "rule_json is not JSON (Expecting"),
        ('{"Name": "one-rule"}', "rule_json must be a list of Rule objects"),
    ],
)
def test_waf_rule_json_that_is_not_a_list_of_rules_is_refused(text, expected):
    model = plan(change("aws_wafv2_web_acl.a", {"rule_json": text}))
    one_line(apivalues.WAF_RULES_RULE, model, expected, "botocore wafv2")


# --- descriptions ----------------------------------------------------------------------------


def test_security_group_descriptions_take_ec2s_characters():
    good = plan(change("aws_security_group.g", {"description": "HTTPS 443 to OpenSearch [a-b]"}))
    assert rules.evaluate(good, [apivalues.DESCRIPTIONS_RULE]).findings == []
    one_line(
        apivalues.DESCRIPTIONS_RULE,
        plan(change("aws_vpc_security_group_ingress_rule.r", {"description": "Redis → cache"})),
        "not allowed: →",
        "CreateSecurityGroup",
    )


def test_iam_and_waf_descriptions_follow_their_models():
    one_line(
        apivalues.DESCRIPTIONS_RULE,
        plan(change("aws_wafv2_web_acl.a", {"description": "Web ACL (main)"})),
        "wafv2 EntityDescription",
    )
    role = plan(change("aws_iam_role.r", {"description": "Firehose writes logs → S3"}))
    one_line(apivalues.DESCRIPTIONS_RULE, role, "iam roleDescriptionType")


# --- offerings of the region -----------------------------------------------------------------


def test_typed_types_are_checked_against_the_regions_dated_table():
    table = offerings.table("us-west-1")
    assert table is not None and table["as_of"] == offerings.READ
    listed = plan(
        change("aws_db_instance.db", {"instance_class": "db.t4g.micro"}),
        change(
            "aws_opensearch_domain.d", {"cluster_config": [{"instance_type": "t3.small.search"}]}
        ),
        change("aws_elasticache_replication_group.r", {"node_type": "cache.t4g.micro"}),
    )
    assert rules.evaluate(listed, [offerings.RULE]) == rules.Result([], [])
    one_line(
        offerings.RULE,
        plan(change("aws_db_instance.db", {"instance_class": "db.t4g.mikro"})),
        "RDS instance class db.t4g.mikro is not among the types AWS's us-west-1 price page",
        "choose one of db.m5.large",
        "data/prices-us-west-1.json: AWS public on-demand price pages",
    )


def test_a_region_without_a_table_is_unchecked():
    model = plan(
        change("aws_elasticache_replication_group.r", {"node_type": "cache.t4g.micro"}),
        region="eu-central-1",
    )
    result = rules.evaluate(model, [offerings.RULE])
    assert result.findings == []
    assert [u.what for u in result.unchecked] == [
        "node_type (no dated table of offerings for eu-central-1)"
    ]
