"""``carcierge docs``: regenerate (or check) the modules' README input/output tables."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import Command, argument
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.docs import sync

    project = Project.find()
    stale = sync(project.modules, check=args.check)
    names = ", ".join(str(path.relative_to(project.root)) for path in stale)
    if stale and args.check:
        raise StageFailed(f"module READMEs out of date (run `make docs`): {names}")
    print(f"updated {names}" if stale else "module READMEs are up to date")


COMMAND = Command(
    "docs",
    help="regenerate module README input/output tables",
    examples=("carcierge docs", "carcierge docs --check"),
    variables=("CARCIERGE_ROOT",),
    arguments=(argument("--check", action="store_true", help="fail instead of writing"),),
    handler=run,
)
