"""The state backend's bootstrap: the S3 bucket, its KMS key and the DynamoDB lock table.

The state backend cannot be created by the Terraform configuration it serves, so it is
created here with boto3, idempotently: every item is read first and written only when it
differs from the wanted setting, and each run reports per item ``created``, ``updated`` or
``unchanged``.

With a replica region (``--replica-region``) the state bucket is also replicated there by S3
replication: a KMS key of that region, a replica bucket set up like the primary, a role S3
assumes to copy every object version (and delete markers), and the replication configuration
on the state bucket (S3 User Guide, "Replicating encrypted objects", read 2026-12-01).

The bucket (and its replica) is created with S3 Object Lock and a default retention in
GOVERNANCE mode (``--lock-days``, 30 by default): no state version can be erased within that time
without s3:BypassGovernanceRetention, and old versions are kept at least as long
(``--noncurrent-days`` >= ``--lock-days``). A bucket made before Object Lock existed here gets it
at the next run (S3 allows enabling it on a versioned bucket); it cannot be turned off again.

Encryption uses a customer-managed KMS key (default alias ``alias/carcierge-terraform-state``,
created with rotation on when missing, reused when present) for both the bucket and the lock
table: its key policy, grants and CloudTrail decrypt events stay under the account's control,
which an AWS-managed key (``aws/s3``) does not allow, and one key serves both stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from carcierge_pipeline.backend import (
    DEFAULT_LOCK_TABLE,
    DEFAULT_REGION,
    DEFAULT_STATE_KMS_KEY,
)
from carcierge_pipeline.errors import UserError
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

# What the package publishes (state/__init__.py re-exports it).
__all__ = [
    "DEFAULT_KMS_ALIAS",
    "DEFAULT_LOCK_DAYS",
    "DEFAULT_NONCURRENT_DAYS",
    "DEFAULT_REPLICA_KMS_ALIAS",
    "LIFECYCLE_RULE_ID",
    "POLICY_SIDS",
    "REPLICATION_POLICY",
    "REPLICATION_ROLE",
    "BootstrapResult",
    "bootstrap",
    "bucket_policy",
    "default_replica_bucket",
    "lifecycle_rule",
    "render_bootstrap",
    "validate_inputs",
    "validate_replica",
]

DEFAULT_KMS_ALIAS = DEFAULT_STATE_KMS_KEY
DEFAULT_REPLICA_KMS_ALIAS = "alias/carcierge-terraform-state-replica"
REPLICATION_ROLE = "carcierge-terraform-state-replication"
REPLICATION_POLICY = "carcierge-terraform-state-replication"
DEFAULT_NONCURRENT_DAYS = 90
# S3 Object Lock on the state bucket and its replica (review 2026-12-07 M5): every state version
# is kept at least this long, in GOVERNANCE mode: within that time no version is deleted or
# overwritten except by a principal allowed s3:BypassGovernanceRetention (which the deploy roles'
# permissions boundary denies). S3 User Guide, "Locking objects with Object Lock" (read
# 2026-12-07); S3 API Reference, PutObjectLockConfiguration / DefaultRetention.
DEFAULT_LOCK_DAYS = 30
LOCK_MODE = "GOVERNANCE"
ABORT_MULTIPART_DAYS = 7
LIFECYCLE_RULE_ID = "carcierge-state-noncurrent-versions"
POLICY_SIDS = ("DenyInsecureTransport", "DenyTlsOlderThan12")
TAGS = {"Project": "carcierge", "ManagedBy": "carcierge-state-bootstrap"}
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_ALIAS_NAME = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
_REGION_CODE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$")


# --- bootstrap --------------------------------------------------------------------------------


@dataclass
class BootstrapResult:
    bucket: str
    table: str
    region: str
    kms_key_arn: str
    items: list[Item] = field(default_factory=list)
    replica_region: str | None = None
    replica_bucket: str | None = None
    replica_kms_key_arn: str | None = None

    @property
    def changed(self) -> bool:
        return any(item.status != UNCHANGED for item in self.items)

    def status_of(self, name: str) -> str:
        return next(item.status for item in self.items if item.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def _valid_bucket_name(bucket: str) -> bool:
    return bool(
        _BUCKET_NAME.match(bucket)
        and ".." not in bucket
        and not re.match(r"^\d+\.\d+\.\d+\.\d+$", bucket)
    )


def _check_alias(kms_key_alias: str, what: str = "kms key alias") -> None:
    if not _ALIAS_NAME.match(kms_key_alias) or kms_key_alias.startswith("alias/aws/"):
        raise UserError(
            f"{what} must be 'alias/<name>' of a customer-managed key (not an AWS-managed "
            f"'alias/aws/...' key, which cannot encrypt both bucket and table); got "
            f"{kms_key_alias!r}"
        )


def validate_inputs(
    bucket: str,
    table: str,
    kms_key_alias: str,
    noncurrent_days: int,
    lock_days: int = DEFAULT_LOCK_DAYS,
) -> None:
    if not _valid_bucket_name(bucket):
        raise UserError(
            "bucket must be 3-63 lowercase letters, digits, '.' or '-', starting and ending "
            f"with a letter or digit; got {bucket!r}"
        )
    if not _TABLE_NAME.match(table):
        raise UserError(f"table must be 3-255 letters, digits, '_', '-' or '.'; got {table!r}")
    _check_alias(kms_key_alias)
    if not 1 <= noncurrent_days <= 3650:
        raise UserError(f"noncurrent days must be between 1 and 3650; got {noncurrent_days}")
    if not 1 <= lock_days <= noncurrent_days:
        raise UserError(
            f"lock days must be between 1 and the noncurrent days ({noncurrent_days}): old state "
            f"versions are kept at least as long as Object Lock protects them; got {lock_days}"
        )


def bucket_policy(bucket: str, partition: str = "aws") -> dict[str, Any]:
    """TLS only: deny every request over plain HTTP, and TLS older than 1.2."""
    resources = [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": POLICY_SIDS[0],
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": POLICY_SIDS[1],
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            },
        ],
    }


def lifecycle_rule(noncurrent_days: int) -> dict[str, Any]:
    """Old state versions expire after ``noncurrent_days``; the current version never does.

    Lock files are written and deleted on every run, so expired delete markers (a marker with
    no versions left) are removed too, and abandoned multipart uploads are aborted.
    """
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
    }


def _rule_essentials(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    """The parts of a lifecycle rule this module manages, in a comparable form."""
    filter_ = rule.get("Filter") or {}
    whole_bucket = filter_ in ({}, {"Prefix": ""}) and not rule.get("Prefix")
    return (
        rule.get("Status"),
        whole_bucket,
        (rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker"),
        (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
        (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
    )


def _ensure_kms_key(
    kms: Any,
    alias: str,
    name: str = "kms key",
    description: str = "carcierge: Terraform state bucket and lock table encryption",
) -> tuple[str, Item]:
    metadata = _read_or_none(
        lambda: kms.describe_key(KeyId=alias)["KeyMetadata"],
        ("NotFoundException",),
        f"describing KMS key {alias}",
    )
    if metadata is None:
        with aws_errors(f"creating KMS key {alias}"):
            metadata = kms.create_key(
                Description=description,
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=[{"TagKey": k, "TagValue": v} for k, v in TAGS.items()],
            )["KeyMetadata"]
            kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return metadata["Arn"], Item(name, CREATED, f"{alias} -> {metadata['Arn']}, rotation on")

    arn = metadata["Arn"]
    if metadata.get("KeyManager") != "CUSTOMER":
        raise UserError(f"KMS key {alias} is AWS-managed: choose a customer-managed key alias")
    if metadata.get("KeyState") != "Enabled":
        raise UserError(
            f"KMS key {alias} is {metadata.get('KeyState')}: enable it or choose another alias"
        )
    if metadata.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        raise UserError(f"KMS key {alias} must be SYMMETRIC_DEFAULT; got {metadata['KeySpec']}")
    with aws_errors(f"reading key rotation of {alias}"):
        rotation = kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"]
    if rotation:
        return arn, Item(name, UNCHANGED, f"{alias} -> {arn}, rotation on")
    with aws_errors(f"enabling key rotation of {alias}"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return arn, Item(name, UPDATED, f"{alias} -> {arn}, rotation turned on")


def _bucket_region(error_or_response: Any) -> str | None:
    response = getattr(error_or_response, "response", error_or_response) or {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = headers.get("x-amz-bucket-region")
    return str(region) if region else None


def _wrong_region(
    bucket: str,
    found: str,
    region: str,
    hint: str = "set BACKEND_REGION to the bucket's region or choose another bucket",
) -> UserError:
    return UserError(f"bucket {bucket} is in {found}, not {region}: {hint}")


def _ensure_bucket(
    s3: Any,
    bucket: str,
    region: str,
    name: str = "s3 bucket",
    option: str = "TF_STATE_BUCKET",
) -> Item:
    from botocore.exceptions import ClientError

    hint = (
        "set BACKEND_REGION to the bucket's region or choose another bucket"
        if option == "TF_STATE_BUCKET"
        else f"choose another {option}"
    )
    with aws_errors(f"checking bucket {bucket}"):
        try:
            found = _bucket_region(s3.head_bucket(Bucket=bucket))
        except ClientError as error:
            code = error_code(error)
            if code in ("403", "Forbidden", "AccessDenied"):
                raise UserError(
                    f"bucket {bucket} exists but this account cannot access it (bucket names "
                    f"are global: choose another {option})"
                ) from error
            if code in ("301", "PermanentRedirect", "400") and _bucket_region(error):
                raise _wrong_region(bucket, str(_bucket_region(error)), region, hint) from error
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise
        else:
            if found and found != region:
                raise _wrong_region(bucket, found, region, hint)
            return Item(name, UNCHANGED, f"s3://{bucket} in {region}")

    # Object Lock from the start (it also turns versioning on); S3 API Reference, CreateBucket:
    # ObjectLockEnabledForBucket.
    arguments: dict[str, Any] = {
        "Bucket": bucket,
        "ObjectOwnership": "BucketOwnerEnforced",
        "ObjectLockEnabledForBucket": True,
    }
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with aws_errors(f"creating bucket {bucket}"):
        try:
            s3.create_bucket(**arguments)
        except ClientError as error:
            if error_code(error) == "BucketAlreadyOwnedByYou":
                return Item(name, UNCHANGED, f"s3://{bucket} in {region}")
            if error_code(error) == "BucketAlreadyExists":
                raise UserError(
                    f"bucket name {bucket} is taken by another account: choose another {option}"
                ) from error
            raise
        s3.put_bucket_tagging(
            Bucket=bucket,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
        )
    return Item(name, CREATED, f"s3://{bucket} in {region}")


def _read_or_none(call: Callable[[], Any], missing: tuple[str, ...], action: str) -> Any:
    """``call()``, or None when AWS answers with one of the ``missing`` error codes."""
    from botocore.exceptions import ClientError

    with aws_errors(action):
        try:
            return call()
        except ClientError as error:
            if error_code(error) in missing:
                return None
            raise


def _ensure_versioning(
    s3: Any, bucket: str, name: str = "bucket versioning", *, new: bool = False
) -> Item:
    """Versioning on; ``new``: the bucket was just created (with Object Lock, which turned
    versioning on), so it is reported as created."""
    with aws_errors(f"reading versioning of {bucket}"):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status == "Enabled":
        return Item(name, CREATED if new else UNCHANGED, "Enabled")
    with aws_errors(f"enabling versioning of {bucket}"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Item(name, UPDATED if status else CREATED, f"{status or 'off'} -> Enabled")


def object_lock_configuration(days: int) -> dict[str, Any]:
    return {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": LOCK_MODE, "Days": days}},
    }


def _ensure_object_lock(s3: Any, bucket: str, days: int, name: str = "bucket object lock") -> Item:
    """Object Lock on, every new version retained ``days`` in GOVERNANCE mode. A stronger
    setting found (COMPLIANCE, or a longer retention) is kept, never weakened."""
    current = _read_or_none(
        lambda: s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"],
        ("ObjectLockConfigurationNotFoundError",),
        f"reading the Object Lock configuration of {bucket}",
    )
    detail = (
        f"{LOCK_MODE}, {days} days: no state version erased or overwritten before then without "
        "s3:BypassGovernanceRetention"
    )
    retention = ((current or {}).get("Rule") or {}).get("DefaultRetention") or {}
    mode = retention.get("Mode")
    found = int(retention.get("Days") or 0) + 365 * int(retention.get("Years") or 0)
    if (current or {}).get("ObjectLockEnabled") == "Enabled":
        if mode == LOCK_MODE and found == days:
            return Item(name, UNCHANGED, detail)
        if (mode == "COMPLIANCE" and found >= days) or (mode == LOCK_MODE and found > days):
            return Item(name, UNCHANGED, f"{mode}, {found} days (stronger than wanted; kept)")
    with aws_errors(f"setting Object Lock on {bucket}"):
        s3.put_object_lock_configuration(
            Bucket=bucket, ObjectLockConfiguration=object_lock_configuration(days)
        )
    return Item(name, UPDATED if (current or {}).get("Rule") else CREATED, detail)


def _ensure_encryption(s3: Any, bucket: str, key_arn: str, name: str = "bucket encryption") -> Item:
    current = _read_or_none(
        lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
        ("ServerSideEncryptionConfigurationNotFoundError",),
        f"reading encryption of {bucket}",
    )
    wanted = {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": key_arn,
        },
        "BucketKeyEnabled": True,
    }
    rules = (current or {}).get("Rules", [])
    if len(rules) == 1:
        default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
        if (
            default.get("SSEAlgorithm") == "aws:kms"
            and default.get("KMSMasterKeyID") == key_arn
            and rules[0].get("BucketKeyEnabled") is True
        ):
            return Item(name, UNCHANGED, f"SSE-KMS {key_arn}, bucket key on")
    with aws_errors(f"setting encryption of {bucket}"):
        s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [wanted]}
        )
    return Item(name, UPDATED if rules else CREATED, f"SSE-KMS {key_arn}, bucket key on")


def _ensure_public_access_block(s3: Any, bucket: str, name: str = "public access block") -> Item:
    current = _read_or_none(
        lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        ("NoSuchPublicAccessBlockConfiguration",),
        f"reading the public access block of {bucket}",
    )
    if current == PUBLIC_ACCESS_BLOCK:
        return Item(name, UNCHANGED, "all four settings on")
    with aws_errors(f"blocking public access to {bucket}"):
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=dict(PUBLIC_ACCESS_BLOCK)
        )
    return Item(name, UPDATED if current else CREATED, "all four settings on")


def _ensure_policy(s3: Any, bucket: str, region: str, name: str = "bucket policy") -> Item:
    """Merge the TLS-only statements into the bucket policy, keeping any others by Sid."""
    wanted = bucket_policy(bucket, partition_of(region))
    raw = _read_or_none(
        lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"],
        ("NoSuchBucketPolicy",),
        f"reading the policy of {bucket}",
    )
    current = json.loads(raw) if raw else {}
    statements = current.get("Statement", [])
    if isinstance(statements, dict):  # a single statement may be written without a list
        statements = [statements]
    by_sid = {s.get("Sid"): s for s in statements}
    if all(
        sid in by_sid and statement_essentials(by_sid[sid]) == statement_essentials(statement)
        for sid, statement in zip(POLICY_SIDS, wanted["Statement"], strict=True)
    ):
        return Item(name, UNCHANGED, "TLS-only (deny aws:SecureTransport=false, TLS < 1.2)")
    kept = [s for s in statements if s.get("Sid") not in POLICY_SIDS]
    document = {**wanted, "Statement": kept + wanted["Statement"]}
    with aws_errors(f"setting the policy of {bucket}"):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    return Item(
        name,
        UPDATED if current else CREATED,
        "TLS-only (deny aws:SecureTransport=false, TLS < 1.2)",
    )


def _ensure_lifecycle(
    s3: Any, bucket: str, noncurrent_days: int, name: str = "bucket lifecycle"
) -> Item:
    """Merge our rule into the lifecycle configuration, keeping other rules by ID."""
    wanted = lifecycle_rule(noncurrent_days)
    detail = (
        f"noncurrent versions expire after {noncurrent_days} days, incomplete uploads "
        f"aborted after {ABORT_MULTIPART_DAYS}, expired delete markers removed"
    )
    rules = (
        _read_or_none(
            lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
            ("NoSuchLifecycleConfiguration",),
            f"reading the lifecycle of {bucket}",
        )
        or []
    )
    ours = [r for r in rules if r.get("ID") == LIFECYCLE_RULE_ID]
    if len(ours) == 1 and _rule_essentials(ours[0]) == _rule_essentials(wanted):
        return Item(name, UNCHANGED, detail)
    others = [r for r in rules if r.get("ID") != LIFECYCLE_RULE_ID]
    with aws_errors(f"setting the lifecycle of {bucket}"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [*others, wanted]}
        )
    return Item(name, UPDATED if ours else CREATED, detail)


def _wait_active(dynamodb: Any, table: str) -> None:
    """DynamoDB takes one change at a time: wait until the table is ACTIVE again."""
    dynamodb.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
    )


def _ensure_table(dynamodb: Any, table: str, key_arn: str) -> list[Item]:
    items: list[Item] = []
    description = _read_or_none(
        lambda: dynamodb.describe_table(TableName=table)["Table"],
        ("ResourceNotFoundException",),
        f"describing table {table}",
    )
    if description is None:
        with aws_errors(f"creating table {table}"):
            dynamodb.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
                DeletionProtectionEnabled=True,
                Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
            )
            _wait_active(dynamodb, table)
        items.append(Item("lock table", CREATED, f"{table}: hash key LockID (S)"))
        items.append(Item("table billing", CREATED, "PAY_PER_REQUEST"))
        items.append(Item("table encryption", CREATED, f"KMS {key_arn}"))
        items.append(Item("table deletion protection", CREATED, "on"))
    else:
        keys = {k["AttributeName"]: k["KeyType"] for k in description["KeySchema"]}
        types = {
            a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]
        }
        if keys != {"LockID": "HASH"} or types.get("LockID") != "S":
            raise UserError(
                f"table {table} exists with key schema {keys}, but Terraform needs the single "
                "hash key LockID (S): choose another TF_LOCK_TABLE"
            )
        items.append(Item("lock table", UNCHANGED, f"{table}: hash key LockID (S)"))
        billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        if billing == "PAY_PER_REQUEST":
            items.append(Item("table billing", UNCHANGED, "PAY_PER_REQUEST"))
        else:
            with aws_errors(f"switching {table} to on-demand"):
                dynamodb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST")
                _wait_active(dynamodb, table)
            items.append(Item("table billing", UPDATED, f"{billing} -> PAY_PER_REQUEST"))
        sse = description.get("SSEDescription") or {}
        if sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("KMSMasterKeyArn") == key_arn:
            items.append(Item("table encryption", UNCHANGED, f"KMS {key_arn}"))
        else:
            with aws_errors(f"setting encryption of {table}"):
                dynamodb.update_table(
                    TableName=table,
                    SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
                )
                _wait_active(dynamodb, table)
            items.append(Item("table encryption", UPDATED, f"KMS {key_arn}"))
        if description.get("DeletionProtectionEnabled"):
            items.append(Item("table deletion protection", UNCHANGED, "on"))
        else:
            with aws_errors(f"protecting {table} from deletion"):
                dynamodb.update_table(TableName=table, DeletionProtectionEnabled=True)
                _wait_active(dynamodb, table)
            items.append(Item("table deletion protection", UPDATED, "off -> on"))

    with aws_errors(f"reading point-in-time recovery of {table}"):
        backups = dynamodb.describe_continuous_backups(TableName=table)
    pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
        items.append(Item("table point-in-time recovery", UNCHANGED, "ENABLED"))
    else:
        with aws_errors(f"enabling point-in-time recovery of {table}"):
            dynamodb.update_continuous_backups(
                TableName=table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        status = CREATED if description is None else UPDATED
        items.append(Item("table point-in-time recovery", status, "ENABLED"))
    return items


# --- replication to a second region -----------------------------------------------------------


def default_replica_bucket(bucket: str, replica_region: str) -> str:
    return f"{bucket}-replica-{replica_region}"


def validate_replica(
    bucket: str,
    region: str,
    replica_region: str | None,
    replica_bucket: str | None,
    replica_kms_key_alias: str | None,
) -> None:
    """The replica options, checked before any AWS call."""
    if replica_region is None:
        if replica_bucket or replica_kms_key_alias:
            raise UserError("--replica-bucket and --replica-kms-key-alias need --replica-region")
        return
    if not _REGION_CODE.match(replica_region):
        raise UserError(
            f"--replica-region must be an AWS region code such as us-west-2; got {replica_region!r}"
        )
    if replica_region == region:
        raise UserError(
            f"--replica-region must differ from the state region {region}: a replica in the "
            "same region does not survive the region's loss"
        )
    if partition_of(replica_region) != partition_of(region):
        raise UserError(
            f"--replica-region {replica_region} is in another partition than {region}: S3 "
            "replicates only within a partition"
        )
    target = replica_bucket or default_replica_bucket(bucket, replica_region)
    if not _valid_bucket_name(target):
        raise UserError(
            "replica bucket must be 3-63 lowercase letters, digits, '.' or '-', starting and "
            f"ending with a letter or digit; got {target!r} (pass --replica-bucket)"
        )
    if target == bucket:
        raise UserError(f"replica bucket must differ from the state bucket {bucket}")
    _check_alias(replica_kms_key_alias or DEFAULT_REPLICA_KMS_ALIAS, "replica kms key alias")


def replication_trust_policy(account: str, source_bucket_arn: str) -> dict[str, Any]:
    """S3 may assume the role, for this account's state bucket only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ReplicationOfTheStateBucket",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": source_bucket_arn},
                },
            }
        ],
    }


