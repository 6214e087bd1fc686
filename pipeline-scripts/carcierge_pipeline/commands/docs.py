"""``carcierge docs``: regenerate (or check) the modules' README input/output tables."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import Subcommands, add_command
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project

GROUP = None


def register(commands: Subcommands) -> None:
    docs = add_command(
        commands,
        "docs",
        help="regenerate module README input/output tables",
        examples=("carcierge docs", "carcierge docs --check"),
        variables=("CARCIERGE_ROOT",),
    )
    docs.add_argument("--check", action="store_true", help="fail instead of writing")
    docs.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.docs import sync

    project = Project.find()
    stale = sync(project.modules, check=args.check)
    names = ", ".join(str(path.relative_to(project.root)) for path in stale)
    if stale and args.check:
        raise StageFailed(f"module READMEs out of date (run `make docs`): {names}")
    print(f"updated {names}" if stale else "module READMEs are up to date")
