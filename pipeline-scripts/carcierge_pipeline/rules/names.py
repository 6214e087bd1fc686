"""Names and identifiers: lengths and characters AWS accepts, per resource type this project
creates. Each entry cites the AWS API reference page of the parameter and the AWS service model
that says the same (botocore 1.44.8, ``botocore/data/<service>/<version>/service-2.json``:
the member's documentation, or its shape's min/max/pattern), read 2026-12-01; the ELB and IAM
prefix limits also match the Terraform AWS provider's validators
(``internal/service/elbv2/validate.go`` validName / validTargetGroupName;
``internal/service/iam/role.go`` roleNamePrefixMaxLen = 64 - id.UniqueIDSuffixLength, which is
26 in terraform-plugin-sdk ``helper/id/id.go``). The provider checks some of these at plan, the
offline stand-in none. Where a pattern here is looser than the text it cites, that is said at
the entry (a looser check never refuses what AWS accepts)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

API = "https://docs.aws.amazon.com"


def _model(service: str, shape: str) -> str:
    return f" (botocore data/{service}/service-2.json {shape})"


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
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html"
        + _model("elbv2/2015-12-01", "CreateLoadBalancer Name; provider elbv2 validName"),
        32,
    ),
    NameRule(
        "aws_lb_target_group",
        "name",
        _ALNUM_HYPHEN_32,
        "at most 32 letters, digits or hyphens, not starting or ending with a hyphen",
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html"
        + _model("elbv2/2015-12-01", "CreateTargetGroup Name; provider elbv2 validTargetGroupName"),
        32,
    ),
    NameRule(
        "aws_elasticache_replication_group",
        "replication_group_id",
        _RDS_ID,
        "1-40 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html"
        + _model("elasticache/2015-02-02", "CreateReplicationGroup ReplicationGroupId"),
        40,
        True,
    ),
    NameRule(
        "aws_opensearch_domain",
        "domain_name",
        r"[a-z][a-z0-9-]{2,27}",
        "3-28 lowercase letters, digits or hyphens, starting with a letter",
        f"{API}/opensearch-service/latest/APIReference/API_CreateDomain.html"
        + _model("opensearch/2021-01-01", "DomainName: min 3, max 28, pattern [a-z][a-z0-9\\-]+"),
        28,
    ),
    NameRule(
        "aws_db_instance",
        "identifier",
        _RDS_ID,
        "1-63 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_CreateDBInstance.html"
        + _model("rds/2014-10-31", "CreateDBInstance DBInstanceIdentifier"),
        63,
        True,
    ),
    NameRule(
        "aws_db_instance",
        "final_snapshot_identifier",
        _RDS_ID,  # the text says "letters or numbers", then rules on hyphens; hyphens allowed
        "1-255 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html"
        + _model("rds/2014-10-31", "DeleteDBInstance FinalDBSnapshotIdentifier"),
        255,
        True,
    ),
    NameRule(
        "aws_db_parameter_group",
        "name",
        _RDS_ID,
        "1-255 letters, digits or hyphens, starting with a letter, not ending with a hyphen, "
        "no two consecutive hyphens",
        f"{API}/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html"
        + _model("rds/2014-10-31", "CreateDBParameterGroup DBParameterGroupName"),
        255,
        True,
    ),
    NameRule(
        "aws_iam_role",
        "name",
        r"[A-Za-z0-9_+=,.@-]+",
        "1-64 letters, digits or + = , . @ _ -",
        f"{API}/IAM/latest/APIReference/API_CreateRole.html"
        + _model("iam/2010-05-08", "roleNameType: min 1, max 64, pattern [\\w+=,.@-]+"),
        64,
    ),
    NameRule(
        "aws_iam_role",
        "name_prefix",
        r"[A-Za-z0-9_+=,.@-]+",
        "at most 38 characters (the provider appends 26 to reach the 64 of a role name)",
        f"{API}/IAM/latest/APIReference/API_CreateRole.html"
        + " (64-character role name; provider iam/role.go roleNamePrefixMaxLen = 64 - 26)",
        38,
    ),
    NameRule(
        "aws_iam_role_policy",
        "name",
        r"[A-Za-z0-9_+=,.@-]+",
        "1-128 letters, digits or + = , . @ _ -",
        f"{API}/IAM/latest/APIReference/API_PutRolePolicy.html"
        + _model("iam/2010-05-08", "policyNameType: min 1, max 128, pattern [\\w+=,.@-]+"),
        128,
    ),
    NameRule(
        "aws_security_group",
        "name",
        r"(?!sg-)[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
        "at most 255 characters of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*, not starting "
        "with 'sg-'",
        f"{API}/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html"
        + _model("ec2/2016-11-15", "CreateSecurityGroup GroupName"),
        255,
    ),
    NameRule(
        "aws_cloudwatch_log_group",
        "name",
        r"[.\-_/#A-Za-z0-9]+",
        "1-512 characters of a-z A-Z 0-9 . - _ / #",
        f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"
        + _model("logs/2014-03-28", "LogGroupName: min 1, max 512, pattern [\\.\\-_/#A-Za-z0-9]+"),
        512,
    ),
    NameRule(
        "aws_cloudwatch_dashboard",
        "dashboard_name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"
        + _model("cloudwatch/2010-08-01", "PutDashboard DashboardName"),
        255,
    ),
    NameRule(
        "aws_cloudwatch_metric_alarm",
        "alarm_name",
        r"[^\x00-\x1f\x7f]+",
        "1-255 characters",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
        + _model("cloudwatch/2010-08-01", "AlarmName: min 1, max 255"),
        255,
    ),
    NameRule(
        "aws_ecs_cluster",
        "name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_CreateCluster.html"
        + _model("ecs/2014-11-13", "CreateCluster clusterName"),
        255,
    ),
    NameRule(
        "aws_ecs_service",
        "name",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_CreateService.html"
        + _model("ecs/2014-11-13", "CreateService serviceName"),
        255,
    ),
    NameRule(
        "aws_ecs_task_definition",
        "family",
        r"[A-Za-z0-9_-]+",
        "1-255 letters, digits, hyphens or underscores",
        f"{API}/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html"
        + _model("ecs/2014-11-13", "RegisterTaskDefinition family"),
        255,
    ),
    NameRule(
        "aws_sns_topic",
        "name",
        r"[A-Za-z0-9_-]+(?:\.fifo)?",
        "1-256 letters, digits, hyphens or underscores (a FIFO topic's ending in .fifo)",
        f"{API}/sns/latest/api/API_CreateTopic.html" + _model("sns/2010-03-31", "CreateTopic Name"),
        256,
    ),
    NameRule(
        "aws_kms_alias",
        "name",
        r"alias/(?!aws/)[A-Za-z0-9:/_-]+",  # ':' is in the model's pattern, not the page's text
        "'alias/' then letters, digits, / _ - (or :), at most 256, not 'alias/aws/'",
        f"{API}/kms/latest/APIReference/API_CreateAlias.html"
        + _model("kms/2014-11-01", "AliasNameType: min 1, max 256, pattern ^[a-zA-Z0-9:/_-]+$"),
        256,
    ),
    NameRule(
        "aws_secretsmanager_secret",
        "name",
        r"[A-Za-z0-9/_+=.@-]+",
        "1-512 letters, digits or / _ + = . @ -",
        f"{API}/secretsmanager/latest/apireference/API_CreateSecret.html"
        + _model("secretsmanager/2017-10-17", "NameType: min 1, max 512"),
        512,
    ),
    NameRule(
        "aws_s3_bucket",
        "bucket",
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter "
        "or digit",
        f"{API}/AmazonS3/latest/userguide/bucketnamingrules.html"
        + " (general purpose buckets; only the length, characters and first/last character "
        "rules are checked, not the reserved prefixes and suffixes)",
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
