"""Snapshots and cross-region backup copies, read from each environment's offline plan: the
manual snapshot bucket and role everywhere; RDS backup replication, the snapshot replica and
the backup key in backup_region where enable_cross_region_backups is on (prod), nowhere else."""

from __future__ import annotations

import json

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS

CROSS_REGION = {"staging": False, "qa": False, "uat": False, "prod": True}


def _after(plan: dict) -> dict[str, dict]:
    return {
        rc["address"]: rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["change"].get("after") is not None
    }


def _variable(plan: dict, name: str):
    return plan["variables"][name]["value"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_snapshot_bucket_is_encrypted_versioned_private_and_tls_only(
    environment_plans, environment
):
    resources = _after(environment_plans(environment))
    bucket = resources["module.opensearch.module.snapshots.aws_s3_bucket.this"]
    assert bucket["bucket"].startswith(f"{environment}-carcierge-opensearch-snapshots-")
    assert bucket["force_destroy"] is False

    sse = resources[
        "module.opensearch.module.snapshots.aws_s3_bucket_server_side_encryption_configuration.this"
    ]
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    versioning = resources["module.opensearch.module.snapshots.aws_s3_bucket_versioning.this"]
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    block = resources["module.opensearch.module.snapshots.aws_s3_bucket_public_access_block.this"]
    assert all(
        block[k]
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    policy = json.loads(
        resources["module.opensearch.module.snapshots.aws_s3_bucket_policy.this"]["policy"]
    )
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_snapshot_role_is_for_opensearch_of_this_account_on_this_bucket_only(
    environment_plans, environment
):
    resources = _after(environment_plans(environment))
    role = resources["module.opensearch.aws_iam_role.snapshot"]
    trust = json.loads(role["assume_role_policy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "es.amazonaws.com"}]
    assert trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"

    # Its bucket policy (known only after apply here: it names the environment key) is
    # asserted in modules/opensearch/tests/opensearch.tftest.hcl.
    assert "module.opensearch.aws_iam_role_policy.snapshot" in resources


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cross_region_copies_exist_exactly_where_switched_on(environment_plans, environment):
    plan = environment_plans(environment)
    resources = _after(plan)
    on = _variable(plan, "enable_cross_region_backups")
    assert on is CROSS_REGION[environment]
    backup_region = _variable(plan, "backup_region")
    assert backup_region != _variable(plan, "aws_region")

    cross_region = {
        "module.backup_kms[0].aws_kms_key.this",
        "module.rds.aws_db_instance_automated_backups_replication.this[0]",
        "module.opensearch.module.snapshots_replica[0].aws_s3_bucket.this",
        "module.opensearch.aws_s3_bucket_replication_configuration.snapshots[0]",
    }
    if not on:
        assert not cross_region & set(resources)
        return
    assert cross_region <= set(resources)
    for address in cross_region - {
        "module.opensearch.aws_s3_bucket_replication_configuration.snapshots[0]"
    }:
        assert resources[address]["region"] == backup_region, address
    # The replication configuration belongs to the source bucket, in the environment's region.
    replication = resources[
        "module.opensearch.aws_s3_bucket_replication_configuration.snapshots[0]"
    ]
    assert replication["region"] == _variable(plan, "aws_region")
    rule = replication["rule"][0]
    assert rule["status"] == "Enabled"
    assert (
        rule["source_selection_criteria"][0]["sse_kms_encrypted_objects"][0]["status"] == "Enabled"
    )
    assert rule["destination"][0]["encryption_configuration"], (
        "replica re-encrypted with the backup key"
    )

    rds = resources["module.rds.aws_db_instance_automated_backups_replication.this[0]"]
    db = resources["module.rds.aws_db_instance.this"]
    assert rds["retention_period"] == db["backup_retention_period"]
    key = resources["module.backup_kms[0].aws_kms_key.this"]
    assert key["enable_key_rotation"] is True


def test_prod_keeps_cross_region_copies(environment_plans):
    assert _variable(environment_plans("prod"), "enable_cross_region_backups") is True
