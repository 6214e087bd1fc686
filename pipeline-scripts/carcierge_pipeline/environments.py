"""The four environments and the branches that deploy them: the single source of truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline.errors import UserError

ENVIRONMENTS = ("staging", "qa", "uat", "prod")
BRANCH_ENVIRONMENTS = {"main": "staging", "qa": "qa", "uat": "uat", "prod": "prod"}
# Protected environments (Maintainers deploy; docs/setup.md): their plan and drift artifacts are
# Maintainer-only and their real jobs refuse Terraform logs that hold request bodies.
PROTECTED_ENVIRONMENTS = ("uat", "prod")
# GitLab's deployment tier of each environment (environment:deployment_tier in .gitlab-ci.yml).
DEPLOYMENT_TIERS = {"staging": "staging", "qa": "testing", "uat": "staging", "prod": "production"}
# Promotions: the environment branch a merge request into each target branch comes from when it
# promotes what the previous environment runs (main -> qa -> uat -> prod; nothing promotes into
# main, which deploys staging). Such a merge request plans the target for real with the target's
# plan role, which trusts this source branch too (accounts.py, oidc.py).
PROMOTIONS = {"qa": "main", "uat": "qa", "prod": "uat"}
# Any other branch (feature branches, merge requests) previews against staging, never applies.
DEFAULT_ENVIRONMENT = "staging"


def require_environment(name: str) -> str:
    if name not in ENVIRONMENTS:
        raise UserError(f"unknown environment {name!r}: expected one of {', '.join(ENVIRONMENTS)}")
    return name


@dataclass(frozen=True)
class BranchResolution:
    environment: str
    deployable: bool
    reason: str


def resolve_branch(branch: str | None) -> BranchResolution:
    if branch in BRANCH_ENVIRONMENTS:
        environment = BRANCH_ENVIRONMENTS[branch]
        return BranchResolution(
            environment, True, f"branch {branch!r} deploys the {environment} environment"
        )
    label = repr(branch) if branch else "no branch"
    return BranchResolution(
        DEFAULT_ENVIRONMENT,
        False,
        f"{label} is not an environment branch; it plans against {DEFAULT_ENVIRONMENT} "
        "and never applies",
    )


def var_file(root: Path, environment: str) -> Path:
    return root / "environments" / f"{require_environment(environment)}.tfvars"


def promotion_target(source: str | None, target: str | None) -> str | None:
    """The environment a merge request from ``source`` into ``target`` promotes into, or None
    when it is not a promotion (a feature branch, or branches out of order)."""
    if target is not None and source is not None and PROMOTIONS.get(target) == source:
        return BRANCH_ENVIRONMENTS[target]
    return None
