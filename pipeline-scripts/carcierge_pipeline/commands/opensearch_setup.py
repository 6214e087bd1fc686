"""``carcierge opensearch setup`` (operator, run by the operator task inside the VPC): the
services' roles and mappings, the log index template, ISM retention, the snapshot repository
and policy, idempotent (carcierge_pipeline/opensearch_setup.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline import environments
from carcierge_pipeline.commands import ENVIRONMENT, Command


def run(args: argparse.Namespace) -> None:
    import logging

    from carcierge_pipeline.opensearch_setup import run_setup

    # opensearch-py logs every 404 as a warning; a missing document is what the command looks
    # for, and it reports what it changed itself.
    logging.getLogger("opensearch").setLevel(logging.ERROR)
    run_setup(environments.require_environment(args.environment))


COMMAND = Command(
    "setup",
    help="service roles and mappings, log index template, ISM retention, snapshot repository "
    "and policy (idempotent); settings from OPENSEARCH_*, LOG_RETENTION_DAYS, AWS_REGION",
    examples=("carcierge opensearch setup -e prod",),
    variables=(
        "OPENSEARCH_ENDPOINT, OPENSEARCH_ADMIN_ROLE_ARN, OPENSEARCH_SERVICE_ROLES, "
        "OPENSEARCH_DELIVERY_ROLE_ARN, OPENSEARCH_SNAPSHOT_ROLE_ARN, "
        "OPENSEARCH_SNAPSHOT_BUCKET, LOG_RETENTION_DAYS, AWS_REGION",
    ),
    arguments=(ENVIRONMENT,),
    handler=run,
    group="opensearch",
)
