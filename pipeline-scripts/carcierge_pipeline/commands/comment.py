"""``carcierge comment``: post the environment's change comment from its saved plan (or,
with --applied, what was applied) on the merge request or commit."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import BRANCH, ENVIRONMENT_FROM_BRANCH, Command, argument
from carcierge_pipeline.commands.context import environment_from_context
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import mr_note
    from carcierge_pipeline.preview import plan_comment

    environment = environment_from_context(args.environment)
    body = plan_comment(Project.find(), environment, applied=args.applied)
    mr_note.upsert(environment, body)


COMMAND = Command(
    "comment",
    help="post the environment's change comment from build/<env>/plan.json (a real plan, or "
    "with --applied what was applied) on the merge request or commit",
    examples=("carcierge comment -e prod", "carcierge comment -e prod --applied"),
    variables=(
        BRANCH,
        "CARCIERGE_GITLAB_TOKEN, CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, "
        "CI_COMMIT_SHA, CI_JOB_URL",
    ),
    arguments=(
        ENVIRONMENT_FROM_BRANCH,
        argument("--applied", action="store_true", help="after apply"),
    ),
    handler=run,
)
