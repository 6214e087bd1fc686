"""``carcierge state lock``: who holds an environment's state lock, and how to release it."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import BACKEND, BRANCH, Subcommands, add_command
from carcierge_pipeline.commands.context import environment_from_context

GROUP = "state"


def register(commands: Subcommands) -> None:
    lock = add_command(
        commands,
        "lock",
        help="show who holds an environment's state lock and how to release it",
        examples=("carcierge state lock -e prod",),
        variables=(BACKEND, BRANCH, "AWS credentials"),
    )
    lock.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    lock.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state

    state.lock_status(environment_from_context(args.environment))
