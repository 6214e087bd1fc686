"""``carcierge apply``: apply the saved plan of one environment."""

from __future__ import annotations

import argparse

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import (
    BACKEND,
    BRANCH,
    CREDENTIALS,
    PIPELINE,
    VERBOSE_HELP,
    Subcommands,
    add_command,
)
from carcierge_pipeline.commands.context import roots, start_stage

GROUP = None


def register(commands: Subcommands) -> None:
    apply = add_command(
        commands,
        "apply",
        help="apply the saved plan of one environment",
        examples=("carcierge plan -e staging && carcierge apply -e staging",),
        variables=(PIPELINE, CREDENTIALS, BACKEND, BRANCH, "CI_COMMIT_SHA, CI_PIPELINE_ID"),
    )
    apply.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (in CI: from the branch)"
    )
    apply.add_argument(
        "--allow-destroy",
        action="store_true",
        help="accept deleting or replacing stateful resources (or ALLOW_DESTROY=TRUE)",
    )
    apply.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    apply.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.apply import run_apply

    variables = ci_variables.load()
    environment = ci_variables.deploy_environment(args.environment)
    mode = start_stage("apply", environment)
    for project in roots(variables):
        run_apply(
            project,
            environment,
            mode,
            allow_destroy=args.allow_destroy or variables.allow_destroy,
            verbose=args.verbose,
        )
