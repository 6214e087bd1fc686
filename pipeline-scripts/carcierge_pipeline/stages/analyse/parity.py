"""Environment parity report: how the four environments differ, read from their evaluated plans.

Each environment is planned offline (the report compares configured values, which an offline
plan keeps exactly, and needs no access to any environment's state or account). A table of
rules says what to read: resource type, attribute path (or a small extractor), how to combine
several resources, and whether a higher or a lower value is the stronger one. The report
prints one row per setting and one column per environment, then fails if prod is weaker than
uat on any setting that has a direction. Rules whose resources no plan contains print "—", so
the report grows with the modules without changes here.

Below the table, what the environment files write differently: every value of
``environments/<env>.tfvars`` (the files hold only each environment's differences; what all
share is in ``terraform.tfvars``) whose value is not the same in all four, read from the files.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carcierge_pipeline import hcl, planmodel
from carcierge_pipeline.environments import ENVIRONMENTS, var_file
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import PlanFiles

PARITY_MODE = Mode(offline=True, reason="the parity report compares configured values")
WEAKER_ENVIRONMENT, REFERENCE_ENVIRONMENT = "prod", "uat"


class _Marker:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


ABSENT = _Marker("—")  # no resource of the rule in this environment's plan
UNKNOWN = _Marker("?")  # known only after apply
UNSET = _Marker("unset")  # resource planned, attribute null and no provider default known

HIGHER, LOWER = "higher", "lower"


# --- reading planned resources ----------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One planned managed resource as the report compares it: its values after the change,
    which are unknown, and its environment-independent key."""

    address: str
    type: str
    key: str
    after: Mapping[str, Any]
    unknown: Mapping[str, Any]

    def get(self, path: str) -> Any:
        """The value at a dotted path (``cluster_config.0.instance_count``): a value, None, or
        UNKNOWN when Terraform knows it only after apply."""
        value = planmodel.value_at(self.after, self.unknown, path)
        return UNKNOWN if value is planmodel.UNKNOWN else value


_PREFIX = re.compile(rf"^(?:{'|'.join(ENVIRONMENTS)})-carcierge-")


def _instance_key(change: planmodel.Resource) -> str:
    """A stable, environment-independent key: the for_each key of the resource or of its
    module, else the resource's name without the ``<env>-carcierge-`` prefix."""
    if isinstance(change.index, str):
        return change.index
    module_keys = re.findall(r'\["([^"]+)"\]', change.module or "")
    if module_keys:
        return str(module_keys[-1])
    name = change.values.get("name")
    if isinstance(name, str):
        return _PREFIX.sub("", name)
    return change.address


@dataclass
class PlanView:
    resources: list[Resource]
    model: planmodel.Plan  # the plan read by planmodel: ECS semantics (capacity strategy)

    @classmethod
    def of(cls, plan: Mapping[str, Any] | planmodel.Plan) -> PlanView:
        resources = []
        for change in planmodel.Plan.of(plan):
            if change.mode != "managed" or change.actions == ("delete",):
                continue
            resources.append(
                Resource(
                    address=change.address,
                    type=change.type,
                    key=_instance_key(change),
                    after=change.values,
                    unknown=change.after_unknown,
                )
            )
        return cls(resources, planmodel.Plan.of(plan))

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources if r.type == resource_type]


# --- rules ------------------------------------------------------------------------------------

Extractor = Callable[[Resource, PlanView], Any]


@dataclass(frozen=True)
class Rule:
    """One setting of the report.

    ``path`` (or ``extract``) reads one value per resource; ``aggregate`` combines the
    resources of an environment (count, sum, min, max, all, any, distinct); ``stronger`` says
    which direction is stronger (None: informational, never compared); ``default`` stands in
    for a null attribute (the provider's default); ``where`` keeps only resources whose
    attributes equal the given values; ``per_instance`` makes one row per for_each key.
    """

    label: str
    resource_type: str
    path: str | None = None
    aggregate: str = "all"
    stronger: str | None = None
    default: Any = None
    where: Mapping[str, Any] = field(default_factory=dict)
    per_instance: bool = False
    extract: Extractor | None = None
    unit: str = ""

    def value_of(self, resource: Resource, plan: PlanView) -> Any:
        if self.extract is not None:
            value = self.extract(resource, plan)
        else:
            value = resource.get(self.path or "")
        if value is None:
            value = self.default if self.default is not None else UNSET
        return value

    def matches(self, resource: Resource) -> bool:
        return resource.type == self.resource_type and all(
            resource.get(name) == wanted for name, wanted in self.where.items()
        )


