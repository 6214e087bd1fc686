"""Issue 22 item 2: every IAM role the configuration creates carries the environment's CI
permissions boundary, the one `carcierge oidc bootstrap` creates and without which the deploy
role may create no role (ci_policies.py). Read from the offline plans of the four environments;
the account comes from each environment file (accounts.py), never a fixed value."""

from __future__ import annotations

import pytest

from carcierge_pipeline import accounts
from carcierge_pipeline.environments import ENVIRONMENTS


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_role_carries_the_ci_boundary(environment_plans, project, environment):
    plan = environment_plans(environment)
    account = accounts.account_id(project.root, environment)
    boundary = f"arn:aws:iam::{account}:policy/{accounts.boundary_name(environment)}"
    roles = {
        rc["address"]: rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["mode"] == "managed" and rc["type"] == "aws_iam_role"
    }
    assert len(roles) >= 5, sorted(roles)  # task roles, execution, flow logs, OpenSearch...
    missing = {address for address, after in roles.items()
               if after.get("permissions_boundary") != boundary}  # fmt: skip
    assert not missing, f"roles without {boundary}: {sorted(missing)}"
    # The deploy role's own policy may create only roles named <env>-carcierge-*.
    prefix = f"{environment}-{accounts.PROJECT}-"
    assert all(after["name"].startswith(prefix) for after in roles.values()), sorted(roles)
