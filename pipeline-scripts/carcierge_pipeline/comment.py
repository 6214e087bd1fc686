"""The merge-request comment of one environment's change: headline counts and what kind of plan
it is, destructive changes first, changes grouped by module with their changed attributes, a
picture of the change (mermaid.py), the cost delta, the security findings delta, the rules
gate's result and parity warnings.

The comment starts with a marker naming the environment (``marker``), by which the poster
(``mr_note.py``) finds and updates its own comment instead of adding another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from carcierge_pipeline import mermaid, rules
from carcierge_pipeline.change import ACTION_ORDER, ResourceChange, counts, shorten_pair
from carcierge_pipeline.planmodel import Plan

PREVIEW = "preview"
REAL = "real plan"
APPLIED = "applied"
ATTRIBUTES_SHOWN = 4  # per resource in the table; the rest under a "more" fold
RESOURCES_OPEN = 15  # modules with more changed resources start collapsed


def marker(environment: str) -> str:
    return f"<!-- carcierge:change:{environment} -->"


class _Delta:
    """A monthly cost before and after the change, and the difference (cents)."""

    before: float
    after: float

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class CostLine(_Delta):
    address: str
    before: float
    after: float


@dataclass(frozen=True)
class CostDelta(_Delta):
    before: float
    after: float
    currency: str
    lines: tuple[CostLine, ...]
    source: str


@dataclass(frozen=True)
class SecurityDelta:
    """Failed checks present after the change and not before (new), and the reverse (fixed)."""

    new: tuple[str, ...]
    fixed: tuple[str, ...]


@dataclass(frozen=True)
class CommentInput:
    environment: str
    kind: str  # PREVIEW, REAL or APPLIED
    against: str  # what the change is measured against: "base main (…)", "prod's state"
    changes: list[ResourceChange]
    plan: Plan
    cost: CostDelta | None = None
    rules: rules.Result | None = None
    security: SecurityDelta | None = None
    parity: Sequence[str] | None = None
    artifact_url: str | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def _money(value: float, currency: str, *, signed: bool = False) -> str:
    sign = ("+" if value > 0 else "-" if value < 0 else "±") if signed else ""
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{symbol}{abs(value):,.2f}"


def _code(text: str) -> str:
    """Inline code in a Markdown table cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _attribute_text(item: ResourceChange) -> str:
    parts = []
    for attribute in item.attributes:
        if attribute.sensitive:
            parts.append(f"{_code(attribute.path)} (sensitive)")
        elif attribute.unknown:
            parts.append(f"{_code(attribute.path)} → (known after apply)")
        else:
            old, new = shorten_pair(attribute.before, attribute.after)
            parts.append(f"{_code(attribute.path)}: {_code(old)} → {_code(new)}")
    if item.forced_by:
        parts.insert(0, "forces replacement: " + ", ".join(_code(p) for p in item.forced_by))
    if len(parts) <= ATTRIBUTES_SHOWN:
        return "<br>".join(parts)
    shown, rest = parts[:ATTRIBUTES_SHOWN], parts[ATTRIBUTES_SHOWN:]
    return (
        "<br>".join(shown)
        + f"<details><summary>{len(rest)} more</summary>"
        + "<br>".join(rest)
        + "</details>"
    )


def _headline(found: list[ResourceChange]) -> str:
    counted = counts(found)
    return ", ".join(f"{counted[a]} to {a}" for a in reversed(ACTION_ORDER))


def _kind_line(details: CommentInput) -> str:
    if details.kind == PREVIEW:
        return (
            f"**Offline change preview** against {details.against}: the base applied with the "
            "offline provider into a throw-away state, then this change planned against it. "
            "No credentials; values AWS assigns (ARNs, IDs) show as known after apply."
        )
    if details.kind == APPLIED:
        return f"**Applied** to {details.environment} ({details.against})."
    return f"**Real plan** against {details.against}."


def _rules_line(result: rules.Result | None) -> str:
    if result is None:
        return "**AWS rules gate:** not run"
    unchecked = f"; {len(result.unchecked)} value(s) unchecked (unknown at plan)"
    if result.findings:
        return f"**AWS rules gate:** {len(result.findings)} finding(s){unchecked}"
    return f"**AWS rules gate:** passed{unchecked if result.unchecked else ''}"


def _cost_lines(cost: CostDelta | None) -> list[str]:
    if cost is None:
        return ["**Cost:** not estimated"]
    lines = [
        f"**Cost:** {_money(cost.delta, cost.currency, signed=True)} per month "
        f"({_money(cost.before, cost.currency)} → {_money(cost.after, cost.currency)}; "
        f"built-in estimate from {cost.source.split(':')[0]})"
    ]
    return lines


def _security_lines(security: SecurityDelta | None) -> list[str]:
    if security is None:
        return [
            "**Security findings:** not scanned in this job (the `security` job scans the plan)"
        ]
    if not security.new and not security.fixed:
        return ["**Security findings:** no change"]
    lines = [f"**Security findings:** {len(security.new)} new, {len(security.fixed)} fixed"]
    lines += [f"- new: {_code(check)}" for check in security.new]
    lines += [f"- fixed: {_code(check)}" for check in security.fixed]
    return lines


def _parity_lines(parity: Sequence[str] | None) -> list[str]:
    if parity is None:
        return []
    if not parity:
        return ["**Parity:** no environment weaker than its reference"]
    return ["**Parity warnings:**", *(f"- {line}" for line in parity)]


