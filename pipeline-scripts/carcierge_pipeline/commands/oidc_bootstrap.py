"""``carcierge oidc bootstrap`` (operator): in the environment's own account, the GitLab OIDC
provider, the plan and deploy roles and their boundary, idempotent (oidc.py)."""

from __future__ import annotations

import argparse
import json
import os

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.commands import BACKEND, Subcommands, add_command
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.project import Project

GROUP = "oidc"


def register(commands: Subcommands) -> None:
    oidc_bootstrap = add_command(
        commands,
        "bootstrap",
        help="in the environment's own account: the OIDC provider, its plan and deploy roles "
        "and their boundary (idempotent)",
        examples=(
            "carcierge oidc bootstrap --environment qa "
            "--project-path acme/carcierge-infrastructure",
        ),
        variables=(
            BACKEND,
            "APP_NAME",
            "AWS credentials (an administrator of the environment's account)",
        ),
    )
    oidc_bootstrap.add_argument(
        "--environment", "-e", required=True, help="staging, qa, uat or prod"
    )
    oidc_bootstrap.add_argument("--project-path", required=True, help="<group>/<project>")
    oidc_bootstrap.add_argument("--gitlab-url", default="https://gitlab.com")
    oidc_bootstrap.add_argument("--audience", help="the id_tokens aud (default: --gitlab-url)")
    oidc_bootstrap.add_argument(
        "--protected-bucket",
        action="append",
        help="a backup bucket whose policy, versioning and lifecycle the deploy role may never "
        "change (repeatable; the state bucket always is)",
    )
    oidc_bootstrap.add_argument("--bucket", help="default: $TF_STATE_BUCKET")
    oidc_bootstrap.add_argument("--table", help="default: $TF_LOCK_TABLE")
    oidc_bootstrap.add_argument("--region", help="default: $BACKEND_REGION or us-west-1")
    oidc_bootstrap.add_argument("--json", action="store_true", help="print the result as JSON")
    oidc_bootstrap.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import accounts, oidc, state
    from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION, DEFAULT_STATE_KMS_KEY

    variables = ci_variables.load()
    environment = environments.require_environment(args.environment)
    project = Project.find()
    account = accounts.account_id(project.root, environment)  # before any AWS call
    bucket = args.bucket or os.environ.get("TF_STATE_BUCKET")
    if not bucket:
        raise UserError("no state bucket: pass --bucket or set TF_STATE_BUCKET")
    items = oidc.bootstrap(
        environment,
        args.project_path,
        bucket,
        args.table or os.environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE,
        args.region or os.environ.get("BACKEND_REGION") or DEFAULT_REGION,
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
