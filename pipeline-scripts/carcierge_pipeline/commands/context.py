"""What several commands read from their context: the environment from the branch, the
Terraform roots MODULES selects, a stage's sign-in and the CI image check, the start of a
stage on one environment, and the state backend an operator command works on."""

from __future__ import annotations

import argparse
import os

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.commands import Argument, argument
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode


def environment_from_context(explicit: str | None) -> str:
    if explicit:
        return environments.require_environment(explicit)
    branch = os.environ.get("CI_COMMIT_BRANCH") or os.environ.get(
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
    )
    return environments.resolve_branch(branch).environment


def roots(variables: ci_variables.PipelineVariables) -> list[Project]:
    """The Terraform roots MODULES selects, each a project of its own (its own build/)."""
    project = Project.find()
    return [
        project if root.path == "." else Project(project.root / root.path)
        for root in variables.roots
    ]


def sign_in(stage: str, environment: str) -> None:
    """GitLab OIDC: the stage's role of the environment (accounts.py, derived from its file)
    and the job's ID token as the AWS web identity."""
    from carcierge_pipeline import accounts
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.oidc import TOKEN_VARIABLE, use_id_token
    from carcierge_pipeline.state import partition_of

    if os.environ.get(TOKEN_VARIABLE):
        region = os.environ.get("AWS_REGION") or DEFAULT_REGION
        accounts.use_stage_role(
            Project.find().root, environment, stage, partition=partition_of(region)
        )
    use_id_token()


def check_ci_image(mode: Mode) -> None:
    """A real job runs the CI image by digest, with this commit's locked dependencies."""
    from carcierge_pipeline import ci_image

    ci_image.check_job(Project.find().root, mode)


def start_stage(stage: str, environment: str) -> Mode:
    """What a stage on one environment's state does before Terraform (apply, drift): sign in
    as the stage's role, read the mode, check the CI image, refuse verbose logs where they are
    not allowed, ready the provider plugin cache."""
    sign_in(stage, environment)
    mode = ci_variables.stage_mode()
    check_ci_image(mode)
    ci_variables.refuse_verbose_logs(environment, mode)
    ci_variables.ensure_plugin_cache(mode)
    return mode


def state_backend_arguments(table_help: str) -> tuple[Argument, Argument, Argument]:
    """An operator command's ``--bucket``, ``--table`` and ``--region`` (state_backend)."""
    return (
        argument("--bucket", help="default: $TF_STATE_BUCKET"),
        argument("--table", help=table_help),
        argument("--region", help="default: $BACKEND_REGION or us-west-1"),
    )


def state_backend(args: argparse.Namespace) -> tuple[str, str, str]:
    """The state bucket, lock table and region an operator command works on: its flags
    (state_backend_arguments), else the pipeline's variables, else backend.py's defaults."""
    from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION

    bucket = args.bucket or os.environ.get("TF_STATE_BUCKET")
    if not bucket:
        raise UserError("no state bucket: pass --bucket or set TF_STATE_BUCKET")
    table = args.table or os.environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE
    return bucket, table, args.region or os.environ.get("BACKEND_REGION") or DEFAULT_REGION
