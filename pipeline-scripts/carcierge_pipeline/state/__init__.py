"""Remote state: the S3 bucket and DynamoDB lock table of the Terraform backend.

``aws`` is the AWS access the set-up commands share, ``provision`` the idempotent bootstrap of
the backend (and its replica in a second region), ``locks`` the inspection of who holds an
environment's lock. Their public names are re-exported here for the CLI and the tests.
"""

from carcierge_pipeline.state.aws import (
    CREATED,
    UNCHANGED,
    UPDATED,
    AwsClients,
    Item,
    aws_errors,
    error_code,
    partition_of,
    statement_essentials,
)
from carcierge_pipeline.state.locks import (
    DIGEST_SUFFIX,
    LOCK_FIELDS,
    LOCKFILE_SUFFIX,
    LockHolder,
    LockStatus,
    lock_status,
    render_lock_status,
)
from carcierge_pipeline.state.provision import (
    DEFAULT_KMS_ALIAS,
    DEFAULT_LOCK_DAYS,
    DEFAULT_NONCURRENT_DAYS,
    DEFAULT_REPLICA_KMS_ALIAS,
    LIFECYCLE_RULE_ID,
    POLICY_SIDS,
    REPLICATION_POLICY,
    REPLICATION_ROLE,
    BootstrapResult,
    bootstrap,
    bucket_policy,
    default_replica_bucket,
    lifecycle_rule,
    render_bootstrap,
    validate_inputs,
    validate_replica,
)

__all__ = [
    "CREATED",
    "DEFAULT_KMS_ALIAS",
    "DEFAULT_LOCK_DAYS",
    "DEFAULT_NONCURRENT_DAYS",
    "DEFAULT_REPLICA_KMS_ALIAS",
    "DIGEST_SUFFIX",
    "LIFECYCLE_RULE_ID",
    "LOCKFILE_SUFFIX",
    "LOCK_FIELDS",
    "POLICY_SIDS",
    "REPLICATION_POLICY",
    "REPLICATION_ROLE",
    "UNCHANGED",
    "UPDATED",
    "AwsClients",
    "BootstrapResult",
    "Item",
    "LockHolder",
    "LockStatus",
    "aws_errors",
    "bootstrap",
    "bucket_policy",
    "default_replica_bucket",
    "error_code",
    "lifecycle_rule",
    "lock_status",
    "partition_of",
    "render_bootstrap",
    "render_lock_status",
    "statement_essentials",
    "validate_inputs",
    "validate_replica",
]
