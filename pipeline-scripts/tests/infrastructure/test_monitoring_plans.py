"""Monitoring through the root, from the offline plans of the real environment files."""

from __future__ import annotations

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS


def _alarms(plan: dict) -> dict[str, dict]:
    return {
        change["address"]: change
        for change in plan["resource_changes"]
        if change["type"] == "aws_cloudwatch_metric_alarm"
    }


def _count(plan: dict, resource_type: str) -> int:
    return sum(1 for c in plan["resource_changes"] if c["type"] == resource_type)


def _variable(plan: dict, name: str):
    return plan["variables"][name]["value"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_alarm_count_follows_services_and_stores(environment_plans, environment):
    plan = environment_plans(environment)
    services = _variable(plan, "services")
    public = [key for key, service in services.items() if service.get("public", True)]
    redis_nodes = _variable(plan, "redis_config")["num_cache_nodes"]
    search_nodes = _variable(plan, "opensearch_config")["instance_count"]
    expected = (
        3 * len(services)  # cpu, memory, running below desired
        + 2  # ALB 5xx rate, p99 latency
        + 2 * len(public)  # target 5xx, unhealthy hosts per target group
        + 4  # RDS
        + 3 * redis_nodes
        + (redis_nodes if redis_nodes >= 2 else 0)  # replication lag on every member
        + 4
        + (1 if search_nodes >= 2 else 0)  # OpenSearch, yellow from two nodes
    )
    assert len(_alarms(plan)) == expected


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_replication_lag_alarm_on_every_member_of_a_replicated_group(
    environment_plans, environment
):
    """After a failover the replica is another member: each one has its lag alarm."""
    plan = environment_plans(environment)
    nodes = _variable(plan, "redis_config")["num_cache_nodes"]
    # The member id (the dimension) is known after apply here; the alarm's key names the member.
    watched = sorted(
        change["index"]
        for change in _alarms(plan).values()
        if change["change"]["after"]["metric_name"] == "ReplicationLag"
    )
    members = [f"redis-node{n:03d}-replication-lag" for n in range(1, nodes + 1)]
    assert watched == (members if nodes >= 2 else [])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_alarm_notifies_the_topic_and_follows_naming(environment_plans, environment):
    plan = environment_plans(environment)
    assert _count(plan, "aws_sns_topic") == 1
    for address, change in _alarms(plan).items():
        after, unknown = change["change"]["after"], change["change"]["after_unknown"]
        assert after["alarm_name"].startswith(f"{environment}-carcierge-"), address
        # The topic ARN is known only after apply: one action, to be filled with it.
        for actions in ("alarm_actions", "ok_actions"):
            assert after[actions] == [None] and unknown[actions] == [True], (address, actions)


def test_dashboard_per_environment(environment_plans):
    for environment in ENVIRONMENTS:
        dashboards = [
            c["change"]["after"]["dashboard_name"]
            for c in environment_plans(environment)["resource_changes"]
            if c["type"] == "aws_cloudwatch_dashboard"
        ]
        assert dashboards == [f"{environment}-carcierge-overview"]
