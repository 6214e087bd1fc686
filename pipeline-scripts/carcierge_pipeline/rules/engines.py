"""Engine versions that can be created, from AWS's own tables (read 2026-12-01).

The offline provider accepts any version string; AWS refuses at apply a version it no longer
offers for new instances ("Cannot find version 14.9 for postgres"). Each table below says where
it was read and refuses only what that source says AWS refuses; what the source does not settle
is let through (a missed refusal costs one failed apply, a wrong refusal blocks a good plan).
Update the tables (and READ) when AWS retires versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

READ = "2026-12-01"

# --- RDS for PostgreSQL ----------------------------------------------------------------------
# Amazon RDS for PostgreSQL Release Notes, "Release calendars for Amazon RDS for PostgreSQL"
# (read in the guide's PDF text, which lists releases up to 18.3 / 27 February 2026):
# - major calendar: 10 and 9.6 "Deprecated"; 11, 12, 13 past their RDS end of standard support
#   (29 Feb 2024, 28 Feb 2025, 28 Feb 2026); 14-18 in standard support.
# - minor calendar: "Amazon RDS currently supports the following minor versions": 18.1-18.3,
#   17.1-17.9, 16.5-16.13, 15.9-15.17, 14.14-14.22, 13.17-13.23, 12.22, 11.22 (PostgreSQL 18.0
#   exists only "in the Amazon RDS Preview environment", "Amazon RDS for PostgreSQL updates").
# - "** ... will be set to NO_CREATE status. You won't be able to create new DB instances using
#   these versions": 18.2, 17.8, 17.3, 17.1, 16.12, 16.7, 16.5, 15.16, 15.11, 15.9, 14.21,
#   14.16, 14.14, 13.19, 13.17.
# - end of standard support "May 2026" for 14.14-14.17, 15.9-15.12, 16.5-16.8, 17.1-17.4; AWS's
#   Health notice for these minors ("Starting May 1, 2026, you will not be able to create new
#   database instances on ...") was read only as quoted in third-party pages (see
#   POSTGRES_NOTICE), not at AWS.
# Majors 11-13 can still be created enrolled in RDS Extended Support (the API default); with
# engine_lifecycle_support = open-source-rds-extended-support-disabled "creating the DB
# instance will fail if the DB major version is past its end of standard support date"
# (botocore rds/2014-10-31 service-2.json, CreateDBInstance EngineLifecycleSupport).
POSTGRES_SOURCE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/"
    "postgresql-release-calendar.html (minor and major release calendars)"
)
POSTGRES_NOTICE = (
    f"{POSTGRES_SOURCE}: end of standard support May 2026; that creation stopped on 1 May 2026 "
    "is from AWS's Health notice, not read at AWS (not verified there) but as quoted at "
    "https://github.com/saayam-for-all/database/wiki/"
    "AWS-RDS-instances-%E2%80%90-Health-Checks and https://lucaberton.com/blog/"
    "aws-rds-postgresql-minor-version-deprecation-may-2026/"
)
EXTENDED_SUPPORT_SOURCE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html "
    "(EngineLifecycleSupport; botocore rds/2014-10-31 service-2.json)"
)
POSTGRES_DEPRECATED_BELOW = 11  # 10 and 9.6: "Deprecated"
POSTGRES_PAST_STANDARD_SUPPORT = frozenset([11, 12, 13])
# major -> lowest minor listed as supported (the calendar's minor table).
POSTGRES_LOWEST_LISTED: dict[int, int] = {
    11: 22,
    12: 22,
    13: 17,
    14: 14,
    15: 9,
    16: 5,
    17: 1,
    18: 1,
}
POSTGRES_NO_CREATE = frozenset(
    [
        *[(18, 2), (17, 8), (17, 3), (17, 1), (16, 12), (16, 7), (16, 5), (15, 16)],
        *[(15, 11), (15, 9), (14, 21), (14, 16), (14, 14), (13, 19), (13, 17)],
    ]
)
# Minors whose creation stopped on 1 May 2026 (the notice; their end of standard support,
# "May 2026", is in AWS's calendar): major -> highest such minor.
POSTGRES_MAY_2026_LAST: dict[int, int] = {14: 17, 15: 12, 16: 8, 17: 4}
EXTENDED_SUPPORT_DISABLED = "open-source-rds-extended-support-disabled"

# --- OpenSearch Service ----------------------------------------------------------------------
# The version list AWS offers for new domains was not read (not verified), so no version is
# refused for being old; only the form the API accepts is checked: CreateDomain EngineVersion,
# shape VersionString, length 14-18, pattern below (botocore opensearch/2021-01-01
# service-2.json).
OPENSEARCH_SOURCE = (
    "https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html "
    "(EngineVersion: VersionString; botocore opensearch/2021-01-01 service-2.json)"
)
OPENSEARCH_PATTERN = re.compile(
    r"^Elasticsearch_[0-9]{1}\.[0-9]{1,2}$|^OpenSearch_[0-9]{1,2}\.[0-9]{1,2}$"
)

# --- ElastiCache -----------------------------------------------------------------------------
# "Supported engines and versions" (ElastiCache User Guide): node-based clusters support
# "Valkey version 7.2 and later" and "Redis OSS version 4.0.10 and later" (read in the
# docs.amazonaws.cn translation of the page); Valkey 8.0-8.2 and 9.0 are listed on "Engine
# versions and upgrading in ElastiCache". Only versions below those floors are refused;
# whether Redis OSS 4 and 5 can still be created after their end of standard support was not
# read (not verified), so they are let through.
ELASTICACHE_SOURCE = (
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html"
)
ELASTICACHE_FLOORS: dict[str, tuple[int, ...]] = {"redis": (4, 0, 10), "valkey": (7, 2)}
_CACHE_VERSION = re.compile(r"(\d+)\.(\d+|x)(?:\.(\d+))?")


def postgres_problem(version: str, lifecycle: object = None) -> tuple[str, str] | None:
    """(message, source) if RDS refuses to create PostgreSQL ``version``; None otherwise."""
    match = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:-rds\.\d{8})?", version, re.IGNORECASE)
    if not match:
        return (
            "is not a PostgreSQL version (MAJOR, MAJOR.MINOR or MAJOR.MINOR-rds.YYYYMMDD)",
            POSTGRES_SOURCE,
        )
    major, minor = int(match[1]), (int(match[2]) if match[2] is not None else None)
    if major < POSTGRES_DEPRECATED_BELOW:
        return (
            f"{version}: RDS lists PostgreSQL 10 and 9.6 as deprecated and no older major",
            POSTGRES_SOURCE,
        )
    if major in POSTGRES_PAST_STANDARD_SUPPORT and lifecycle == EXTENDED_SUPPORT_DISABLED:
        return (
            f"major {major} is past its RDS end of standard support; creating it with "
            f"engine_lifecycle_support = {EXTENDED_SUPPORT_DISABLED} fails",
            EXTENDED_SUPPORT_SOURCE,
        )
    if minor is None or major not in POSTGRES_LOWEST_LISTED:
        return None  # a major alone: RDS picks a current minor; newer majors: not read
    if minor < POSTGRES_LOWEST_LISTED[major]:
        return (
            f"minor {major}.{minor} is not among the minors RDS supports "
            f"(lowest listed: {major}.{POSTGRES_LOWEST_LISTED[major]}); use {major}",
            POSTGRES_SOURCE,
        )
    if (major, minor) in POSTGRES_NO_CREATE:
        return f"minor {major}.{minor} is in NO_CREATE status; use {major}", POSTGRES_SOURCE
    if minor <= POSTGRES_MAY_2026_LAST.get(major, -1):
        return (
            f"minor {major}.{minor} cannot be created since 1 May 2026; use {major} or "
            f"≥ {major}.{POSTGRES_MAY_2026_LAST[major] + 1}",
            POSTGRES_NOTICE,
        )
    return None


def postgres_minor_floors() -> dict[int, int]:
    """Per major in the tables: the lowest minor RDS still creates (the lowest listed, and past
    the minors whose creation stopped in May 2026)."""
    return {
        major: max(lowest, POSTGRES_MAY_2026_LAST.get(major, -1) + 1)
        for major, lowest in POSTGRES_LOWEST_LISTED.items()
    }


def render_rds_versions_tf() -> str:
    """modules/rds/engine_versions.tf: the module's copy of the tables above, derived from them
    (one owner: this file; a test keeps the module's copy equal to this rendering)."""
    floors = postgres_minor_floors()
    no_create = sorted(
        (major, minor) for major, minor in POSTGRES_NO_CREATE if minor >= floors[major]
    )
    floor_lines = "\n".join(f'    "{major}" = {minor}' for major, minor in sorted(floors.items()))
    no_create_items = ", ".join(f'"{major}.{minor}"' for major, minor in no_create)
    return f"""\
# GENERATED from pipeline-scripts/carcierge_pipeline/rules/engines.py (the owner of these
# tables, with their sources; read {READ}); do not edit by hand. After changing the tables
# there: .venv/bin/python -m carcierge_pipeline.rules.engines > modules/rds/engine_versions.tf
# (a test fails while this file and that rendering differ).
locals {{
  # Per major RDS for PostgreSQL lists: the lowest minor it still creates. A pinned minor of a
  # major newer than every key is accepted as is (not retired yet).
  postgres_oldest_creatable_minor = {{
{floor_lines}
  }}

  # Minors at or above that floor in NO_CREATE status (no new instances).
  postgres_no_create_minors = [{no_create_items}]
}}
"""


def cache_problem(engine: str, version: str) -> str | None:
    match = _CACHE_VERSION.fullmatch(version)
    if not match:
        return "is not an ElastiCache engine version (MAJOR.MINOR, MAJOR.x or MAJOR.MINOR.PATCH)"
    floor = ELASTICACHE_FLOORS[engine]
    given = tuple(int(p) if p and p != "x" else 0 for p in match.groups())[: len(floor)]
    if match[2] == "x":  # "6.x": the newest 6 minor
        given = (int(match[1]), 99, 99)[: len(floor)]
    if given < floor:
        shown = ".".join(map(str, floor))
        return f"is older than ElastiCache supports for {engine} ({shown} and later)"
    return None


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for db in plan.of_type("aws_db_instance"):
        engine, version = db.get("engine"), db.get("engine_version")
        if engine != "postgres" or version is None:
            continue
        if version is UNKNOWN:
            yield Unknown(db.address, "engine_version")
        elif found := postgres_problem(str(version), db.get("engine_lifecycle_support")):
            message, source = found
            yield Violation(db.address, version, f"postgres {message}", source)
    for domain in plan.of_type("aws_opensearch_domain"):
        version = domain.get("engine_version")
        if version is UNKNOWN:
            yield Unknown(domain.address, "engine_version")
        elif version is not None and not (
            14 <= len(str(version)) <= 18 and OPENSEARCH_PATTERN.match(str(version))
        ):
            yield Violation(
                domain.address,
                version,
                "not of the form OpenSearch_X.Y or Elasticsearch_X.Y (14-18 characters) that "
                "CreateDomain accepts",
                OPENSEARCH_SOURCE,
            )
    for group in plan.of_type("aws_elasticache_replication_group", "aws_elasticache_cluster"):
        engine, version = group.get("engine") or "redis", group.get("engine_version")
        if version is None:
            continue
        if version is UNKNOWN or engine is UNKNOWN:
            yield Unknown(group.address, "engine_version")
        elif engine in ELASTICACHE_FLOORS and (problem := cache_problem(engine, str(version))):
            yield Violation(
                group.address, version, f"{engine} {version} {problem}", ELASTICACHE_SOURCE
            )


RULE = Rule(
    "aws-engine-versions",
    "Engine versions that AWS still creates",
    POSTGRES_SOURCE,
    check,
    READ,
)


if __name__ == "__main__":
    print(render_rds_versions_tf(), end="")
