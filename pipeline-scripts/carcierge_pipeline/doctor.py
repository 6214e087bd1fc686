"""``carcierge doctor --environment <env>``: one run checks what a first real pipeline of the
environment needs, in its account, and prints a checklist with the fix of each miss.

Read-only: STS ``GetCallerIdentity``, IAM ``GetRole``/``ListRoles``, S3 ``HeadBucket``/
``HeadObject``, DynamoDB ``DescribeTable``, KMS ``DescribeKey``, ACM ``DescribeCertificate``,
ECR ``DescribeImages``. Settings come from the environment file (accounts.py for the account
and roles) and the pipeline's variables (TF_STATE_BUCKET, BACKEND_REGION, TF_LOCK_TABLE,
TF_STATE_KMS_KEY, ALERT_EMAILS), as the jobs read them.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carcierge_pipeline import accounts, ci_variables, environments, hcl, oidc, preflight
from carcierge_pipeline.backend import backend_settings
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.state import AwsClients, error_code

# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>][@sha256:<digest>]
_ECR_IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_SUBJECT = re.compile(r"^project_path:(?P<project>[^:]+):ref_type:branch:ref:(?P<ref>.+)$")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


class _Miss(Exception):
    """A check's finding that something is missing (detail, fix)."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail, self.fix = detail, fix


@contextmanager
def _aws(what: str) -> Iterator[None]:
    """An AWS error is the check's miss, named by its code."""
    from botocore import exceptions as bx

    try:
        yield
    except bx.ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        raise _Miss(f"{what}: {error_code(error)} {message}".strip(), "") from error
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as error:
        raise _Miss(f"{what}: no AWS credentials", "") from error


def _in(clients: AwsClients, region: str) -> AwsClients:
    return clients if region == clients.region else clients.in_region(region)


