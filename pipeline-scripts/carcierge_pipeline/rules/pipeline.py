"""OpenSearch Ingestion pipelines: the name and the Data Prepper body that OpenSearch Ingestion
validates only at create time (the provider checks only the body's length). Read 2026-12-07:

- OpenSearch Service Developer Guide, "Limitations of Amazon OpenSearch Ingestion": "You can
  only configure a single data source within a pipeline definition" (sub-pipelines connected
  with the ``pipeline`` source do not count: they read another sub-pipeline, not data);
  "Supported plugins and options for Amazon OpenSearch Ingestion pipelines": no buffer plugin
  ("You receive a validation error if you include a buffer").
- PipelineName: 3-28 characters, ``[a-z][a-z0-9\\-]+`` (botocore osis 2022-01-01
  service-2.json).
- Data Prepper documentation, "Processors" (opensearch.org/docs/latest/data-prepper/pipelines/
  configuration/processors/): the processor names below; a name that is no Data Prepper
  processor is refused (OpenSearch Ingestion supports a subset: the real-mode pre-flight's
  ``osis:ValidatePipeline`` settles the rest). "Routes" (conditional routing): a sink's
  ``routes`` name routes of its sub-pipeline's ``route`` list.
- OpenSearch index names ("Create index", OpenSearch documentation): lowercase, no spaces, none
  of ``\\ / * ? " < > | , #`` and ``:``, not starting with ``_``, ``-`` or ``+``, at most 255
  bytes; a sink's ``${...}`` (event value) and ``%{...}`` (date) parts are checked as letters.

The body is checked wherever it is known: a module planned alone (tests) and the rehearsal's
plans; in an offline environment plan it holds ARNs known only after apply (unchecked).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any

import yaml

from carcierge_pipeline.planmodel import Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation, each_text

READ = "2026-12-07"
SOURCE = (
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/"
    "ingestion.html#ingestion-limitations (Limitations of Amazon OpenSearch Ingestion)"
)
DATA_PREPPER_SOURCE = (
    "https://opensearch.org/docs/latest/data-prepper/pipelines/configuration/processors/"
    "processors/ (Data Prepper processors)"
)
NAME_SOURCE = "botocore osis 2022-01-01 service-2.json (PipelineName)"
INDEX_SOURCE = "https://opensearch.org/docs/latest/api-reference/index-apis/create-index/"

NAME = re.compile(r"[a-z][a-z0-9\-]+")
PROCESSORS = frozenset(
    [
        *["add_entries", "aggregate", "anomaly_detector", "aws_lambda", "convert_entry_type"],
        *["copy_values", "csv", "date", "decompress", "delay", "delete_entries", "dissect"],
        *["drop_events", "flatten", "geoip", "grok", "join", "key_value", "list_to_map"],
        *["lowercase_string", "map_to_list", "ml_inference", "obfuscate", "otel_metrics"],
        *["otel_trace_group", "otel_traces", "parse_ion", "parse_json", "parse_xml"],
        *["rename_keys", "select_entries", "service_map", "split_event", "split_string"],
        *["string_converter", "substitute_string", "translate", "trim_string", "truncate"],
        *["uppercase_string", "user_agent", "write_json"],
    ]
)
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|%\{[^}]*\}")
_INDEX_FORBIDDEN = re.compile(r'[\\/*?"<>|,#: A-Z]')


def index_problem(index: str) -> str | None:
    """Why OpenSearch refuses an index name (placeholders read as letters), or None."""
    name = _PLACEHOLDER.sub("x", index)
    if not name:
        return "is empty"
    if name[0] in "_-+":
        return "starts with _, - or +"
    if found := _INDEX_FORBIDDEN.search(name):
        return f'has {found[0]!r} (lowercase, no spaces, none of \\ / * ? " < > | , # :)'
    if len(name.encode()) > 255:
        return "is longer than 255 bytes"
    return None


Problem = tuple[str, Any, str, str]


def body_problems(body: Any) -> Generator[Problem, None, None]:
    """(path, value, message, source) for each thing OpenSearch Ingestion refuses in a parsed
    pipeline definition."""
    if not isinstance(body, dict):
        yield "(body)", body, "is not a mapping of sub-pipelines", SOURCE
        return
    subs = {name: sub for name, sub in body.items() if name != "version"}
    if not subs:
        yield "(body)", list(body), "defines no sub-pipeline", SOURCE
    sources: list[str] = []
    for name, sub in subs.items():
        where = f".{name}"
        if not isinstance(sub, dict):
            yield where, sub, "is not a sub-pipeline (source, processor, sink)", SOURCE
            continue
        if "buffer" in sub:
            yield f"{where}.buffer", sub["buffer"], "OpenSearch Ingestion takes no buffer", SOURCE
        source = sub.get("source")
        if not isinstance(source, dict) or len(source) != 1:
            yield f"{where}.source", source, "must name exactly one source plugin", SOURCE
        elif next(iter(source)) != "pipeline":
            sources.append(f"{name}.{next(iter(source))}")
        yield from _processors(where, sub.get("processor"))
        routes = yield from _routes(where, sub.get("route"))
        yield from _sinks(where, sub.get("sink"), routes)
    if len(sources) > 1:
        yield (
            "(body)",
            sources,
            f"has {len(sources)} data sources; a pipeline definition takes one (one pipeline "
            "per source)",
            SOURCE,
        )


# The lists of one-key mappings in a sub-pipeline: whether one is required, what a value that
# is not a list reads, what a malformed entry reads, and the source of both.
_ONE_KEY_LISTS = {
    "processor": (False, "must be a list", "must name exactly one processor", DATA_PREPPER_SOURCE),
    "route": (
        False,
        "must be a list of {name: condition}",
        "must be one {name: condition}",
        DATA_PREPPER_SOURCE,
    ),
    "sink": (
        True,
        "must be a list of at least one sink",
        "must name exactly one sink plugin",
        SOURCE,
    ),
}


def _one_key_entries(
    where: str, field: str, items: Any
) -> Generator[Problem, None, list[tuple[str, Any, Any]]]:
    """Check the list ``field`` of a sub-pipeline (``- <plugin or route name>: <options>``);
    return (as the generator's value) each well-formed entry as (its path, its key, its value)."""
    required, not_a_list, not_one_key, source = _ONE_KEY_LISTS[field]
    if items is None and not required:
        return []
    if not isinstance(items, list) or (required and not items):
        yield f"{where}.{field}", items, not_a_list, source
        return []
    entries: list[tuple[str, Any, Any]] = []
    for index, item in enumerate(items):
        path = f"{where}.{field}[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            yield path, item, not_one_key, source
            continue
        key, value = next(iter(item.items()))
        entries.append((path, key, value))
    return entries


def _processors(where: str, processors: Any) -> Iterator[Problem]:
    for path, name, _ in (yield from _one_key_entries(where, "processor", processors)):
        if name not in PROCESSORS:
            yield path, name, "is not a Data Prepper processor", DATA_PREPPER_SOURCE


def _routes(where: str, routes: Any) -> Generator[Problem, None, set[str]]:
    """Check the ``route`` list; return (as the generator's value) the route names."""
    entries = yield from _one_key_entries(where, "route", routes)
    return {str(name) for _, name, _ in entries}


def _sinks(where: str, sinks: Any, routes: set[str]) -> Iterator[Problem]:
    entries = yield from _one_key_entries(where, "sink", sinks)
    for path, kind, options in entries:
        options = options if isinstance(options, dict) else {}
        for route in options.get("routes") or []:
            if route not in routes:
                yield (
                    f"{path}.{kind}.routes",
                    route,
                    f"names no route of this sub-pipeline (defined: {sorted(routes) or 'none'})",
                    DATA_PREPPER_SOURCE,
                )
        index_name = options.get("index")
        problem = index_problem(index_name) if isinstance(index_name, str) else None
        if kind == "opensearch" and problem:
            yield f"{path}.opensearch.index", index_name, problem, INDEX_SOURCE


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for pipeline in plan.of_type("aws_osis_pipeline"):
        name = pipeline.get("pipeline_name")
        if isinstance(name, str) and not (3 <= len(name) <= 28 and NAME.fullmatch(name)):
            yield Violation(
                pipeline.address,
                name,
                "pipeline_name must be 3-28 characters of [a-z][a-z0-9-]+",
                NAME_SOURCE,
            )
        yield from each_text([pipeline], "pipeline_configuration_body", _body_violations)


def _body_violations(pipeline: Resource, text: str) -> Iterator[Violation]:
    try:
        body = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        yield Violation(pipeline.address, text, f"pipeline_configuration_body: {problem}")
        return
    for path, value, message, source in body_problems(body):
        yield Violation(
            pipeline.address, value, f"pipeline_configuration_body{path}: {message}", source
        )


RULE = Rule(
    "aws-osis-pipeline",
    "OpenSearch Ingestion pipeline names and bodies that OpenSearch Ingestion accepts",
    SOURCE,
    check,
    READ,
)
