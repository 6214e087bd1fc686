"""GitLab OIDC for AWS, one environment per account: the account trusts GitLab's ID tokens,
and the environment has a plan role and a deploy role (names and account: accounts.py;
documents: ci_policies.py).

``carcierge oidc bootstrap --environment <env>`` creates (idempotently, like ``state
bootstrap``), in the account whose credentials run it, and only after checking that this is
the account ``environments/<env>.tfvars`` names (``sts get-caller-identity``):

- the IAM OIDC identity provider for the GitLab instance, with the jobs' audience;
- ``<env>-carcierge-ci-plan``: trust ``sts:AssumeRoleWithWebIdentity`` when ``aud`` is the
  audience and ``sub`` is exactly ``project_path:<group/project>:ref_type:branch:ref:<branch>``
  for the environment's branch or the branch that promotes into it (a merge request pipeline's
  token carries its SOURCE branch: main for main -> qa); AWS's ReadOnlyAccess and an inline
  policy with state read and lock;
- ``<env>-carcierge-ci-deploy``: trusted by the environment's branch only; the generated deploy
  policy and the state read/write policy, under the permissions boundary
  ``<env>-carcierge-ci-boundary`` (a managed policy created here);
- in the state bucket's policy, a deny of this environment's state objects to every other
  environment's CI roles (a shared account; with one account per environment the bucket holds
  only this environment's state).
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

from carcierge_pipeline import accounts, ci_policies, ci_variables, environments, state
from carcierge_pipeline.errors import UserError

DEFAULT_GITLAB_URL = "https://gitlab.com"
STATE_POLICY = "carcierge-state-access"
PLAN_POLICY = "carcierge-plan-access"
DEPLOY_POLICY = "carcierge-deploy"
# Every environment's CI roles, whatever the environment: <env>-carcierge-ci-<kind>.
CI_ROLE_PATTERN = f"*-{accounts.PROJECT}-ci-*"
TOKEN_VARIABLE = "GITLAB_OIDC_TOKEN"  # the id_tokens entry of .gitlab-ci.yml
_PROJECT_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)+$")


def subject(project_path: str, branch: str) -> str:
    """GitLab's ``sub`` claim of a job on ``branch`` of ``project_path``."""
    return f"project_path:{project_path}:ref_type:branch:ref:{branch}"


def trusted_branches(environment: str, kind: str) -> list[str]:
    """The deploy role: the environment's branch. The plan role: that branch and the one that
    promotes into it (environments.PROMOTIONS)."""
    [branch] = [b for b, env in environments.BRANCH_ENVIRONMENTS.items() if env == environment]
    source = environments.PROMOTIONS.get(branch)
    return [branch, source] if kind == accounts.PLAN and source else [branch]


def trust_policy(
    provider_arn: str, host: str, audience: str, sub: str | list[str]
) -> dict[str, Any]:
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
    bucket: str,
    prefix: str,
    own_role_arns: list[str],
    account: str,
    partition: str,
    environment: str,
) -> dict[str, Any]:
    """Bucket policy: no other environment's CI role may touch this environment's state."""
    return {
        "Sid": f"OnlyCiRolesOf{environment.capitalize()}",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
        "Condition": {
            "ArnLike": {
                "aws:PrincipalArn": f"arn:{partition}:iam::{account}:role/{CI_ROLE_PATTERN}"
            },
            "ArnNotEquals": {"aws:PrincipalArn": sorted(own_role_arns)},
        },
    }


