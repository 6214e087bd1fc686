"""``carcierge parity``: compare the environments' planned settings; fail if prod < uat."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import Command, argument
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.analyse.parity import run_parity
    from carcierge_pipeline.stages.plan import run_plan

    run_parity(Project.find(), reuse_plans=args.reuse_plans, planner=run_plan)


COMMAND = Command(
    "parity",
    help="compare the environments' planned settings; fail if prod < uat",
    examples=("carcierge parity", "carcierge parity --reuse-plans"),
    variables=("CARCIERGE_ROOT",),
    arguments=(
        argument(
            "--reuse-plans",
            action="store_true",
            help="read build/<env>/plan.json instead of planning each environment offline",
        ),
    ),
    handler=run,
)
