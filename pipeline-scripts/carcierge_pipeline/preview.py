"""The change preview: what the working tree changes in an environment relative to a base
commit, without credentials (``carcierge preview --environment <env> --base <ref>``).

The base commit's configuration is planned offline and applied with the offline provider into a
throw-away local state (as the rehearsal applies, but with no emulator and no backend); the
working tree's configuration is then planned against that state. What that plan changes is the
change itself: creates, updates, replacements (the offline provider answers RequiresReplace as
the real one does) and deletions, each with the attributes that change (``change.py``).

Results go to ``build/<env>/change/`` (``ChangeFiles``): ``plan.json``, ``summary.md`` and
``comment.md`` (the merge-request comment, ``comment.py``). A base ref that is not a commit, or
whose configuration does not plan, is refused in one line and nothing is left behind. A change
that deletes or replaces a resource holding data fails the preview unless destroying is allowed,
as a real plan does; its reports stay for review.

The base state is kept per (base commit, environment, offline provider) under
``.cache/preview/``, so a second preview against the same base plans only the working tree.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline import change, comment, environments, rules
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.inputs import check_environment_inputs
from carcierge_pipeline.offline import install, server
from carcierge_pipeline.offline import rules as offline_rules
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.analyse.parity import (
    REFERENCE_ENVIRONMENT,
    WEAKER_ENVIRONMENT,
    build_report,
)
from carcierge_pipeline.stages.analyse.pricing import Estimate, builtin_estimate
from carcierge_pipeline.terraform import Diagnostic, Mode, Terraform, scratch_copy
from carcierge_pipeline.workdir import ChangeFiles, PlanFiles

MODE = Mode(offline=True, reason="change preview against the base's offline state")
_STATE = "terraform.tfstate"


# Terraform's error for a plan that would destroy a resource with lifecycle.prevent_destroy
# (every resource holding data here: RDS, Redis, OpenSearch, the environment KMS key).
PREVENT_DESTROY = "Instance cannot be destroyed"
_PREVENT_DESTROY_DETAIL = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")


class ProtectedDestroy(StageFailed):
    """The change deletes or replaces resources that ``prevent_destroy`` guards."""

    def __init__(self, environment: str, addresses: list[str]) -> None:
        self.addresses = addresses
        super().__init__(
            f"the change deletes or replaces {len(addresses)} resource(s) holding data in "
            f"{environment} that prevent_destroy guards: {', '.join(addresses)}; Terraform "
            "refuses this plan (to replace one on purpose: its module README, 'Deletion safety')"
        )


@dataclass(frozen=True)
class Base:
    ref: str
    commit: str

    @property
    def label(self) -> str:
        return f"{self.ref} ({self.commit[:12]})"


@dataclass(frozen=True)
class ChangePreview:
    environment: str
    base: Base
    changes: list[change.ResourceChange]
    files: ChangeFiles
    seconds: float


def _rev_parse(root: Path, ref: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise UserError(f"the change preview needs git: {error}") from error
    return result.stdout.strip() if result.returncode == 0 else ""


def resolve_base(root: Path, ref: str, *, fetch_branch: str | None = None) -> Base:
    """The commit ``ref`` names in the repository at ``root``, or one line saying it doesn't.
    ``fetch_branch`` (a merge request's target): if a shallow clone lacks ``ref``, fetch that
    branch's recent history from ``origin`` once and look again."""
    if not ref or ref.startswith("-"):
        raise UserError(f"--base must name a git ref (a branch, tag or commit), got {ref!r}")
    commit = _rev_parse(root, ref)
    if not commit and fetch_branch:
        subprocess.run(
            ["git", "-C", str(root), "fetch", "--quiet", "--depth=200", "origin", fetch_branch],
            capture_output=True,
            check=False,
        )
        commit = _rev_parse(root, ref)
    if not commit:
        raise UserError(f"base {ref!r} is not a commit in {root} (git rev-parse found nothing)")
    return Base(ref, commit)


def export_tree(root: Path, commit: str, target: Path) -> Path:
    """The committed files of ``commit`` in ``target`` (git archive; no checkout is touched)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", commit],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise UserError(f"git archive of {commit[:12]} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def _offline_terraform(workdir: Path, *, apply: bool) -> Terraform:
    terraform = Terraform.for_mode(workdir, MODE)
    # The offline provider applies only when asked: here into a throw-away local state.
    terraform.extra_env[server.APPLY_SWITCH] = "1" if apply else "0"
    return terraform


def _provider_fingerprint() -> str:
    """Changes with anything that decides what the offline apply leaves: the engine and schema
    (the set-up stamp) and the offline provider's code and rule table."""
    cache = install.ensure()
    digest = hashlib.sha256(cache.stamp_path.read_bytes())
    code = Path(server.__file__).parent
    for path in [*sorted(code.glob("*.py")), code.parent / "data" / offline_rules.RULES_RESOURCE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class BaseResult:
    state: Path  # the base applied offline
    plan_json: Path  # the base's own plan (from an empty account): the cost before the change


def base_state(
    project: Project, environment: str, base: Base, echo: Callable[[str], None]
) -> BaseResult:
    """The state the base commit's configuration leaves when applied offline (cached)."""
    cache = project.root / ".cache" / "preview"
    stem = f"{environment}-{base.commit}-{_provider_fingerprint()}"
    cached = BaseResult(cache / f"{stem}.tfstate", cache / f"{stem}.plan.json")
    if cached.state.is_file() and cached.plan_json.is_file():
        echo(f"base {base.label}: offline state from the cache")
        return cached
    tree = export_tree(project.root, base.commit, project.work_dir(f"preview-{environment}-tree"))
    try:
        var_file = environments.var_file(tree, environment)
        if not var_file.is_file():
            raise UserError(
                f"base {base.label} does not plan for {environment}: it has no "
                f"{var_file.relative_to(tree)}"
            )
        workdir = scratch_copy(tree, project.work_dir(f"preview-{environment}-base"))
        (workdir / _STATE).unlink(missing_ok=True)
        terraform = _offline_terraform(workdir, apply=True)
        init = terraform.run(["init", "-input=false", "-no-color"], capture=True, check=False)
        if init.returncode != 0:
            raise UserError(f"base {base.label} does not initialise: {_first_error(init.stderr)}")
        quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
        planned = terraform.run_json(
            [
                "plan",
                "-input=false",
                "-lock=false",
                f"-var-file={var_file.relative_to(tree)}",
                "-out=base.bin",
            ],
            echo=quiet,
            echo_error=quiet,
        ).failure(completed_by="change_summary")
        if planned:
            raise UserError(f"base {base.label} does not plan for {environment}: {planned}")
        applied = terraform.run_json(
            ["apply", "-input=false", "-lock=false", "base.bin"], echo=quiet, echo_error=quiet
        ).failure(completed_by="change_summary")
        if applied:
            raise UserError(f"base {base.label} does not apply offline: {applied}")
        shown = terraform.run(["show", "-json", "base.bin"], capture=True).stdout
        cache.mkdir(parents=True, exist_ok=True)
        cached.plan_json.write_text(shown)
        shutil.copy2(workdir / _STATE, cached.state)
        echo(f"base {base.label}: planned and applied offline into a throw-away state")
        return cached
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def _first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or ["no message"])[0]


def _plan_offline(
    project: Project, environment: str, workdir_name: str, state: Path | None, out: Path
) -> str:
    """``terraform show -json`` of the working tree's offline plan against ``state`` (None:
    an empty account), planned in its own scratch directory."""
    var_file = environments.var_file(project.root, environment)
    workdir = scratch_copy(project.root, project.work_dir(workdir_name))
    if state is not None:
        shutil.copy2(state, workdir / _STATE)
    terraform = _offline_terraform(workdir, apply=False)
    terraform.run(["init", "-input=false", "-no-color"], capture=True)
    run = terraform.run_json(
        [
            "plan",
            "-input=false",
            "-lock=false",
            f"-var-file={var_file.relative_to(project.root)}",
            f"-out={out.name}",
        ],
        echo=lambda _line: None,
        echo_error=lambda _line: None,
    )
    protected = sorted({address for error in run.errors if (address := _protected_address(error))})
    if protected:
        raise ProtectedDestroy(environment, protected)
    failure = run.failure(completed_by="change_summary")
    if failure:
        raise StageFailed(f"the working tree does not plan for {environment}: {failure}")
    return terraform.run(["show", "-json", out.name], capture=True).stdout


def _protected_address(error: Diagnostic) -> str | None:
    """The resource a prevent_destroy refusal names (in its address, else its detail)."""
    if error.summary != PREVENT_DESTROY:
        return None
    found = _PREVENT_DESTROY_DETAIL.match(error.detail)
    return error.address or (found[1] if found else None)


@dataclass(frozen=True)
class ChangePlans:
    change: Plan  # the working tree against the base's state: the change itself
    fresh: Plan  # the working tree from an empty account: cost and security after the change
    parity_reference: Plan | None  # the environment parity compares with, from empty


def plan_change(project: Project, environment: str, state: Path, files: ChangeFiles) -> ChangePlans:
    """The working tree's plan against ``state`` (written to ``files.plan_json``) and, at the
    same time on the other core, its plan from an empty account (what the cost after the change
    is estimated on, like the base's: the offline apply's invented values for attributes AWS
    computes must not reach the estimate) and, for an environment parity compares (uat, prod),
    the other one's."""
    other = _parity_partner(environment)
    jobs = {
        "change": (environment, f"preview-{environment}-head", state),
        "fresh": (environment, f"preview-{environment}-fresh", None),
    }
    if other:
        jobs["reference"] = (other, f"preview-{other}-fresh", None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(_plan_offline, project, env, workdir, start, Path(f"{name}.bin"))
            for name, (env, workdir, start) in jobs.items()
        }
        shown = {name: future.result() for name, future in futures.items()}
    files.directory.mkdir(parents=True, exist_ok=True)
    files.plan_json.write_text(shown["change"])
    files.fresh_plan_json.write_text(shown["fresh"])
    return ChangePlans(
        Plan.of(json.loads(shown["change"])),
        Plan.of(json.loads(shown["fresh"])),
        Plan.of(json.loads(shown["reference"])) if "reference" in shown else None,
    )


def _parity_partner(environment: str) -> str | None:
    pair = (WEAKER_ENVIRONMENT, REFERENCE_ENVIRONMENT)
    return (
        next((other for other in pair if other != environment), None)
        if environment in pair
        else None
    )


def parity_warnings(environment: str, plans: ChangePlans) -> list[str] | None:
    """The parity report's findings (prod weaker than uat) with this change, for uat and prod."""
    other = _parity_partner(environment)
    if other is None or plans.parity_reference is None:
        return None
    report = build_report({environment: plans.fresh.raw, other: plans.parity_reference.raw})
    return [
        f"{row.label}: {report.weaker} is weaker than {report.reference} ({row.reason})"
        for row in report.findings
    ]


def preview(
    project: Project,
    environment: str,
    base_ref: str,
    *,
    allow_destroy: bool = False,
    echo: Callable[[str], None] = print,
    post: Callable[[str], object] | None = None,
    security: bool = False,
    fetch_branch: str | None = None,
) -> ChangePreview:
    """Preview what the working tree changes in ``environment`` relative to ``base_ref``."""
    started = time.monotonic()
    environments.require_environment(environment)
    files = PlanFiles(project.build_dir(environment)).change
    files.clear()  # a failed preview leaves nothing behind
    base = resolve_base(project.root, base_ref, fetch_branch=fetch_branch)
    check_environment_inputs(project.root, environment)
    with project.exclusive(f"preview-{environment}"):
        against = f"base {base.label}"
        try:
            before = base_state(project, environment, base, echo)
            plans = plan_change(project, environment, before.state, files)
            plan = plans.change
            rules_result = rules.gate(files.plan_json, echo)
            found = change.changes(plan)
            details = comment.CommentInput(
                security=(
                    _security_delta(project, before.plan_json, files.fresh_plan_json)
                    if security
                    else None
                ),
                environment=environment,
                kind=comment.PREVIEW,
                against=against,
                changes=found,
                plan=plan,
                cost=cost_delta(Plan.load(before.plan_json), plans.fresh, environment),
                parity=parity_warnings(environment, plans),
                rules=rules_result,
            )
        except ProtectedDestroy as refused:
            # What the reviewer must see first, though Terraform made no plan of it.
            body = comment.render_protected(environment, against, refused.addresses)
            files.directory.mkdir(parents=True, exist_ok=True)
            files.comment.write_text(body)
            files.summary.write_text(body)
            if post:
                post(body)
            raise
        except BaseException:
            files.clear()
            raise
    body = comment.render(details)
    files.comment.write_text(body)
    files.summary.write_text(comment.summary(details))
    if post:  # before the destroy guard: the comment shows what is destroyed
        post(body)
    seconds = time.monotonic() - started
    counts = change.counts(found)
    echo(
        f"change preview of {environment} against {base.label}: "
        + ", ".join(f"{n} to {action}" for action, n in counts.items())
        + f" ({seconds:.1f} s); {files.comment}"
    )
    destructive = [c for c in found if c.destructive]
    if destructive and not allow_destroy:
        listed = ", ".join(f"{c.address} ({c.action})" for c in destructive)
        raise StageFailed(
            f"the change deletes or replaces {len(destructive)} resource(s) holding data in "
            f"{environment}: {listed}; set ALLOW_DESTROY=TRUE to allow it"
        )
    return ChangePreview(environment, base, found, files, seconds)


def _per_address(estimate: Estimate) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in estimate.items:
        totals[item.address] = totals.get(item.address, 0.0) + item.monthly
    return totals


def cost_delta(before: Plan, after: Plan, environment: str) -> comment.CostDelta:
    """The built-in estimate of the state before and after the change, per resource."""
    region = str(after.variable("aws_region") or before.variable("aws_region") or "")
    old = builtin_estimate(before, environment, str(before.variable("aws_region") or region))
    new = builtin_estimate(after, environment, region)
    old_by, new_by = _per_address(old), _per_address(new)
    lines = tuple(
        comment.CostLine(
            address, round(old_by.get(address, 0.0), 2), round(new_by.get(address, 0.0), 2)
        )
        for address in sorted(set(old_by) | set(new_by))
        if round(new_by.get(address, 0.0) - old_by.get(address, 0.0), 2) != 0
    )
    return comment.CostDelta(old.total, new.total, new.currency, lines, new.price_source)


def plan_comment(project: Project, environment: str, *, applied: bool = False) -> str:
    """The comment of the environment's published plan (build/<env>/plan.json of the plan
    stage: a real plan against the environment's state), before or after it is applied."""
    from carcierge_pipeline.planmeta import PlanMeta

    files = PlanFiles(project.build_dir(environment))
    plan_file = files.json
    if not plan_file.is_file():
        raise UserError(f"no plan to comment on: {plan_file} is missing (run the plan stage)")
    plan = Plan.load(plan_file)
    meta_file = files.meta
    meta = PlanMeta.read(meta_file) if meta_file.is_file() else None
    offline = meta.offline if meta else True
    kind = comment.APPLIED if applied else comment.PREVIEW if offline else comment.REAL
    against = (
        "an empty account (offline preview: `carcierge preview` shows the change itself)"
        if offline
        else f"{environment}'s state"
    )
    details = comment.CommentInput(
        environment=environment,
        kind=kind,
        against=against,
        changes=change.changes(plan),
        plan=plan,
        cost=cost_delta(change.before_plan(plan), plan, environment),
        rules=rules.evaluate(plan),
    )
    return comment.render(details)


def _security_delta(project: Project, before: Path, after: Path) -> comment.SecurityDelta:
    """Failed checkov checks of the change's plan that the base's plan did not have (new), and
    the reverse (fixed), by check and resource."""
    from carcierge_pipeline.stages.analyse.security import scan_plan_files

    scanned = scan_plan_files(project, {"before": before, "after": after})

    def failed(label: str) -> set[str]:
        return {f"{f.check_id} {f.resource}" for f in scanned[label].findings}

    old, new = failed("before"), failed("after")
    return comment.SecurityDelta(tuple(sorted(new - old)), tuple(sorted(old - new)))
