"""Each environment's AWS account and the two CI roles in it: the single owner of both facts.

- The account is ``aws_account_id`` in ``environments/<env>.tfvars`` (the provider's
  ``allowed_account_ids`` refuses any other; one account per environment is the default,
  docs/setup.md).
- In it, ``carcierge oidc bootstrap --environment <env>`` creates two roles:
  ``<env>-carcierge-ci-plan`` (read-only, plus state read and lock) and
  ``<env>-carcierge-ci-deploy`` (the generated deploy policy under a permissions boundary).
- Which stage uses which: plan, drift and a promotion merge request's plan use the plan role;
  only apply uses the deploy role (``STAGE_ROLES``).

``AWS_ROLE_ARN`` is derived, never configured: ``use_stage_role`` sets it from the environment
file before the job's ID token becomes the web identity. A value already set (a leftover
project variable) must name the same role, else the job stops with one line; a run with
other credentials (static keys, a profile) is left as it is and the provider's
``allowed_account_ids`` still refuses a wrong account.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from pathlib import Path

from carcierge_pipeline import environments, hcl
from carcierge_pipeline.errors import UserError

VARIABLE = "aws_account_id"
PROJECT = "carcierge"  # the project_name of every resource name (terraform.tfvars)
PLAN = "plan"
DEPLOY = "deploy"
KINDS = (PLAN, DEPLOY)
# The role each credentialed stage signs in as.
STAGE_ROLES = {"plan": PLAN, "drift": PLAN, "apply": DEPLOY}
_ACCOUNT = re.compile(r"^[0-9]{12}$")


def _line_of(path: Path, key: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if re.match(rf"\s*{key}\s*=", text):
            return number
    return 0


def account_id(root: Path, environment: str) -> str:
    """The environment file's ``aws_account_id``; one line naming file:line on a bad value."""
    path = environments.var_file(root, environment)
    where = path.relative_to(root).as_posix()
    if not path.is_file():
        raise UserError(f"missing variables file {where}")
    value = hcl.plain(hcl.load_tfvars(path)).get(VARIABLE)
    if value is None:
        raise UserError(
            f"{where}: {VARIABLE} is not set: add the environment's 12-digit account id"
        )
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        raise UserError(
            f"{where}:{_line_of(path, VARIABLE)}: {VARIABLE} must be a 12-digit account id "
            f"in quotes; got {value!r}"
        )
    return value


def role_name(environment: str, kind: str) -> str:
    """``<env>-carcierge-ci-plan`` or ``<env>-carcierge-ci-deploy``."""
    if kind not in KINDS:
        raise ValueError(f"role kind {kind!r}")
    return f"{environments.require_environment(environment)}-{PROJECT}-ci-{kind}"


def boundary_name(environment: str) -> str:
    """The permissions boundary every role the deploy role creates must carry."""
    return f"{environments.require_environment(environment)}-{PROJECT}-ci-boundary"


def role_arn(account: str, environment: str, kind: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name(environment, kind)}"


def stage_role_arn(root: Path, environment: str, stage: str, partition: str = "aws") -> str:
    """The role ``stage`` (plan, drift, apply) of ``environment`` signs in as."""
    return role_arn(account_id(root, environment), environment, STAGE_ROLES[stage], partition)


def use_stage_role(
    root: Path,
    environment: str,
    stage: str,
    environ: MutableMapping[str, str] = os.environ,
    partition: str = "aws",
) -> str | None:
    """With the job's GitLab ID token present, point ``AWS_ROLE_ARN`` at the stage's role of
    the environment (derived from its file); returns it, or None when no ID token is there."""
    from carcierge_pipeline.oidc import TOKEN_VARIABLE

    if not environ.get(TOKEN_VARIABLE):
        return None
    arn = stage_role_arn(root, environment, stage, partition)
    current = environ.get("AWS_ROLE_ARN", "").strip()
    if current and current != arn:
        raise UserError(
            f"AWS_ROLE_ARN is {current} but {stage} of {environment} signs in as {arn} "
            f"(derived from {VARIABLE} in environments/{environment}.tfvars): remove the "
            "AWS_ROLE_ARN CI/CD variable"
        )
    environ["AWS_ROLE_ARN"] = arn
    return arn
