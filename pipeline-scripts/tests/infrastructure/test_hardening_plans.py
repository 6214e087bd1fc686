"""Hardening (issue 15) read from the offline plans of the four environments: ECS Exec only
where it is switched on, non-root containers without capabilities, a WAF on the protected
environments' ALB, named OpenSearch admins, confused-deputy conditions on service principals,
no Redis AUTH token beside the RBAC users, no password-leaking statement logging, endpoint
policies, and applies that wait for the services to settle."""

from __future__ import annotations

import fnmatch
import json

import pytest
from support import ROOT, services_of

from carcierge_pipeline.environments import ENVIRONMENTS, PROTECTED_ENVIRONMENTS
from carcierge_pipeline.hcl import load_tfvars

ACCOUNT = "123456789012"  # the offline stand-in's account
REGION = "us-west-1"


def _resources(plan: dict, module: str | None, kind: str, name: str | None = None) -> dict:
    """Planned values of every instance of a resource, keyed by instance key."""
    return {
        rc.get("index"): rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["mode"] == "managed"
        and rc.get("module_address") == module
        and rc["type"] == kind
        and (name is None or rc["name"] == name)
    }


def _one(plan: dict, module: str | None, kind: str, name: str | None = None) -> dict:
    (values,) = _resources(plan, module, kind, name).values()
    return values


def _statements(policy: str) -> list[dict]:
    statements = json.loads(policy)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _runtime(plan: dict) -> dict:
    """What each container runs as: the task definitions' own settings (output service_runtime;
    the definitions are known only after apply, as they carry the data stores' endpoints)."""
    return plan["planned_values"]["outputs"]["service_runtime"]["value"]


# --- 1. ECS Exec -----------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_ecs_exec_only_where_switched_on(environment_plans, environment):
    plan = environment_plans(environment)
    exec_on = environment not in PROTECTED_ENVIRONMENTS
    services = _resources(plan, "module.ecs", "aws_ecs_service", "service")
    assert services and all(s["enable_execute_command"] is exec_on for s in services.values())

    # The exec channels (ssmmessages:*) live in a policy of their own; other task policies
    # (when their text is known in the plan) never carry them.
    exec_policies = _resources(plan, "module.ecs", "aws_iam_role_policy", "exec")
    assert (set(exec_policies) == set(services)) if exec_on else exec_policies == {}
    task_policies = _resources(plan, "module.ecs", "aws_iam_role_policy", "task")
    actions = {
        action
        for policy in task_policies.values()
        if policy.get("policy")
        for statement in _statements(policy["policy"])
        for action in _as_list(statement["Action"])
    }
    assert not any(a.startswith("ssmmessages:") for a in actions)

    for key, runtime in _runtime(plan).items():
        assert ("/var/lib/amazon/ssm" in runtime["writablePaths"]) is exec_on, key


# --- 3. non-root containers without capabilities ---------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_containers_run_as_non_root_without_capabilities(environment_plans, environment):
    runtimes = _runtime(environment_plans(environment))
    assert set(runtimes) == set(services_of(ROOT, environment))
    for key, container in runtimes.items():
        user = container["user"]
        assert user and user.split(":")[0] not in ("0", "root"), key
        capabilities = container["linuxParameters"]["capabilities"]
        assert capabilities["drop"] == ["ALL"] and not capabilities["add"], key
        assert container["readonlyRootFilesystem"] is True


# --- 4. WAF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_waf_protects_the_alb_in_uat_and_prod(environment_plans, environment):
    # uat and prod always (a validation), and every environment whose ALB is open to the
    # internet (issue 26: staging and qa too); read from the environment file.
    plan = environment_plans(environment)
    acls = _resources(plan, "module.ecs", "aws_wafv2_web_acl")
    associations = _resources(plan, "module.ecs", "aws_wafv2_web_acl_association")
    settings = load_tfvars(ROOT / "environments" / f"{environment}.tfvars")
    if (
        environment not in PROTECTED_ENVIRONMENTS
        and "0.0.0.0/0" not in settings["alb_ingress_cidrs"]
    ):
        assert len(acls) == len(associations) <= 1
        return
    assert len(associations) == 1
    acl = _one(plan, "module.ecs", "aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL" and acl["name"] == f"{environment}-carcierge-waf"
    assert acl["default_action"][0]["allow"] and not acl["default_action"][0]["block"]
    rules = json.loads(acl["rule_json"])  # the WAF API's Rules
    managed = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in rules
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert {
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    } <= managed
    assert all(
        rule["OverrideAction"] == {"None": {}}
        for rule in rules
        if "ManagedRuleGroupStatement" in rule["Statement"]
    )
    # The core rule set's 8 KB body limit only counts on this API platform (docs/waf.md); every
    # other rule of every group keeps its own action.
    overrides = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]: rule["Statement"][
            "ManagedRuleGroupStatement"
        ].get("RuleActionOverrides")
        for rule in rules
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert overrides.pop("AWSManagedRulesCommonRuleSet") == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]
    assert set(overrides.values()) == {None}
    (rate,) = [r for r in rules if "RateBasedStatement" in r["Statement"]]
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert rate["Action"] == {"Block": {}}
    assert len({r["Priority"] for r in rules}) == len(rules)
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules)

    assert len(associations) == 1
    group = _one(plan, "module.ecs", "aws_cloudwatch_log_group", "waf")
    # WAF delivers to CloudWatch Logs only into log groups named aws-waf-logs-*.
    assert group["name"] == f"aws-waf-logs-{environment}-carcierge"
    logging = _one(plan, "module.ecs", "aws_wafv2_web_acl_logging_configuration")
    redacted = {
        header["name"] for field in logging["redacted_fields"] for header in field["single_header"]
    }
    assert {"authorization", "cookie"} <= redacted


