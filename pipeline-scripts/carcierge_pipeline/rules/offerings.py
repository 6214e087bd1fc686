"""What a person types in an environment file, against a dated table of what AWS offers in the
region: RDS for PostgreSQL instance classes, OpenSearch Service instance types (data and
dedicated master) and ElastiCache node types.

botocore ships no offerings, so the table is the project's price table of the region
(``data/prices-<region>.json``: AWS's public on-demand price pages of that region, as
transcribed on its ``as_of`` date, named in its ``source``). A type missing from it is refused
with the fix: choose a listed type, or add the type to the table from the region's price page
(which also lets the cost estimate price it). A region without a table is listed unchecked.
The real-mode pre-flight asks AWS itself (preflight.offering_problems).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

READ = "2026-11-26"  # the price table's as_of
TABLE = "prices-{region}.json"
# (resource type, planned attribute path, the table's price key, what it is)
TYPED: tuple[tuple[str, str, str, str], ...] = (
    ("aws_db_instance", "instance_class", "rds_postgres_instance_hour", "RDS instance class"),
    (
        "aws_opensearch_domain",
        "cluster_config.0.instance_type",
        "opensearch_instance_hour",
        "OpenSearch instance type",
    ),
    (
        "aws_opensearch_domain",
        "cluster_config.0.dedicated_master_type",
        "opensearch_instance_hour",
        "OpenSearch dedicated master type",
    ),
    (
        "aws_elasticache_replication_group",
        "node_type",
        "elasticache_node_hour",
        "ElastiCache node type",
    ),
)


@functools.cache
def table(region: str) -> dict[str, Any] | None:
    """The dated table of ``region``, or None where the project has none."""
    data = resources.files("carcierge_pipeline").joinpath("data", TABLE.format(region=region))
    if not data.is_file():
        return None
    loaded: dict[str, Any] = json.loads(data.read_text())
    return loaded


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    region = plan.variable("aws_region")
    if not isinstance(region, str):
        return
    offered = table(region)
    for kind, path, key, what in TYPED:
        for resource in plan.of_type(kind):
            value = resource.get(path)
            if value is None:
                continue
            if value is UNKNOWN:
                yield Unknown(resource.address, path)
                continue
            if offered is None:
                yield Unknown(
                    resource.address, f"{path} (no dated table of offerings for {region})"
                )
                continue
            listed = offered["prices"].get(key) or {}
            if value not in listed:
                yield Violation(
                    resource.address,
                    value,
                    f"{what} {value} is not among the types AWS's {region} price page lists "
                    f"in the table (data/{TABLE.format(region=region)}, as of "
                    f"{offered.get('as_of')}): choose one of {', '.join(sorted(listed))}, or "
                    "add it to the table from the region's price page",
                    f"data/{TABLE.format(region=region)}: {offered.get('source')}",
                )


RULE = Rule(
    "aws-offerings",
    "Instance classes and node types offered in the region (dated table)",
    "data/prices-<region>.json (AWS's on-demand price pages of the region)",
    check,
    READ,
)
