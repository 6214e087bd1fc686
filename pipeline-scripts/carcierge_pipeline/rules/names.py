"""Names and identifiers: lengths and characters AWS accepts, per resource type this project
creates. Each entry cites the AWS API reference it is written from (read 2026-12-01); the
provider checks some of these at plan, the offline stand-in none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

API = "https://docs.aws.amazon.com"


@dataclass(frozen=True)
class NameRule:
    type: str
    attribute: str
    pattern: str  # full match
    says: str  # the constraint in words, for the message
    source: str
    max_length: int | None = None
    no_double_hyphen: bool = False


_ALNUM_HYPHEN_32 = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
_RDS_ID = r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"

NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        "aws_lb",
        "name",
        rf"(?!internal-){_ALNUM_HYPHEN_32}",
        "at most 32 letters, digits or hyphens, not starting or ending with a hyphen, "
        "not starting with 'internal-'",
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
        32,
    ),
    NameRule(
        "aws_lb_target_group",
        "name",
        _ALNUM_HYPHEN_32,
        "at most 32 letters, digits or hyphens, not starting or ending with a hyphen",
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
        32,
    ),
    NameRule(
        "aws_elasticache_replication_group",
        "replication_group_id",
        _RDS_ID,
        "1-40 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
        40,
        True,
    ),
    NameRule(
        "aws_opensearch_domain",
        "domain_name",
        r"[a-z][a-z0-9-]{2,27}",
        "3-28 lowercase letters, digits or hyphens, starting with a letter",
        f"{API}/opensearch-service/latest/APIReference/API_CreateDomain.html",
        28,
    ),
    NameRule(
        "aws_db_instance",
        "identifier",
        _RDS_ID,
        "1-63 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
        63,
        True,
    ),
    NameRule(
        "aws_db_instance",
        "final_snapshot_identifier",
        _RDS_ID,
        "1-255 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
        255,
        True,
    ),
    NameRule(
        "aws_db_parameter_group",
        "name",
        _RDS_ID,
        "1-255 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
        255,
        True,
    ),
    NameRule(
        "aws_iam_role",
        "name",
        r"[\w+=,.@-]+",
        "1-64 letters, digits or + = , . @ _ -",
        f"{API}/IAM/latest/APIReference/API_CreateRole.html",
        64,
    ),
    NameRule(
        "aws_iam_role",
        "name_prefix",
        r"[\w+=,.@-]+",
        "at most 38 characters (the provider appends 26 to reach the 64 of a role name)",
        f"{API}/IAM/latest/APIReference/API_CreateRole.html",
        38,
    ),
    NameRule(
        "aws_iam_role_policy",
        "name",
        r"[\w+=,.@-]+",
        "1-128 letters, digits or + = , . @ _ -",
        f"{API}/IAM/latest/APIReference/API_PutRolePolicy.html",
        128,
    ),
    NameRule(
        "aws_security_group",
        "name",
        r"(?!sg-)[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
        "at most 255 characters of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*, not starting "
        "with 'sg-'",
        f"{API}/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
        255,
    ),
    NameRule(
        "aws_cloudwatch_log_group",
        "name",
        r"[.\-_/#A-Za-z0-9]+",
        "1-512 characters of a-z A-Z 0-9 . - _ / #",
        f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
        512,
    ),
    NameRule(
        "aws_cloudwatch_dashboard",
        "dashboard_name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
        255,
    ),
    NameRule(
        "aws_cloudwatch_metric_alarm",
        "alarm_name",
        r"[^\x00-\x1f\x7f]+",
        "1-255 characters",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
        255,
    ),
    NameRule(
        "aws_ecs_cluster",
        "name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_CreateCluster.html",
        255,
    ),
    NameRule(
        "aws_ecs_service",
        "name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_CreateService.html",
        255,
    ),
    NameRule(
        "aws_ecs_task_definition",
        "family",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
        255,
    ),
    NameRule(
        "aws_sns_topic",
        "name",
        r"[A-Za-z0-9_-]+",
        "1-256 letters, digits, hyphens or underscores",
        f"{API}/sns/latest/api/API_CreateTopic.html",
        256,
    ),
    NameRule(
        "aws_kms_alias",
        "name",
        r"alias/(?!aws/)[A-Za-z0-9/_-]+",
        "'alias/' then letters, digits, / _ -, at most 256, not 'alias/aws/'",
        f"{API}/kms/latest/APIReference/API_CreateAlias.html",
        256,
    ),
    NameRule(
        "aws_secretsmanager_secret",
        "name",
        r"[A-Za-z0-9/_+=.@-]+",
        "1-512 letters, digits or / _ + = . @ -",
        f"{API}/secretsmanager/latest/apireference/API_CreateSecret.html",
        512,
    ),
    NameRule(
        "aws_s3_bucket",
        "bucket",
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter "
        "or digit",
        f"{API}/AmazonS3/latest/userguide/bucketnamingrules.html",
        63,
    ),
)


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for rule in NAME_RULES:
        for resource in plan.of_type(rule.type):
            value = resource.get(rule.attribute)
            if value is None:
                continue
            if value is UNKNOWN:
                # A name the configuration leaves to the provider (name_prefix, generated)
                # is not ours to check; one it computes from other resources is unknown.
                if plan.configured(resource, rule.attribute):
                    yield Unknown(resource.address, rule.attribute)
                continue
            text = str(value)
            too_long = rule.max_length is not None and len(text) > rule.max_length
            bad = not re.fullmatch(rule.pattern, text) or (rule.no_double_hyphen and "--" in text)
            if too_long or bad:
                length = f" ({len(text)} characters)" if too_long else ""
                yield Violation(
                    resource.address,
                    text,
                    f"{rule.attribute}{length} must be {rule.says}",
                    rule.source,
                )


RULE = Rule(
    "aws-names",
    "Names and identifiers within AWS's lengths and characters",
    f"{API} (API reference of each resource type; see NAME_RULES)",
    check,
)
