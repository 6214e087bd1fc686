"""``carcierge oidc bootstrap`` (operator): in the environment's own account, the GitLab OIDC
provider, the plan and deploy roles and their boundary, idempotent (oidc.py)."""

from __future__ import annotations

import argparse
import json
import os

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.commands import BACKEND, ENVIRONMENT, JSON, Command, argument
from carcierge_pipeline.commands.context import state_backend, state_backend_arguments
from carcierge_pipeline.project import Project


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import accounts, oidc, state
    from carcierge_pipeline.backend import DEFAULT_STATE_KMS_KEY

    variables = ci_variables.load()
    environment = environments.require_environment(args.environment)
    project = Project.find()
    account = accounts.account_id(project.root, environment)  # before any AWS call
    items = oidc.bootstrap(
        environment,
        args.project_path,
        *state_backend(args),
        account_id=account,
        root=project.root,
        gitlab_url=args.gitlab_url,
        audience=args.audience,
        kms_key=os.environ.get("TF_STATE_KMS_KEY") or DEFAULT_STATE_KMS_KEY,
        app_name=variables.app_name,
        protected_buckets=tuple(args.protected_bucket or ()),
    )
    if args.json:
        print(json.dumps([item.__dict__ for item in items], indent=2))
        return
    width = max(len(item.name) for item in items)
    for item in items:
        print(f"  {item.status:<9}  {item.name:<{width}}  {item.detail}")
    changed = sum(item.status != state.UNCHANGED for item in items)
    print(f"{changed} of {len(items)} items changed" if changed else "nothing changed")


COMMAND = Command(
    "bootstrap",
    help="in the environment's own account: the OIDC provider, its plan and deploy roles and "
    "their boundary (idempotent)",
    examples=(
        "carcierge oidc bootstrap --environment qa --project-path acme/carcierge-infrastructure",
    ),
    variables=(
        BACKEND,
        "APP_NAME",
        "AWS credentials (an administrator of the environment's account)",
    ),
    arguments=(
        ENVIRONMENT,
        argument("--project-path", required=True, help="<group>/<project>"),
        argument("--gitlab-url", default="https://gitlab.com"),
        argument("--audience", help="the id_tokens aud (default: --gitlab-url)"),
        argument(
            "--protected-bucket",
            action="append",
            help="a backup bucket whose policy, versioning and lifecycle the deploy role may "
            "never change (repeatable; the state bucket always is)",
        ),
        *state_backend_arguments(table_help="default: $TF_LOCK_TABLE"),
        JSON,
    ),
    handler=run,
    group="oidc",
)
