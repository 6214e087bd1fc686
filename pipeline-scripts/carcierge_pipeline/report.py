"""Plan reports: counts by action and resource type, GitLab's merge-request widget JSON, a
Markdown summary, and the destroy guard for resources that hold data.

GitLab's widget reads ``{"create": n, "update": n, "delete": n}``. Its own tooling computes it
by flattening every resource change's ``actions`` list and counting the words, so a replace
(``["delete", "create"]`` or ``["create", "delete"]``) counts once as a create and once as a
delete; ``widget_counts`` does exactly that. Our own summary counts a replace as a replace.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.workdir import PlanFiles

# Resource types whose deletion or replacement loses data (or, for KMS keys, the ability to
# read data encrypted with them), with the service name shown to reviewers.
STATEFUL_TYPES: dict[str, str] = {
    "aws_db_instance": "RDS",
    "aws_rds_cluster": "RDS",
    "aws_elasticache_replication_group": "ElastiCache (Redis)",
    "aws_elasticache_cluster": "ElastiCache (Redis)",
    "aws_elasticache_serverless_cache": "ElastiCache (Redis)",
    "aws_opensearch_domain": "OpenSearch",
    "aws_elasticsearch_domain": "OpenSearch",
    "aws_s3_bucket": "S3 bucket",
    "aws_kms_key": "KMS key",
    "aws_cloudwatch_log_group": "CloudWatch log group",
    "aws_secretsmanager_secret": "Secrets Manager secret",
    "aws_dynamodb_table": "DynamoDB table",
    "aws_efs_file_system": "EFS file system",
}

ACTIONS = ("create", "update", "replace", "delete")


def classify(actions: Iterable[str]) -> str:
    """One word for a change's action list: create, update, replace, delete, read, no-op,
    forget."""
    words = list(actions)
    if "create" in words and ("delete" in words or "forget" in words):
        return "replace"
    if len(words) == 1:
        return words[0]
    return "+".join(words)


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    action: str
    replace_paths: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def stateful(self) -> str | None:
        return STATEFUL_TYPES.get(self.type)

    @property
    def destroys(self) -> bool:
        return self.action in ("delete", "replace")


def path_text(path: Sequence[str | int]) -> str:
    """An attribute path as Terraform writes it: ``ingress[0].from_port``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


@dataclass
class PlanReport:
    environment: str
    changes: list[Change] = field(default_factory=list)
    widget: dict[str, int] = field(default_factory=dict)
    terraform_version: str = ""

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        return {action: counted.get(action, 0) for action in ACTIONS}

    @property
    def by_type(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for change in self.changes:
            if change.action in ACTIONS:
                table.setdefault(change.type, Counter())[change.action] += 1
        return {
            name: {action: counts.get(action, 0) for action in ACTIONS}
            for name, counts in sorted(table.items())
        }

    @property
    def stateful_destroys(self) -> list[Change]:
        return [c for c in self.changes if c.stateful and c.destroys]

    @property
    def headline(self) -> str:
        c = self.counts
        return (
            f"{self.environment}: {c['create']} to create, {c['update']} to update, "
            f"{c['replace']} to replace, {c['delete']} to delete"
        )


def widget_counts(plan: Mapping[str, Any] | Plan) -> dict[str, int]:
    """GitLab's MR-widget counts, computed the way GitLab's own tooling does."""
    words = [word for change in Plan.of(plan) for word in change.actions]
    return {key: words.count(key) for key in ("create", "update", "delete")}


def analyse(plan: Mapping[str, Any] | Plan, environment: str) -> PlanReport:
    model = Plan.of(plan)
    report = PlanReport(
        environment,
        widget=widget_counts(model),
        terraform_version=model.terraform_version,
    )
    for change in model.managed():
        action = classify(change.actions)
        if action == "no-op":
            continue
        report.changes.append(
            Change(
                address=change.address + (" (deposed)" if change.deposed else ""),
                type=change.type,
                action=action,
                replace_paths=tuple(path_text(p) for p in change.replace_paths),
                reason=change.action_reason,
            )
        )
    return report


def markdown(report: PlanReport, *, context: str = "") -> str:
    lines = [f"# Terraform plan: {report.environment}", ""]
    if context:
        lines += [context, ""]
    c = report.counts
    lines += [
        f"**{c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
        f"{c['delete']} to delete.**",
        "",
    ]
    stateful = report.stateful_destroys
    if stateful:
        lines += [
            "## 🚨 DANGER: resources holding data will be DELETED or REPLACED",
            "",
            "Applying this plan loses the data in these resources unless it is restored from a "
            "backup or snapshot. The plan stage refuses it unless `ALLOW_DESTROY=TRUE`.",
            "",
            "| resource | kind | action | forced by |",
            "|---|---|---|---|",
        ]
        for change in stateful:
            forced = ", ".join(f"`{p}`" for p in change.replace_paths) or (change.reason or "")
            lines.append(
                f"| `{change.address}` | {change.stateful} | **{change.action.upper()}** | "
                f"{forced} |"
            )
        lines.append("")
    if report.by_type:
        lines += [
            "## Changes by resource type",
            "",
            "| resource type | create | update | replace | delete |",
            "|---|--:|--:|--:|--:|",
        ]
        for name, counts in report.by_type.items():
            cells = " | ".join(str(counts[action] or "") for action in ACTIONS)
            lines.append(f"| `{name}` | {cells} |")
        lines.append("")
    else:
        lines += ["No changes.", ""]
    destructive = [c for c in report.changes if c.destroys and not c.stateful]
    if destructive:
        lines += ["## Other deletions and replacements", ""]
        lines += [f"- `{c.address}`: {c.action}" for c in destructive]
        lines.append("")
    w = report.widget
    lines.append(
        f"GitLab merge-request widget: create {w['create']}, update {w['update']}, "
        f"delete {w['delete']} (a replace counts as one create and one delete)."
    )
    return "\n".join(lines) + "\n"


def guard(report: PlanReport, allow_destroy: bool, echo: Callable[[str], None] = print) -> None:
    """Refuse a plan that deletes or replaces a stateful resource unless ALLOW_DESTROY=TRUE."""
    stateful = report.stateful_destroys
    if not stateful:
        return
    listed = ", ".join(f"{c.address} ({c.action})" for c in stateful)
    if allow_destroy:
        echo(f"WARNING: ALLOW_DESTROY=TRUE lets this plan delete or replace: {listed}")
        return
    raise StageFailed(
        f"the {report.environment} plan deletes or replaces {len(stateful)} resource(s) holding "
        f"data: {listed}; set ALLOW_DESTROY=TRUE to allow it"
    )


def publish(
    files: PlanFiles, environment: str, *, context: str = "", widget: bool = True
) -> PlanReport:
    """Write the summary and, unless ``widget`` is False (offline previews), the MR widget's
    report next to the plan (``files.json``); return the report."""
    report = analyse(Plan.load(files.json), environment)
    if widget:
        files.gitlab_report.write_text(json.dumps(report.widget) + "\n")
    files.summary.write_text(markdown(report, context=context))
    return report