def redis_nodes(resource: Resource, _plan: PlanView) -> Any:
    """Cache nodes of a replication group: num_cache_clusters, or shards x (1 + replicas)."""
    clusters = resource.get("num_cache_clusters")
    if isinstance(clusters, int):
        return clusters
    shards = resource.get("num_node_groups")
    replicas = resource.get("replicas_per_node_group")
    if isinstance(shards, int) and isinstance(replicas, int):
        return shards * (1 + replicas)
    return UNKNOWN if UNKNOWN in (clusters, shards, replicas) else None


def retention_days(resource: Resource, _plan: PlanView) -> Any:
    """Log retention; 0 or unset means the logs never expire (the strongest setting)."""
    days = resource.get("retention_in_days")
    if days is UNKNOWN:
        return UNKNOWN
    return days or math.inf


def spot_share(resource: Resource, plan: PlanView) -> Any:
    """Share of a service's tasks weighted to Fargate Spot (planmodel: the service's strategy,
    else its cluster's default; a plain launch type means no Spot)."""
    service = plan.model.by_address(resource.address)
    if service is None:
        return UNKNOWN
    strategy = plan.model.capacity_strategy(service)
    share = UNKNOWN if strategy is planmodel.UNKNOWN else planmodel.spot_weight_share(strategy)
    return UNKNOWN if share is planmodel.UNKNOWN else share


def container_insights(resource: Resource, _plan: PlanView) -> Any:
    settings = resource.get("setting")
    if settings is UNKNOWN:
        return UNKNOWN
    for setting in settings or []:
        if setting.get("name") == "containerInsights":
            return setting.get("value")
    return "disabled"


RDS, REDIS, SEARCH = "aws_db_instance", "aws_elasticache_replication_group", "aws_opensearch_domain"
SCALING = "aws_appautoscaling_target"

