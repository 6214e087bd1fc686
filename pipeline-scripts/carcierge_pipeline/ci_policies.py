"""The IAM documents of an environment's two CI roles (accounts.py names them), generated from
the configuration itself: which AWS services the deploy role may use follows from the resource
types the root and its modules declare (``resource_types``; one owner: the ``.tf`` files).

- **Plan role**: AWS's managed ``ReadOnlyAccess`` plus ``plan_access_policy`` (state read and
  lock, the environment's secrets that a plan's refresh reads). ReadOnlyAccess rather than a
  generated read list: AWS keeps it complete for every service and API the provider refreshes
  with, where a hand-kept list breaks a plan silently on each provider upgrade; it grants no
  write and no ``secretsmanager:GetSecretValue`` (hence the one statement for the
  environment's own secrets). Its breadth is read access inside the environment's own account,
  which is the account-per-environment model's point (docs/setup.md states the shared-account
  limit).
- **Deploy role**: ``deploy_policy`` (every action of the services the configuration uses, on
  resources named ``<env>-carcierge-*`` where the service's ARNs carry the name; read-only
  describe calls everywhere; the services whose ARNs hold only generated ids are listed in
  ``UNNAMED_ARNS``) and ``boundary_policy`` as its permissions boundary.
- **Boundary** (``<env>-carcierge-ci-boundary``): allows everything the identity policy allows,
  and denies escalation and erasure: creating a role or user, or changing a role's policies,
  unless the role carries this same boundary (``iam:PermissionsBoundary``); removing or
  changing the boundary; deleting backups (RDS snapshots and automated backups, AWS Backup
  recovery points and vaults, S3 object versions, lifecycle rules on the state and backup
  buckets, object-lock bypass). IAM User Guide, "Permissions boundaries for IAM entities" and
  the condition key ``iam:PermissionsBoundary`` (Service Authorization Reference, IAM).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from carcierge_pipeline.errors import UserError

READ_ONLY_ACCESS = "arn:{partition}:iam::aws:policy/ReadOnlyAccess"

# Terraform resource-type prefixes (longest match wins) -> the IAM service prefix their API
# calls need (Service Authorization Reference). A type with no entry stops the bootstrap and
# fails test_ci_roles.py, so a new kind of resource is a conscious change of the deploy role.
SERVICE_PREFIXES: dict[str, str] = {
    "aws_appautoscaling_": "application-autoscaling",
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_log_": "logs",
    "aws_db_": "rds",
    "aws_default_": "ec2",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_eip": "ec2",
    "aws_elasticache_": "elasticache",
    "aws_flow_log": "ec2",
    "aws_iam_": "iam",
    "aws_internet_gateway": "ec2",
    "aws_kinesis_firehose_": "firehose",
    "aws_kms_": "kms",
    "aws_lb": "elasticloadbalancing",
    "aws_nat_gateway": "ec2",
    "aws_network_acl": "ec2",
    "aws_opensearch_": "es",
    "aws_osis_": "osis",
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_service_discovery_": "servicediscovery",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
    "aws_backup_": "backup",
}
# Types that call no AWS API.
NO_SERVICE = ("terraform_data", "null_resource", "random_", "time_", "tls_")
# Services whose ARNs hold generated ids, not the resource's name: their write actions cannot
# be limited to <env>-carcierge-* by ARN (in its own account the environment's role then
# reaches the account's other resources of these services; docs/setup.md, shared account).
UNNAMED_ARNS = (
    "application-autoscaling",
    "cloudwatch",
    "ec2",
    "kms",
    "route53",
    "servicediscovery",
)
# Services with no region in their ARNs.
GLOBAL_ARNS = ("iam", "route53", "s3")


def service_of(resource_type: str) -> str | None:
    if resource_type.startswith(NO_SERVICE):
        return None
    matches = [prefix for prefix in SERVICE_PREFIXES if resource_type.startswith(prefix)]
    if not matches:
        raise UserError(
            f"resource type {resource_type} has no IAM service in "
            "carcierge_pipeline/ci_policies.py SERVICE_PREFIXES: add it (the deploy role's "
            "policy is generated from it)"
        )
    return SERVICE_PREFIXES[max(matches, key=len)]


# A resource block's header as `terraform fmt` writes it (checked by `make lint`): python-hcl2
# parses the whole configuration in seconds, this reads only the headers.
_RESOURCE = re.compile(r'^resource\s+"([A-Za-z0-9_]+)"\s+"', re.MULTILINE)


def resource_types(root: Path) -> set[str]:
    """Every managed resource type of the root and its modules (``resource`` blocks)."""
    found: set[str] = set()
    for path in sorted([*root.glob("*.tf"), *root.glob("modules/*/*.tf")]):
        found.update(_RESOURCE.findall(path.read_text()))
    return found


def services(root: Path) -> list[str]:
    return sorted({s for t in resource_types(root) if (s := service_of(t)) is not None})


def _arn(partition: str, service: str, account: str, resource: str) -> str:
    region = "" if service in GLOBAL_ARNS else "*"
    owner = "" if service == "s3" else account
    return f"arn:{partition}:{service}:{region}:{owner}:{resource}"


def named_resources(partition: str, service: str, account: str, prefix: str) -> list[str]:
    """ARNs of the environment's resources of ``service`` (``prefix`` = ``<env>-carcierge``)."""
    if service == "s3":
        return [
            _arn(partition, "s3", account, f"{prefix}-*"),
            _arn(partition, "s3", account, f"{prefix}-*/*"),
        ]
    if service == "iam":
        return [
            _arn(partition, "iam", account, f"role/{prefix}-*"),
            _arn(partition, "iam", account, f"policy/{prefix}-*"),
        ]
    # The name follows the resource kind ("db:", "loadbalancer/app/", "log-group:/ecs/"...).
    return [_arn(partition, service, account, f"*{prefix}-*")]


