"""Per-environment settings of the partial S3 backend in backend.tf."""

from __future__ import annotations

import os
from collections.abc import Mapping

from carcierge_pipeline.environments import require_environment
from carcierge_pipeline.errors import UserError

DEFAULT_REGION = "us-west-1"
DEFAULT_LOCK_TABLE = "carcierge-terraform-locks"
# The key `carcierge state bootstrap` creates; without kms_key_id Terraform would upload the
# state object with SSE-S3 instead of the bucket's KMS default.
DEFAULT_STATE_KMS_KEY = "alias/carcierge-terraform-state"


def state_key(environment: str, environ: Mapping[str, str] = os.environ) -> str:
    """``<APP_NAME>/<env>/terraform.tfstate`` for TYPE=app (ci_variables.TYPES)."""
    from carcierge_pipeline import ci_variables

    return ci_variables.load(environ).state_key(require_environment(environment))


def backend_settings(environment: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``-backend-config`` values: one state per environment, encrypted and locked.

    Both lock mechanisms are on during the migration: S3's native lockfile (Terraform >= 1.10)
    and the DynamoDB table, which Terraform deprecates but older runners still honour.
    """
    bucket = environ.get("TF_STATE_BUCKET", "")
    if not bucket:
        raise UserError(
            "TF_STATE_BUCKET is not set: name the S3 state bucket "
            "(create it with `carcierge state bootstrap`)"
        )
    return {
        "bucket": bucket,
        "key": state_key(environment, environ),
        "region": environ.get("BACKEND_REGION") or DEFAULT_REGION,
        "encrypt": "true",
        "kms_key_id": environ.get("TF_STATE_KMS_KEY") or DEFAULT_STATE_KMS_KEY,
        "dynamodb_table": environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE,
        "use_lockfile": "true",
    }
