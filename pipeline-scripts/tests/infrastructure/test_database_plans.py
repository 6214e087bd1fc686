"""Database access of the services in each environment's offline plan: every service signs in
as a PostgreSQL role of its own with IAM tokens; no task sees the RDS master secret.

The instance's resource id and the secrets' ARNs are known only after apply, so the plans show
the policies' and references' shape; tests/database.tftest.hcl checks the complete values with
those fixed."""

from __future__ import annotations

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS


def _output(plan: dict, name: str) -> tuple[dict, dict]:
    change = plan["output_changes"][name]
    return change["after"], change["after_unknown"] or {}


def _planned(plan: dict, prefix: str) -> dict[str, dict]:
    """Planned resource changes whose address starts with ``prefix``, by instance key."""
    return {
        rc["index"]: rc["change"]
        for rc in plan["resource_changes"]
        if rc["address"].startswith(prefix) and rc["change"].get("after") is not None
    }


def _services(plan: dict) -> set[str]:
    return set(plan["variables"]["services"]["value"])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_container_receives_the_master_secret(environment_plans, environment):
    plan = environment_plans(environment)
    known, unknown = _output(plan, "service_container_settings")
    assert set(known) == _services(plan)
    for service in known:
        secrets = set(known[service]["secrets"]) | set(unknown.get(service, {}).get("secrets", {}))
        # The Redis AUTH token only: no DB_USERNAME/DB_PASSWORD from the RDS-managed secret.
        assert not {name for name in secrets if name.startswith("DB_")}, (service, secrets)
        for reference in known[service]["secrets"].values():
            assert "rds!" not in reference, (service, reference)
    # The rds module hands the services no secret, and the execution role reads no secret of it.
    rds = plan["configuration"]["root_module"]["module_calls"]["rds"]["module"]["outputs"]
    assert rds["connection_secrets"]["expression"].get("references", []) == []
    assert rds["secret_arns"]["expression"].get("references", []) == []
    # The master secret stays, for break-glass use and `carcierge db roles`.
    assert "rds_master_user_secret_arn" in plan["output_changes"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_task_role_may_connect_as_its_own_role_only(environment_plans, environment):
    plan = environment_plans(environment)
    services = _services(plan)
    connect = _planned(plan, "aws_iam_role_policy.database_connect[")
    assert set(connect) == services
    for service, change in connect.items():
        assert change["after"]["role"] == f"{environment}-carcierge-{service}-task"
        assert change["after"]["name"] == f"{environment}-carcierge-{service}-task-rds-connect"
        # Built from the instance's resource id (known after apply): never a wildcard user or
        # instance, which would be known now.
        assert change["after_unknown"].get("policy") is True, change["after"]["policy"]
    # Its resource is the service's own entry of the rds module's dbuser ARNs ...
    root = plan["configuration"]["root_module"]
    (policy,) = [
        r for r in root["resources"] if r["address"] == "aws_iam_role_policy.database_connect"
    ]
    assert "module.rds.iam_connect_arns" in policy["expressions"]["policy"]["references"]
    assert "each.key" in policy["expressions"]["policy"]["references"]
    arns = root["module_calls"]["rds"]["module"]["outputs"]["iam_connect_arns"]["expression"]
    assert "aws_db_instance.this.resource_id" in arns["references"] or (
        "local.dbuser_arn_prefix" in arns["references"]
    )
    # ... and no other policy of a task role mentions rds-db (the task policies hold the
    # environment key's ARN, known after apply: where known, read them; the module call's
    # extra statements must not come from the rds module either).
    for service, change in _planned(plan, "module.ecs.aws_iam_role_policy.task[").items():
        if change["after"].get("policy"):
            assert "rds-db" not in change["after"]["policy"], service
    extra = root["module_calls"]["ecs"]["expressions"].get("task_role_policy_statements", {})
    assert not [ref for ref in extra.get("references", []) if ref.startswith("module.rds")]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_service_signs_in_as_its_own_database_role(environment_plans, environment):
    plan = environment_plans(environment)
    roles, _ = _output(plan, "database_roles")
    assert roles == {service: f"svc_{service.replace('-', '_')}" for service in _services(plan)}
    assert len(set(roles.values())) == len(roles)
    master = plan["variables"]["rds_config"]["value"]["username"]
    assert master not in roles.values()
    known, _ = _output(plan, "service_container_settings")
    for service, settings in known.items():
        assert settings["environment"]["DB_USERNAME"] == roles[service]
        assert settings["environment"]["DB_IAM_AUTH"] == "true"
        assert (
            settings["environment"]["DB_NAME"]
            == plan["variables"]["rds_config"]["value"]["database_name"]
        )