def deploy_policy(
    service_list: list[str], account: str, prefix: str, partition: str, boundary_arn: str
) -> dict[str, Any]:
    named = [s for s in service_list if s not in UNNAMED_ARNS]
    unnamed = [s for s in service_list if s in UNNAMED_ARNS]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadEverything",
            "Effect": "Allow",
            "Action": [f"{s}:{verb}*" for s in service_list for verb in ("Describe", "List", "Get")]
            + ["sts:GetCallerIdentity"],
            "Resource": "*",
        },
        {
            "Sid": "ManageOwnNamedResources",
            "Effect": "Allow",
            "Action": [f"{s}:*" for s in named if s != "iam"],
            "Resource": sorted(
                {
                    arn
                    for s in named
                    if s != "iam"
                    for arn in named_resources(partition, s, account, prefix)
                }
            ),
        },
        {
            # Roles only with the boundary (the boundary denies the rest again).
            "Sid": "OwnRolesUnderTheBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            "Resource": named_resources(partition, "iam", account, prefix)[0],
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "OwnRolesAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:PassRole",
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": named_resources(partition, "iam", account, prefix),
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": _arn(partition, "iam", account, "role/aws-service-role/*"),
        },
    ]
    if unnamed:
        statements.append(
            {
                "Sid": "ManageServicesWithoutNamedArns",
                "Effect": "Allow",
                "Action": [f"{s}:*" for s in unnamed],
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# What nobody who holds the boundary may do (issue 26 item 5): erase backups and state history.
BACKUP_ERASURE = [
    "rds:DeleteDBSnapshot",
    "rds:DeleteDBClusterSnapshot",
    "rds:DeleteDBInstanceAutomatedBackup",
    "rds:DeleteDBClusterAutomatedBackup",
    "backup:DeleteRecoveryPoint",
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:PutBackupVaultLockConfiguration",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:UpdateRecoveryPointLifecycle",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutBucketObjectLockConfiguration",
]


def boundary_policy(
    boundary_arn: str, account: str, prefix: str, partition: str, protected_buckets: list[str]
) -> dict[str, Any]:
    """The permissions boundary of the deploy role and of every role it creates."""
    own_roles = _arn(partition, "iam", account, f"role/{prefix}-*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BoundaryAllowsTheIdentityPolicy",
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
            },
            {
                "Sid": "NoRoleWithoutThisBoundary",
                "Effect": "Deny",
                "Action": [
                    "iam:CreateRole",
                    "iam:PutRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:PutRolePermissionsBoundary",
                ],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
            },
            {
                "Sid": "NoUsersOrOtherRoles",
                "Effect": "Deny",
                "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"],
                "Resource": "*",
            },
            {
                "Sid": "RolesOnlyInTheEnvironment",
                "Effect": "Deny",
                "Action": [
                    "iam:CreateRole",
                    "iam:PutRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:PassRole",
                ],
                "NotResource": own_roles,
            },
            {
                "Sid": "TheBoundaryStays",
                "Effect": "Deny",
                "Action": [
                    "iam:DeleteRolePermissionsBoundary",
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                ],
                "Resource": [boundary_arn, own_roles],
            },
            {"Sid": "BackupsSurvive", "Effect": "Deny", "Action": BACKUP_ERASURE, "Resource": "*"},
            {
                "Sid": "StateAndBackupBucketsKeepTheirRules",
                "Effect": "Deny",
                "Action": [
                    "s3:PutLifecycleConfiguration",
                    "s3:PutBucketVersioning",
                    "s3:PutBucketPolicy",
                    "s3:DeleteBucketPolicy",
                    "s3:DeleteBucket",
                ],
                "Resource": [_arn(partition, "s3", account, b) for b in protected_buckets],
            },
        ],
    }


def plan_access_policy(
    state_policy: dict[str, Any], account: str, prefix: str, partition: str
) -> dict[str, Any]:
    """State read and lock (no write of the state object) and the environment's secrets."""
    statements = []
    for statement in state_policy["Statement"]:
        if statement.get("Sid") == "ReadWriteOwnState":
            # The state is only read; the lockfile (use_lockfile: <key>.tflock) is written and
            # deleted by a plan that takes the lock (plan and drift on the branch).
            statements.append(
                {
                    **statement,
                    "Sid": "LockfileOfOwnState",
                    "Action": ["s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{statement['Resource']}.tflock",
                }
            )
            statement = {**statement, "Sid": "ReadOwnState", "Action": "s3:GetObject"}
        statements.append(statement)
    statements.append(
        {
            "Sid": "OwnSecretsForRefresh",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": _arn(partition, "secretsmanager", account, f"secret:{prefix}-*"),
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}
