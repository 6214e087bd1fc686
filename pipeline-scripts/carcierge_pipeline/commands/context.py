"""What several commands read from their context: the environment from the branch, the
Terraform roots MODULES selects, a stage's sign-in and the CI image check, and the start of
a stage on one environment."""

from __future__ import annotations

import os

from carcierge_pipeline import ci_variables, environments
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
