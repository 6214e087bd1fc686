"""Values the provider passes to AWS unchecked, against AWS's API models (botocore ships them)
and AWS's guides; read 2026-12-07:

- S3 event notification ``events``: the ``Event`` enum of the S3 model (botocore s3
  2006-03-01 service-2.json); the provider validates none.
- WAF logging destinations: "the name must start with aws-waf-logs-" for a CloudWatch Logs log
  group, an S3 bucket or a Firehose stream (AWS WAF Developer Guide, "Logging destinations").
- WAF ``rule_json``: the provider decodes it case-insensitively into the API's ``Rule`` shapes
  and drops keys it does not know; a misspelt key silently disappears. Every key must be a
  member of its shape, every required member present, enums in their enum (botocore wafv2
  2019-07-29 service-2.json: Rule, Statement, ...).
- Descriptions: EC2 security groups and their rules take "a-z, A-Z, 0-9, spaces, and
  ._-:/()#,@[]+=&;{}!$*" up to 255 characters (EC2 API Reference, CreateSecurityGroup
  GroupDescription and IpRange/SecurityGroupRule Description); IAM roles and the WAF web ACL
  the patterns of their models (iam roleDescriptionType, wafv2 EntityDescription).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation, each_json

READ = "2026-12-07"
S3_SOURCE = "botocore s3 2006-03-01 service-2.json (Event enum)"
WAF_LOGGING_SOURCE = (
    "https://docs.aws.amazon.com/waf/latest/developerguide/logging-destinations.html"
)
WAF_MODEL_SOURCE = "botocore wafv2 2019-07-29 service-2.json (Rule and its member shapes)"
EC2_DESCRIPTION_SOURCE = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html "
    "(GroupDescription)"
)
EC2_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")
WAF_LOG_PREFIX = "aws-waf-logs-"


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def s3_events() -> frozenset[str]:
    return frozenset(_model("s3").shape_for("Event").enum)


def check_s3_events(plan: Plan) -> Iterator[Violation | Unknown]:
    allowed = s3_events()
    for notification in plan.of_type("aws_s3_bucket_notification"):
        for block in ("queue", "topic", "lambda_function"):
            entries = notification.get(block)
            if entries is UNKNOWN:
                yield Unknown(notification.address, f"{block}.events")
                continue
            for index, entry in enumerate(entries or []):
                for event in (entry or {}).get("events") or []:
                    if event not in allowed:
                        yield Violation(
                            notification.address,
                            event,
                            f"{block}[{index}].events: not an S3 event type (s3:ObjectCreated:*, "
                            "s3:ObjectRemoved:*, ...: the Event enum)",
                        )


def _destination_name(arn: str) -> str | None:
    """The name WAF checks in a logging destination ARN, or None if not one of the three."""
    if (match := re.match(r"arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)", arn)) is not None:
        return match[1]
    if (match := re.match(r"arn:[^:]+:s3:::([^/]+)", arn)) is not None:
        return match[1]
    if (match := re.match(r"arn:[^:]+:firehose:[^:]*:[^:]*:deliverystream/(.+)", arn)) is not None:
        return match[1]
    return None


def check_waf_logging(plan: Plan) -> Iterator[Violation | Unknown]:
    for logging in plan.of_type("aws_wafv2_web_acl_logging_configuration"):
        destinations = logging.get("log_destination_configs")
        if destinations is UNKNOWN or logging.is_unknown("log_destination_configs"):
            yield Unknown(logging.address, "log_destination_configs")
            continue
        for arn in destinations or []:
            name = _destination_name(str(arn))
            if name is not None and not name.startswith(WAF_LOG_PREFIX):
                yield Violation(
                    logging.address,
                    arn,
                    f"log_destination_configs: WAF logs only to destinations named "
                    f"{WAF_LOG_PREFIX}* (log group, bucket or Firehose stream); got {name}",
                )


def shape_problems(value: Any, shape: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    """(path, value, message) where ``value`` does not fit the botocore ``shape``: unknown or
    missing members (names compared case-insensitively, as the provider decodes them), enums,
    list and string lengths, integer ranges."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            yield path, value, f"must be an object ({shape.name})"
            return
        members = {name.lower(): name for name in shape.members}
        given = {str(key).lower(): key for key in value}
        for lowered, key in given.items():
            if lowered not in members:
                yield f"{path}.{key}", key, f"is not a member of {shape.name} (dropped silently)"
        for required in shape.required_members:
            if required.lower() not in given:
                yield path, sorted(value), f"{shape.name} requires {required}"
        for lowered, key in given.items():
            if lowered in members:
                member = shape.members[members[lowered]]
                yield from shape_problems(value[key], member, f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            yield path, value, "must be a list"
            return
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            yield path, len(value), f"must have {low}-{high} items"
        for index, item in enumerate(value):
            yield from shape_problems(item, shape.member, f"{path}[{index}]")
    elif kind == "string":
        if shape.enum and value not in shape.enum:
            yield path, value, f"must be one of {', '.join(shape.enum)}"
    elif kind in ("integer", "long"):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if not isinstance(value, int) or isinstance(value, bool):
            yield path, value, "must be a whole number"
        elif (low is not None and value < low) or (high is not None and value > high):
            yield path, value, f"must be {low}-{high}"


def check_waf_rules(plan: Plan) -> Iterator[Violation | Unknown]:
    acls = plan.of_type("aws_wafv2_web_acl", "aws_wafv2_rule_group")
    return each_json(acls, "rule_json", _waf_rule_problems)


def _waf_rule_problems(acl: Resource, rules: Any) -> Iterator[Violation]:
    rule_shape = _model("wafv2").shape_for("Rule")
    if not isinstance(rules, list):
        yield Violation(acl.address, rules, "rule_json must be a list of Rule objects")
        return
    for index, rule in enumerate(rules):
        for path, value, message in shape_problems(rule, rule_shape, f"rule_json[{index}]"):
            yield Violation(acl.address, value, f"{path}: {message}")


DESCRIBED = {
    "aws_security_group": ("description", EC2_DESCRIPTION, EC2_DESCRIPTION_SOURCE),
    "aws_vpc_security_group_ingress_rule": (
        "description",
        EC2_DESCRIPTION,
        EC2_DESCRIPTION_SOURCE,
    ),
    "aws_vpc_security_group_egress_rule": (
        "description",
        EC2_DESCRIPTION,
        EC2_DESCRIPTION_SOURCE,
    ),
}
# Types whose description pattern is in their API model: (service, shape).
MODEL_DESCRIBED = {
    "aws_iam_role": ("iam", "roleDescriptionType"),
    "aws_wafv2_web_acl": ("wafv2", "EntityDescription"),
}


@functools.cache
def _model_pattern(service: str, shape: str) -> tuple[re.Pattern[str], int | None]:
    found = _model(service).shape_for(shape)
    pattern = found.metadata.get("pattern", ".*")
    # The models write JSON-escaped Unicode ranges (\u0009): Python's re reads them as such.
    return re.compile(pattern), found.metadata.get("max")


def check_descriptions(plan: Plan) -> Iterator[Violation | Unknown]:
    for kind, (attribute, pattern, source) in DESCRIBED.items():
        for resource in plan.of_type(kind):
            value = resource.get(attribute)
            if value is UNKNOWN:
                yield Unknown(resource.address, attribute)
            elif isinstance(value, str) and not pattern.fullmatch(value):
                bad = sorted({c for c in value if not pattern.fullmatch(c)})
                yield Violation(
                    resource.address,
                    value,
                    f"{attribute}: up to 255 of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{{}}!$*; "
                    f"not allowed: {''.join(bad) or 'its length'}",
                    source,
                )
    for kind, (service, shape) in MODEL_DESCRIBED.items():
        for resource in plan.of_type(kind):
            value = resource.get("description")
            if value is UNKNOWN:
                yield Unknown(resource.address, "description")
                continue
            if not isinstance(value, str) or not value:
                continue
            compiled, limit = _model_pattern(service, shape)
            if not compiled.fullmatch(value) or (limit is not None and len(value) > limit):
                yield Violation(
                    resource.address,
                    value,
                    f"description does not match {service} {shape} "
                    f"({compiled.pattern}, at most {limit} characters)",
                    f"botocore {service} service-2.json ({shape})",
                )


S3_EVENTS_RULE = Rule(
    "aws-s3-notification-events", "S3 event notification types", S3_SOURCE, check_s3_events, READ
)
WAF_LOGGING_RULE = Rule(
    "aws-waf-log-destinations",
    "WAF logging destinations named aws-waf-logs-*",
    WAF_LOGGING_SOURCE,
    check_waf_logging,
    READ,
)
WAF_RULES_RULE = Rule(
    "aws-waf-rule-json",
    "WAF rule_json keys and values of the API's Rule shapes",
    WAF_MODEL_SOURCE,
    check_waf_rules,
    READ,
)
DESCRIPTIONS_RULE = Rule(
    "aws-descriptions",
    "Description character sets of security groups, their rules, IAM roles and WAF",
    EC2_DESCRIPTION_SOURCE,
    check_descriptions,
    READ,
)