# --- 2. OpenSearch admins --------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_opensearch_master_role_trusts_named_admins_only(environment_plans, environment):
    role = _one(environment_plans(environment), "module.opensearch", "aws_iam_role", "master")
    (statement,) = _statements(role["assume_role_policy"])
    patterns = _as_list(statement["Condition"]["ArnLike"]["aws:PrincipalArn"])
    assert patterns
    for pattern in patterns:
        assert pattern.startswith(f"arn:aws:iam::{ACCOUNT}:role/"), pattern
        assert pattern.split(":role/", 1)[1].strip("*/") != "", pattern


# --- 5. confused deputy ----------------------------------------------------------------------


def _log_group_names(plan: dict) -> list[str]:
    return [
        rc["change"]["after"]["name"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_cloudwatch_log_group"
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_kms_service_statements_are_scoped_to_this_environment(environment_plans, environment):
    plan = environment_plans(environment)
    key = _one(plan, "module.kms", "aws_kms_key", "this")
    statements = {s["Sid"]: s for s in _statements(key["policy"])}

    logs = statements["CloudWatchLogsEncryption"]
    patterns = _as_list(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    prefix = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    assert all(p.startswith(prefix) and environment in p for p in patterns), patterns
    assert f"{prefix}*" not in patterns
    names = _log_group_names(plan)
    assert len(names) > 10
    for name in names:
        assert any(fnmatch.fnmatchcase(prefix + name, p) for p in patterns), name
    other = "qa" if environment != "qa" else "prod"
    assert not any(
        fnmatch.fnmatchcase(prefix + name.replace(environment, other, 1), p)
        for name in names
        for p in patterns
    )

    alarms = statements["CloudWatchAlarmsToEncryptedTopic"]
    condition = alarms["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert condition["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{environment}-carcierge-*"
    )


def _service_trusts(plan: dict) -> list[tuple[str, dict]]:
    found = []
    for rc in plan["resource_changes"]:
        if rc["type"] == "aws_iam_role" and rc["change"]["after"].get("assume_role_policy"):
            for statement in _statements(rc["change"]["after"]["assume_role_policy"]):
                service = statement.get("Principal", {}).get("Service")
                if service:
                    found.append((f"{rc['address']} {service}", statement))
    return found


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_service_principal_trusts_carry_source_conditions(environment_plans, environment):
    trusts = _service_trusts(environment_plans(environment))
    assert any("monitoring.rds.amazonaws.com" in name for name, _ in trusts)
    for name, statement in trusts:
        if name.endswith("ecs-tasks.amazonaws.com") and "execution" in name:
            continue  # AWS documents the execution role's trust without conditions
        condition = statement.get("Condition", {})
        assert condition.get("StringEquals", {}).get("aws:SourceAccount") == ACCOUNT, name
        source_arns = _as_list(condition.get("ArnLike", {}).get("aws:SourceArn", ""))
        assert source_arns and all(arn.startswith("arn:aws:") for arn in source_arns), name
    monitoring = next(s for n, s in trusts if "monitoring.rds" in n)
    assert monitoring["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{environment}-carcierge-rds-postgres"
    )


# --- 6. Redis: no AUTH token left once the users are attached --------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_redis_has_no_auth_token_beside_its_users(environment_plans, environment):
    """DELETE moves a group that had an AUTH token to the user group and drops the token
    (ModifyReplicationGroup AuthTokenUpdateStrategy); SET or ROTATE would keep one valid."""
    group = _one(
        environment_plans(environment), "module.elasticache", "aws_elasticache_replication_group"
    )
    assert group["auth_token_update_strategy"] == "DELETE"
    assert group["auth_token"] is None and group["user_group_ids"]


# --- 7. PostgreSQL statement logging ---------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_postgres_logging_cannot_leak_passwords(environment_plans, environment):
    group = _one(environment_plans(environment), "module.rds", "aws_db_parameter_group")
    parameters = {p["name"]: p["value"] for p in group["parameter"]}
    assert parameters["log_statement"] == "none"
    assert parameters["pgaudit.log"] == "ddl"  # the DDL class excludes ROLE (ALTER ROLE ...)
    assert "pgaudit" in parameters["shared_preload_libraries"].split(",")


# --- 8. endpoint policies --------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_interface_endpoints_only_serve_this_account(environment_plans, environment):
    endpoints = _resources(environment_plans(environment), "module.vpc", "aws_vpc_endpoint")
    interface = {k: v for k, v in endpoints.items() if v["vpc_endpoint_type"] == "Interface"}
    assert bool(interface) is (environment in PROTECTED_ENVIRONMENTS)
    for key, endpoint in interface.items():
        (statement,) = _statements(endpoint["policy"])
        assert statement["Effect"] == "Allow"
        condition = statement["Condition"]["StringEquals"]
        assert condition["aws:PrincipalAccount"] == ACCOUNT, key
        if key in ("logs", "secretsmanager"):
            assert condition["aws:ResourceAccount"] == ACCOUNT, key


# --- 9. applies wait for the services --------------------------------------------------------

TIMEOUT = {"staging": "15m", "qa": "15m", "uat": "30m", "prod": "30m"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_services_are_waited_for_until_steady(environment_plans, environment):
    services = _resources(environment_plans(environment), "module.ecs", "aws_ecs_service")
    for key, service in services.items():
        assert service["wait_for_steady_state"] is True, key
        timeouts = service["timeouts"]
        assert timeouts["create"] == timeouts["update"] == TIMEOUT[environment], key