RULES: tuple[Rule, ...] = (
    # Network
    Rule("NAT gateways", "aws_nat_gateway", aggregate="count", stronger=HIGHER),
    Rule(
        "Interface VPC endpoints",
        "aws_vpc_endpoint",
        aggregate="count",
        stronger=HIGHER,
        where={"vpc_endpoint_type": "Interface"},
    ),
    # Load balancer
    Rule(
        "ALB deletion protection",
        "aws_lb",
        "enable_deletion_protection",
        default=False,
        stronger=HIGHER,
    ),
    Rule(
        "ALB WAF web ACL",
        "aws_wafv2_web_acl_association",
        aggregate="count",
        stronger=HIGHER,
    ),
    # ECS, per service (the for_each key of the services map)
    Rule(
        "ECS {key}: desired tasks",
        "aws_ecs_service",
        "desired_count",
        aggregate="sum",
        stronger=HIGHER,
        per_instance=True,
    ),
    Rule(
        "ECS {key}: min tasks",
        SCALING,
        "min_capacity",
        aggregate="min",
        stronger=HIGHER,
        where={"service_namespace": "ecs"},
        per_instance=True,
    ),
    Rule(
        "ECS {key}: max tasks",
        SCALING,
        "max_capacity",
        aggregate="max",
        stronger=HIGHER,
        where={"service_namespace": "ecs"},
        per_instance=True,
    ),
    Rule(
        "ECS {key}: Spot share",
        "aws_ecs_service",
        extract=spot_share,
        aggregate="max",
        stronger=LOWER,
        per_instance=True,
        unit="%",
    ),
    Rule(
        "ECS Exec",
        "aws_ecs_service",
        "enable_execute_command",
        aggregate="any",
        default=False,
        stronger=LOWER,
    ),
    Rule(
        "ECS Container Insights",
        "aws_ecs_cluster",
        extract=container_insights,
        aggregate="distinct",
    ),
    # Redis
    Rule("Redis nodes", REDIS, extract=redis_nodes, aggregate="sum", stronger=HIGHER),
    Rule("Redis multi-AZ", REDIS, "multi_az_enabled", default=False, stronger=HIGHER),
    Rule(
        "Redis automatic failover",
        REDIS,
        "automatic_failover_enabled",
        default=False,
        stronger=HIGHER,
    ),
    Rule(
        "Redis snapshot retention (days)",
        REDIS,
        "snapshot_retention_limit",
        aggregate="min",
        default=0,
        stronger=HIGHER,
    ),
    Rule("Redis node type", REDIS, "node_type", aggregate="distinct"),
    # OpenSearch
    Rule(
        "OpenSearch data nodes",
        SEARCH,
        "cluster_config.0.instance_count",
        aggregate="sum",
        default=1,
        stronger=HIGHER,
    ),
    Rule(
        "OpenSearch zone awareness",
        SEARCH,
        "cluster_config.0.zone_awareness_enabled",
        default=False,
        stronger=HIGHER,
    ),
    Rule(
        "OpenSearch dedicated masters",
        SEARCH,
        "cluster_config.0.dedicated_master_enabled",
        default=False,
        stronger=HIGHER,
    ),
    Rule(
        "OpenSearch instance type", SEARCH, "cluster_config.0.instance_type", aggregate="distinct"
    ),
    # RDS
    Rule("RDS multi-AZ", RDS, "multi_az", default=False, stronger=HIGHER),
    Rule("RDS instance class", RDS, "instance_class", aggregate="distinct"),
    Rule(
        "RDS backup retention (days)",
        RDS,
        "backup_retention_period",
        aggregate="min",
        stronger=HIGHER,
    ),
    Rule("RDS deletion protection", RDS, "deletion_protection", default=False, stronger=HIGHER),
    Rule(
        "RDS skips final snapshot",
        RDS,
        "skip_final_snapshot",
        aggregate="any",
        default=False,
        stronger=LOWER,
    ),
    # Logs into OpenSearch (enable_log_delivery) and cross-region copies
    # (enable_cross_region_backups): counted, so an environment without them shows 0.
    Rule(
        "Log delivery streams into OpenSearch",
        "aws_kinesis_firehose_delivery_stream",
        aggregate="count",
        stronger=HIGHER,
    ),
    Rule(
        "RDS backups replicated cross-region",
        "aws_db_instance_automated_backups_replication",
        aggregate="count",
        stronger=HIGHER,
    ),
    Rule(
        "S3 buckets replicated cross-region",
        "aws_s3_bucket_replication_configuration",
        aggregate="count",
        stronger=HIGHER,
    ),
    # Monitoring
    Rule("CloudWatch alarms", "aws_cloudwatch_metric_alarm", aggregate="count", stronger=HIGHER),
    # Retention and protection across the platform
    Rule(
        "Log retention, shortest (days)",
        "aws_cloudwatch_log_group",
        extract=retention_days,
        aggregate="min",
        stronger=HIGHER,
    ),
    Rule(
        "KMS key deletion window (days)",
        "aws_kms_key",
        "deletion_window_in_days",
        aggregate="min",
        default=30,
        stronger=HIGHER,
    ),
    Rule(
        "Secrets recovery window (days)",
        "aws_secretsmanager_secret",
        "recovery_window_in_days",
        aggregate="min",
        default=30,
        stronger=HIGHER,
    ),
)


# --- the report -------------------------------------------------------------------------------


def aggregate(kind: str, values: Sequence[Any]) -> Any:
    """Combine the values of one environment's resources; UNKNOWN wins, UNSET if none set."""
    if kind == "count":
        return len(values)
    if not values:
        return ABSENT
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    known = [v for v in values if v is not UNSET]
    if not known:
        return UNSET
    if kind == "distinct":
        return ",".join(sorted({str(v) for v in known}))
    if kind == "all":
        return all(bool(v) for v in known)
    if kind == "any":
        return any(bool(v) for v in known)
    if kind == "sum":
        return sum(known)
    if kind == "min":
        return min(known)
    if kind == "max":
        return max(known)
    raise ValueError(f"aggregate must be count, sum, min, max, all, any or distinct; got {kind!r}")


def _comparable(value: Any) -> bool:
    return isinstance(value, (bool, int, float))


@dataclass(frozen=True)
class Row:
    label: str
    rule: Rule
    values: dict[str, Any]
    verdict: str  # "ok", "WEAKER", "?" (not comparable) or "" (informational / nothing planned)
    reason: str = ""
    key: str = ""  # the for_each key of per-instance rows


