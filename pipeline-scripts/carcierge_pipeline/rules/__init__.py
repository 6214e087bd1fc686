"""The AWS rules gate: rules over the plan JSON for what AWS accepts and the offline provider
cannot see (allowed values, limits, names, versions, ports that must agree across resources).

Each ``Rule`` names its AWS source and the date it was read. Its check yields a ``Violation``
(a value AWS refuses) or an ``Unknown`` (a value Terraform knows only after apply). An unknown
value never counts as passed: the gate lists it as "unchecked (unknown at plan)", and the tests
cover the same rule where the value is known (a module planned with placeholder inputs, or
small hand-made plans). The plan stage runs ``gate`` before it publishes anything; a refused
plan leaves no plan files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource

READ = "2026-12-01"


@dataclass(frozen=True)
class Violation:
    """What a check yields for a value AWS refuses; ``source`` overrides the rule's."""

    address: str
    value: Any
    message: str
    source: str | None = None


@dataclass(frozen=True)
class Unknown:
    """What a check yields for a value it cannot see: known only after apply."""

    address: str
    what: str


def each_text(
    resources: Iterable[Resource],
    attribute: str,
    check: Callable[[Resource, str], Iterable[Violation]],
) -> Iterator[Violation | Unknown]:
    """``check`` over each resource's ``attribute``, a document in a string (JSON, YAML): an
    Unknown where Terraform knows it only after apply, nothing where it is not set."""
    for resource in resources:
        text = resource.get(attribute)
        if text is UNKNOWN:
            yield Unknown(resource.address, attribute)
        elif text is not None:
            yield from check(resource, str(text))


def each_json(
    resources: Iterable[Resource],
    attribute: str,
    check: Callable[[Resource, Any], Iterable[Violation]],
) -> Iterator[Violation | Unknown]:
    """``check`` over each resource's ``attribute`` parsed as JSON, as ``each_text``; text that
    is not JSON is a violation of its own."""

    def parsed(resource: Resource, text: str) -> Iterator[Violation]:
        try:
            document = json.loads(text)
        except ValueError as error:
            yield Violation(resource.address, text, f"{attribute} is not JSON ({error})")
            return
        yield from check(resource, document)

    return each_text(resources, attribute, parsed)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    address: str
    value: Any
    message: str
    source: str
    read: str = READ

    @property
    def line(self) -> str:
        return (
            f"{self.rule_id}: {self.address}: {show(self.value)}: {self.message} "
            f"(source: {self.source}, read {self.read})"
        )


@dataclass(frozen=True)
class Unchecked:
    rule_id: str
    address: str
    what: str

    @property
    def line(self) -> str:
        return f"{self.rule_id}: {self.address}: {self.what}: unchecked (unknown at plan)"


Check = Callable[[Plan], Iterable[Violation | Unknown]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str  # the AWS page (or provider source) the rule is written from
    check: Check
    read: str = READ


@dataclass
class Result:
    findings: list[Finding]
    unchecked: list[Unchecked]


def show(value: Any, limit: int = 80) -> str:
    """A value as one short line: JSON for data, the text itself for strings."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rules() -> tuple[Rule, ...]:
    from carcierge_pipeline.rules import (
        apivalues,
        dashboard,
        ecr,
        ecs,
        engines,
        iam,
        listener,
        names,
        offerings,
        pipeline,
        ports,
        unique,
    )

    return (
        dashboard.RULE,
        iam.RULE,
        listener.RULE,
        ecs.RULE,
        names.RULE,
        unique.RULE,
        engines.RULE,
        ports.RULE,
        pipeline.RULE,
        apivalues.S3_EVENTS_RULE,
        apivalues.WAF_LOGGING_RULE,
        apivalues.WAF_RULES_RULE,
        apivalues.DESCRIPTIONS_RULE,
        offerings.RULE,
        ecr.RULE,
    )


def evaluate(plan: Plan | Mapping[str, Any], rules: Iterable[Rule] | None = None) -> Result:
    model = Plan.of(plan)
    result = Result([], [])
    for rule in _rules() if rules is None else rules:
        for item in rule.check(model):
            if isinstance(item, Unknown):
                result.unchecked.append(Unchecked(rule.id, item.address, item.what))
            else:
                result.findings.append(
                    Finding(
                        rule.id,
                        item.address,
                        item.value,
                        item.message,
                        item.source or rule.source,
                        rule.read,
                    )
                )
    return result


def check_plan(plan: Plan | Mapping[str, Any]) -> list[Finding]:
    """Every value of the plan that AWS refuses (values unknown at plan are not findings)."""
    return evaluate(plan).findings


def gate(
    plan: Plan | Mapping[str, Any] | Path | str, echo: Callable[[str], None] = print
) -> Result:
    """Refuse a plan with values AWS refuses: StageFailed with one line per finding. Values
    unknown at plan are listed as unchecked; they never pass silently."""
    model = Plan.load(Path(plan)) if isinstance(plan, (str, Path)) else Plan.of(plan)
    result = evaluate(model)
    for item in result.unchecked:
        echo(f"AWS rules: {item.line}")
    if result.findings:
        lines = "\n".join(finding.line for finding in result.findings)
        raise StageFailed(
            f"AWS rules refused the plan ({len(result.findings)} finding(s)):\n{lines}"
        )
    echo(
        f"AWS rules: {len(_rules())} rules passed"
        + (
            f"; {len(result.unchecked)} value(s) unchecked (unknown at plan)"
            if result.unchecked
            else ""
        )
    )
    return result
