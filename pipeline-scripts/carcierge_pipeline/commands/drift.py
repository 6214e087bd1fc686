"""``carcierge drift``: the scheduled drift check of one environment (exit 3 on drift)."""

from __future__ import annotations

import argparse
import os

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.commands import STAGE, Command, argument
from carcierge_pipeline.commands.context import roots, start_stage
from carcierge_pipeline.errors import UserError


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.drift import run_drift

    variables = ci_variables.load()
    environment = args.environment or os.environ.get("DRIFT_ENVIRONMENT")
    if not environment:
        raise UserError("drift needs --environment (in CI: DRIFT_ENVIRONMENT, from the schedule)")
    environments.require_environment(environment)
    mode = start_stage("drift", environment)
    terraform_variables = ci_variables.terraform_variables(variables)
    for project in roots(variables):
        run_drift(project, environment, mode, terraform_variables=terraform_variables)


COMMAND = Command(
    "drift",
    help="scheduled drift check: plan -detailed-exitcode, exit 3 on drift",
    examples=("carcierge drift -e prod",),
    variables=("DRIFT_ENVIRONMENT", *STAGE),
    arguments=(argument("--environment", "-e", help="default: $DRIFT_ENVIRONMENT"),),
    handler=run,
)
