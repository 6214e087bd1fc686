"""The real provider's plan-time checks, applied offline from a table of recorded facts.

hashicorp/aws refuses many values before any API call: schema validators (enums, ranges,
lengths, patterns, ARN formats, JSON), cross-argument rules (ConflictsWith, RequiredWith,
ExactlyOneOf, AtLeastOneOf) and resource-level CustomizeDiff functions; and it answers
RequiresReplace for arguments marked ForceNew. Terraform's provider schema carries none of
that, so the facts are recorded by hand from the provider's Go source in
``data/aws-provider-rules.json`` (one entry per resource type and attribute path, each resource
naming the file, function and stored commit read), and this module interprets them.

Messages are the SDKv2 validators' own (helper/validation, internal/verify), so an offline plan
fails with the text the real provider would print, on the same attribute path.

Enum values the provider takes from the AWS SDK (``enum.Validate[T]``) are copied from the
AWS API models botocore ships; ``python -m carcierge_pipeline.offline.rules --refresh-enums``
rewrites them and a test keeps them equal to the installed botocore.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from carcierge_pipeline.offline import values

RULES_RESOURCE = "aws-provider-rules.json"

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Failure:
    """One refusal: the attribute path (names and list indexes) and the provider's message."""

    path: Path
    message: str


# Check keys the engine interprets. A recorded fact under any other key is counted as guarded
# but not enforced by the coverage test.
VALUE_CHECKS = frozenset(
    {
        "enum",
        "int_between",
        "int_at_least",
        "int_at_most",
        "int_in",
        "int_divisible_by",
        "float_between",
        "len",
        "not_empty",
        "match",
        "not_match",
        "not_contains",
        "arn",
        "json",
        "iam_policy",
        "cidr",
        "cidr_network",
        "ipv4_cidr_network",
        "nacl_protocol",
        "window",
        "any_of",
    }
)
SIBLING_CHECKS = frozenset({"conflicts_with", "required_with", "exactly_one_of", "at_least_one_of"})
PLAN_FACTS = frozenset({"force_new"})
# "message": the provider's own wording for a custom validator, printed instead of the generic
# ones (``{key}`` is the attribute name as the provider quotes it).
NOTES = frozenset({"source", "note", "message"})
ENFORCED = VALUE_CHECKS | SIBLING_CHECKS


@cache
def table() -> dict[str, Any]:
    text = resources.files("carcierge_pipeline").joinpath("data", RULES_RESOURCE).read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def resource_rules(type_name: str) -> dict[str, Any] | None:
    rules: dict[str, Any] | None = table()["resources"].get(type_name)
    return rules


# -- walking values ----------------------------------------------------------------------------
def _items(value: Any) -> list[Any]:
    """A nested block's configured items: list/set blocks are lists, single blocks dicts."""
    if value is None or values.is_unknown(value):
        return []
    if isinstance(value, list):
        return value
    return [value]


def at_path(config: dict[str, Any], dotted: str) -> Iterator[tuple[Path, dict[str, Any], Any]]:
    """Every (path, containing object, value) that ``dotted`` (blocks by name, no indexes)
    reaches in ``config``; list and set blocks are entered item by item."""

    def walk(obj: dict[str, Any], parts: list[str], path: Path) -> Iterator[Any]:
        name, rest = parts[0], parts[1:]
        value = _undynamic(obj.get(name))
        if not rest:
            yield (*path, name), obj, value
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from walk(item, rest, (*path, name, index))
        elif isinstance(value, dict):
            yield from walk(value, rest, (*path, name))

    yield from walk(config, dotted.split("."), ())


def _format_path(path: Path) -> str:
    return ".".join(str(step) for step in path)


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _go_list(items: list[Any]) -> str:
    """A Go slice printed with %q (strings) or %v (numbers)."""
    return "[" + " ".join(_go_quote(i) if isinstance(i, str) else str(i) for i in items) + "]"


