"""The project's policy (carcierge_pipeline/policy.py) holds in every environment's plan, and
catches each breach it names. What an environment file may change freely (services, sizes,
counts, Spot shares) is not policy: the other tests read those from the files."""

from __future__ import annotations

import copy

import pytest

from carcierge_pipeline import policy
from carcierge_pipeline.environments import ENVIRONMENTS


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_holds_the_policy(environment_plans, environment):
    assert policy.violations(environment_plans(environment), environment) == []


def _edited(plan: dict, resource_type: str, change) -> dict:
    """A copy of ``plan`` with ``change(planned values)`` applied to the first resource of
    ``resource_type``."""
    edited = copy.deepcopy(plan)
    for rc in edited["resource_changes"]:
        if rc["type"] == resource_type and rc["change"].get("after") is not None:
            change(rc["change"]["after"])
            return edited
    raise AssertionError(f"no {resource_type} in the plan")


def _without(plan: dict, resource_type: str) -> dict:
    edited = copy.deepcopy(plan)
    edited["resource_changes"] = [
        rc for rc in edited["resource_changes"] if rc["type"] != resource_type
    ]
    return edited


BREACHES = {
    "rds single-AZ": ("aws_db_instance", lambda v: v.update(multi_az=False), "not Multi-AZ"),
    "rds unprotected": (
        "aws_db_instance",
        lambda v: v.update(deletion_protection=False),
        "no deletion protection",
    ),
    "rds no final snapshot": (
        "aws_db_instance",
        lambda v: v.update(skip_final_snapshot=True),
        "skips final snapshot",
    ),
    "rds public": (
        "aws_db_instance",
        lambda v: v.update(publicly_accessible=True),
        "publicly accessible",
    ),
    "rds unencrypted": (
        "aws_db_instance",
        lambda v: v.update(storage_encrypted=False),
        "storage not encrypted",
    ),
    "rds backups off": (
        "aws_db_instance",
        lambda v: v.update(backup_retention_period=0),
        "backups kept 0 days",
    ),
    "redis unencrypted": (
        "aws_elasticache_replication_group",
        lambda v: v.update(at_rest_encryption_enabled="false"),
        "not encrypted at rest",
    ),
    "redis no failover": (
        "aws_elasticache_replication_group",
        lambda v: v.update(automatic_failover_enabled=False),
        "no Multi-AZ automatic failover",
    ),
    "opensearch http": (
        "aws_opensearch_domain",
        lambda v: v["domain_endpoint_options"][0].update(enforce_https=False),
        "HTTPS not enforced",
    ),
    "opensearch one zone": (
        "aws_opensearch_domain",
        lambda v: v["cluster_config"][0].update(zone_awareness_enabled=False),
        "not zone-aware",
    ),
    "bucket public": (
        "aws_s3_bucket_public_access_block",
        lambda v: v.update(block_public_policy=False),
        "public access not fully blocked",
    ),
    "logs forever": (
        "aws_cloudwatch_log_group",
        lambda v: v.update(retention_in_days=0),
        "kept forever",
    ),
    "tasks public": (
        "aws_ecs_service",
        lambda v: v["network_configuration"][0].update(assign_public_ip=True),
        "tasks get public IPs",
    ),
    "alb unprotected": (
        "aws_lb",
        lambda v: v.update(enable_deletion_protection=False),
        "not protected",
    ),
}


@pytest.mark.parametrize("breach", BREACHES)
def test_the_policy_catches_each_breach_in_prod(environment_plans, breach):
    resource_type, change, message = BREACHES[breach]
    found = policy.violations(_edited(environment_plans("prod"), resource_type, change), "prod")
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
    breached = _edited(plan, "aws_db_instance", lambda v: v.update(storage_encrypted=False))
    assert policy.violations(breached, "staging") == [
        "module.rds.aws_db_instance.this: storage not encrypted"
    ]
