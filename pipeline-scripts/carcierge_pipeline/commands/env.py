"""``carcierge env``: the environment(s) a pipeline plans here, and why."""

from __future__ import annotations

import argparse

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.commands import BRANCH, Command, argument
from carcierge_pipeline.commands.context import sign_in


def run(args: argparse.Namespace) -> None:
    if args.branch:
        resolution = environments.resolve_branch(args.branch)
        print(f"{resolution.environment}  ({resolution.reason})")
        return
    selection = ci_variables.select_environments(None)
    print(f"{' '.join(selection.environments)}  ({selection.reason})")
    from carcierge_pipeline import oidc

    if args.stage and len(selection.environments) == 1:
        sign_in(args.stage, selection.environments[0])
    else:
        oidc.use_id_token()
    mode = ci_variables.stage_mode()
    kind = "offline preview" if mode.offline else "real"
    print(f"mode: {kind} ({mode.reason})")
    print(f"credentials: {oidc.describe()}")


COMMAND = Command(
    "env",
    help="print the environment(s) a pipeline plans here, and why",
    examples=("carcierge env --branch qa",),
    variables=(BRANCH, "ENVIRONMENTS", "OFFLINE, AWS credentials"),
    arguments=(
        argument("--branch", help="the environment this branch deploys (default: CI context)"),
        argument(
            "--stage",
            choices=("plan", "drift", "apply"),
            help="also sign in as that stage would (its role of the environment)",
        ),
    ),
    handler=run,
)
