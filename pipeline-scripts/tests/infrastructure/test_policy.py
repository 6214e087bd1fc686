"""The project's policy (carcierge_pipeline/policy.py) holds in every environment's plan, and
catches each breach it names. What an environment file may change freely (services, sizes,
counts, Spot shares) is not policy: the other tests read those from the files."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from carcierge_pipeline import policy
from carcierge_pipeline.environments import ENVIRONMENTS


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_holds_the_policy(environment_plans, environment):
    assert policy.violations(environment_plans(environment), environment) == []


def _edited(plan: dict, resource_type: str, values: dict) -> dict:
    """A copy of ``plan`` with ``values`` set in the planned values of the first resource of
    ``resource_type``; a name such as ``cluster_config.0.zone_awareness_enabled`` sets an
    attribute of a nested block."""
    edited = copy.deepcopy(plan)
    for rc in edited["resource_changes"]:
        if rc["type"] == resource_type and rc["change"].get("after") is not None:
            for name, value in values.items():
                *blocks, attribute = name.split(".")
                target = rc["change"]["after"]
                for step in blocks:
                    target = target[int(step) if step.isdigit() else step]
                target[attribute] = value
            return edited
    raise AssertionError(f"no {resource_type} in the plan")


def _without(plan: dict, resource_type: str) -> dict:
    edited = copy.deepcopy(plan)
    edited["resource_changes"] = [
        rc for rc in edited["resource_changes"] if rc["type"] != resource_type
    ]
    return edited


RDS, REDIS, SEARCH = "aws_db_instance", "aws_elasticache_replication_group", "aws_opensearch_domain"
# breach -> (resource type, the planned values it sets, what the policy says)
BREACHES: dict[str, tuple[str, dict[str, Any], str]] = {
    "rds single-AZ": (RDS, {"multi_az": False}, "not Multi-AZ"),
    "rds unprotected": (RDS, {"deletion_protection": False}, "no deletion protection"),
    "rds no final snapshot": (RDS, {"skip_final_snapshot": True}, "skips final snapshot"),
    "rds public": (RDS, {"publicly_accessible": True}, "publicly accessible"),
    "rds unencrypted": (RDS, {"storage_encrypted": False}, "storage not encrypted"),
    "rds backups off": (RDS, {"backup_retention_period": 0}, "backups kept 0 days"),
    "redis unencrypted": (REDIS, {"at_rest_encryption_enabled": "false"}, "not encrypted at rest"),
    "redis no failover": (
        REDIS,
        {"automatic_failover_enabled": False},
        "no Multi-AZ automatic failover",
    ),
    "opensearch http": (
        SEARCH,
        {"domain_endpoint_options.0.enforce_https": False},
        "HTTPS not enforced",
    ),
    "opensearch one zone": (
        SEARCH,
        {"cluster_config.0.zone_awareness_enabled": False},
        "not zone-aware",
    ),
    "bucket public": (
        "aws_s3_bucket_public_access_block",
        {"block_public_policy": False},
        "public access not fully blocked",
    ),
    "logs forever": ("aws_cloudwatch_log_group", {"retention_in_days": 0}, "kept forever"),
    "tasks public": (
        "aws_ecs_service",
        {"network_configuration.0.assign_public_ip": True},
        "tasks get public IPs",
    ),
    "alb unprotected": ("aws_lb", {"enable_deletion_protection": False}, "not protected"),
}


@pytest.mark.parametrize("breach", BREACHES)
def test_the_policy_catches_each_breach_in_prod(environment_plans, breach):
    resource_type, values, message = BREACHES[breach]
    found = policy.violations(_edited(environment_plans("prod"), resource_type, values), "prod")
    assert len(found) == 1 and message in found[0], found


def test_the_policy_asks_prod_for_cross_region_backups(environment_plans):
    plan = _without(environment_plans("prod"), "aws_db_instance_automated_backups_replication")
    assert policy.violations(plan, "uat") == []
    (found,) = policy.violations(plan, "prod")
    assert "not replicated to a second region" in found


def test_lower_environments_may_be_single_az_but_not_unencrypted(environment_plans):
    plan = environment_plans("staging")
    assert policy.violations(plan, "staging") == []
    assert any("not Multi-AZ" in line for line in policy.violations(plan, "prod"))
    breached = _edited(plan, RDS, {"storage_encrypted": False})
    assert policy.violations(breached, "staging") == [
        "module.rds.aws_db_instance.this: storage not encrypted"
    ]
