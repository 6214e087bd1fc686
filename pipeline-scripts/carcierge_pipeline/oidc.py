"""GitLab OIDC for AWS: the account trusts GitLab's ID tokens, and each environment has one
deploy role that only its own protected branch of this project can assume, and that alone may
read and write that environment's state.

``carcierge oidc bootstrap`` creates (idempotently, like ``state bootstrap``):

- the IAM OIDC identity provider for the GitLab instance, with the jobs' audience;
- per environment, the role ``carcierge-deploy-<env>``: trust ``sts:AssumeRoleWithWebIdentity``
  from that provider when ``aud`` is the audience and ``sub`` is exactly
  ``project_path:<group/project>:ref_type:branch:ref:<branch>`` (GitLab's subject claim), so no
  other project, branch, tag or merge request pipeline gets it; an inline policy
  ``carcierge-state-access`` allowing only its own state (``<APP_NAME>/<env>/`` in the bucket,
  the lock items of that key in the table, the state KMS key); and, if given, the managed
  policy with the permissions to deploy the stack (``--deploy-policy-arn``, the operator's
  choice: docs/pipeline.md, "Pipeline set-up", writes down what it needs);
- in the state bucket's policy, per environment, a deny of that environment's objects to every
  other ``carcierge-deploy-*`` role, so even a broad deploy policy cannot cross environments.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.state import (
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

DEFAULT_GITLAB_URL = "https://gitlab.com"
ROLE_PREFIX = "carcierge-deploy-"
STATE_POLICY = "carcierge-state-access"
TOKEN_VARIABLE = "GITLAB_OIDC_TOKEN"  # the id_tokens entry of .gitlab-ci.yml
_PROJECT_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)+$")


def role_name(environment: str) -> str:
    return ROLE_PREFIX + environments.require_environment(environment)


def subject(project_path: str, branch: str) -> str:
    """GitLab's ``sub`` claim of a job on ``branch`` of ``project_path``."""
    return f"project_path:{project_path}:ref_type:branch:ref:{branch}"


def trust_policy(provider_arn: str, host: str, audience: str, sub: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:aud": audience, f"{host}:sub": sub}},
            }
        ],
    }


def state_access_policy(
    bucket: str, table: str, table_arn: str, key_arn: str, prefix: str, partition: str
) -> dict[str, Any]:
    """What Terraform's S3 backend needs for one state (key and lockfile, DynamoDB lock and
    digest items, the KMS key), and nothing of the other environments."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnStatePrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:{partition}:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            },
            {
                "Sid": "ReadWriteOwnState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
            },
            {
                "Sid": "LockOwnState",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": table_arn,
                "Condition": {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{bucket}/{prefix}*"]}
                },
            },
            {
                "Sid": "StateKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
        ],
    }


def isolation_statement(
    bucket: str, prefix: str, own_role_arn: str, account: str, partition: str, environment: str
) -> dict[str, Any]:
    """Bucket policy: no other deploy role may touch this environment's state objects."""
    return {
        "Sid": f"OnlyDeployRoleOf{environment.capitalize()}",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": f"arn:{partition}:iam::{account}:role/{ROLE_PREFIX}*"},
            "ArnNotEquals": {"aws:PrincipalArn": own_role_arn},
        },
    }


def _ensure_provider(iam: Any, url: str, audience: str) -> tuple[str, Item]:
    host = urlparse(url).netloc
    name = f"OIDC provider {host}"
    for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = entry["Arn"]
        if arn.endswith(f"oidc-provider/{host}"):
            clients = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get(
                "ClientIDList", []
            )
            if audience in clients:
                return arn, Item(name, UNCHANGED, f"audience {audience}")
            iam.add_client_id_to_open_id_connect_provider(
                OpenIDConnectProviderArn=arn, ClientID=audience
            )
            return arn, Item(name, UPDATED, f"audience {audience} added")
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=[audience])[
        "OpenIDConnectProviderArn"
    ]
    return arn, Item(name, CREATED, f"audience {audience}")


def _ensure_role(
    iam: Any, name: str, trust: dict[str, Any], policy: dict[str, Any]
) -> tuple[str, str]:
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description="GitLab deploy role of one Carcierge environment (carcierge oidc)",
            MaxSessionDuration=3600,
            Tags=[{"Key": "ManagedBy", "Value": "carcierge-oidc-bootstrap"}],
        )["Role"]
        status = CREATED
    else:
        current = role["AssumeRolePolicyDocument"]
        current = json.loads(current) if isinstance(current, str) else current
        status = UNCHANGED
        if current != trust:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            status = UPDATED
    try:
        existing = iam.get_role_policy(RoleName=name, PolicyName=STATE_POLICY)["PolicyDocument"]
        existing = json.loads(existing) if isinstance(existing, str) else existing
    except iam.exceptions.NoSuchEntityException:
        existing = None
    if existing != policy:
        iam.put_role_policy(
            RoleName=name, PolicyName=STATE_POLICY, PolicyDocument=json.dumps(policy)
        )
        status = status if status == CREATED else UPDATED
    return role["Arn"], status