def verdict(rule: Rule, weaker: Any, reference: Any) -> tuple[str, str]:
    """Is ``weaker`` (prod) weaker than ``reference`` (uat) for this rule?"""
    if rule.stronger is None or (weaker is ABSENT and reference is ABSENT):
        return "", ""
    if reference is ABSENT:
        return "ok", ""
    if weaker is ABSENT:
        return "WEAKER", "planned in the reference environment but not here"
    if not (_comparable(weaker) and _comparable(reference)):
        return "?", ""
    worse = weaker < reference if rule.stronger == HIGHER else weaker > reference
    if worse:
        return "WEAKER", f"{format_value(rule, weaker)} vs {format_value(rule, reference)}"
    return "ok", ""


@dataclass
class Report:
    environments: tuple[str, ...]
    rows: list[Row]
    weaker: str = WEAKER_ENVIRONMENT
    reference: str = REFERENCE_ENVIRONMENT

    @property
    def findings(self) -> list[Row]:
        return [row for row in self.rows if row.verdict == "WEAKER"]

    def row(self, label: str) -> Row:
        return next(row for row in self.rows if row.label == label)

    def values(self, label: str) -> list[str]:
        row = self.row(label)
        return [format_value(row.rule, row.values[env]) for env in self.environments]


def _rows_for(rule: Rule, views: Mapping[str, PlanView], report: Report) -> list[Row]:
    type_planned = any(view.of_type(rule.resource_type) for view in views.values())
    per_env = {
        env: [r for r in view.of_type(rule.resource_type) if rule.matches(r)]
        for env, view in views.items()
    }
    groups: list[str | None] = [None]
    if rule.per_instance:
        groups = [*sorted({r.key for matched in per_env.values() for r in matched})] or [None]
    rows = []
    for group in groups:
        values = {}
        for env, matched in per_env.items():
            selected = [r for r in matched if group is None or r.key == group]
            if rule.aggregate == "count" and not type_planned:
                values[env] = ABSENT
            else:
                values[env] = aggregate(
                    rule.aggregate, [rule.value_of(r, views[env]) for r in selected]
                )
        label = rule.label.format(key=group if group is not None else "each service")
        mark, reason = verdict(rule, values[report.weaker], values[report.reference])
        rows.append(Row(label, rule, values, mark, reason, group or ""))
    return rows


def build_report(
    plans: Mapping[str, Mapping[str, Any]],
    rules: Sequence[Rule] = RULES,
    *,
    weaker: str = WEAKER_ENVIRONMENT,
    reference: str = REFERENCE_ENVIRONMENT,
) -> Report:
    """The parity table of ``plans`` (environment -> ``terraform show -json`` of its plan)."""
    for env in (weaker, reference):
        if env not in plans:
            raise UserError(f"the parity report needs the {env} plan; got {', '.join(plans)}")
    views = {env: PlanView.of(plan) for env, plan in plans.items()}
    report = Report(tuple(plans), [], weaker, reference)
    block: list[tuple[int, Row]] = []  # per-service rows, regrouped by service
    for position, rule in enumerate(rules):
        rows = _rows_for(rule, views, report)
        if rule.per_instance:
            block.extend((position, row) for row in rows)
            continue
        if block:
            report.rows.extend(_by_service(block))
            block = []
        report.rows.extend(rows)
    report.rows.extend(_by_service(block))
    return report


def _by_service(block: list[tuple[int, Row]]) -> list[Row]:
    """Per-service rows grouped by service (then in rule order), not by rule."""
    return [row for _, row in sorted(block, key=lambda item: (item[1].key, item[0]))]


# --- output -----------------------------------------------------------------------------------


def format_value(rule: Rule, value: Any) -> str:
    if isinstance(value, _Marker):
        return value.text
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and math.isinf(value):
        return "never"
    if rule.unit == "%" and isinstance(value, (int, float)):
        return f"{round(value * 100)}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(report: Report) -> list[str]:
    check_header = f"{report.weaker} vs {report.reference}"
    header = ["setting", *report.environments, check_header]
    body = [
        [
            row.label,
            *(format_value(row.rule, row.values[env]) for env in report.environments),
            row.verdict,
        ]
        for row in report.rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *rest, cells[-1].ljust(widths[-1])]).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(cells) for cells in body)]
    lines.append(
        "— nothing of this kind planned   ? known only after apply   "
        "unset: attribute not set; ok/WEAKER only for HA, retention and protection settings"
    )
    findings = report.findings
    if findings:
        lines.append(
            f"{report.weaker} is weaker than {report.reference} in {len(findings)} setting(s):"
        )
        lines.extend(f"  {row.label}: {row.reason}" for row in findings)
    else:
        lines.append(f"{report.weaker} is nowhere weaker than {report.reference}")
    return lines


