"""``carcierge db roles`` (operator, run by the operator task inside the VPC): each service's
PostgreSQL role, IAM login and schema, idempotent (database.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline import environments
from carcierge_pipeline.commands import ENVIRONMENT, Command


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.database import run_roles

    run_roles(environments.require_environment(args.environment))


COMMAND = Command(
    "roles",
    help="create each service's PostgreSQL role, IAM login and schema (idempotent); settings "
    "from DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES",
    examples=("carcierge db roles -e prod",),
    variables=("DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES, AWS_REGION",),
    arguments=(ENVIRONMENT,),
    handler=run,
    group="db",
)