def _ensure_provider(iam: Any, url: str, audience: str) -> tuple[str, state.Item]:
    host = urlparse(url).netloc
    name = f"OIDC provider {host}"
    for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = entry["Arn"]
        if arn.endswith(f"oidc-provider/{host}"):
            clients = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get(
                "ClientIDList", []
            )
            if audience in clients:
                return arn, state.Item(name, state.UNCHANGED, f"audience {audience}")
            iam.add_client_id_to_open_id_connect_provider(
                OpenIDConnectProviderArn=arn, ClientID=audience
            )
            return arn, state.Item(name, state.UPDATED, f"audience {audience} added")
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=[audience])[
        "OpenIDConnectProviderArn"
    ]
    return arn, state.Item(name, state.CREATED, f"audience {audience}")


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _ensure_role(
    iam: Any,
    name: str,
    trust: dict[str, Any],
    inline: dict[str, dict[str, Any]],
    *,
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
    description: str,
) -> tuple[str, str]:
    """The role with exactly this trust, these inline policies, at least these managed
    policies and this boundary; returns its ARN and whether anything changed."""
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        extra = {"PermissionsBoundary": boundary} if boundary else {}
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=description,
            MaxSessionDuration=3600,
            Tags=[{"Key": "ManagedBy", "Value": "carcierge-oidc-bootstrap"}],
            **extra,
        )["Role"]
        status = state.CREATED
    else:
        status = state.UNCHANGED
        if _document(role["AssumeRolePolicyDocument"]) != trust:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            status = state.UPDATED
        current = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if boundary and current != boundary:
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
            status = state.UPDATED

    def changed() -> None:
        nonlocal status
        status = status if status == state.CREATED else state.UPDATED

    for policy_name, policy in inline.items():
        try:
            existing = _document(
                iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            )
        except iam.exceptions.NoSuchEntityException:
            existing = None
        if existing != policy:
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy)
            )
            changed()
    attached = {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    }
    for arn in managed:
        if arn not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            changed()
    return str(role["Arn"]), status


def _ensure_managed_policy(iam: Any, arn: str, name: str, document: dict[str, Any]) -> state.Item:
    """A customer-managed policy whose default version is ``document`` (a new version when it
    differs; the oldest non-default one goes when IAM's five are in use)."""
    label = f"policy {name}"
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(
            PolicyName=name,
            PolicyDocument=json.dumps(document),
            Description="Permissions boundary of a Carcierge environment's CI roles",
            Tags=[{"Key": "ManagedBy", "Value": "carcierge-oidc-bootstrap"}],
        )
        return state.Item(label, state.CREATED, arn)
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    if _document(version["PolicyVersion"]["Document"]) == document:
        return state.Item(label, state.UNCHANGED, arn)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    if len(versions) >= 5:
        oldest = min(
            (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
        )
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)
    return state.Item(label, state.UPDATED, arn)


def _ensure_isolation(s3: Any, bucket: str, statements: list[dict[str, Any]]) -> state.Item:
    name = "bucket policy: state isolation"
    from botocore.exceptions import ClientError

    try:
        raw = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if state.error_code(error) != "NoSuchBucketPolicy":
            raise
        raw = ""
    current = json.loads(raw) if raw else {"Version": "2012-10-17", "Statement": []}
    listed: Any = current.get("Statement", [])
    present: list[dict[str, Any]] = [listed] if isinstance(listed, dict) else list(listed)
    by_sid = {s.get("Sid"): s for s in present}
    detail = "the environment's state denied to the other environments' CI roles"
    if all(
        s["Sid"] in by_sid
        and state.statement_essentials(by_sid[s["Sid"]]) == state.statement_essentials(s)
        for s in statements
    ):
        return state.Item(name, state.UNCHANGED, detail)
    ours = {s["Sid"] for s in statements}
    document = {**current, "Statement": [s for s in present if s.get("Sid") not in ours]}
    document["Statement"] += statements
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    return state.Item(
        name, state.UPDATED if any(s in by_sid for s in ours) else state.CREATED, detail
    )


