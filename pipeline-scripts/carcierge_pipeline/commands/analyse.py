"""``carcierge analyse security|cost``: the security scan or the cost estimate of a plan, of
every selected environment (each reported, then one failure)."""

from __future__ import annotations

import argparse
import sys

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import PIPELINE, Command, argument
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project

KINDS = {
    "security": (
        "checkov on the code (with the environment's variables) and on plan.json",
        "CHECKOV (the checkov executable)",
    ),
    "cost": (
        "monthly cost: infracost if configured, else the built-in price table",
        "INFRACOST, INFRACOST_API_KEY (else the built-in price table)",
    ),
}


def run(args: argparse.Namespace) -> None:
    variables = ci_variables.load()
    selection = ci_variables.select_environments(args.environment, variables=variables)
    project = Project.find()
    failures: list[str] = []
    for environment in selection.environments:
        try:
            if args.analysis == "security":
                from carcierge_pipeline.stages.analyse.security import run_security

                run_security(project, environment)
            else:
                from carcierge_pipeline.stages.analyse.cost import run_cost

                run_cost(project.build_dir(environment), environment)
        except StageFailed as error:
            if len(selection.environments) == 1:
                raise
            print(f"failed: {error}", file=sys.stderr)  # report every environment, then fail
            failures.append(environment)
    if failures:
        raise StageFailed(f"{args.analysis} analysis failed for {', '.join(failures)}")


COMMAND = Command(
    "analyse",
    help="security scan or cost estimate of a plan",
    examples=("carcierge analyse cost -e prod", "carcierge analyse security -e prod"),
    variables=(PIPELINE, "CHECKOV, INFRACOST, INFRACOST_API_KEY"),
    actions_dest="analysis",
    actions_metavar="KIND",
    actions=tuple(
        Command(
            kind,
            help=text,
            examples=(f"carcierge analyse {kind} -e prod",),
            variables=(PIPELINE, reads),
            arguments=(
                argument("--environment", "-e", help="staging, qa, uat or prod (default: as plan)"),
            ),
            handler=run,
        )
        for kind, (text, reads) in KINDS.items()
    ),
)
