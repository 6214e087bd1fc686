"""``carcierge apply``: apply the saved plan of one environment."""

from __future__ import annotations

import argparse

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import ALLOW_DESTROY, BRANCH, STAGE, VERBOSE, Command, argument
from carcierge_pipeline.commands.context import roots, start_stage


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.apply import run_apply

    variables = ci_variables.load()
    environment = ci_variables.deploy_environment(args.environment)
    mode = start_stage("apply", environment)
    allow = args.allow_destroy or variables.allow_destroy
    for project in roots(variables):
        run_apply(project, environment, mode, allow_destroy=allow, verbose=args.verbose)


COMMAND = Command(
    "apply",
    help="apply the saved plan of one environment",
    examples=("carcierge plan -e staging && carcierge apply -e staging",),
    variables=(*STAGE, BRANCH, "CI_COMMIT_SHA, CI_PIPELINE_ID"),
    arguments=(
        argument("--environment", "-e", help="staging, qa, uat or prod (in CI: from the branch)"),
        ALLOW_DESTROY,
        VERBOSE,
    ),
    handler=run,
)
