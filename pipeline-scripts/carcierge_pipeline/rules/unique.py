"""One name, one resource: two planned resources of one type that AWS identifies by the same
name collide. AWS refuses the second create (an IAM role, a log group, a bucket) or, worse,
accepts it as the same object (two task definitions of one family interleave their revisions,
two listeners of one alarm name overwrite each other), so a plan that names two resources
alike never reaches apply. This is the gate behind the naming convention (modules/conventions:
``<environment>-<project>-<resource>-<subresource>``, the reserved service keys): a service key
or a module that builds a name its neighbour already uses is refused here, whatever the module.

Each entry says where AWS makes the name unique (read 2026-12-07 from each API reference's
``Name``/``Identifier`` parameter and its "must be unique" wording): the account (IAM), the
partition (S3 buckets), the region, or a parent (a security group's VPC, a service's cluster).
Resources of one type in other regions (the backup region's key alias, the replica bucket's
region) are told apart by their ``region`` argument (hashicorp/aws 6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation

API = "https://docs.aws.amazon.com"


@dataclass(frozen=True)
class UniqueName:
    type: str
    attribute: str
    scope: str  # "account", "partition", "region" or the attribute naming the parent
    source: str


UNIQUE_NAMES: tuple[UniqueName, ...] = (
    UniqueName(
        "aws_iam_role", "name", "account", f"{API}/IAM/latest/APIReference/API_CreateRole.html"
    ),
    UniqueName(
        "aws_iam_policy", "name", "account", f"{API}/IAM/latest/APIReference/API_CreatePolicy.html"
    ),
    UniqueName(
        "aws_s3_bucket",
        "bucket",
        "partition",
        f"{API}/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    UniqueName(
        "aws_lb",
        "name",
        "region",
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    ),
    UniqueName(
        "aws_lb_target_group",
        "name",
        "region",
        f"{API}/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    ),
    UniqueName(
        "aws_cloudwatch_log_group",
        "name",
        "region",
        f"{API}/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    UniqueName(
        "aws_cloudwatch_metric_alarm",
        "alarm_name",
        "region",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    ),
    UniqueName(
        "aws_cloudwatch_dashboard",
        "dashboard_name",
        "region",
        f"{API}/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    ),
    UniqueName(
        "aws_secretsmanager_secret",
        "name",
        "region",
        f"{API}/secretsmanager/latest/apireference/API_CreateSecret.html",
    ),
    UniqueName(
        "aws_kms_alias", "name", "region", f"{API}/kms/latest/APIReference/API_CreateAlias.html"
    ),
    UniqueName(
        "aws_security_group",
        "name",
        "vpc_id",
        f"{API}/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    ),
    UniqueName(
        "aws_ecs_service",
        "name",
        "cluster",
        f"{API}/AmazonECS/latest/APIReference/API_CreateService.html",
    ),
    UniqueName(
        "aws_ecs_task_definition",
        "family",
        "region",
        f"{API}/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
    ),
    UniqueName(
        "aws_ecr_repository",
        "name",
        "region",
        f"{API}/AmazonECR/latest/APIReference/API_CreateRepository.html",
    ),
    UniqueName(
        "aws_elasticache_replication_group",
        "replication_group_id",
        "region",
        f"{API}/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
    ),
    UniqueName(
        "aws_elasticache_user",
        "user_id",
        "region",
        f"{API}/AmazonElastiCache/latest/APIReference/API_CreateUser.html",
    ),
    UniqueName(
        "aws_db_instance",
        "identifier",
        "region",
        f"{API}/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    ),
    UniqueName(
        "aws_opensearch_domain",
        "domain_name",
        "region",
        f"{API}/opensearch-service/latest/APIReference/API_CreateDomain.html",
    ),
    UniqueName(
        "aws_osis_pipeline",
        "pipeline_name",
        "region",
        f"{API}/opensearch-service/latest/APIReference/API_osis_CreatePipeline.html",
    ),
    UniqueName("aws_sns_topic", "name", "region", f"{API}/sns/latest/api/API_CreateTopic.html"),
    UniqueName(
        "aws_ssm_parameter",
        "name",
        "region",
        f"{API}/systems-manager/latest/APIReference/API_PutParameter.html",
    ),
)


def _parent(plan: Plan, resource: Resource, attribute: str) -> object:
    """The parent a name is unique under: its ID when known, else the resources the argument
    refers to (a VPC or cluster created in the same apply); None when neither can be known."""
    value = resource.get(attribute)
    if isinstance(value, str):
        return value
    resolved = plan.resolve(resource, attribute)
    return tuple(sorted(r.address for r in resolved)) if resolved else None


def _scope(plan: Plan, entry: UniqueName, resource: Resource) -> object:
    if entry.scope in ("account", "partition"):
        return entry.scope
    region = resource.get("region")
    region = region if isinstance(region, str) else "the provider's region"
    if entry.scope == "region":
        return region
    parent = _parent(plan, resource, entry.scope)
    return None if parent is None else (region, parent)


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for entry in UNIQUE_NAMES:
        named: dict[tuple[object, str], list[str]] = defaultdict(list)
        for resource in plan.of_type(entry.type):
            if resource.deposed:
                continue
            value = resource.get(entry.attribute)
            if value is None or value is UNKNOWN:
                # A name left to the provider (name_prefix, generated) is unique by
                # construction; one computed from unknown values is reported unchecked.
                if value is UNKNOWN and plan.configured(resource, entry.attribute):
                    yield Unknown(resource.address, entry.attribute)
                continue
            scope = _scope(plan, entry, resource)
            if scope is None:
                yield Unknown(resource.address, entry.scope)
                continue
            named[(scope, str(value))].append(resource.address)
        for (_, name), addresses in named.items():
            for address in addresses[1:]:
                yield Violation(
                    address,
                    name,
                    f"{entry.attribute} is also the {entry.attribute} of {addresses[0]}: AWS "
                    f"identifies a {entry.type} by it (unique per {entry.scope}), so the two "
                    "collide",
                    entry.source,
                )


RULE = Rule(
    "aws-unique-names",
    "No two planned resources of one type with the same name in one scope",
    f"{API} (API reference of each resource type; see UNIQUE_NAMES)",
    check,
    read="2026-12-07",
)