# -- single-value checks (helper/validation and internal/verify, SDKv2 messages) ---------------
_ACCOUNT = re.compile(r"^(aws|aws-managed|third-party|\d{12}|cw.{10})$")
_PARTITION = re.compile(r"^aws(-[a-z]+)*$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_WINDOW_DAY = re.compile(r"^([0-1][0-9]|2[0-3]):([0-5][0-9])-([0-1][0-9]|2[0-3]):([0-5][0-9])$")
_WINDOW_WEEK = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([0-1][0-9]|2[0-3]):([0-5][0-9])"
    r"-(mon|tue|wed|thu|fri|sat|sun):([0-1][0-9]|2[0-3]):([0-5][0-9])$",
    re.IGNORECASE,
)


def _arn_errors(key: str, value: str) -> list[str]:
    """verify.ValidARN: aws-sdk-go's arn.Parse, then partition, region, account, resource."""
    if value == "":
        return []
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        reason = "arn: invalid prefix" if parts[0] != "arn" else "arn: not enough sections"
        return [f"{_go_quote(key)} ({value}) is an invalid ARN: {reason}"]
    _, partition, _, region, account, resource = parts
    errors = []
    if partition == "":
        errors.append(f"{_go_quote(key)} ({value}) is an invalid ARN: missing partition value")
    elif not _PARTITION.match(partition):
        errors.append(
            f"{_go_quote(key)} ({value}) is an invalid ARN: invalid partition value "
            f"(expecting to match regular expression: {_PARTITION.pattern})"
        )
    if region and not _REGION.match(region):
        errors.append(
            f"{_go_quote(key)} ({value}) is an invalid ARN: invalid region value "
            f"(expecting to match regular expression: {_REGION.pattern})"
        )
    if account and not _ACCOUNT.match(account):
        errors.append(
            f"{_go_quote(key)} ({value}) is an invalid ARN: invalid account ID value "
            f"(expecting to match regular expression: {_ACCOUNT.pattern})"
        )
    if resource == "":
        errors.append(f"{_go_quote(key)} ({value}) is an invalid ARN: missing resource value")
    return errors


def _duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, item in pairs:
        if name in seen:
            raise ValueError(f'duplicate key "{name}"')
        seen[name] = item
    return seen


def _iam_policy_errors(key: str, value: str, max_length: int) -> list[str]:
    """verify.ValidIAMPolicyJSON (internal/verify/validate.go)."""
    if len(value) < 1:
        return [f"{_go_quote(key)} is an empty string, which is not a valid JSON value"]
    first = value[0]
    if first != "{":
        if first in " \t\r\n":
            reason = "leading space characters are not allowed"
        elif first == '"':
            reason = "contains a JSON-encoded string, not a JSON-encoded object"
        elif first == "[":
            reason = "contains a JSON array, not a JSON object"
        else:
            reason = "not a JSON object"
        return [f"{_go_quote(key)} contains an invalid JSON policy: {reason}"]
    try:
        normalized = json.dumps(json.loads(value), separators=(",", ":"))
    except ValueError as error:
        return [f"{_go_quote(key)} contains an invalid JSON policy: {error}"]
    try:
        json.loads(value, object_pairs_hook=_duplicate_keys)
    except ValueError as error:
        return [f"{_go_quote(key)} contains duplicate JSON keys: {error}"]
    if len(normalized) > max_length:
        return [f"Cannot exceed quota for PolicySize: {max_length} (actual: {len(normalized)})"]
    return []


def _cidr_errors(key: str, value: str, network_only: bool) -> list[str]:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [f"expected {key} to contain a valid CIDR, got: {value} with err: invalid CIDR"]
    if network_only and (
        network.version != 4
        or str(network) != str(ipaddress.ip_network(value, strict=False))
        or network.network_address != ipaddress.ip_interface(value).ip
    ):
        return [f"{_go_quote(value)} is not a valid IPv4 CIDR block; did you mean {network}?"]
    return []