def _trusted_refs(role: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The branches and projects a role's trust lets in (GitLab ``sub`` claims)."""
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    refs: set[str] = set()
    projects: set[str] = set()
    statements = document.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        for key, value in statement.get("Condition", {}).get("StringEquals", {}).items():
            if not key.endswith(":sub"):
                continue
            for sub in [value] if isinstance(value, str) else value:
                match = _SUBJECT.match(sub)
                if match:
                    refs.add(match["ref"])
                    projects.add(match["project"])
    return refs, projects


def run_doctor(
    root: Path,
    environment: str,
    clients: AwsClients,
    *,
    environ: Mapping[str, str] = os.environ,
    project_path: str | None = None,
) -> list[Check]:
    """Every check of the environment, in the order a first pipeline needs them."""
    environments.require_environment(environment)
    account = accounts.account_id(root, environment)
    settings = hcl.plain(hcl.load_tfvars(environments.var_file(root, environment)))
    where = f"environments/{environment}.tfvars"
    bootstrap = (
        f"carcierge oidc bootstrap --environment {environment} "
        f"--project-path {project_path or '<group>/<project>'}"
    )
    checks: list[Check] = []

    def check(name: str, fix: str, body: Callable[[], str]) -> bool:
        try:
            detail = body()
        except _Miss as miss:
            checks.append(Check(name, False, miss.detail, miss.fix or fix))
            return False
        checks.append(Check(name, True, detail))
        return True

    def credentials() -> str:
        with _aws("sts get-caller-identity"):
            identity = clients.sts.get_caller_identity()
        if identity["Account"] != account:
            raise _Miss(
                f"the credentials are account {identity['Account']} ({identity['Arn']}), "
                f"{where} names {account}",
                "",
            )
        return f"account {account} ({identity['Arn']})"

    if not check(
        "credentials and account",
        f"sign in to {environment}'s account {account} (AWS_PROFILE), or correct "
        f"aws_account_id in {where}",
        credentials,
    ):
        return checks  # nothing else can be read from the wrong account

    for kind in accounts.KINDS:
        name = accounts.role_name(environment, kind)
        expected = set(oidc.trusted_branches(environment, kind))

        def role_check(name: str = name, kind: str = kind, expected: set[str] = expected) -> str:
            with _aws(f"iam get-role {name}"):
                role = clients.iam.get_role(RoleName=name)["Role"]
            refs, projects = _trusted_refs(role)
            if refs != expected:
                raise _Miss(
                    f"{name} trusts branches {sorted(refs) or 'none'}, expected {sorted(expected)}",
                    "",
                )
            if project_path and projects != {project_path}:
                raise _Miss(f"{name} trusts project(s) {sorted(projects)}, not {project_path}", "")
            if kind == accounts.DEPLOY and not role.get("PermissionsBoundary"):
                raise _Miss(f"{name} has no permissions boundary", "")
            return f"{name} <- {', '.join(sorted(expected))}" + (
                f" of {', '.join(sorted(projects))}" if projects else ""
            )

        check(f"{kind} role", bootstrap, role_check)

    def state() -> str:
        try:
            backend = backend_settings(environment, environ)
        except UserError as error:
            raise _Miss(
                str(error), "set TF_STATE_BUCKET (and BACKEND_REGION) as the jobs do"
            ) from error
        region_clients = _in(clients, backend["region"])
        with _aws(f"s3 head-bucket {backend['bucket']}"):
            region_clients.s3.head_bucket(Bucket=backend["bucket"])
        with _aws(f"dynamodb describe-table {backend['dynamodb_table']}"):
            region_clients.dynamodb.describe_table(TableName=backend["dynamodb_table"])
        with _aws(f"kms describe-key {backend['kms_key_id']}"):
            key = region_clients.kms.describe_key(KeyId=backend["kms_key_id"])["KeyMetadata"]
        if key.get("KeyState") != "Enabled":
            raise _Miss(f"state key {backend['kms_key_id']} is {key.get('KeyState')}", "")
        from botocore.exceptions import ClientError

        try:
            region_clients.s3.head_object(Bucket=backend["bucket"], Key=backend["key"])
            state = f"state {backend['key']} present"
        except ClientError:
            state = f"no state at {backend['key']} yet (a first apply writes it)"
        return (
            f"s3://{backend['bucket']}, table {backend['dynamodb_table']}, key "
            f"{backend['kms_key_id']}; {state}"
        )

    check(
        "state backend",
        f"carcierge state bootstrap in {environment}'s account (docs/setup.md)",
        state,
    )

    def opensearch_role() -> str:
        with _aws("iam list-roles"):
            problems = preflight.account_problems(clients.iam)
        if problems:
            raise _Miss(problems[0].split(": once per account")[0], "")
        return preflight.OPENSEARCH_ROLE

    check(
        "OpenSearch service-linked role",
        "aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com",
        opensearch_role,
    )

    def certificate() -> str:
        arn = str(settings.get("ssl_certificate_arn", ""))
        region = str(settings.get("aws_region", ""))
        if arn.split(":")[3:4] != [region]:
            raise _Miss(f"ssl_certificate_arn {arn or '(unset)'} is not in {region}", "")
        with _aws(f"acm describe-certificate {arn}"):
            described = _in(clients, region).acm.describe_certificate(CertificateArn=arn)
        status = described["Certificate"].get("Status")
        if status != "ISSUED":
            raise _Miss(f"{arn} is {status}", "complete its DNS validation in ACM")
        return f"{arn} ISSUED"

    check(
        "ACM certificate",
        f"request a certificate in {settings.get('aws_region')} (ACM) and put its ARN in "
        f"{where} ssl_certificate_arn",
        certificate,
    )

    images: dict[str, str] = {
        f"services.{key}": str(service.get("container_image", ""))
        for key, service in (settings.get("services") or {}).items()
    }
    if settings.get("ops_image"):
        images["ops_image"] = str(settings["ops_image"])
    for label, image in images.items():

        def image_check(image: str = image) -> str:
            match = _ECR_IMAGE.match(image)
            if not match:
                raise _Miss(f"{image} is not an ECR image reference", "")
            reference = (
                {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"]}
            )
            with _aws(f"ecr describe-images {match['repository']}"):
                _in(clients, match["region"]).ecr.describe_images(
                    registryId=match["account"],
                    repositoryName=match["repository"],
                    imageIds=[reference],
                )
            return f"{image} in ECR"

        check(
            f"image {label}",
            f"push the image to ECR (docs/runbooks/add-service.md), or correct {label} in {where}",
            image_check,
        )

    def alert_emails() -> str:
        try:
            emails = ci_variables.parse_alert_emails(environ.get("ALERT_EMAILS", ""))
        except UserError as error:
            raise _Miss(str(error), "") from error
        if not emails:
            raise _Miss("ALERT_EMAILS is empty: nobody receives the environment's alarms", "")
        return f"{len(emails)} address(es)"

    check(
        "alert e-mails",
        f"set ALERT_EMAILS (Settings > CI/CD > Variables, protected, scoped to {environment}); "
        "export it here to check it",
        alert_emails,
    )

    def admin_roles() -> str:
        patterns = [str(arn) for arn in settings.get("opensearch_admin_principal_arns") or []]
        if not patterns:
            raise _Miss("no opensearch_admin_principal_arns", "")
        with _aws("iam list-roles"):
            roles = [
                role["Arn"]
                for page in clients.iam.get_paginator("list_roles").paginate()
                for role in page["Roles"]
            ]
        missing = [p for p in patterns if not any(fnmatch.fnmatchcase(r, p) for r in roles)]
        if missing:
            raise _Miss(f"no role of the account matches {', '.join(missing)}", "")
        return f"{len(patterns)} pattern(s), each matching a role"

    check(
        "OpenSearch admin roles",
        f"create the admin role (IAM Identity Center permission set) or correct "
        f"opensearch_admin_principal_arns in {where}",
        admin_roles,
    )
    return checks


def render(checks: list[Check]) -> list[str]:
    lines = []
    for item in checks:
        mark = "ok  " if item.ok else "MISS"
        lines.append(f"  [{mark}] {item.name}: {item.detail}")
        if not item.ok:
            lines.append(f"         fix: {item.fix}")
    missed = sum(not item.ok for item in checks)
    lines.append(
        f"{missed} of {len(checks)} checks missed" if missed else f"all {len(checks)} checks passed"
    )
    return lines
