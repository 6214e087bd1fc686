"""``carcierge rehearse`` (operator): bootstrap, plan, apply and plan again against a local
AWS emulator, no account needed (rehearsal.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline import environments
from carcierge_pipeline.commands import VERBOSE, Command, argument
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.rehearsal import rehearse

    rehearse(
        Project.find(), environments.require_environment(args.environment), verbose=args.verbose
    )


COMMAND = Command(
    "rehearse",
    help="bootstrap, plan, apply and plan again against a local AWS emulator (no account)",
    examples=("carcierge rehearse -e staging", "carcierge rehearse -e prod --verbose"),
    variables=(
        "none of the machine's AWS settings: they are replaced by the emulator's for the run",
    ),
    arguments=(
        argument(
            "--environment",
            "-e",
            default="staging",
            help="staging, qa, uat or prod (default staging)",
        ),
        VERBOSE,
    ),
    handler=run,
)