def _cidr_network_errors(key: str, value: str, low: int, high: int) -> list[str]:
    """validation.IsCIDRNetwork(min, max) (terraform-plugin-sdk helper/validation/network.go)."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [
            f"expected {key} to contain a valid Value, got: {value} with err: "
            f"invalid CIDR address: {value}"
        ]
    errors = []
    if str(network) != value:
        errors.append(
            f"expected {key} to contain a valid network Value, expected {network}, got {value}"
        )
    if not low <= network.prefixlen <= high:
        errors.append(
            f"expected {_go_quote(key)} to contain a network Value with between {low} and "
            f"{high} significant bits, got: {network.prefixlen}"
        )
    return errors


def _nacl_protocol_errors(key: str, value: str) -> list[str]:
    """ec2 networkACLProtocolNumber, as the NACL protocol ValidateFunc reports it: a name of
    ianaProtocolAToI (the table's ``iana_protocols``), or one of its numbers."""
    protocols: dict[str, int] = table()["iana_protocols"]["numbers"]
    try:
        number = int(value)
    except ValueError:
        if value in protocols:
            return []
        return [f"{_go_quote(key)} : unsupported NACL protocol: {value}"]
    if number in protocols.values():
        return []
    return [f"{_go_quote(key)} : unsupported NACL protocol: {number}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value_errors(key: str, value: Any, check: str, spec: Any) -> list[str]:
    """Errors of one check on one known, non-null scalar ``value`` (key: the attribute name
    as the provider prints it)."""
    if check == "enum":
        allowed: list[str] = spec["values"] if isinstance(spec, dict) else spec
        ignore_case = isinstance(spec, dict) and spec.get("ignore_case", False)
        ok = value.lower() in {a.lower() for a in allowed} if ignore_case else value in allowed
        return [] if ok else [f"expected {key} to be one of {_go_list(allowed)}, got {value}"]
    if check == "int_between":
        low, high = spec
        return (
            []
            if low <= value <= high
            else [f"expected {key} to be in the range ({low} - {high}), got {value}"]
        )
    if check == "float_between":
        low, high = spec
        return (
            []
            if low <= value <= high
            else [f"expected {key} to be in the range ({low:f} - {high:f}), got {value:f}"]
        )
    if check == "int_at_least":
        return [] if value >= spec else [f"expected {key} to be at least ({spec}), got {value}"]
    if check == "int_at_most":
        return [] if value <= spec else [f"expected {key} to be at most ({spec}), got {value}"]
    if check == "int_in":
        return (
            [] if value in spec else [f"expected {key} to be one of {_go_list(spec)}, got {value}"]
        )
    if check == "int_divisible_by":
        return (
            [] if value % spec == 0 else [f"expected {key} to be divisible by {spec}, got: {value}"]
        )
    if check == "len":
        low, high = spec
        return (
            []
            if low <= len(value) <= high
            else [f"expected length of {key} to be in the range ({low} - {high}), got {value}"]
        )
    if check == "not_empty":
        return (
            []
            if value != ""
            else [f"expected {_go_quote(key)} to not be an empty string, got {value}"]
        )
    if check == "match":
        return [
            message
            or f"expected value of {key} to match regular expression {_go_quote(pattern)}, "
            f"got {value}"
            for pattern, message in spec
            if not re.search(pattern, value)
        ]
    if check == "not_match":
        return [
            message
            or f"expected value of {key} to not match regular expression {_go_quote(pattern)}, "
            f"got {value}"
            for pattern, message in spec
            if re.search(pattern, value)
        ]
    if check == "not_contains":
        return [
            f"expected value of {key} to not contain any of {_go_list(spec)}, got {value}"
            for _ in [0]
            if any(part in value for part in spec)
        ]
    if check == "arn":
        return _arn_errors(key, value)
    if check == "json":
        try:
            json.loads(value)
        except ValueError as error:
            return [f"{_go_quote(key)} contains an invalid JSON: {error}"]
        return []
    if check == "iam_policy":
        return _iam_policy_errors(key, value, int(spec))
    if check == "cidr":
        return _cidr_errors(key, value, network_only=False)
    if check == "ipv4_cidr_network":
        return _cidr_errors(key, value, network_only=True)
    if check == "cidr_network":
        low, high = spec
        return _cidr_network_errors(key, value, low, high)
    if check == "nacl_protocol":
        return _nacl_protocol_errors(key, value)
    if check == "window":
        pattern = _WINDOW_DAY if spec == "day" else _WINDOW_WEEK
        shape = "hh24:mi-hh24:mi" if spec == "day" else "ddd:hh24:mi-ddd:hh24:mi"
        return (
            []
            if pattern.match(value)
            else [f'{_go_quote(value)} must satisfy the format of "{shape}".']
        )
    if check == "any_of":
        collected: list[str] = []
        for alternative in spec:
            errors = [
                e for name, sub in alternative.items() for e in _value_errors(key, value, name, sub)
            ]
            if not errors:
                return []
            collected.extend(errors)
        return collected
    raise KeyError(check)


_NUMERIC = frozenset(
    {"int_between", "int_at_least", "int_at_most", "int_in", "int_divisible_by", "float_between"}
)


def _applies(check: str, value: Any) -> bool:
    if check in _NUMERIC:
        return _number(value)
    if check == "any_of":
        return isinstance(value, str) or _number(value)
    return isinstance(value, str)


def _undynamic(value: Any) -> Any:
    """A value Terraform sent as cty's dynamic pseudo-type ([type JSON, value]; e.g. the
    blocks of aws_wafv2_web_acl.rule, whose statement is dynamic) unwrapped."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes):
        return value[1]
    return value


def _present(value: Any) -> bool:
    """Set in configuration, as SDKv2's ConflictsWith and friends see it (unknown counts)."""
    value = _undynamic(value)
    if value is None:
        return False
    return not (isinstance(value, list | dict) and not value)


def check_config(type_name: str, config: dict[str, Any]) -> list[Failure]:
    """ValidateResourceConfig: value checks and cross-argument rules on one configuration."""
    rules = resource_rules(type_name)
    if rules is None or not isinstance(config, dict):
        return []
    failures: list[Failure] = []
    for dotted, facts in rules.get("attributes", {}).items():
        key = dotted.rsplit(".", 1)[-1]
        for path, parent, value in at_path(config, dotted):
            # Cross-argument rules hold for every block instance, whether or not this member
            # is set (ExactlyOneOf reports from its first member, which may be the unset one).
            failures.extend(_sibling_failures(dotted, path, parent, facts))
            if value is None or values.is_unknown(value):
                continue
            scalars = value if isinstance(value, list) else [value]
            for index, item in enumerate(scalars):
                if item is None or values.is_unknown(item):
                    continue
                item_path = (*path, index) if isinstance(value, list) else path
                item_key = f"{key}.{index}" if isinstance(value, list) else key
                messages = [
                    message
                    for check, spec in facts.items()
                    if check in VALUE_CHECKS and _applies(check, item)
                    for message in _value_errors(item_key, item, check, spec)
                ]
                if messages and "message" in facts:
                    messages = [facts["message"].format(key=_go_quote(item_key), value=item)]
                failures.extend(Failure(item_path, message) for message in messages)
    return failures


def check_plan(type_name: str, config: dict[str, Any]) -> list[Failure]:
    """PlanResourceChange: the resource's CustomizeDiff functions, on its configuration. A
    function whose inputs are not all known yet passes, as the provider's would on a value
    known only after apply."""
    rules = resource_rules(type_name)
    if rules is None or not isinstance(config, dict):
        return []
    return [failure for name in rules.get("custom", {}) for failure in CUSTOM[name](config)]


def _sibling_failures(
    dotted: str, path: Path, parent: dict[str, Any], facts: dict[str, Any]
) -> list[Failure]:
    """ConflictsWith / RequiredWith / ExactlyOneOf / AtLeastOneOf between siblings (names in
    the same block), with helper/schema's messages and its handling of values not known yet
    (schemaMap.validate): ConflictsWith waits until both sides are known; RequiredWith counts
    an unknown value as set; ExactlyOneOf and AtLeastOneOf count only known values as
    specified and do not ask for one while any member is unknown."""
    name = dotted.rsplit(".", 1)[-1]
    value = _undynamic(parent.get(name))
    failures = []
    prefix = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
    if _present(value):
        if values.is_wholly_known(value):
            for other in facts.get("conflicts_with", []):
                theirs = _undynamic(parent.get(other))
                if _present(theirs) and values.is_wholly_known(theirs):
                    failures.append(Failure(path, f'"{dotted}": conflicts with {prefix}{other}'))
        required = facts.get("required_with", [])
        if required and not all(_present(parent.get(other)) for other in required):
            joined = ",".join(prefix + other for other in required)
            failures.append(Failure(path, f'"{dotted}": all of `{joined}` must be specified'))
    for kind in ("exactly_one_of", "at_least_one_of"):
        group = facts.get(kind, [])
        if not group or group[0] != name:
            continue  # one report per group, from its first member
        members = [_undynamic(parent.get(other)) for other in group]
        unknown = any(_present(member) and not values.is_wholly_known(member) for member in members)
        chosen = [
            other
            for other, member in zip(group, members, strict=True)
            if _present(member) and values.is_wholly_known(member)
        ]
        joined = ",".join(prefix + other for other in group)
        if not chosen and not unknown:
            failures.append(Failure(path, f'"{dotted}": one of `{joined}` must be specified'))
        elif kind == "exactly_one_of" and len(chosen) > 1:
            failures.append(
                Failure(
                    path,
                    f'"{dotted}": only one of `{joined}` can be specified, but '
                    f"`{','.join(prefix + c for c in chosen)}` were specified.",
                )
            )
    return failures


def requires_replace(type_name: str, prior: dict[str, Any], planned: dict[str, Any]) -> list[Path]:
    """The ForceNew attributes whose planned value differs from the prior state, as paths of
    top-level attributes (a nested ForceNew argument replaces through its top-level block)."""
    rules = resource_rules(type_name)
    if rules is None:
        return []
    changed: list[Path] = []
    for dotted, facts in rules.get("attributes", {}).items():
        if not facts.get("force_new"):
            continue
        top = dotted.split(".", 1)[0]
        before = sorted(repr(v) for _, _, v in at_path(prior, dotted))
        after = sorted(repr(v) for _, _, v in at_path(planned, dotted))
        if before != after and (top,) not in changed:
            if any(values.is_unknown(v) for _, _, v in at_path(planned, dotted)) and not any(
                v is not None for _, _, v in at_path(prior, dotted)
            ):
                continue  # unset before and computed now: no user change
            changed.append((top,))
    return changed


# -- CustomizeDiff functions ---------------------------------------------------------------------
CustomCheck = Callable[[dict[str, Any]], list[Failure]]
CUSTOM: dict[str, CustomCheck] = {}


def custom(name: str) -> Callable[[CustomCheck], CustomCheck]:
    def register(function: CustomCheck) -> CustomCheck:
        CUSTOM[name] = function
        return function

    return register


def _known(value: Any) -> bool:
    return value is not None and not values.is_unknown(value)


def _set(value: Any) -> bool:
    """SDKv2's d.GetOk: set and not the zero value."""
    return not values.is_unknown(value) and value not in (None, "", 0, False, [], {})


def _all_known(config: dict[str, Any], *names: str) -> bool:
    return all(values.is_wholly_known(config.get(name)) for name in names)


@custom("alarm_statistic")
def _alarm_statistic(config: dict[str, Any]) -> list[Failure]:
    """cloudwatch/metric_alarm.go resourceMetricAlarm CustomizeDiff."""
    if not _all_known(config, "metric_name", "statistic", "extended_statistic", "metric_query"):
        return []
    failures = []
    if _set(config.get("metric_name")) and _set(config.get("statistic")) == _set(
        config.get("extended_statistic")
    ):
        failures.append(
            Failure(
                (),
                "One of `statistic` or `extended_statistic` must be set for a cloudwatch "
                "metric alarm",
            )
        )
    for query in _items(config.get("metric_query")):
        if _set(query.get("expression")) and _items(query.get("metric")):
            failures.append(
                Failure((), "No metric_query may have both `expression` and a `metric` specified")
            )
            break
    return failures


@custom("elasticache_multi_az_needs_failover")
def _multi_az_needs_failover(config: dict[str, Any]) -> list[Failure]:
    """elasticache/replication_group.go replicationGroupValidateMultiAZAutomaticFailover."""
    if not _all_known(config, "multi_az_enabled", "automatic_failover_enabled"):
        return []
    if (
        config.get("multi_az_enabled") is True
        and config.get("automatic_failover_enabled") is not True
    ):
        return [Failure((), "automatic_failover_enabled must be true if multi_az_enabled is true")]
    return []


@custom("elasticache_failover_needs_two_clusters")
def _failover_needs_two_clusters(config: dict[str, Any]) -> list[Failure]:
    """elasticache/replication_group.go
    replicationGroupValidateAutomaticFailoverNumCacheClusters."""
    count: Any = config.get("num_cache_clusters")
    if (
        config.get("automatic_failover_enabled") is True
        and isinstance(count, int | float)
        and count < 2
    ):
        return [
            Failure(
                (),
                '"num_cache_clusters": must be at least 2 if automatic_failover_enabled is true',
            )
        ]
    return []


_FIREHOSE_DESTINATION_BLOCKS = {
    "elasticsearch": "elasticsearch_configuration",
    "extended_s3": "extended_s3_configuration",
    "http_endpoint": "http_endpoint_configuration",
    "iceberg": "iceberg_configuration",
    "opensearch": "opensearch_configuration",
    "opensearchserverless": "opensearchserverless_configuration",
    "redshift": "redshift_configuration",
    "snowflake": "snowflake_configuration",
    "splunk": "splunk_configuration",
}


@custom("firehose_destination_configuration")
def _firehose_destination(config: dict[str, Any]) -> list[Failure]:
    """firehose/delivery_stream.go resourceDeliveryStream CustomizeDiff."""
    destination = config.get("destination")
    if not isinstance(destination, str):
        return []
    block = _FIREHOSE_DESTINATION_BLOCKS.get(destination.lower(), "")
    if block and values.is_unknown(config.get(block)):
        return []
    if block and _items(config.get(block)):
        return []
    return [Failure((), f"when destination is '{destination}', {block} is required")]


@custom("nat_gateway_connectivity")
def _nat_gateway_connectivity(config: dict[str, Any]) -> list[Failure]:
    """ec2/vpc_nat_gateway.go resourceNATGatewayCustomizeDiff (the checks on configuration)."""
    connectivity = config.get("connectivity_type")
    if not isinstance(connectivity, str):
        return []
    if connectivity == "private":
        for name in ("allocation_id", "secondary_allocation_ids"):
            if _set(config.get(name)):
                message = f'{name} is not supported with connectivity_type = "{connectivity}"'
                return [Failure((), message)]
    if connectivity == "public" and _known(config.get("secondary_private_ip_address_count")):
        return [
            Failure(
                (),
                "secondary_private_ip_address_count is not supported with "
                f'connectivity_type = "{connectivity}"',
            )
        ]
    return []


@custom("route53resolver_firewall_rule_target")
def _firewall_rule_target(config: dict[str, Any]) -> list[Failure]:
    """route53resolver/firewall_rule.go firewallRuleCustomizeDiff. It reads the raw
    configuration, so a value known only at apply counts as set."""
    domain_list, threat, confidence = (
        config.get(name) is not None
        for name in ("firewall_domain_list_id", "dns_threat_protection", "confidence_threshold")
    )
    if not domain_list and not threat:
        message = "one of firewall_domain_list_id or dns_threat_protection must be specified"
    elif threat and not confidence:
        message = "confidence_threshold is required when dns_threat_protection is specified"
    elif confidence and not threat:
        message = "dns_threat_protection is required when confidence_threshold is specified"
    else:
        return []
    return [Failure((), message)]


def _generated_name_check(
    config: dict[str, Any], fifo_flag: str, fifo_pattern: str, pattern: str, kind: str
) -> list[Failure]:
    """The name checks of sns/topic.go and sqs/queue.go CustomizeDiff on create: a configured
    name (taken as given; name_prefix gets a generated, valid suffix) must match the service's
    pattern. Offline it also runs on updates, where name is ForceNew and so was checked."""
    name, fifo = config.get("name"), config.get(fifo_flag)
    if not isinstance(name, str) or not _all_known(config, fifo_flag):
        return []
    if re.fullmatch(fifo_pattern if fifo is True else pattern, name):
        return []
    return [Failure((), f"invalid {kind} name: {name}")]


@custom("sns_topic_name")
def _sns_topic_name(config: dict[str, Any]) -> list[Failure]:
    """sns/topic.go resourceTopicCustomizeDiff."""
    return _generated_name_check(
        config, "fifo_topic", r"[0-9A-Za-z_-]{1,251}\.fifo", r"[0-9A-Za-z_-]{1,256}", "topic"
    )


@custom("sqs_queue_name")
def _sqs_queue_name(config: dict[str, Any]) -> list[Failure]:
    """sqs/queue.go resourceQueueCustomizeDiff."""
    return _generated_name_check(
        config, "fifo_queue", r"[0-9A-Za-z_-]{1,75}\.fifo", r"[0-9A-Za-z_-]{1,80}", "queue"
    )


# -- enum values from botocore's AWS API models ----------------------------------------------------
def _enum_specs(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "botocore" in node and isinstance(node["botocore"], str):
            yield node
        for child in node.values():
            yield from _enum_specs(child)
    elif isinstance(node, list):
        for child in node:
            yield from _enum_specs(child)


def botocore_enum(reference: str) -> list[str]:
    """The values of an enum shape (``service:Shape``) in the AWS API model botocore ships."""
    service, shape = reference.split(":", 1)
    values_: list[str] = _botocore_model(service)["shapes"][shape]["enum"]
    return list(values_)


@cache
def _botocore_model(service: str) -> dict[str, Any]:
    """One read per service: the table names ~100 enums in a few dozen services' models."""
    import botocore.loaders  # only for refreshing and testing the table, never in a plan

    model: dict[str, Any] = botocore.loaders.Loader().load_service_model(service, "service-2")
    return model


def refresh_enums(document: dict[str, Any]) -> int:
    """Copy every ``{"botocore": "service:Shape"}`` enum's values from botocore; returns how
    many changed."""
    changed = 0
    for spec in _enum_specs(document):
        current = botocore_enum(spec["botocore"])
        if spec.get("values") != current:
            spec["values"] = current
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh-enums", action="store_true", help="rewrite enum values")
    args = parser.parse_args(argv)
    if args.refresh_enums:
        path = Path(str(resources.files("carcierge_pipeline").joinpath("data", RULES_RESOURCE)))
        document = json.loads(path.read_text())
        changed = refresh_enums(document)
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(f"{changed} enum(s) refreshed from botocore")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- coverage: which provider checks the offline stand-in applies ---------------------------------
GUARD_KEYS = VALUE_CHECKS | SIBLING_CHECKS | {"unverified"}


def classify(type_name: str, path: str) -> str:
    """How the table knows one configured (type, attribute path):

    * ``enforced``: the provider guards it and every recorded check is applied here;
    * ``not enforced``: the provider guards it with a check recorded as ``unverified``;
    * ``unguarded``: the source was read and has no plan-time check for it;
    * ``unread``: the resource's source (or this argument in the copy read) was not read.
    """
    rules = resource_rules(type_name)
    if rules is None or path in rules.get("unread", []):
        return "unread"
    facts: dict[str, Any] = rules.get("attributes", {}).get(path, {})
    guarded = {key for key in facts if key in GUARD_KEYS}
    customs = [c for c in rules.get("custom", {}).values() if path in c.get("paths", [])]
    if not guarded and not customs:
        return "unguarded"
    return "not enforced" if "unverified" in guarded else "enforced"


def _leaf_paths(value: Any, prefix: list[str], out: set[str]) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _leaf_paths(item, [*prefix, key], out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                _leaf_paths(item, prefix, out)
            elif item is not None:
                out.add(".".join(prefix))
    else:
        out.add(".".join(prefix))


def _schema_path(block: dict[str, Any], path: str) -> tuple[str, dict[str, Any] | None]:
    """``path`` cut at its first attribute (map keys and object fields are not arguments), and
    that attribute's schema (None for a block or an unknown name)."""
    kept: list[str] = []
    for step in path.split("."):
        kept.append(step)
        if step in block.get("attributes", {}):
            attribute: dict[str, Any] = block["attributes"][step]
            return ".".join(kept), attribute
        nested = block.get("block_types", {}).get(step)
        if nested is None:
            return ".".join(kept), None
        block = nested["block"]
    return ".".join(kept), None


def _expression_paths(expressions: dict[str, Any], prefix: list[str], out: set[str]) -> None:
    for key, value in expressions.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _expression_paths(item, [*prefix, key], out)
        elif isinstance(value, dict) and ("references" in value or "constant_value" in value):
            out.add(".".join([*prefix, key]))
        elif isinstance(value, dict):
            _expression_paths(value, [*prefix, key], out)


def _configured_expressions(plan: dict[str, Any]) -> dict[tuple[str, str, str], set[str]]:
    found: dict[tuple[str, str, str], set[str]] = {}

    def walk(module: dict[str, Any], address: str) -> None:
        for resource in module.get("resources", []):
            paths: set[str] = set()
            _expression_paths(resource.get("expressions", {}), [], paths)
            found[(address, resource["type"], resource["name"])] = paths
        for name, call in module.get("module_calls", {}).items():
            walk(call.get("module", {}), f"{address}.module.{name}".lstrip("."))

    walk(plan.get("configuration", {}).get("root_module", {}), "")
    return found


_NOT_ARGUMENTS = frozenset({"tags_all", "region", "id"})


def configured_paths(plan: dict[str, Any], schema: dict[str, Any]) -> dict[str, set[str]]:
    """The (resource type, argument path) pairs a plan's configuration sets: every argument
    with a value in the planned creation, and every argument set to a value known only at
    apply (a reference), blocks named by their path without indexes."""
    expressions = _configured_expressions(plan)
    found: dict[str, set[str]] = {}
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        type_name = change["type"]
        if type_name not in schema["resource_schemas"]:
            continue  # another provider's type (Terraform's built-in terraform_data)
        block = schema["resource_schemas"][type_name]["block"]
        module = ".".join(
            step for step in re.findall(r"module\.[\w-]+", change.get("module_address", ""))
        )
        configured = expressions.get((module, type_name, change["name"]), set())
        after = change["change"].get("after") or {}
        raw: set[str] = set()
        for name, value in after.items():
            if name not in _NOT_ARGUMENTS:
                _leaf_paths(value, [name], raw)
        unknown: set[str] = set()
        _leaf_paths(change["change"].get("after_unknown") or {}, [], unknown)
        for path in unknown:
            cut, attribute = _schema_path(block, path)
            if attribute is None or not (attribute.get("optional") or attribute.get("required")):
                continue
            if attribute.get("computed") and cut not in configured:
                continue  # unknown because unset and computed, not because configured
            raw.add(cut)
        found.setdefault(type_name, set()).update(_schema_path(block, p)[0] for p in raw)
    return found
