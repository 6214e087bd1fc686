"""The operator task <env>-carcierge-ops in each environment's offline plan: a one-off Fargate
task inside the VPC that runs the post-apply commands (`carcierge db roles`, `carcierge
opensearch setup`) with their settings in its environment, its own log group and a task role
limited to what those commands need. Secret and role ARNs are known only after apply, so the
policy's content is checked in modules/ecs/tests/ops.tftest.hcl; here its presence and wiring."""

from __future__ import annotations

import json

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS

# What `carcierge db roles` (database.py) and `carcierge opensearch setup`
# (opensearch_setup.py) read, plus HOME on the read-only root filesystem.
OPS_ENVIRONMENT = {
    "AWS_REGION",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_MASTER_SECRET_ARN",
    "DB_SERVICE_ROLES",
    "OPENSEARCH_ENDPOINT",
    "OPENSEARCH_ADMIN_ROLE_ARN",
    "OPENSEARCH_SERVICE_ROLES",
    "OPENSEARCH_DELIVERY_ROLE_ARN",
    "OPENSEARCH_SNAPSHOT_BUCKET",
    "OPENSEARCH_SNAPSHOT_ROLE_ARN",
    "LOG_RETENTION_DAYS",
    "HOME",
}


def _resources(plan: dict) -> dict[str, dict]:
    return {rc["address"]: rc["change"] for rc in plan["resource_changes"]}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_ops_task_is_a_fargate_task_with_its_own_role_and_logs(environment_plans, environment):
    plan = environment_plans(environment)
    resources = _resources(plan)
    retention = plan["variables"]["log_retention_days"]["value"]

    task = resources["module.ecs.aws_ecs_task_definition.ops[0]"]
    assert task["after"]["family"] == f"{environment}-carcierge-ops"
    assert task["after"]["requires_compatibilities"] == ["FARGATE"]
    assert task["after"]["network_mode"] == "awsvpc"
    assert task["after_unknown"]["task_role_arn"] is True  # its own role, below

    role = resources["module.ecs.aws_iam_role.ops_task[0]"]["after"]
    assert role["name"] == f"{environment}-carcierge-ops-task"
    trust = json.loads(role["assume_role_policy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]
    assert "module.ecs.aws_iam_role_policy.ops_task[0]" in resources

    group = resources["module.ecs.aws_cloudwatch_log_group.ops[0]"]
    assert group["after"]["name"] == f"/ecs/{environment}-carcierge-ops"
    assert group["after"]["retention_in_days"] == retention
    assert group["after_unknown"]["kms_key_id"] is True  # the environment key, created with it

    # No service runs it: it starts only when an operator runs it.
    services = [a for a in resources if a.startswith("module.ecs.aws_ecs_service.")]
    assert not [a for a in services if "ops" in a]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_ops_task_environment_holds_the_commands_settings(environment_plans, environment):
    plan = environment_plans(environment)
    change = plan["output_changes"]["ops_task"]
    known = change["after"]["environment"]
    unknown = change["after_unknown"]["environment"]
    assert set(known) | set(unknown) == OPS_ENVIRONMENT
    assert known["AWS_REGION"] == plan["variables"]["aws_region"]["value"]
    assert known["LOG_RETENTION_DAYS"] == str(plan["variables"]["log_retention_days"]["value"])
    assert (
        json.loads(known["DB_SERVICE_ROLES"]) == plan["output_changes"]["database_roles"]["after"]
    )
    assert known["DB_NAME"] == plan["variables"]["rds_config"]["value"]["database_name"]
    # The instance address, master secret, domain endpoint and role ARNs exist after apply.
    assert {
        "DB_HOST",
        "DB_MASTER_SECRET_ARN",
        "OPENSEARCH_ENDPOINT",
        "OPENSEARCH_ADMIN_ROLE_ARN",
        "OPENSEARCH_SERVICE_ROLES",
    } <= set(unknown)
    # Log delivery and snapshots are wired: the delivery and snapshot roles exist after apply;
    # the snapshot bucket's name is known now.
    assert {"OPENSEARCH_DELIVERY_ROLE_ARN", "OPENSEARCH_SNAPSHOT_ROLE_ARN"} <= set(unknown)
    assert known["OPENSEARCH_SNAPSHOT_BUCKET"] == (
        f"{environment}-carcierge-opensearch-snapshots-123456789012-us-west-1"
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_ops_task_may_administer_opensearch(environment_plans, environment):
    """`carcierge opensearch setup` signs as the master role: the role trusts the ops task."""
    plan = environment_plans(environment)
    master = _resources(plan)["module.opensearch.aws_iam_role.master[0]"]["after"]
    trust = json.loads(master["assume_role_policy"])["Statement"][0]
    principals = trust["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert f"arn:aws:iam::123456789012:role/{environment}-carcierge-ops-task" in principals


def test_ops_run_task_starts_it_in_the_private_subnets(environment_plans):
    plan = environment_plans("prod")
    assert plan["output_changes"]["ops_run_task"]["after_unknown"] is True  # subnet ids
    expression = plan["configuration"]["root_module"]["outputs"]["ops_run_task"]["expression"]
    references = set(expression["references"])
    assert {
        "module.vpc.private_subnet_id_list",
        "module.security_groups.ops_security_group_id",
        "module.ecs.cluster_name",
        "module.ecs.ops_task",
    } <= references
