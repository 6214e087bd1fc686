"""The AWS rules gate: each rule refuses its bad case with a one-line message and passes the
good one, on small plans built here; every environment's real offline plan passes; a value
unknown at plan is listed as unchecked, never passed; a refused plan leaves no plan files."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from support import FIXTURES, OFFLINE, module_planned_alone

from carcierge_pipeline import rules
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.project import Project
from carcierge_pipeline.rules import dashboard, ecs, engines, iam, listener, names, ports
from carcierge_pipeline.stages.plan import run_plan


def change(
    address: str,
    after: dict[str, Any] | None,
    unknown: dict[str, Any] | None = None,
    *,
    index: Any = None,
    module: str = "",
) -> dict[str, Any]:
    local = address.split(".", 2)[-1] if module else address
    rtype, name = local.split("[")[0].split(".")
    found = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {"actions": ["create"], "after": after, "after_unknown": unknown or {}},
    }
    if index is not None:
        found["index"] = index
    if module:
        found["module_address"] = module
    return found


def plan(*changes: dict, config: dict | None = None) -> Plan:
    return Plan.of({"resource_changes": list(changes), "configuration": config or {}})


def refs(*names: str) -> dict:
    return {"references": list(names)}


def findings(rule: rules.Rule, model: Plan) -> list[rules.Finding]:
    return rules.evaluate(model, [rule]).findings


def one_finding(rule: rules.Rule, model: Plan, *expected: str) -> rules.Finding:
    found = findings(rule, model)
    assert len(found) == 1, [f.line for f in found]
    line = found[0].line
    assert line.startswith(f"{rule.id}: "), line
    assert "(source: https://" in line and "read 2026-12-01)" in line, line
    assert "\n" not in line
    for text in expected:
        assert text in line, line
    return found[0]


# --- dashboard body -----------------------------------------------------------------------

GOOD_BODY = {
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "region": "us-west-1",
                "period": 300,
                "view": "timeSeries",
                "metrics": [
                    ["AWS/ECS", "CPUUtilization", "ClusterName", "c", {"label": "s"}],
                    [{"expression": "m1 * 2", "id": "e1"}],
                ],
            },
        },
        {
            "type": "text",
            "x": 12,
            "y": 0,
            "width": 12,
            "height": 3,
            "properties": {"markdown": "x"},
        },
    ]
}


def dashboard_plan(body: Any) -> Plan:
    return plan(change("aws_cloudwatch_dashboard.main", {"dashboard_body": json.dumps(body)}))


def _edit(path: str, value: Any) -> dict:
    body = json.loads(json.dumps(GOOD_BODY))
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return body


def test_the_dashboard_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    Draft202012Validator.check_schema(dashboard.SCHEMA)
    broken = {**dashboard.SCHEMA, "type": "dictionary"}  # not a JSON Schema type
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(broken)


def test_good_dashboard_body_passes():
    assert findings(dashboard.RULE, dashboard_plan(GOOD_BODY)) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"start": "-PT6H"}, "'widgets' is a required property"),
        (_edit("widgets.0.width", 25), "dashboard_body.widgets[0].width: is greater than"),
        (_edit("widgets.0.x", 24), "dashboard_body.widgets[0].x"),
        (_edit("widgets.0.type", "graph"), "widgets[0].type: is not one of"),
        (_edit("widgets.0.properties", KeyError), "'properties' is a required property"),
        (_edit("widgets.0.properties.region", KeyError), "'region' is a required property"),
        (_edit("widgets.1.properties", {}), "'markdown' is a required property"),
        (_edit("widgets.0.properties.period", 45), "widgets[0].properties.period"),
        # The Redis widget's defect: metrics flattened into one list of strings.
        (
            _edit("widgets.0.properties.metrics", [["AWS/ES", "ClusterStatus.red"], "AWS/X"]),
            "metrics[1]: is not of type 'array'",
        ),
        (
            _edit("widgets.0.properties.metrics", [["AWS/ES", "M", {"a": 1}, {"b": 2}]]),
            "metrics[0]",
        ),
        # "One metrics array can include 0-500 metrics and expressions."
        (
            _edit("widgets.0.properties.metrics", [["AWS/ES", f"M{i}"] for i in range(501)]),
            "widgets[0].properties.metrics: is too long",
        ),
        (_edit("widgets.0.height", 1001), "widgets[0].height: is greater than"),
        (_edit("widgets.0.properties.view", "line"), "widgets[0].properties.view"),
    ],
)
def test_bad_dashboard_bodies_are_refused(body, expected):
    one_finding(dashboard.RULE, dashboard_plan(body), expected, "aws_cloudwatch_dashboard.main")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("widgets.0.properties.metrics", [["AWS/ES", f"M{i}"] for i in range(500)]),
        ("widgets.0.properties.metrics", []),  # 0 metrics: allowed by the page
        ("widgets.0.properties.period", 60),
        ("widgets.0.x", 23),
        ("widgets.0.height", 1000),
        ("widgets.1.type", "custom"),  # not on the page; let through (not verified)
    ],
)
def test_dashboard_values_within_the_page_pass(path, value):
    body = _edit(path, value)
    if value == "custom":
        body["widgets"][1]["properties"] = {}
    assert findings(dashboard.RULE, dashboard_plan(body)) == []


@pytest.mark.parametrize("kind", dashboard.DOCUMENTED_TYPES)
def test_every_documented_widget_type_is_accepted(kind):
    body = {"widgets": [{"type": kind, "properties": {"markdown": "x", "region": "us-west-1"}}]}
    assert findings(dashboard.RULE, dashboard_plan(body)) == []


def test_dashboard_body_that_is_not_json_is_refused():
    model = plan(change("aws_cloudwatch_dashboard.main", {"dashboard_body": "{"}))
    one_finding(dashboard.RULE, model, "dashboard_body is not JSON")


def test_unknown_dashboard_body_is_unchecked_never_passed():
    model = plan(change("aws_cloudwatch_dashboard.main", {}, {"dashboard_body": True}))
    result = rules.evaluate(model, [dashboard.RULE])
    assert result.findings == []
    assert [u.line for u in result.unchecked] == [
        "aws-dashboard-body: aws_cloudwatch_dashboard.main: dashboard_body: "
        "unchecked (unknown at plan)"
    ]


# The dashboard body names ARNs and ids, so it is unknown in an environment plan: plan the
# monitoring module alone with placeholder inputs, where the body is known, and check it there.
PLACEHOLDERS = """
name_prefix = "staging-carcierge"
aws_region  = "us-west-1"
account_id  = "123456789012"
kms_key_arn = "arn:aws:kms:us-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
ecs = {
  cluster_name = "staging-carcierge-ecs-cluster"
  services = {
    service1 = "staging-carcierge-service1"
    service2 = "staging-carcierge-service2"
  }
}
alb = {
  arn_suffix                = "app/staging-carcierge-alb-main/0123456789abcdef"
  target_group_arn_suffixes = {
    service1 = "targetgroup/staging-carcierge-service1/0123456789abcdef"
  }
}
rds        = { identifier = "staging-carcierge-rds-postgres" }
redis      = { replication_group_id = "staging-carcierge-redis", node_count = 2 }
opensearch = { domain_name = "staging-carcierge-opensearch", instance_count = 2 }
"""


@pytest.fixture(scope="module")
def monitoring_plan(project, terraform_results, tmp_path_factory) -> Plan:
    folder = tmp_path_factory.mktemp("monitoring")
    return Plan.of(
        module_planned_alone(
            terraform_results, project, folder, ("monitoring", "conventions"), PLACEHOLDERS
        )
    )


def test_monitoring_dashboard_body_is_known_with_placeholders(monitoring_plan):
    result = rules.evaluate(monitoring_plan, [dashboard.RULE])
    assert result.unchecked == []
    (board,) = monitoring_plan.of_type("aws_cloudwatch_dashboard")
    body = json.loads(board.get("dashboard_body"))
    assert len(body["widgets"]) == 8
    assert result.findings == []


def test_monitoring_dashboard_body_passes_the_schema(monitoring_plan):
    assert [f.line for f in rules.check_plan(monitoring_plan)] == []


# --- listener-rule conditions -------------------------------------------------------------


def listener_plan(*conditions: dict) -> Plan:
    blocks = []
    for condition in conditions:
        block: dict[str, Any] = {
            k: [] for k in (*listener.ONE_PER_RULE, "http_header", "query_string")
        }
        block.update(condition)
        blocks.append(block)
    return plan(change('aws_lb_listener_rule.service["a"]', {"condition": blocks}, index="a"))


def path(*values: str) -> dict:
    return {"path_pattern": [{"values": list(values), "regex_values": None}]}


def host(*values: str) -> dict:
    return {"host_header": [{"values": list(values), "regex_values": None}]}


def test_listener_rule_within_limits_passes():
    model = listener_plan(path("/a", "/a/*", "/b?c"), host("api.example.com", "*.example.org"))
    assert findings(listener.RULE, model) == []


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ((path("/a", "/b", "/c", "/d"),), "path_pattern has 4 values; AWS allows at most 3"),
        (
            (host("a.example.com", "b.example.com", "c.example.com", "d.example.com"),),
            "host_header has 4",
        ),
        (
            (path("/a", "/b", "/c"), host("a.example.com", "b.example.com", "c.example.com")),
            "6 condition values in one rule; AWS allows at most 5",
        ),
        (
            (path("/a*", "/b*?", "/c**"), host("*.e?.com")),
            "7 wildcards in one rule; AWS allows at most 5",
        ),
        ((path("/a b"),), "path pattern contains ' '"),
        ((path("/100%"),), "path pattern contains '%'"),
        ((path("/" + "a" * 128),), "129 characters; at most 128"),
        ((host("localhost"),), "host header needs a '.'"),
        ((host("api.example.com:443"),), "host header contains ':'"),
        ((path("/a"), path("/b")), "path_pattern appears 2 times"),
    ],
)
def test_listener_rule_conditions_beyond_aws_limits_are_refused(conditions, expected):
    one_finding(
        listener.RULE, listener_plan(*conditions), expected, 'aws_lb_listener_rule.service["a"]'
    )


def test_unknown_listener_conditions_are_unchecked():
    model = plan(change("aws_lb_listener_rule.x", {}, {"condition": True}))
    result = rules.evaluate(model, [listener.RULE])
    assert result.findings == [] and [u.what for u in result.unchecked] == ["condition"]


# --- Fargate Spot and ARM64 ---------------------------------------------------------------


def ecs_plan(strategy: list, architecture: str, *, cluster_default: list | None = None) -> Plan:
    service = {"capacity_provider_strategy": strategy, "name": "s"}
    task = {"runtime_platform": [{"cpu_architecture": architecture}]}
    changes = [
        change('aws_ecs_service.service["a"]', service, {"task_definition": True}, index="a"),
        change('aws_ecs_task_definition.service["a"]', task, index="a"),
        change('aws_ecs_task_definition.service["b"]', {"runtime_platform": []}, index="b"),
    ]
    if cluster_default is not None:
        changes.append(
            change(
                "aws_ecs_cluster_capacity_providers.main",
                {"default_capacity_provider_strategy": cluster_default},
            )
        )
    config = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_ecs_service.service",
                    "expressions": {
                        "task_definition": refs("aws_ecs_task_definition.service", "each.key")
                    },
                }
            ]
        }
    }
    return plan(*changes, config=config)


SPOT = [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
ON_DEMAND = [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]


def test_fargate_spot_with_x86_64_passes():
    assert findings(ecs.RULE, ecs_plan(SPOT, "X86_64")) == []
    assert findings(ecs.RULE, ecs_plan(ON_DEMAND, "ARM64")) == []


def test_fargate_spot_with_arm64_is_refused():
    one_finding(
        ecs.RULE,
        ecs_plan(SPOT, "ARM64"),
        'aws_ecs_service.service["a"]: ARM64: runs aws_ecs_task_definition.service["a"]',
        "Fargate Spot runs only X86_64",
    )


def test_fargate_spot_from_the_cluster_default_strategy_counts():
    one_finding(ecs.RULE, ecs_plan([], "ARM64", cluster_default=SPOT), "FARGATE_SPOT")


def test_a_cluster_default_strategy_unknown_at_plan_is_unchecked_not_on_demand():
    # planmodel.Plan.capacity_strategy (shared by this rule, the cost estimate and parity) keeps
    # "unknown" apart from "no strategy": an unknown default must not read as on-demand.
    model = ecs_plan([], "ARM64", cluster_default=[])
    providers = "aws_ecs_cluster_capacity_providers.main"
    unknown = Plan.of(
        {
            **model.raw,
            "resource_changes": [
                c
                if c["address"] != providers
                else change(providers, {}, {"default_capacity_provider_strategy": True})
                for c in model.raw["resource_changes"]
            ],
        }
    )
    result = rules.evaluate(unknown, [ecs.RULE])
    assert result.findings == []
    assert [u.what for u in result.unchecked] == ["capacity_provider_strategy"]


def test_unknown_architecture_is_unchecked():
    model = ecs_plan(SPOT, "X86_64")
    task = model.by_address('aws_ecs_task_definition.service["a"]')
    assert task is not None
    unknown = Plan.of(
        {
            **model.raw,
            "resource_changes": [
                c
                if c["address"] != task.address
                else change(task.address, {}, {"runtime_platform": True}, index="a")
                for c in model.raw["resource_changes"]
            ],
        }
    )
    result = rules.evaluate(unknown, [ecs.RULE])
    assert result.findings == []
    assert [u.what for u in result.unchecked] == ["runtime_platform.cpu_architecture"]


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "values", "expected"),
    [
        ("aws_lb_target_group.t", {"name": "staging-carcierge-notifications12"}, "(33 characters)"),
        ("aws_lb.main", {"name": "-alb"}, "must be at most 32 letters"),
        ("aws_lb.main", {"name": "internal-alb"}, "not starting with 'internal-'"),
        ("aws_opensearch_domain.d", {"domain_name": "staging-carcierge-opensearch1"}, "3-28"),
        ("aws_opensearch_domain.d", {"domain_name": "Staging-search"}, "lowercase"),
        ("aws_elasticache_replication_group.r", {"replication_group_id": "a--b"}, "consecutive"),
        ("aws_elasticache_replication_group.r", {"replication_group_id": "r" * 41}, "(41"),
        ("aws_db_instance.db", {"identifier": "prod-db-"}, "not ending with a hyphen"),
        ("aws_db_instance.db", {"identifier": "d" * 64}, "(64 characters)"),
        ("aws_iam_role.r", {"name": "r" * 65}, "(65 characters)"),
        ("aws_iam_role.r", {"name_prefix": "p" * 39}, "at most 38"),
        ("aws_security_group.s", {"name": "sg-main"}, "not starting with 'sg-'"),
        ("aws_cloudwatch_log_group.l", {"name": "/ecs/a b"}, "a-z A-Z 0-9 . - _ / #"),
        ("aws_cloudwatch_dashboard.d", {"dashboard_name": "a.b"}, "dashboard_name"),
        ("aws_s3_bucket.b", {"bucket": "Logs"}, "lowercase"),
        # IAM's pattern means ASCII alphanumerics; Python's \w alone would take "é".
        ("aws_iam_role.r", {"name": "rôle"}, "letters, digits"),
        ("aws_sns_topic.t", {"name": "alerts.txt"}, "1-256 letters"),
        ("aws_kms_alias.k", {"name": "alias/aws/x"}, "not 'alias/aws/'"),
    ],
)
def test_names_aws_refuses_are_refused(address, values, expected):
    found = one_finding(names.RULE, plan(change(address, values)), expected, address)
    assert found.value == next(iter(values.values()))
    assert found.source.startswith("https://docs.aws.amazon.com/")


def test_the_projects_longest_names_pass():
    model = plan(
        change("aws_lb_target_group.t", {"name": "staging-carcierge-service12345"}),
        change("aws_opensearch_domain.d", {"domain_name": "staging-carcierge-opensearch"}),
        change(
            "aws_elasticache_replication_group.r",
            {"replication_group_id": "staging-carcierge-redis"},
        ),
        change("aws_db_instance.db", {"identifier": "staging-carcierge-rds-postgres"}),
        change("aws_security_group.s", {"name": "staging-carcierge-alb-sg"}),
        change("aws_cloudwatch_log_group.l", {"name": "/ecs/staging-carcierge/service1"}),
        change("aws_kms_alias.k", {"name": "alias/staging-carcierge-main"}),
        # What the sources allow and an earlier pattern refused:
        change("aws_sns_topic.f", {"name": "staging-carcierge-events.fifo"}),  # FIFO topic
        change("aws_kms_alias.c", {"name": "alias/team:main"}),  # ':' in the model's pattern
    )
    assert findings(names.RULE, model) == []


def test_unknown_names_are_unchecked_only_when_configured():
    config = {
        "root_module": {
            "resources": [
                {"address": "aws_iam_role.set", "expressions": {"name": refs("var.x")}},
                {"address": "aws_iam_role.chosen", "expressions": {}},
            ]
        }
    }
    model = plan(
        change("aws_iam_role.set", {}, {"name": True}),
        change("aws_iam_role.chosen", {}, {"name": True}),  # the provider picks it
        config=config,
    )
    result = rules.evaluate(model, [names.RULE])
    assert [(u.address, u.what) for u in result.unchecked] == [("aws_iam_role.set", "name")]


# --- engine versions ----------------------------------------------------------------------


PG = {"engine": "postgres"}


@pytest.mark.parametrize(
    ("address", "values", "expected"),
    [
        # Below the lowest minor the release calendar lists as supported.
        ("aws_db_instance.db", {**PG, "engine_version": "14.9"}, "lowest listed: 14.14"),
        # 18.0 exists only in the RDS Preview environment.
        ("aws_db_instance.db", {**PG, "engine_version": "18.0"}, "lowest listed: 18.1"),
        # Marked ** (NO_CREATE) in the calendar.
        ("aws_db_instance.db", {**PG, "engine_version": "18.2"}, "NO_CREATE"),
        ("aws_db_instance.db", {**PG, "engine_version": "17.8"}, "NO_CREATE"),
        # End of standard support May 2026 (calendar); creation stopped 1 May 2026 (notice).
        ("aws_db_instance.db", {**PG, "engine_version": "16.8"}, "≥ 16.9"),
        ("aws_db_instance.db", {**PG, "engine_version": "10"}, "deprecated"),
        ("aws_db_instance.db", {**PG, "engine_version": "9.6"}, "deprecated"),
        (
            "aws_db_instance.db",
            {
                **PG,
                "engine_version": "12",
                "engine_lifecycle_support": "open-source-rds-extended-support-disabled",
            },
            "major 12 is past its RDS end of standard support",
        ),
        ("aws_db_instance.db", {**PG, "engine_version": "sixteen"}, "not a PostgreSQL version"),
        ("aws_opensearch_domain.d", {"engine_version": "OpenSearch 2.19"}, "CreateDomain"),
        ("aws_opensearch_domain.d", {"engine_version": "2.19"}, "OpenSearch_X.Y"),
        (
            "aws_elasticache_replication_group.r",
            {"engine": "redis", "engine_version": "3.2.10"},
            "older than ElastiCache supports for redis (4.0.10 and later)",
        ),
        (
            "aws_elasticache_replication_group.r",
            {"engine": "valkey", "engine_version": "7.1"},
            "valkey (7.2 and later)",
        ),
    ],
)
def test_engine_versions_aws_no_longer_creates_are_refused(address, values, expected):
    one_finding(engines.RULE, plan(change(address, values)), expected)


def test_current_engine_versions_pass():
    model = plan(
        # The environments' versions: PostgreSQL "16", OpenSearch_2.19, Redis "7.1".
        change("aws_db_instance.a", {**PG, "engine_version": "16"}),
        change("aws_opensearch_domain.d", {"engine_version": "OpenSearch_2.19"}),
        change("aws_elasticache_replication_group.r", {"engine": "redis", "engine_version": "7.1"}),
        # Others the sources list as creatable, or do not settle (let through).
        change("aws_db_instance.b", {**PG, "engine_version": "17.7"}),
        change("aws_db_instance.c", {**PG, "engine_version": "18.3"}),
        change("aws_db_instance.d", {**PG, "engine_version": "16.9"}),
        change("aws_db_instance.e", {**PG, "engine_version": "12"}),  # Extended Support
        change("aws_db_instance.f", {**PG, "engine_version": "11.22-rds.20250814"}),
        change("aws_opensearch_domain.e", {"engine_version": "OpenSearch_3.3"}),
        change("aws_opensearch_domain.f", {"engine_version": "Elasticsearch_7.10"}),
        change(
            "aws_elasticache_replication_group.o", {"engine": "redis", "engine_version": "5.0.6"}
        ),
        change("aws_elasticache_replication_group.x", {"engine": "redis", "engine_version": "6.x"}),
        change(
            "aws_elasticache_replication_group.v", {"engine": "valkey", "engine_version": "8.0"}
        ),
        change(
            "aws_elasticache_replication_group.w", {"engine": "valkey", "engine_version": "9.0"}
        ),
    )
    assert findings(engines.RULE, model) == []


# --- data-store ports ---------------------------------------------------------------------


def ports_plan(
    *,
    db_port: int = 5432,
    rule_port: int = 5432,
    acl_port: int = 5432,
    link_rule: bool = True,
    rule_name: str = "other-in-ecs",
    extra: tuple[dict[str, Any], ...] = (),
) -> Plan:
    rule_values = {
        "ip_protocol": "tcp",
        "from_port": rule_port,
        "to_port": rule_port,
        "tags": {"Name": rule_name},
    }
    changes = [
        change("aws_db_instance.db", {"port": db_port, "engine": "postgres"}),
        change("aws_db_subnet_group.db", {"name": "db"}),
        change('aws_subnet.data["a"]', {"cidr_block": "10.0.0.0/24"}, index="a"),
        change("aws_security_group.rds", {"name": "x-rds-sg"}),
        change("aws_vpc_security_group_ingress_rule.rds", rule_values),
        change("aws_network_acl.data", {}),
        change(
            'aws_network_acl_rule.this["data-in-postgres"]',
            {
                "egress": False,
                "protocol": "tcp",
                "from_port": acl_port,
                "to_port": acl_port,
                "rule_number": 100,
                "rule_action": "allow",
            },
            index="data-in-postgres",
        ),
        *extra,
    ]
    resources = [
        {
            "address": "aws_db_instance.db",
            "expressions": {
                "vpc_security_group_ids": refs(
                    "aws_security_group.rds.id", "aws_security_group.rds"
                ),
                "db_subnet_group_name": refs(
                    "aws_db_subnet_group.db.name", "aws_db_subnet_group.db"
                ),
            },
        },
        {
            "address": "aws_db_subnet_group.db",
            "expressions": {"subnet_ids": refs("aws_subnet.data")},
        },
        {"address": "aws_network_acl.data", "expressions": {"subnet_ids": refs("aws_subnet.data")}},
        {
            "address": "aws_vpc_security_group_ingress_rule.rds",
            "expressions": {
                "security_group_id": refs("aws_security_group.rds.id", "aws_security_group.rds")
                if link_rule
                else refs("each.value.security_group_id", "each.value")
            },
        },
        {
            "address": "aws_network_acl_rule.this",
            "expressions": {"network_acl_id": refs("local.nacl_ids", "each.value.tier")},
        },
    ]
    return plan(*changes, config={"root_module": {"resources": resources}})


def test_store_port_allowed_by_its_security_group_and_acl_passes():
    result = rules.evaluate(ports_plan(), [ports.RULE])
    assert result.findings == [] and result.unchecked == []


def test_store_port_that_its_security_group_does_not_allow_is_refused():
    one_finding(
        ports.RULE,
        ports_plan(db_port=5433, acl_port=5433),
        "aws_db_instance.db: 5433: listens on 5433 but no ingress rule of "
        "aws_security_group.rds allows it",
    )


def test_store_port_that_its_network_acl_does_not_allow_is_refused():
    one_finding(
        ports.RULE,
        ports_plan(acl_port=6379),
        "network ACL aws_network_acl.data of its subnets does not allow it inbound",
        "API_CreateNetworkAclEntry.html",
    )


def test_outbound_rules_neither_open_nor_close_a_store_port():
    outbound = (
        # An egress rule of the store's group (linked by its Name tag) on the store's port ...
        change(
            "aws_security_group_rule.out",
            {
                "type": "egress",
                "protocol": "tcp",
                "from_port": 5433,
                "to_port": 5433,
                "tags": {"Name": "x-rds-sg-out"},
            },
        ),
        # ... and an outbound deny of everything, numbered before the ACL's inbound allow.
        change(
            'aws_network_acl_rule.this["data-out-deny"]',
            {
                "egress": True,
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "rule_number": 50,
                "rule_action": "deny",
            },
            index="data-out-deny",
        ),
    )
    one_finding(
        ports.RULE,
        ports_plan(db_port=5433, acl_port=5433, extra=outbound),
        "no ingress rule of aws_security_group.rds allows it",
    )


def test_unlinked_security_group_rule_makes_the_port_unchecked():
    # A rule whose group goes through each.value and whose Name tag names no group.
    result = rules.evaluate(ports_plan(link_rule=False), [ports.RULE])
    assert result.findings == []
    assert [u.what for u in result.unchecked] == ["ingress rules of aws_security_group.rds"]


def test_security_group_rule_linked_by_its_name_tag():
    # The project's convention: a rule's Name tag starts with its group's name.
    model = ports_plan(link_rule=False, rule_name="x-rds-sg-in-ecs")
    result = rules.evaluate(model, [ports.RULE])
    assert result.findings == [] and result.unchecked == []
    refused = ports_plan(link_rule=False, rule_name="x-rds-sg-in-ecs", db_port=5433, acl_port=5433)
    one_finding(ports.RULE, refused, "no ingress rule of aws_security_group.rds allows it")


# --- the gate -----------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_plan_passes_the_gate(environment_plans, environment):
    said: list[str] = []
    model = Plan.of(environment_plans(environment))
    result = rules.gate(model, said.append)
    assert result.findings == []
    # What stays unknown in an offline environment plan, and is checked above where known:
    # the dashboard body, each log pipeline's body (test_rules_added.py plans the module), where
    # the environment has a WAF its log group's ARN, and the policy documents that name ARNs
    # created in the same apply.
    waf = model.of_type("aws_wafv2_web_acl_logging_configuration")
    pipelines = model.of_type("aws_osis_pipeline")
    unchecked = [(u.rule_id, u.what) for u in result.unchecked]
    assert [u for u in unchecked if u[0] != iam.RULE.id] == [
        ("aws-dashboard-body", "dashboard_body"),
        *[("aws-osis-pipeline", "pipeline_configuration_body")] * len(pipelines),
        *[("aws-waf-log-destinations", "log_destination_configs")] * len(waf),
    ]
    assert len(pipelines) == 2
    assert [u for u in unchecked if u[0] == iam.RULE.id], "no policy document unknown at plan?"
    known = sum(
        1
        for kind, attributes in iam.DOCUMENTS.items()
        for resource in model.of_type(kind)
        for attribute in attributes
        if isinstance(resource.get(attribute), str)
    )
    assert known > 0  # some documents are known even in an environment plan, and pass
    assert said[-1] == (
        f"AWS rules: {len(rules._rules())} rules passed; {len(unchecked)} value(s) unchecked "
        "(unknown at plan)"
    )


def test_gate_refuses_with_one_line_per_finding():
    model = plan(
        change("aws_lb_target_group.t", {"name": "x" * 33}),
        change("aws_db_instance.db", {"engine": "postgres", "engine_version": "14.9"}),
    )
    with pytest.raises(StageFailed) as refused:
        rules.gate(model, lambda _: None)
    lines = str(refused.value).splitlines()
    assert lines[0] == "AWS rules refused the plan (2 finding(s)):"
    assert lines[1].startswith("aws-names: aws_lb_target_group.t: " + "x" * 33 + ": name")
    assert lines[2].startswith("aws-engine-versions: aws_db_instance.db: 14.9: postgres minor")


def test_refused_plan_leaves_no_plan_files(tmp_path, offline_cache, monkeypatch):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny-project", root)
    tiny = Project(root)

    def marker_is_refused(model: Plan):
        for resource in model.of_type("terraform_data"):
            yield rules.Violation(resource.address, resource.get("input"), "seeded refusal")

    seeded = rules.Rule("seeded", "seeded", "https://docs.aws.amazon.com/seeded", marker_is_refused)
    monkeypatch.setattr(rules, "_rules", lambda: (seeded,))
    build = tiny.build_dir("staging")
    build.mkdir(parents=True)
    (build / "cost.json").write_text("{}")
    with pytest.raises(StageFailed) as refused:
        run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, environ={})
    assert "seeded: terraform_data.marker: staging-" in str(refused.value)
    # Only Terraform's output log stays, to read why.
    assert sorted(p.name for p in build.iterdir()) == ["terraform-output.log"]


# --- IAM policy documents (review 2026-12-07 L5: checkov sees 1 of 20 inline policies) ---------


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


GOOD_POLICY = _policy(
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"},
    {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},  # a Deny may be broad
)


def test_least_privilege_documents_pass():
    model = plan(
        change("aws_iam_role_policy.p", {"policy": GOOD_POLICY}),
        change(
            "aws_kms_key.k",  # a key policy's Resource "*" is the key itself
            {
                "policy": _policy(
                    {
                        "Effect": "Allow",
                        "Action": "kms:*",
                        "Resource": "*",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    }
                )
            },
        ),
        change(
            "aws_sqs_queue_policy.q",  # every principal, but only of this account
            {
                "policy": _policy(
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Principal": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalAccount": "1"}},
                    }
                )
            },
        ),
    )
    assert findings(iam.RULE, model) == []


@pytest.mark.parametrize(
    ("kind", "attribute", "statement", "expected"),
    [
        ("aws_iam_role_policy", "policy",
         {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
         "policy: allows s3:* on every resource"),
        ("aws_iam_policy", "policy",
         {"Effect": "Allow", "Action": "*", "Resource": "*"},
         "policy: allows * on every resource"),
        ("aws_iam_role_policy", "policy",
         {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
         "policy: an Allow with NotAction allows whatever it does not list"),
        ("aws_iam_role_policy", "policy",
         {"Effect": "Allow", "Action": ["ecs:RunTask", "iam:PassRole"], "Resource": "*"},
         "policy: allows iam:PassRole on every role"),
        ("aws_iam_role", "assume_role_policy",
         {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}},
         "assume_role_policy: allows every principal without a Condition"),
        ("aws_s3_bucket_policy", "policy",
         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
          "Principal": "*"},
         "policy: allows every principal without a Condition"),
    ],
)  # fmt: skip
def test_broad_documents_are_refused(kind, attribute, statement, expected):
    model = plan(change(f"{kind}.x", {attribute: _policy(statement)}))
    found = findings(iam.RULE, model)
    assert len(found) == 1, [f.line for f in found]
    assert found[0].line.startswith(f"aws-iam-least-privilege: {kind}.x: ")
    assert expected in found[0].line and "\n" not in found[0].line


def test_unknown_policy_documents_are_unchecked_never_passed():
    model = plan(
        change("aws_iam_role_policy.p", {}, {"policy": True}),
        # the rehearsal's emulator answers an unset policy with a placeholder
        change("aws_s3_bucket_policy.b", {"policy": "rehearsal-policy-d9f4a22d3017"}),
    )
    result = rules.evaluate(model, [iam.RULE])
    assert result.findings == []
    assert [(u.address, u.what) for u in result.unchecked] == [
        ("aws_iam_role_policy.p", "policy"),
        ("aws_s3_bucket_policy.b", "policy (not a JSON document)"),
    ]


SNAPSHOT_REPLICA_PLACEHOLDERS = """
name_prefix        = "staging-carcierge"
environment        = "staging"
subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1"]
security_group_id  = "sg-0ccccccccccccccc3"
kms_key_arn        = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
log_retention_days = 14
admin_principal_arns = ["arn:aws:iam::123456789012:role/admin"]
opensearch_config = {
  engine_version = "OpenSearch_2.19"
  instance_type  = "t3.small.search"
  instance_count = 1
  volume_size    = 20
}
snapshot_replica = {
  region      = "us-east-1"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-3333-4444-555555555555"
}
"""


@pytest.mark.slow(seconds=10)
def test_the_opensearch_modules_policies_are_least_privileged_where_known(
    project, terraform_results, tmp_path
):
    # Planned alone with placeholder ARNs, the module's snapshot and replication policies are
    # known (in an environment plan they name the environment key, created in the same apply).
    shown = module_planned_alone(
        terraform_results,
        project,
        tmp_path,
        ("opensearch", "private_bucket", "conventions"),  # and what it calls
        SNAPSHOT_REPLICA_PLACEHOLDERS,
    )
    model = Plan.of(shown)
    result = rules.evaluate(model, [iam.RULE])
    assert result.findings == [], [f.line for f in result.findings]
    checked = {
        r.address
        for kind in iam.DOCUMENTS
        for r in model.of_type(kind)
        if all(isinstance(r.get(a), str) for a in iam.DOCUMENTS[kind])
    }
    assert {"aws_iam_role_policy.snapshot", "aws_iam_role_policy.snapshot_replication[0]"} <= (
        checked
    ), sorted(checked)
