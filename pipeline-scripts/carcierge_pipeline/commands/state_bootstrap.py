"""``carcierge state bootstrap`` (operator): the S3 state bucket, its KMS key, the lock table
and optionally the bucket's replica, idempotent (state/provision.py)."""

from __future__ import annotations

import argparse
import json
import os

from carcierge_pipeline.commands import BACKEND, Subcommands, add_command
from carcierge_pipeline.errors import UserError

GROUP = "state"


def register(commands: Subcommands) -> None:
    bootstrap = add_command(
        commands,
        "bootstrap",
        help="create the S3 state bucket, KMS key and lock table (idempotent)",
        examples=(
            "carcierge state bootstrap --bucket acme-carcierge-tfstate --replica-region us-west-2",
        ),
        variables=(BACKEND, "AWS credentials"),
    )
    bootstrap.add_argument("--bucket", help="default: $TF_STATE_BUCKET")
    bootstrap.add_argument("--table", help="default: $TF_LOCK_TABLE or carcierge-terraform-locks")
    bootstrap.add_argument("--region", help="default: $BACKEND_REGION or us-west-1")
    bootstrap.add_argument(
        "--kms-key-alias",
        default=None,
        help="customer-managed key alias, created if missing (default: "
        "alias/carcierge-terraform-state)",
    )
    bootstrap.add_argument(
        "--noncurrent-days",
        type=int,
        default=90,
        help="days old state versions are kept (default: 90)",
    )
    bootstrap.add_argument(
        "--lock-days",
        type=int,
        default=30,
        help="S3 Object Lock retention of every state version, GOVERNANCE mode, at most "
        "--noncurrent-days (default: 30)",
    )
    bootstrap.add_argument(
        "--replica-region",
        help="also replicate the state bucket to this region (another region than the state's, "
        "e.g. us-west-2): a KMS key, a replica bucket, a replication role and the replication "
        "configuration, all idempotent",
    )
    bootstrap.add_argument(
        "--replica-bucket", help="replica bucket name (default: <bucket>-replica-<region>)"
    )
    bootstrap.add_argument(
        "--replica-kms-key-alias",
        help="customer-managed key alias in the replica region, created if missing (default: "
        "alias/carcierge-terraform-state-replica)",
    )
    bootstrap.add_argument("--json", action="store_true", help="print the result as JSON")
    bootstrap.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION

    bucket = args.bucket or os.environ.get("TF_STATE_BUCKET")
    if not bucket:
        raise UserError("no state bucket: pass --bucket or set TF_STATE_BUCKET")
    result = state.bootstrap(
        bucket,
        args.table or os.environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE,
        args.region or os.environ.get("BACKEND_REGION") or DEFAULT_REGION,
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
