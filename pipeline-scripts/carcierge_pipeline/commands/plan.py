"""``carcierge plan``: plan the environment(s) into build/<env>/; in real mode behind the
pre-flight check of the account and AWS's own validators."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import (
    ALLOW_DESTROY,
    BRANCH,
    ENVIRONMENT_FROM_BRANCH,
    STAGE,
    VERBOSE,
    Command,
)
from carcierge_pipeline.commands.context import check_ci_image, roots, sign_in
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.plan import run_plan

    variables = ci_variables.load()
    selection = ci_variables.select_environments(args.environment, variables=variables)
    if len(selection.environments) == 1:  # a real plan is always of one environment
        sign_in("plan", selection.environments[0])
    mode = ci_variables.stage_mode()
    check_ci_image(mode)
    ci_variables.ensure_plugin_cache(mode)
    projects = roots(variables)
    for project in projects:  # APP_NAME before any Terraform work, for every root
        ci_variables.check_app_name(project.root, variables.app_name)
    for environment in selection.environments:  # uat and prod: no request bodies in logs
        ci_variables.refuse_verbose_logs(environment, mode)
    if not args.environment:
        print(f"planning {', '.join(selection.environments)}: {selection.reason}")
    for project in projects:
        if len(projects) > 1:
            print(f"root {project.root}")
        for environment in selection.environments:
            run_plan(
                project,
                environment,
                mode,
                allow_destroy=args.allow_destroy or variables.allow_destroy,
                app_name=variables.app_name,
                preflight=None if mode.offline else _preflight(project),
                terraform_variables=ci_variables.terraform_variables(variables),
                aws_validators=None if mode.offline or mode.rehearsal else _aws_validators(),
                verbose=args.verbose,
            )


def _preflight(project: Project) -> Callable[[str], None]:
    """Real mode: refuse placeholders, a fresh account's gaps and images whose repository
    tags can be moved, before Terraform starts."""
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION, backend_settings
    from carcierge_pipeline.preflight import run_preflight

    clients = state.AwsClients(os.environ.get("AWS_REGION") or DEFAULT_REGION)

    def check(environment: str) -> None:
        backend_settings(environment)  # the pipeline's own settings first: no AWS call needed
        with state.aws_errors("the pre-flight check of the account"):
            run_preflight(
                project.root,
                environment,
                clients.iam,
                rds_in=lambda region: clients.in_region(region).rds,
                ecr_in=lambda region: clients.in_region(region).ecr,
            )

    return check


def _aws_validators() -> Callable[[Path], str]:
    """Real mode: AWS's own validators over the plan before it is published (preflight.py)."""
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.preflight import validate_plan

    clients = state.AwsClients(os.environ.get("AWS_REGION") or DEFAULT_REGION)

    def check(plan_json: Path) -> str:
        with state.aws_errors("AWS's validators (pre-flight)"):
            findings = validate_plan(
                plan_json, lambda region, service: clients.in_region(region).client(service)
            )
        return findings.markdown()

    return check


COMMAND = Command(
    "plan",
    help="plan the environment(s) into build/<env>/",
    examples=("carcierge plan -e staging", "OFFLINE=1 carcierge plan -e prod --verbose"),
    variables=(*STAGE, BRANCH, "CI_COMMIT_SHA, CI_PIPELINE_ID (provenance)"),
    arguments=(ENVIRONMENT_FROM_BRANCH, ALLOW_DESTROY, VERBOSE),
    handler=run,
)
