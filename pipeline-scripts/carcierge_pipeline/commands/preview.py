"""``carcierge preview``: what the working tree changes in an environment relative to a git
ref, offline (build/<env>/change/), optionally posted on the merge request."""

from __future__ import annotations

import argparse
import os

from carcierge_pipeline import ci_variables
from carcierge_pipeline.commands import (
    ALLOW_DESTROY,
    BRANCH,
    ENVIRONMENT_FROM_BRANCH,
    Command,
    argument,
)
from carcierge_pipeline.commands.context import environment_from_context
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import mr_note
    from carcierge_pipeline.preview import preview

    environment = environment_from_context(args.environment or os.environ.get("PLAN_ENVIRONMENT"))
    base = (
        args.base
        or os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
        or os.environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    )
    if not base:
        raise UserError("preview needs --base <git ref> (in a merge request: its target branch)")
    post = (lambda body: mr_note.upsert(environment, body)) if args.post else None
    allow = args.allow_destroy or ci_variables.flag("ALLOW_DESTROY", os.environ)
    preview(
        Project.find(),
        environment,
        base,
        allow_destroy=allow,
        post=post,
        security=args.security,
        # In a merge request pipeline: the target branch holds the merge base.
        fetch_branch=os.environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    )


COMMAND = Command(
    "preview",
    help="what the working tree changes in an environment relative to a git ref, offline "
    "(build/<env>/change/)",
    examples=(
        "carcierge preview -e staging --base main",
        "carcierge preview -e prod --base prod --post",
    ),
    variables=(
        "PLAN_ENVIRONMENT, " + BRANCH,
        "CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_MERGE_REQUEST_TARGET_BRANCH_NAME (default --base)",
        "ALLOW_DESTROY",
        "CARCIERGE_GITLAB_TOKEN, CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (--post)",
    ),
    arguments=(
        ENVIRONMENT_FROM_BRANCH,
        argument(
            "--base",
            help="git ref to compare with (default in a merge request: "
            "$CI_MERGE_REQUEST_DIFF_BASE_SHA, else $CI_MERGE_REQUEST_TARGET_BRANCH_NAME)",
        ),
        ALLOW_DESTROY,
        argument(
            "--post",
            action="store_true",
            help="create or update the environment's merge-request comment "
            "($CARCIERGE_GITLAB_TOKEN)",
        ),
        argument(
            "--security",
            action="store_true",
            help="also scan the base's and the change's plans with checkov and show new and "
            "fixed findings (make checkov)",
        ),
    ),
    handler=run,
)
