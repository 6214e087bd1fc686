"""Engine versions that can be created, from a dated table (read 2026-12-01).

The offline provider accepts any version string; AWS refuses at apply a version it no longer
offers for new instances ("Cannot find version 14.9 for postgres"). The table says what may be
created and where that was read; update it (and its date) when AWS retires versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

READ = "2026-12-01"

# RDS for PostgreSQL: major -> lowest minor that can still be created. A major alone ("16")
# lets RDS pick its default minor. Floors from AWS's notice that new instances on 14.14-14.17,
# 15.9-15.12, 16.5-16.8 and 17.1-17.4 cannot be created from 2026-05-01 (older minors were
# retired before); majors 12 and older are out of standard support.
POSTGRES_SOURCE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/"
    "postgresql-release-calendar.html (AWS Health notice of 2026-05-01 retirements)"
)
POSTGRES_FLOORS: dict[int, tuple[int, int]] = {
    14: (14, 18),
    15: (15, 13),
    16: (16, 9),
    17: (17, 5),
    18: (18, 1),
}

# OpenSearch Service: versions offered for new domains.
OPENSEARCH_SOURCE = (
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html"
    "#choosing-version"
)
OPENSEARCH_VERSIONS = frozenset(
    [
        "OpenSearch_1.3",
        *(f"OpenSearch_2.{minor}" for minor in (3, 5, 7, 9, 11, 13, 15, 17, 19)),
        "OpenSearch_3.1",
        "OpenSearch_3.3",
        "Elasticsearch_7.10",
    ]
)

# ElastiCache: engine -> versions offered for new replication groups (Redis OSS 4 and 5 left
# standard support on 2026-01-31).
ELASTICACHE_SOURCE = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html"
ELASTICACHE_VERSIONS: dict[str, frozenset[str]] = {
    "redis": frozenset(["6.0", "6.2", "6.x", "7.0", "7.1"]),
    "valkey": frozenset(["7.2", "8.0", "8.1", "8.2"]),
}


def postgres_problem(version: str) -> str | None:
    match = re.fullmatch(r"(\d+)(?:\.(\d+))?", version)
    if not match:
        return "is not a PostgreSQL version (MAJOR or MAJOR.MINOR)"
    major = int(match[1])
    if major not in POSTGRES_FLOORS:
        offered = ", ".join(str(m) for m in POSTGRES_FLOORS)
        return f"major {major} cannot be created; majors offered: {offered}"
    if match[2] is not None and (major, int(match[2])) < POSTGRES_FLOORS[major]:
        floor = ".".join(map(str, POSTGRES_FLOORS[major]))
        return f"minor {version} cannot be created any more; use {major} or ≥ {floor}"
    return None


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for db in plan.of_type("aws_db_instance"):
        engine, version = db.get("engine"), db.get("engine_version")
        if engine != "postgres" or version is None:
            continue
        if version is UNKNOWN:
            yield Unknown(db.address, "engine_version")
        elif problem := postgres_problem(str(version)):
            yield Violation(db.address, version, f"postgres {problem}", POSTGRES_SOURCE)
    for domain in plan.of_type("aws_opensearch_domain"):
        version = domain.get("engine_version")
        if version is UNKNOWN:
            yield Unknown(domain.address, "engine_version")
        elif version is not None and version not in OPENSEARCH_VERSIONS:
            yield Violation(
                domain.address,
                version,
                "not an engine version OpenSearch Service offers for new domains",
                OPENSEARCH_SOURCE,
            )
    for group in plan.of_type("aws_elasticache_replication_group", "aws_elasticache_cluster"):
        engine, version = group.get("engine") or "redis", group.get("engine_version")
        if version is None:
            continue
        if version is UNKNOWN or engine is UNKNOWN:
            yield Unknown(group.address, "engine_version")
        elif engine in ELASTICACHE_VERSIONS and version not in ELASTICACHE_VERSIONS[engine]:
            offered = ", ".join(sorted(ELASTICACHE_VERSIONS[engine]))
            yield Violation(
                group.address,
                version,
                f"{engine} {version} cannot be created; offered: {offered}",
                ELASTICACHE_SOURCE,
            )


RULE = Rule(
    "aws-engine-versions",
    "Engine versions that AWS still creates",
    POSTGRES_SOURCE,
    check,
    READ,
)
