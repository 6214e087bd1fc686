"""``carcierge rehearse`` (operator): bootstrap, plan, apply and plan again against a local
AWS emulator, no account needed (rehearsal.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline import environments
from carcierge_pipeline.commands import VERBOSE_HELP, Subcommands, add_command
from carcierge_pipeline.project import Project

GROUP = None


def register(commands: Subcommands) -> None:
    rehearse = add_command(
        commands,
        "rehearse",
        help="bootstrap, plan, apply and plan again against a local AWS emulator (no account)",
        examples=("carcierge rehearse -e staging", "carcierge rehearse -e prod --verbose"),
        variables=(
            "none of the machine's AWS settings: they are replaced by the emulator's for the run",
        ),
    )
    rehearse.add_argument(
        "--environment", "-e", default="staging", help="staging, qa, uat or prod (default staging)"
    )
    rehearse.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    rehearse.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.rehearsal import rehearse

    rehearse(
        Project.find(), environments.require_environment(args.environment), verbose=args.verbose
    )
