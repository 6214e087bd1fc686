"""``carcierge db roles`` (operator, run by the operator task inside the VPC): each service's
PostgreSQL role, IAM login and schema, idempotent (database.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline import environments
from carcierge_pipeline.commands import Subcommands, add_command

GROUP = "db"


def register(commands: Subcommands) -> None:
    roles = add_command(
        commands,
        "roles",
        help="create each service's PostgreSQL role, IAM login and schema (idempotent); "
        "settings from DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES",
        examples=("carcierge db roles -e prod",),
        variables=(
            "DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES, AWS_REGION",
        ),
    )
    roles.add_argument("--environment", "-e", required=True, help="staging, qa, uat or prod")
    roles.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.database import run_roles

    run_roles(environments.require_environment(args.environment))