def replication_role_policy(
    bucket: str,
    region: str,
    key_arn: str,
    replica_bucket: str,
    replica_region: str,
    replica_key_arn: str,
) -> dict[str, Any]:
    """Least privilege for S3 replication of SSE-KMS objects (S3 User Guide, "Replicating
    encrypted objects", read 2026-12-01): read the source's versions, replicate into the replica,
    decrypt with the source key and encrypt with the replica key, each only through S3 of its
    region and for its bucket (with S3 Bucket Keys the encryption context is the bucket ARN,
    else the object ARN)."""
    partition = partition_of(region)
    source = f"arn:{partition}:s3:::{bucket}"
    target = f"arn:{partition}:s3:::{replica_bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                    # The source's versions carry Object Lock retention, which S3 replicates
                    # (S3 User Guide, "Setting up permissions for live replication").
                    "s3:GetObjectRetention",
                    "s3:GetObjectLegalHold",
                ],
                "Resource": f"{source}/*",
            },
            {
                "Sid": "WriteReplica",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": f"{target}/*",
            },
            {
                "Sid": "DecryptSourceThroughS3",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [source, f"{source}/*"]},
                },
            },
            {
                "Sid": "EncryptReplicaThroughS3",
                "Effect": "Allow",
                "Action": "kms:Encrypt",
                "Resource": replica_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [target, f"{target}/*"]},
                },
            },
        ],
    }


def replication_rule_id(replica_region: str) -> str:
    return f"carcierge-state-to-{replica_region}"


def replication_rule(
    replica_bucket: str, replica_region: str, replica_key_arn: str
) -> dict[str, Any]:
    """Every object (state, lockfiles), SSE-KMS ones included, and delete markers."""
    return {
        "ID": replication_rule_id(replica_region),
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {
            "Bucket": f"arn:{partition_of(replica_region)}:s3:::{replica_bucket}",
            "StorageClass": "STANDARD",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key_arn},
        },
    }


def _replication_essentials(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    filter_ = rule.get("Filter") or {}
    destination = rule.get("Destination") or {}
    return (
        rule.get("Status"),
        filter_ in ({}, {"Prefix": ""}) and not rule.get("Prefix"),
        (rule.get("DeleteMarkerReplication") or {}).get("Status"),
        ((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}).get(
            "Status"
        ),
        destination.get("Bucket"),
        destination.get("StorageClass", "STANDARD"),
        (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
    )


def _as_document(value: Any) -> Any:
    """IAM returns policy documents decoded by boto3, or as (URL-encoded) JSON text."""
    if isinstance(value, str):
        from urllib.parse import unquote

        return json.loads(unquote(value))
    return value


def _same_policy(current: Any, wanted: Mapping[str, Any]) -> bool:
    statements = (current or {}).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    essentials = sorted((s.get("Sid") or "", statement_essentials(s)) for s in statements)
    return essentials == sorted(
        (s.get("Sid") or "", statement_essentials(s)) for s in wanted["Statement"]
    )


def _ensure_replication_role(
    iam: Any, trust: dict[str, Any], policy: dict[str, Any], replica_bucket: str
) -> tuple[str, list[Item]]:
    items: list[Item] = []
    role = _read_or_none(
        lambda: iam.get_role(RoleName=REPLICATION_ROLE)["Role"],
        ("NoSuchEntity",),
        f"reading role {REPLICATION_ROLE}",
    )
    detail = f"{REPLICATION_ROLE}: trusted by s3.amazonaws.com for the state bucket"
    if role is None:
        with aws_errors(f"creating role {REPLICATION_ROLE}"):
            role = iam.create_role(
                RoleName=REPLICATION_ROLE,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description=f"S3 replicates the Terraform state bucket to {replica_bucket}",
                Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
            )["Role"]
        items.append(Item("replication role", CREATED, detail))
    elif _same_policy(_as_document(role.get("AssumeRolePolicyDocument")), trust):
        items.append(Item("replication role", UNCHANGED, detail))
    else:
        with aws_errors(f"updating the trust of {REPLICATION_ROLE}"):
            iam.update_assume_role_policy(
                RoleName=REPLICATION_ROLE, PolicyDocument=json.dumps(trust)
            )
        items.append(Item("replication role", UPDATED, detail))

    current = _read_or_none(
        lambda: iam.get_role_policy(RoleName=REPLICATION_ROLE, PolicyName=REPLICATION_POLICY)[
            "PolicyDocument"
        ],
        ("NoSuchEntity",),
        f"reading the policy of {REPLICATION_ROLE}",
    )
    detail = (
        "read source versions, replicate into the replica, kms:Decrypt (source key) and "
        "kms:Encrypt (replica key) through S3 only"
    )
    if current is not None and _same_policy(_as_document(current), policy):
        items.append(Item("replication role policy", UNCHANGED, detail))
    else:
        with aws_errors(f"setting the policy of {REPLICATION_ROLE}"):
            iam.put_role_policy(
                RoleName=REPLICATION_ROLE,
                PolicyName=REPLICATION_POLICY,
                PolicyDocument=json.dumps(policy),
            )
        items.append(
            Item("replication role policy", CREATED if current is None else UPDATED, detail)
        )
    return str(role["Arn"]), items


def _ensure_replication(
    s3: Any, bucket: str, role_arn: str, rule: dict[str, Any], replica_bucket: str
) -> Item:
    """Merge our rule into the state bucket's replication configuration, keeping others by ID."""
    name = "bucket replication"
    current = _read_or_none(
        lambda: s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"],
        ("ReplicationConfigurationNotFoundError",),
        f"reading the replication of {bucket}",
    )
    detail = (
        f"all objects and delete markers -> s3://{replica_bucket}, SSE-KMS objects re-encrypted "
        "with the replica key"
    )
    rules = (current or {}).get("Rules", [])
    ours = [r for r in rules if r.get("ID") == rule["ID"]]
    if (
        current
        and current.get("Role") == role_arn
        and len(ours) == 1
        and _replication_essentials(ours[0]) == _replication_essentials(rule)
    ):
        return Item(name, UNCHANGED, detail)
    others = [r for r in rules if r.get("ID") != rule["ID"]]
    with aws_errors(f"setting the replication of {bucket}"):
        s3.put_bucket_replication(
            Bucket=bucket,
            ReplicationConfiguration={"Role": role_arn, "Rules": [*others, rule]},
        )
    return Item(name, UPDATED if current else CREATED, detail)


def _ensure_replica(
    aws: AwsClients,
    result: BootstrapResult,
    replica_region: str,
    replica_bucket: str,
    replica_alias: str,
    noncurrent_days: int,
    lock_days: int = DEFAULT_LOCK_DAYS,
) -> None:
    """The replica key, bucket and role in ``replica_region``, then replication on the state
    bucket; the replica bucket is set up like the primary (versioning, SSE-KMS with its own key,
    public access block, TLS-only policy, old versions expire)."""
    replica = aws.in_region(replica_region)
    items = result.items
    key_arn, key_item = _ensure_kms_key(
        replica.kms,
        replica_alias,
        "replica kms key",
        f"carcierge: replica of the Terraform state bucket {result.bucket} in {replica_region}",
    )
    items.append(key_item)
    option = "--replica-bucket"
    bucket_item = _ensure_bucket(
        replica.s3, replica_bucket, replica_region, "replica bucket", option
    )
    items.append(bucket_item)
    items.append(
        _ensure_versioning(
            replica.s3, replica_bucket, "replica versioning", new=bucket_item.status == CREATED
        )
    )
    items.append(_ensure_object_lock(replica.s3, replica_bucket, lock_days, "replica object lock"))
    items.append(_ensure_encryption(replica.s3, replica_bucket, key_arn, "replica encryption"))
    items.append(
        _ensure_public_access_block(replica.s3, replica_bucket, "replica public access block")
    )
    items.append(
        _ensure_policy(replica.s3, replica_bucket, replica_region, "replica bucket policy")
    )
    items.append(
        _ensure_lifecycle(replica.s3, replica_bucket, noncurrent_days, "replica lifecycle")
    )
    with aws_errors("reading the account id"):
        account = aws.sts.get_caller_identity()["Account"]
    partition = partition_of(result.region)
    trust = replication_trust_policy(account, f"arn:{partition}:s3:::{result.bucket}")
    policy = replication_role_policy(
        result.bucket, result.region, result.kms_key_arn, replica_bucket, replica_region, key_arn
    )
    role_arn, role_items = _ensure_replication_role(aws.iam, trust, policy, replica_bucket)
    items.extend(role_items)
    rule = replication_rule(replica_bucket, replica_region, key_arn)
    items.append(_ensure_replication(aws.s3, result.bucket, role_arn, rule, replica_bucket))
    result.replica_region = replica_region
    result.replica_bucket = replica_bucket
    result.replica_kms_key_arn = key_arn


def bootstrap(
    bucket: str,
    table: str = DEFAULT_LOCK_TABLE,
    region: str = DEFAULT_REGION,
    kms_key_alias: str | None = None,
    *,
    noncurrent_days: int = DEFAULT_NONCURRENT_DAYS,
    lock_days: int = DEFAULT_LOCK_DAYS,
    replica_region: str | None = None,
    replica_bucket: str | None = None,
    replica_kms_key_alias: str | None = None,
    endpoint_url: str | None = None,
    clients: AwsClients | None = None,
) -> BootstrapResult:
    """Create or converge the state bucket, its KMS key and the lock table, and with a
    ``replica_region`` the bucket's replica there; idempotent."""
    alias = kms_key_alias or DEFAULT_KMS_ALIAS
    validate_inputs(bucket, table, alias, noncurrent_days, lock_days)
    validate_replica(bucket, region, replica_region, replica_bucket, replica_kms_key_alias)
    aws = clients or AwsClients(region, endpoint_url)
    # Each call names its own action; this outer net only catches what slipped through.
    with aws_errors(f"bootstrapping the state backend in {region}"):
        key_arn, key_item = _ensure_kms_key(aws.kms, alias)
        result = BootstrapResult(bucket, table, region, key_arn, [key_item])
        bucket_item = _ensure_bucket(aws.s3, bucket, region)
        result.items.append(bucket_item)
        result.items.append(_ensure_versioning(aws.s3, bucket, new=bucket_item.status == CREATED))
        result.items.append(_ensure_object_lock(aws.s3, bucket, lock_days))
        result.items.append(_ensure_encryption(aws.s3, bucket, key_arn))
        result.items.append(_ensure_public_access_block(aws.s3, bucket))
        result.items.append(_ensure_policy(aws.s3, bucket, region))
        result.items.append(_ensure_lifecycle(aws.s3, bucket, noncurrent_days))
        result.items.extend(_ensure_table(aws.dynamodb, table, key_arn))
    if replica_region:
        with aws_errors(f"replicating the state bucket to {replica_region}"):
            _ensure_replica(
                aws,
                result,
                replica_region,
                replica_bucket or default_replica_bucket(bucket, replica_region),
                replica_kms_key_alias or DEFAULT_REPLICA_KMS_ALIAS,
                noncurrent_days,
                lock_days,
            )
    return result


def render_bootstrap(result: BootstrapResult) -> list[str]:
    width = max(len(item.name) for item in result.items)
    lines = [f"  {item.status:<9}  {item.name:<{width}}  {item.detail}" for item in result.items]
    changed = sum(item.status != UNCHANGED for item in result.items)
    summary = (
        f"{changed} of {len(result.items)} items changed"
        if changed
        else f"nothing changed: all {len(result.items)} items already as wanted"
    )
    header = [f"state backend s3://{result.bucket} + table {result.table} ({result.region})"]
    if result.replica_region:
        header.append(f"replicated to s3://{result.replica_bucket} ({result.replica_region})")
    return [*header, *lines, summary]
