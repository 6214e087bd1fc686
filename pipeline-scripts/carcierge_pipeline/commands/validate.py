"""``carcierge validate``: fmt, init, validate and terraform test of every selected root."""

from __future__ import annotations

import argparse

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import PIPELINE, Command, argument
from carcierge_pipeline.commands.context import roots
from carcierge_pipeline.terraform import resolve_mode


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.validate import run_validate

    variables = ci_variables.load()
    mode = resolve_mode()
    ci_variables.ensure_plugin_cache(mode)
    for project in roots(variables):
        run_validate(project, mode, tests=variables.terraform_test and not args.skip_tests)


COMMAND = Command(
    "validate",
    help="fmt, init, validate and terraform test",
    examples=("carcierge validate", "carcierge validate --skip-tests"),
    variables=(PIPELINE, "OFFLINE", "TF_PLUGIN_CACHE_DIR"),
    arguments=(argument("--skip-tests", action="store_true", help="skip terraform test"),),
    handler=run,
)
