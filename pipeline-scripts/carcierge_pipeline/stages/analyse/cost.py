"""The cost stage: the monthly cost of an environment from its plan.

With ``INFRACOST_API_KEY`` set and an ``infracost`` binary available (``$INFRACOST`` or on
PATH), infracost prices the plan with live prices; otherwise the built-in estimate
(``pricing.py``) prices it. Either way the stage writes ``build/<env>/cost.json`` and
``cost.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.stages.analyse.pricing import (
    Estimate,
    Item,
    builtin_estimate,
)
from carcierge_pipeline.workdir import PlanFiles

# --- infracost --------------------------------------------------------------------------------


def infracost_binary(environ: Mapping[str, str]) -> str | None:
    if not environ.get("INFRACOST_API_KEY"):
        return None
    explicit = environ.get("INFRACOST")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("infracost")


def infracost_estimate(
    binary: str, plan_json: Path, environment: str, region: str, environ: Mapping[str, str]
) -> Estimate:
    result = subprocess.run(
        [binary, "breakdown", "--path", str(plan_json), "--format", "json", "--no-color"],
        capture_output=True,
        text=True,
        env=dict(environ),
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise StageFailed(f"infracost failed: {detail[-1] if detail else result.returncode}")
    data = json.loads(result.stdout)
    estimate = Estimate(
        environment=environment,
        engine="infracost",
        currency=data.get("currency", "USD"),
        region=region,
        price_source="infracost Cloud Pricing API (live prices)",
        prices_as_of=data.get("timeGenerated", ""),
    )
    for project in data.get("projects") or []:
        for resource in (project.get("breakdown") or {}).get("resources") or []:
            cost = float(resource.get("monthlyCost") or 0)
            name = resource.get("name", "?")
            service = resource.get("resourceType") or name.split("[")[0].split(".")[-2]
            estimate.items.append(Item(name, service, "priced by infracost", cost))
    estimate.assumptions.append("usage-based costs as infracost's defaults (no usage file)")
    return estimate


# --- the stage --------------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"${value:,.2f}"


def markdown(estimate: Estimate) -> str:
    lines = [
        f"# Monthly cost estimate: {estimate.environment}",
        "",
        f"**{_money(estimate.total)} per month** ({estimate.currency}, {estimate.region}, "
        f"{estimate.engine} estimate; prices: {estimate.prices_as_of}).",
        "",
        "## Per service",
        "",
        "| service | monthly |",
        "|---|--:|",
    ]
    lines += [f"| {name} | {_money(value)} |" for name, value in estimate.per_service.items()]
    lines += [
        f"| **total** | **{_money(estimate.total)}** |",
        "",
        "## Per resource",
        "",
        "| resource | service | what | monthly |",
        "|---|---|---|--:|",
    ]
    for item in sorted(estimate.items, key=lambda i: (-i.monthly, i.address)):
        lines.append(
            f"| `{item.address}` | {item.service} | {item.detail} | {_money(item.monthly)} |"
        )
    lines += ["", "## Assumptions", ""]
    lines += [f"- {text}" for text in estimate.assumptions]
    if estimate.not_estimated:
        lines += ["", "## Not estimated", ""]
        lines += [f"- {text}" for text in estimate.not_estimated]
    lines += ["", f"Prices: {estimate.price_source}."]
    return "\n".join(lines) + "\n"


def run_cost(
    build_dir: Path,
    environment: str,
    *,
    region: str | None = None,
    echo: Callable[[str], None] = print,
    environ: Mapping[str, str] = os.environ,
) -> Estimate:
    files = PlanFiles(build_dir)
    plan_json = files.json
    if not plan_json.is_file():
        raise UserError(
            f"no plan for {environment} at {plan_json}: run `carcierge plan -e {environment}` first"
        )
    plan = Plan.load(plan_json)
    region = region or plan.variable("aws_region") or ("us-west-1")
    binary = infracost_binary(environ)
    if binary:
        echo(f"pricing the {environment} plan with infracost ({binary})")
        estimate = infracost_estimate(binary, plan_json, environment, region, environ)
    else:
        why = "no INFRACOST_API_KEY" if not environ.get("INFRACOST_API_KEY") else "no infracost"
        echo(f"pricing the {environment} plan with the built-in price table ({why})")
        estimate = builtin_estimate(plan, environment, region)
    files.cost_json.write_text(json.dumps(estimate.to_json(), indent=2) + "\n")
    files.cost_markdown.write_text(markdown(estimate))
    echo(f"{environment}: {_money(estimate.total)} per month ({estimate.engine} estimate)")
    for name, value in estimate.per_service.items():
        echo(f"  {name:<26} {_money(value):>12}")
    echo("assumptions:")
    for text in estimate.assumptions:
        echo(f"  - {text}")
    if estimate.not_estimated:
        echo("not estimated:")
        for text in estimate.not_estimated:
            echo(f"  - {text}")
    echo(f"written: {files.cost_json}, {files.cost_markdown.name}")
    return estimate
