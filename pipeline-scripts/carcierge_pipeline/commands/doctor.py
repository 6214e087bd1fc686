"""``carcierge doctor`` (operator): what a first real pipeline of an environment needs in its
account, with the fix of each miss (doctor.py)."""

from __future__ import annotations

import argparse
import os

from carcierge_pipeline import environments
from carcierge_pipeline.commands import BACKEND, ENVIRONMENT, Command, argument
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.doctor import render, run_doctor

    environment = environments.require_environment(args.environment)
    project = Project.find()
    region = os.environ.get("AWS_REGION") or DEFAULT_REGION
    checks = run_doctor(
        project.root,
        environment,
        state.AwsClients(region),
        project_path=args.project_path or os.environ.get("CI_PROJECT_PATH"),
    )
    print(f"doctor: {environment}")
    print("\n".join(render(checks)))
    missed = sum(not check.ok for check in checks)
    if missed:
        raise StageFailed(f"doctor: {missed} check(s) missed for {environment}; fixes above")


COMMAND = Command(
    "doctor",
    help="check what a first real pipeline of an environment needs in its account, with the "
    "fix of each miss",
    examples=("carcierge doctor -e staging --project-path acme/carcierge-infrastructure",),
    variables=("CI_PROJECT_PATH (default --project-path)", BACKEND, "AWS credentials"),
    arguments=(
        ENVIRONMENT,
        argument(
            "--project-path",
            help="<group>/<project> the roles must trust (default: CI_PROJECT_PATH)",
        ),
    ),
    handler=run,
)
