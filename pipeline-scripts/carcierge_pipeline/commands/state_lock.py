"""``carcierge state lock``: who holds an environment's state lock, and how to release it."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import BACKEND, BRANCH, ENVIRONMENT_FROM_BRANCH, Command
from carcierge_pipeline.commands.context import environment_from_context


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state

    state.lock_status(environment_from_context(args.environment))


COMMAND = Command(
    "lock",
    help="show who holds an environment's state lock and how to release it",
    examples=("carcierge state lock -e prod",),
    variables=(BACKEND, BRANCH, "AWS credentials"),
    arguments=(ENVIRONMENT_FROM_BRANCH,),
    handler=run,
    group="state",
)
