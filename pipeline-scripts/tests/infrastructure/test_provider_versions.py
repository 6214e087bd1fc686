"""The hashicorp/aws version constraint of the root and of every module admits the provider the
offline stand-in serves and refuses every release without an argument the modules use.

The newest argument the modules need is `auth_token_wo` / `auth_token_wo_version` of
`aws_elasticache_replication_group` (modules/elasticache), added by
hashicorp/terraform-provider-aws#49268 (`.changelog/49268.txt`: "resource/
aws_elasticache_replication_group: Add `auth_token_wo` and `auth_token_wo_version` write-only
arguments"), merged 2026-08-24. The provider releases a minor version every Wednesday (6.51.0
on 2026-06-17, 6.55.0 on 2026-07-15, 6.56.0 on 2026-07-22, per its release notes), so 6.60.0
(2026-08-19) is the last release without the argument and 6.61.0 (2026-08-26) the first with it.

Terraform's constraint syntax is not PEP 440 (`packaging` would misread `~>`), so the matcher
below implements it: comma-separated conditions, each `=`, `!=`, `>`, `>=`, `<`, `<=` or `~>`
with a version of one to three numbers; `~>` lets only the rightmost given number grow
(https://developer.hashicorp.com/terraform/language/expressions/version-constraints).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ROOT

from carcierge_pipeline import hcl
from carcierge_pipeline.offline.cache import PROVIDER_VERSION

# Every configuration that uses the AWS provider (modules/conventions uses none).
VERSION_FILES = [
    path
    for path in [ROOT / "terraform.tf", *sorted(ROOT.glob("modules/*/versions.tf"))]
    if "hashicorp/aws" in path.read_text()
]

FIRST_WITH_AUTH_TOKEN_WO = "6.61.0"
LAST_WITHOUT_AUTH_TOKEN_WO = "6.60.0"

_CONDITION = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\d+(?:\.\d+){0,2})\s*$")


def _numbers(version: str) -> tuple[int, int, int]:
    parts = [int(part) for part in version.split(".")]
    return (*parts, *[0] * (3 - len(parts)))  # type: ignore[return-value]


def admits(constraint: str, version: str) -> bool:
    """Whether Terraform's ``constraint`` admits ``version`` (a release, no pre-release)."""
    candidate = _numbers(version)
    for condition in constraint.split(","):
        match = _CONDITION.match(condition)
        if not match:
            raise ValueError(f"not a Terraform version condition: {condition!r}")
        operator, given = match.group(1) or "=", match.group(2)
        bound = _numbers(given)
        if operator == "~>":
            # ~> 6.61 is >= 6.61.0, < 7.0.0; ~> 6.61.3 is >= 6.61.3, < 6.62.0.
            kept = max(given.count("."), 1)
            upper = (*bound[: kept - 1], bound[kept - 1] + 1, *[0] * (3 - kept))
            ok = bound <= candidate < upper
        else:
            ok = {
                "=": candidate == bound,
                "!=": candidate != bound,
                ">": candidate > bound,
                ">=": candidate >= bound,
                "<": candidate < bound,
                "<=": candidate <= bound,
            }[operator]
        if not ok:
            return False
    return True


# constraint -> (a version it admits, a version it refuses), each next to the boundary
CONSTRAINTS = {
    "~> 6.0": ("6.69.1", "7.0.0"),
    "~> 6.61": ("6.61.0", "6.60.9"),
    "~> 6.61.3": ("6.61.9", "6.62.0"),
    ">= 6.61.0, < 7.0.0": ("6.69.1", "7.0.0"),
    "6.61.0": ("6.61.0", "6.61.1"),
    "!= 6.61.0": ("6.61.1", "6.61.0"),
    "> 6.60": ("6.60.1", "6.60.0"),
    "<= 6.60": ("6.60.0", "6.60.1"),
}


@pytest.mark.parametrize("constraint", CONSTRAINTS)
def test_the_matcher_follows_terraform_constraint_syntax(constraint):
    admitted, refused = CONSTRAINTS[constraint]
    assert admits(constraint, admitted) is True
    assert admits(constraint, refused) is False


def _aws_constraint(path: Path) -> str:
    config = hcl.parsed(path.read_text())
    (terraform,) = config["terraform"]
    (providers,) = terraform["required_providers"]
    return providers["aws"]["version"].strip('"')


def test_every_version_file_is_checked():
    modules = [p for p in (ROOT / "modules").iterdir() if p.is_dir()]
    assert all((module / "versions.tf").is_file() for module in modules)
    without_aws = [
        m.name for m in modules if "hashicorp/aws" not in (m / "versions.tf").read_text()
    ]
    assert without_aws == ["conventions"]
    assert len(VERSION_FILES) == 1 + len(modules) - len(without_aws)


@pytest.mark.parametrize("path", VERSION_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_aws_constraint_admits_the_offline_provider_and_needs_auth_token_wo(path):
    constraint = _aws_constraint(path)
    assert admits(constraint, PROVIDER_VERSION), (constraint, PROVIDER_VERSION)
    if path.parent == ROOT:  # the root pins the release the offline stand-in reproduces
        assert constraint == PROVIDER_VERSION, constraint
    else:  # a module admits every release with the arguments it uses
        assert admits(constraint, FIRST_WITH_AUTH_TOKEN_WO), constraint
    assert not admits(constraint, LAST_WITHOUT_AUTH_TOKEN_WO), (
        f"{constraint!r} admits {LAST_WITHOUT_AUTH_TOKEN_WO}, which has no auth_token_wo"
    )
    assert not admits(constraint, "7.0.0"), f"{constraint!r} admits the next major"