# --- what the environment files write differently ---------------------------------------------

_LONGEST_CELL = 32  # a longer value keeps its start and its end (an image's tag or digest)


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every value below an object; a list is one value."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}.{key}" if path else str(key))
    else:
        yield path, value


def _cell(value: Any) -> str:
    if isinstance(value, _Marker):
        return value.text
    written = (
        json.dumps(value) if isinstance(value, (list, dict, bool)) or value is None else str(value)
    )
    if len(written) <= _LONGEST_CELL:
        return written
    tail = _LONGEST_CELL // 2 + 1
    return f"{written[: _LONGEST_CELL - tail - 1]}…{written[-tail:]}"


def file_differences(root: Path, environments: Sequence[str] = ENVIRONMENTS) -> list[list[str]]:
    """[dotted setting, value per environment…] of each value the environment files write
    differently (— where a file does not write it), in file order; the environment's own name
    is left out."""
    written = {
        env: dict(_leaves(hcl.plain(hcl.load_tfvars(var_file(root, env))))) for env in environments
    }
    paths = dict.fromkeys(path for values in written.values() for path in values)
    rows = []
    for path in paths:
        if path == "environment":
            continue
        values = [written[env].get(path, ABSENT) for env in environments]
        if any(value != values[0] for value in values[1:]):
            rows.append([path, *(_cell(value) for value in values)])
    return rows


def render_differences(
    rows: list[list[str]], environments: Sequence[str] = ENVIRONMENTS
) -> list[str]:
    header = ["written differently (environments/<env>.tfvars)", *environments]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, ["-" * w for w in widths], *rows]
    ]


def check(report: Report) -> None:
    findings = report.findings
    if findings:
        raise StageFailed(
            f"{report.weaker} is weaker than {report.reference} in {len(findings)} setting(s): "
            + ", ".join(row.label for row in findings)
        )


@dataclass(frozen=True)
class _ParityProject(Project):
    """The project, publishing its parity plans under build/parity/<env>/ so they never
    replace a plan that ``carcierge plan`` published for review or apply."""

    def build_dir(self, environment: str) -> Path:
        return self.root / "build" / "parity" / environment


@contextmanager
def _plan_output_silenced() -> Iterator[None]:
    """The plan text is in build/parity/<env>/plan.txt anyway; keep the report readable.
    Terraform's errors still reach stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


# The plan stage's entry point, handed in by the caller (the CLI): an analysis never imports
# another stage. Called as planner(project, environment, mode, echo=...) -> PlanFiles.
Planner = Callable[..., PlanFiles]


def load_plans(
    project: Project,
    *,
    reuse_plans: bool = False,
    planner: Planner | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:

    plans: dict[str, dict[str, Any]] = {}
    for env in ENVIRONMENTS:
        if reuse_plans:
            path = PlanFiles(project.build_dir(env)).json
            if not path.is_file():
                raise UserError(
                    f"no plan of {env} at {path}: run `carcierge plan -e {env}` first, or drop "
                    "--reuse-plans"
                )
        else:
            planning = _ParityProject(project.root)
            echo(f"planning {env} offline (plan text: {planning.build_dir(env)}/plan.txt)")
            with _plan_output_silenced():
                if planner is None:
                    raise UserError("parity needs plans: pass a planner or reuse_plans=True")
                files = planner(planning, env, PARITY_MODE, echo=lambda _: None)
            # Read-only evidence: drop the binary plan so nothing here looks appliable.
            files.binary.unlink(missing_ok=True)
            path = files.json
        plans[env] = json.loads(path.read_text())
    return plans


def run_parity(
    project: Project,
    *,
    reuse_plans: bool = False,
    planner: Planner | None = None,
    echo: Callable[[str], None] = print,
) -> Report:
    """Plan every environment with ``planner`` (or read their published plans), print the
    parity table, fail if prod is weaker than uat."""
    plans = load_plans(project, reuse_plans=reuse_plans, planner=planner, echo=echo)
    report = build_report(plans)
    for text in render(report):
        echo(text)
    echo("")
    for text in render_differences(file_differences(project.root)):
        echo(text)
    check(report)
    return report
