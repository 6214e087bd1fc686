"""Application Load Balancer listener-rule conditions: the limits and characters AWS accepts
and the provider does not check (it checks only 1-128 characters per value).

From "Condition types for listener rules" (ELB User Guide, read 2026-12-01): a rule has at most
one each of host-header, http-request-method, path-pattern and source-ip conditions; at most
three match evaluations (values) per condition and five per rule; at most five wildcards per
rule. From "Add a listener rule" (same guide): a path pattern is at most 128 characters of
``A-Z a-z 0-9 _ - . $ / ~ " ' @ : + &`` and the wildcards ``* ?``; a host header is at most
128 characters of ``A-Z a-z 0-9 - _ .`` and ``* ?``, with at least one ``.`` and only letters
after the last one. Regex values are counted but their characters are not checked.

Re-read 2026-12-01 in the AWS service model (botocore elbv2/2015-12-01 service-2.json,
RuleCondition Values, HostHeaderConditionConfig, PathPatternConditionConfig): the path-pattern
characters, the 128-character limit and the host header's "at least one '.'" / "only
alphabetical characters after the final '.'" match; the model's host-header characters are
"A-Z, a-z, 0-9 - . * ?" (no ``_``), so allowing ``_`` here is looser than the model (never
refuses what AWS accepts). The per-condition, per-rule and wildcard limits were not re-read in
this pass (still from the "Condition types for listener rules" page as first written).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation

SOURCE = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html"
)
CHARACTERS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/add-rule.html"

PER_CONDITION, PER_RULE, WILDCARDS_PER_RULE, MAX_LENGTH = 3, 5, 5, 128
ONE_PER_RULE = ("host_header", "http_request_method", "path_pattern", "source_ip")
_PATH = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&*?]+$")
_HOST = re.compile(r"^[A-Za-z0-9\-_.*?]+$")
_HOST_TLD = re.compile(r"\.[A-Za-z]+$")


def _evaluations(kind: str, block: dict[str, Any]) -> list[Any]:
    """The match evaluations of one condition block."""
    if kind == "query_string":
        return [block]
    return list(block.get("values") or []) + list(block.get("regex_values") or [])


def _check_rule(rule: Resource) -> Iterator[Violation | Unknown]:
    conditions = rule.get("condition")
    if conditions is UNKNOWN:
        yield Unknown(rule.address, "condition")
        return
    total, wildcards = 0, 0
    seen: dict[str, int] = {}
    for position, condition in enumerate(conditions or []):
        for kind, blocks in (condition or {}).items():
            if not isinstance(blocks, list) or not blocks:
                continue
            seen[kind] = seen.get(kind, 0) + 1
            for block in blocks:
                values = _evaluations(kind, block or {})
                if rule.is_unknown(f"condition.{position}.{kind}"):
                    yield Unknown(rule.address, f"condition {kind}")
                    continue
                total += len(values)
                if len(values) > PER_CONDITION:
                    yield Violation(
                        rule.address,
                        values,
                        f"{kind} has {len(values)} values; AWS allows at most {PER_CONDITION} "
                        "per condition",
                    )
                strings = [v for v in values if isinstance(v, str)]
                if kind == "query_string":
                    strings = [str(b.get(k) or "") for b in values for k in ("key", "value")]
                if kind in ("host_header", "path_pattern", "http_header", "query_string"):
                    wildcards += sum(s.count("*") + s.count("?") for s in strings)
                for value in (block or {}).get("values") or []:
                    yield from _check_value(rule, kind, value)
    for kind in ONE_PER_RULE:
        if seen.get(kind, 0) > 1:
            yield Violation(
                rule.address, seen[kind], f"{kind} appears {seen[kind]} times; AWS allows one"
            )
    if total > PER_RULE:
        yield Violation(
            rule.address,
            total,
            f"{total} condition values in one rule; AWS allows at most {PER_RULE}",
        )
    if wildcards > WILDCARDS_PER_RULE:
        yield Violation(
            rule.address,
            wildcards,
            f"{wildcards} wildcards in one rule; AWS allows at most {WILDCARDS_PER_RULE}",
        )


def _check_value(rule: Resource, kind: str, value: Any) -> Iterator[Violation]:
    if not isinstance(value, str) or kind not in ("path_pattern", "host_header"):
        return
    if len(value) > MAX_LENGTH:
        yield Violation(
            rule.address, value, f"{kind} value is {len(value)} characters; at most 128", CHARACTERS
        )
    if kind == "path_pattern" and not _PATH.match(value):
        bad = sorted({c for c in value if not _PATH.match(c)})
        yield Violation(
            rule.address,
            value,
            f"path pattern contains {''.join(bad)!r}; allowed: A-Z a-z 0-9 _ - . $ / ~ \" ' "
            "@ : + & * ?",
            CHARACTERS,
        )
    if kind == "host_header":
        if not _HOST.match(value):
            bad = sorted({c for c in value if not _HOST.match(c)})
            yield Violation(
                rule.address,
                value,
                f"host header contains {''.join(bad)!r}; allowed: A-Z a-z 0-9 - _ . * ?",
                CHARACTERS,
            )
        elif not _HOST_TLD.search(value):
            yield Violation(
                rule.address,
                value,
                "host header needs a '.' followed only by letters at its end",
                CHARACTERS,
            )


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for rule in plan.of_type("aws_lb_listener_rule", "aws_alb_listener_rule"):
        yield from _check_rule(rule)


RULE = Rule(
    "aws-listener-rule-conditions",
    "ALB listener-rule conditions within AWS's limits and characters",
    SOURCE,
    check,
)