def _ensure_isolation(s3: Any, bucket: str, statements: list[dict[str, Any]]) -> Item:
    name = "bucket policy: state isolation"
    from botocore.exceptions import ClientError

    try:
        raw = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error_code(error) != "NoSuchBucketPolicy":
            raise
        raw = ""
    current = json.loads(raw) if raw else {"Version": "2012-10-17", "Statement": []}
    listed: Any = current.get("Statement", [])
    present: list[dict[str, Any]] = [listed] if isinstance(listed, dict) else list(listed)
    by_sid = {s.get("Sid"): s for s in present}
    detail = "each environment's state denied to the other deploy roles"
    if all(
        s["Sid"] in by_sid and statement_essentials(by_sid[s["Sid"]]) == statement_essentials(s)
        for s in statements
    ):
        return Item(name, UNCHANGED, detail)
    ours = {s["Sid"] for s in statements}
    document = {**current, "Statement": [s for s in present if s.get("Sid") not in ours]}
    document["Statement"] += statements
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    return Item(name, UPDATED if any(s in by_sid for s in ours) else CREATED, detail)


def bootstrap(
    project_path: str,
    bucket: str,
    table: str,
    region: str,
    *,
    gitlab_url: str = DEFAULT_GITLAB_URL,
    audience: str | None = None,
    kms_key: str,
    deploy_policy_arn: str | None = None,
    app_name: str = "carcierge",
    clients: AwsClients | None = None,
) -> list[Item]:
    """The provider, the four deploy roles and the bucket's isolation statements; idempotent."""
    if not _PROJECT_PATH.match(project_path):
        raise UserError(f"--project-path must be <group>/<project>; got {project_path!r}")
    if urlparse(gitlab_url).scheme != "https":
        raise UserError(f"--gitlab-url must be an https:// URL; got {gitlab_url!r}")
    audience = audience or gitlab_url
    host = urlparse(gitlab_url).netloc
    partition = partition_of(region)
    aws = clients or AwsClients(region)
    items: list[Item] = []
    with aws_errors(f"bootstrapping GitLab OIDC in {region}"):
        provider_arn, item = _ensure_provider(aws.iam, gitlab_url, audience)
        items.append(item)
        key_arn = aws.kms.describe_key(KeyId=kms_key)["KeyMetadata"]["Arn"]
        table_arn = aws.dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
        isolation = []
        for branch, environment in environments.BRANCH_ENVIRONMENTS.items():
            prefix = (
                ci_variables.TYPES["app"]
                .state_key.format(app=app_name, environment=environment)
                .rsplit("/", 1)[0]
                + "/"
            )
            name = role_name(environment)
            trust = trust_policy(provider_arn, host, audience, subject(project_path, branch))
            policy = state_access_policy(bucket, table, table_arn, key_arn, prefix, partition)
            arn, status = _ensure_role(aws.iam, name, trust, policy)
            if deploy_policy_arn:
                attached = aws.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
                if deploy_policy_arn not in {p["PolicyArn"] for p in attached}:
                    aws.iam.attach_role_policy(RoleName=name, PolicyArn=deploy_policy_arn)
                    status = status if status == CREATED else UPDATED
            items.append(Item(f"role {name}", status, f"{arn} <- {branch} of {project_path}"))
            account = arn.split(":")[4]
            isolation.append(
                isolation_statement(bucket, prefix, arn, account, partition, environment)
            )
        items.append(_ensure_isolation(aws.s3, bucket, isolation))
    return items


# --- in the job: the ID token becomes the web identity the AWS SDKs read ----------------------


def use_id_token(environ: MutableMapping[str, str] = os.environ) -> bool:
    """With ``AWS_ROLE_ARN`` and the job's ID token (``GITLAB_OIDC_TOKEN``) set, write the token
    to a private file and point ``AWS_WEB_IDENTITY_TOKEN_FILE`` at it: Terraform's provider
    and S3 backend, and boto3, then call ``AssumeRoleWithWebIdentity`` themselves."""
    token = environ.get(TOKEN_VARIABLE, "")
    if not token or not environ.get("AWS_ROLE_ARN") or environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return False
    directory = Path(tempfile.mkdtemp(prefix="carcierge-oidc-"))
    path = directory / "token"
    path.write_text(token)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    environ["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(path)
    session = f"gitlab-{environ.get('CI_PROJECT_ID', 'local')}-{environ.get('CI_JOB_ID', '0')}"
    environ.setdefault("AWS_ROLE_SESSION_NAME", session)
    return True


def describe(environ: Mapping[str, str] = os.environ) -> str:
    """Which credential a job uses, for its log (never the secret itself)."""
    if environ.get("AWS_ROLE_ARN") and environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return f"GitLab OIDC, role {environ['AWS_ROLE_ARN']}"
    if environ.get("AWS_ACCESS_KEY_ID"):
        return "static access keys (the documented fallback)"
    return "none found"