def _destructive_table(found: list[ResourceChange]) -> list[str]:
    destructive = [c for c in found if c.destructive]
    if not destructive:
        return []
    lines = [
        "#### 🚨 Destructive: resources holding data are deleted or replaced",
        "",
        "| resource | kind | action | forced by |",
        "|---|---|---|---|",
    ]
    for item in destructive:
        forced = ", ".join(_code(p) for p in item.forced_by)
        lines.append(
            f"| {_code(item.address)} | {item.stateful} | **{item.action.upper()}** | {forced} |"
        )
    return [*lines, ""]


def _module_tables(found: list[ResourceChange]) -> list[str]:
    by_module: dict[str, list[ResourceChange]] = {}
    for item in found:
        by_module.setdefault(item.module or mermaid.ROOT_MODULE, []).append(item)
    lines = ["#### Changes by module", ""]
    for module, items in sorted(by_module.items()):
        summary = ", ".join(
            f"{sum(1 for i in items if i.action == a)} {a}"
            for a in reversed(ACTION_ORDER)
            if any(i.action == a for i in items)
        )
        opened = " open" if len(items) <= RESOURCES_OPEN else ""
        lines += [
            f"<details{opened}><summary><code>{module}</code>: {summary}</summary>",
            "",
            "| resource | action | changed attributes |",
            "|---|---|---|",
        ]
        for item in items:
            local = item.address
            if item.module and local.startswith(item.module + "."):
                local = local[len(item.module) + 1 :]
            lines.append(f"| {_code(local)} | {item.action} | {_attribute_text(item)} |")
        lines += ["", "</details>", ""]
    return lines


def _cost_table(cost: CostDelta | None) -> list[str]:
    if cost is None or not cost.lines:
        return []
    lines = [
        "<details><summary>Cost delta per resource</summary>",
        "",
        "| resource | before | after | delta |",
        "|---|--:|--:|--:|",
    ]
    for line in cost.lines:
        lines.append(
            f"| {_code(line.address)} | {_money(line.before, cost.currency)} | "
            f"{_money(line.after, cost.currency)} | "
            f"{_money(line.delta, cost.currency, signed=True)} |"
        )
    return [*lines, "", "</details>", ""]


def render(details: CommentInput) -> str:
    """The comment's Markdown."""
    found = details.changes
    lines = [
        marker(details.environment),
        f"### {details.environment}: {_headline(found)}",
        "",
        _kind_line(details),
        "",
    ]
    for note in details.notes:
        lines += [note, ""]
    lines += _destructive_table(found)
    lines += [_rules_line(details.rules), "", *_cost_lines(details.cost), ""]
    lines += [*_security_lines(details.security), ""]
    parity = _parity_lines(details.parity)
    if parity:
        lines += [*parity, ""]
    if not found:
        lines += ["No changes.", ""]
    else:
        lines += _module_tables(found)
        picture = mermaid.graph(details.plan, found)
        lines += [
            "#### Picture of the change",
            "",
            "```mermaid",
            picture,
            "```",
            "",
        ]
        lines += _cost_table(details.cost)
    if details.artifact_url:
        lines += [f"Full plan and reports: {details.artifact_url}", ""]
    return "\n".join(lines)


def render_protected(environment: str, against: str, addresses: Sequence[str]) -> str:
    """The comment of a change Terraform refuses to plan because it would delete or replace
    resources guarded by ``prevent_destroy``: only those, first and marked."""
    lines = [
        marker(environment),
        f"### {environment}: refused, {len(addresses)} protected resource(s) would be destroyed",
        "",
        f"**Offline change preview** against {against}. Terraform refuses the plan: this change "
        "deletes or replaces resources holding data that `lifecycle.prevent_destroy` guards.",
        "",
        "#### 🚨 Destructive: resources holding data are deleted or replaced",
        "",
        "| resource | action |",
        "|---|---|",
        *(
            f"| {_code(address)} | **DELETE or REPLACE** (blocked by prevent_destroy) |"
            for address in addresses
        ),
        "",
        'Replacing one on purpose is a data migration: see the module README, "Deletion safety".',
        "",
    ]
    return "\n".join(lines)


def summary(details: CommentInput) -> str:
    """A plain summary for the job's artifacts: the same facts without folds or the picture."""
    found = details.changes
    lines = [f"# Change in {details.environment}: {_headline(found)}", "", _kind_line(details), ""]
    lines += _destructive_table(found)
    lines += [_rules_line(details.rules), "", *_cost_lines(details.cost), ""]
    lines += ["| resource | action | changed attributes |", "|---|---|---|"] if found else []
    for item in found:
        attributes = ", ".join(a.path for a in item.attributes) or ""
        lines.append(f"| {_code(item.address)} | {item.action} | {attributes} |")
    return "\n".join(lines) + "\n"


def shortened(text: str, limit: int, artifact_url: str | None, environment: str) -> str:
    """``text`` if it fits a note of ``limit`` characters, else its head (up to the module
    tables) and a link to the full comment in the job's artifacts."""
    if len(text) <= limit:
        return text
    cut = text.find("#### Changes by module")
    head = text[: cut if cut > 0 else 0]
    where = artifact_url or "the job's artifacts (build/<env>/change/comment.md)"
    tail = (
        f"\n_The full comment ({len(text):,} characters) is over GitLab's note limit; "
        f"read it in {where}._\n"
    )
    if len(head) + len(tail) > limit:
        head = marker(environment) + "\n"
    return head + tail
