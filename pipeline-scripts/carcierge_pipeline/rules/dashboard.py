"""CloudWatch dashboard bodies against a JSON Schema written from AWS's "Dashboard Body
Structure and Syntax" (CloudWatch API Reference), read 2026-12-01:

- "A DashboardBody is a string in JSON format. It can include an array of between 0 and 500
  widget objects ... The dashboard must include a widgets array, but that array can be empty";
  optional ``start``, ``end``, ``periodOverride`` ("Valid Values: auto | inherit") and
  ``variables``;
- a widget: ``type`` required, "Valid Values: metric | text | log | alarm | explorer";
  ``properties`` required; ``x`` "Valid Values: 0-23", ``y`` "Any integer, 0 or higher",
  ``width`` "1-24", ``height`` "1-1000";
- a metric widget's ``properties.metrics`` is "Array of arrays": "One metrics array can include
  0-500 metrics and expressions"; each metric is ``[Namespace, MetricName, [{DimensionName,
  DimensionValue}...] {Rendering Properties Object}]`` or ``[ {"expression" : ...} ]``;
  ``region`` "Required: Yes"; ``view`` "Valid Values: timeSeries | singleValue | gauge | bar |
  pie | table"; ``period`` "Any multiple of 60, with 60 as the minimum";
- a text widget: "The markdown field is required".

Allowed beyond the page (so that the gate never refuses what AWS may accept; not verified):
widget type ``custom`` and ``period`` 1, 5, 10, 20 or 30 (high-resolution periods). Properties
the schema does not list are allowed. One thing it cannot say is *where* a metric's optional
rendering object goes (last); it allows at most one object per metric.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from carcierge_pipeline.planmodel import Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation, each_json

SOURCE = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/"
    "CloudWatch-Dashboard-Body-Structure.html"
)
DOCUMENTED_TYPES = ["metric", "text", "log", "alarm", "explorer"]
UNVERIFIED_TYPES = ["custom"]  # not on the page; allowed, not verified

_METRIC = {
    "type": "array",
    "minItems": 1,
    "items": {"type": ["string", "object"]},
    "minContains": 0,
    "maxContains": 1,
    "contains": {"type": "object"},
    "anyOf": [
        {"minItems": 2, "prefixItems": [{"type": "string"}, {"type": "string"}]},
        {"maxItems": 1, "prefixItems": [{"type": "object", "required": ["expression"]}]},
    ],
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CloudWatch DashboardBody",
    "type": "object",
    "required": ["widgets"],
    "properties": {
        "widgets": {"type": "array", "maxItems": 500, "items": {"$ref": "#/$defs/widget"}},
        "start": {"type": "string"},
        "end": {"type": "string"},
        "periodOverride": {"enum": ["auto", "inherit"]},
        "variables": {"type": "array"},
    },
    "$defs": {
        "widget": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {
                "type": {"enum": DOCUMENTED_TYPES + UNVERIFIED_TYPES},
                "x": {"type": "integer", "minimum": 0, "maximum": 23},
                "y": {"type": "integer", "minimum": 0},
                "width": {"type": "integer", "minimum": 1, "maximum": 24},
                "height": {"type": "integer", "minimum": 1, "maximum": 1000},
                "properties": {"type": "object"},
            },
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": "metric"}}, "required": ["type"]},
                    "then": {"properties": {"properties": {"$ref": "#/$defs/metricProperties"}}},
                },
                {
                    "if": {"properties": {"type": {"const": "text"}}, "required": ["type"]},
                    "then": {
                        "properties": {
                            "properties": {
                                "required": ["markdown"],
                                "properties": {"markdown": {"type": "string"}},
                            }
                        }
                    },
                },
            ],
        },
        "metricProperties": {
            "type": "object",
            "required": ["region"],
            "properties": {
                "metrics": {"type": "array", "maxItems": 500, "items": _METRIC},
                "region": {"type": "string", "minLength": 1},
                "title": {"type": "string"},
                "stat": {"type": "string"},
                "stacked": {"type": "boolean"},
                "liveData": {"type": "boolean"},
                "view": {"enum": ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"]},
                "period": {
                    "type": "integer",
                    # The page: multiples of 60 from 60; 1-30 allowed beyond it (not verified).
                    "anyOf": [{"enum": [1, 5, 10, 20, 30]}, {"multipleOf": 60, "minimum": 60}],
                },
                "annotations": {"type": "object"},
                "yAxis": {"type": "object"},
                "legend": {"type": "object"},
            },
        },
    },
}

# The schema is itself checked against the metaschema by test_rules.py (each plan would pay
# ~0.2 s for it here).
_VALIDATOR = Draft202012Validator(SCHEMA)
MAX_PER_DASHBOARD = 5  # the first few errors say enough; the rest are counted


def body_errors(body: Any) -> list[tuple[str, Any, str]]:
    """(JSON path, offending value, message) for each way ``body`` breaks the schema."""
    errors = sorted(
        _VALIDATOR.iter_errors(body),
        key=lambda e: [f"{p:08d}" if isinstance(p, int) else p for p in e.absolute_path],
    )
    found = []
    for error in errors:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        message = error.message
        if message.startswith(repr(error.instance)):  # the value is shown anyway
            message = message[len(repr(error.instance)) :].strip()
        if len(message) > 160:
            message = f"does not match the schema ({error.validator})"
        found.append((path or "(body)", error.instance, message))
    return found


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    return each_json(plan.of_type("aws_cloudwatch_dashboard"), "dashboard_body", _problems)


def _problems(dashboard: Resource, body: Any) -> Iterator[Violation]:
    errors = body_errors(body)
    for path, value, message in errors[:MAX_PER_DASHBOARD]:
        yield Violation(dashboard.address, value, f"dashboard_body{path}: {message}")
    if len(errors) > MAX_PER_DASHBOARD:
        yield Violation(
            dashboard.address,
            len(errors) - MAX_PER_DASHBOARD,
            "more schema errors in dashboard_body, not listed",
        )


RULE = Rule(
    "aws-dashboard-body",
    "CloudWatch dashboard body follows AWS's dashboard body structure",
    SOURCE,
    check,
)
