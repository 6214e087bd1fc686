"""``carcierge state bootstrap`` (operator): the S3 state bucket, its KMS key, the lock table
and optionally the bucket's replica, idempotent (state/provision.py)."""

from __future__ import annotations

import argparse
import json

from carcierge_pipeline.commands import BACKEND, JSON, Command, argument
from carcierge_pipeline.commands.context import state_backend, state_backend_arguments


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state

    result = state.bootstrap(
        *state_backend(args),
        args.kms_key_alias,
        noncurrent_days=args.noncurrent_days,
        lock_days=args.lock_days,
        replica_region=args.replica_region,
        replica_bucket=args.replica_bucket,
        replica_kms_key_alias=args.replica_kms_key_alias,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n".join(state.render_bootstrap(result)))


COMMAND = Command(
    "bootstrap",
    help="create the S3 state bucket, KMS key and lock table (idempotent)",
    examples=(
        "carcierge state bootstrap --bucket acme-carcierge-tfstate --replica-region us-west-2",
    ),
    variables=(BACKEND, "AWS credentials"),
    arguments=(
        *state_backend_arguments(table_help="default: $TF_LOCK_TABLE or carcierge-terraform-locks"),
        argument(
            "--kms-key-alias",
            default=None,
            help="customer-managed key alias, created if missing (default: "
            "alias/carcierge-terraform-state)",
        ),
        argument(
            "--noncurrent-days",
            type=int,
            default=90,
            help="days old state versions are kept (default: 90)",
        ),
        argument(
            "--lock-days",
            type=int,
            default=30,
            help="S3 Object Lock retention of every state version, GOVERNANCE mode, at most "
            "--noncurrent-days (default: 30)",
        ),
        argument(
            "--replica-region",
            help="also replicate the state bucket to this region (another region than the "
            "state's, e.g. us-west-2): a KMS key, a replica bucket, a replication role and the "
            "replication configuration, all idempotent",
        ),
        argument(
            "--replica-bucket", help="replica bucket name (default: <bucket>-replica-<region>)"
        ),
        argument(
            "--replica-kms-key-alias",
            help="customer-managed key alias in the replica region, created if missing "
            "(default: alias/carcierge-terraform-state-replica)",
        ),
        JSON,
    ),
    handler=run,
    group="state",
)