def bootstrap(
    environment: str,
    project_path: str,
    bucket: str,
    table: str,
    region: str,
    *,
    account_id: str,
    root: Path,
    gitlab_url: str = DEFAULT_GITLAB_URL,
    audience: str | None = None,
    kms_key: str,
    app_name: str = "carcierge",
    protected_buckets: tuple[str, ...] = (),
    clients: state.AwsClients | None = None,
) -> list[state.Item]:
    """The provider, the environment's boundary, plan and deploy roles and the bucket's
    isolation statement, in the account ``account_id`` only; idempotent."""
    environments.require_environment(environment)
    if not _PROJECT_PATH.match(project_path):
        raise UserError(f"--project-path must be <group>/<project>; got {project_path!r}")
    if urlparse(gitlab_url).scheme != "https":
        raise UserError(f"--gitlab-url must be an https:// URL; got {gitlab_url!r}")
    service_list = ci_policies.services(root)  # a resource type without a service: one line
    audience = audience or gitlab_url
    host = urlparse(gitlab_url).netloc
    partition = state.partition_of(region)
    aws = clients or state.AwsClients(region)
    prefix = f"{environment}-{accounts.PROJECT}"
    state_prefix = (
        ci_variables.TYPES["app"]
        .state_key.format(app=app_name, environment=environment)
        .rsplit("/", 1)[0]
        + "/"
    )
    items: list[state.Item] = []
    with state.aws_errors(f"bootstrapping GitLab OIDC for {environment} in {region}"):
        caller = str(aws.sts.get_caller_identity()["Account"])
        if caller != account_id:
            raise UserError(
                f"these credentials are account {caller}, but environments/{environment}.tfvars "
                f"names account {account_id} (aws_account_id): run the bootstrap with "
                f"{environment}'s account credentials, or correct the file"
            )
        provider_arn, item = _ensure_provider(aws.iam, gitlab_url, audience)
        items.append(item)
        key_arn = aws.kms.describe_key(KeyId=kms_key)["KeyMetadata"]["Arn"]
        table_arn = aws.dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
        state_policy = state_access_policy(
            bucket, table, table_arn, key_arn, state_prefix, partition
        )
        boundary_arn = f"arn:{partition}:iam::{account_id}:policy/" + accounts.boundary_name(
            environment
        )
        items.append(
            _ensure_managed_policy(
                aws.iam,
                boundary_arn,
                accounts.boundary_name(environment),
                ci_policies.boundary_policy(
                    boundary_arn,
                    account_id,
                    prefix,
                    partition,
                    sorted({bucket, *protected_buckets}),
                ),
            )
        )
        arns = []
        for kind in accounts.KINDS:
            name = accounts.role_name(environment, kind)
            branches = trusted_branches(environment, kind)
            subs = [subject(project_path, b) for b in branches]
            trust = trust_policy(provider_arn, host, audience, subs if len(subs) > 1 else subs[0])
            if kind == accounts.PLAN:
                arn, status = _ensure_role(
                    aws.iam,
                    name,
                    trust,
                    {
                        PLAN_POLICY: ci_policies.plan_access_policy(
                            state_policy, account_id, prefix, partition
                        )
                    },
                    managed=(ci_policies.READ_ONLY_ACCESS.format(partition=partition),),
                    description=f"GitLab plan role of {environment} (read-only; carcierge oidc)",
                )
            else:
                arn, status = _ensure_role(
                    aws.iam,
                    name,
                    trust,
                    {
                        STATE_POLICY: state_policy,
                        DEPLOY_POLICY: ci_policies.deploy_policy(
                            service_list, account_id, prefix, partition, boundary_arn
                        ),
                    },
                    boundary=boundary_arn,
                    description=f"GitLab deploy role of {environment} (carcierge oidc)",
                )
            arns.append(arn)
            items.append(
                state.Item(
                    f"role {name}", status, f"{arn} <- {', '.join(branches)} of {project_path}"
                )
            )
        items.append(
            _ensure_isolation(
                aws.s3,
                bucket,
                [
                    isolation_statement(
                        bucket, state_prefix, arns, account_id, partition, environment
                    )
                ],
            )
        )
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
