"""Apply stage: apply the saved plan of one environment, and nothing else.

It refuses, with one line, when the plan is missing, belongs to another environment, commit or
pipeline, was changed after planning, is an offline preview, or deletes stateful resources
without ALLOW_DESTROY=TRUE, and a TF_LOG at which the provider logs request bodies.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping

from carcierge_pipeline import ci_variables, report
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.planmeta import PlanMeta, current_commit, sha256_of
from carcierge_pipeline.progress import Progress
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import LOCK_TIMEOUT, PlanFiles, prepare

VERBOSE_LOG_LEVELS = ci_variables.VERBOSE_LOG_LEVELS


def check_saved_plan(
    project: Project,
    environment: str,
    environ: Mapping[str, str] = os.environ,
    *,
    rehearsal: bool = False,
) -> PlanFiles:
    """The saved plan of ``environment`` if it may be applied here; else a UserError."""
    files = PlanFiles(project.build_dir(environment))
    where = files.binary.relative_to(project.root)
    if not files.binary.is_file():
        raise UserError(
            f"no saved plan at {where}: run `carcierge plan -e {environment}` first "
            "(in CI, the plan job of the same pipeline)"
        )
    if not files.meta.is_file():
        raise UserError(f"{where} has no plan-meta.json beside it; plan again")
    meta = PlanMeta.read(files.meta)
    if meta.environment != environment:
        raise UserError(f"the saved plan is for {meta.environment}, not {environment}")
    if meta.offline:
        raise UserError(
            f"the saved {environment} plan is an offline preview ({meta.mode_reason}); "
            "plan with AWS credentials to apply"
        )
    if meta.rehearsal != rehearsal:
        raise UserError(
            f"the saved {environment} plan is a rehearsal plan (local AWS emulator); it is never "
            "applied to an account"
            if meta.rehearsal
            else f"the saved {environment} plan is a real plan; the rehearsal applies only "
            "its own plans"
        )
    commit = current_commit(project.root, environ)
    if not meta.commit or not commit.sha:
        raise UserError(
            "cannot tell which commit the plan or this checkout is (no CI_COMMIT_SHA, no git)"
        )
    if meta.commit != commit.sha:
        raise UserError(
            f"the saved plan is of commit {meta.commit[:12]}, this is {commit.sha[:12]}; plan again"
        )
    if meta.dirty or commit.dirty:
        raise UserError("the plan or this checkout has uncommitted changes; commit and plan again")
    pipeline = environ.get("CI_PIPELINE_ID")
    if pipeline and meta.pipeline_id != pipeline:
        raise UserError(
            f"the saved plan comes from pipeline {meta.pipeline_id or 'outside CI'}, "
            f"not this pipeline {pipeline}"
        )
    if sha256_of(files.binary) != meta.plan_sha256:
        raise UserError(f"{where} changed after it was planned; plan again")
    return files


def check_branch_head(project: Project, environ: Mapping[str, str] = os.environ) -> None:
    """In a CI branch pipeline, refuse to apply a commit that is no longer the head of its
    branch (an older pipeline's apply would roll the environment back): the remote is asked
    (``git ls-remote``, with the job's own checkout credentials)."""
    branch, sha = environ.get("CI_COMMIT_BRANCH"), environ.get("CI_COMMIT_SHA")
    if not environ.get("CI_JOB_ID") or not branch or not sha:
        return
    try:
        listed = subprocess.run(
            ["git", "ls-remote", "--exit-code", "origin", f"refs/heads/{branch}"],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UserError(f"cannot ask the remote for the head of {branch!r}: {error}") from error
    head = listed.stdout.split()[0] if listed.returncode == 0 and listed.stdout.strip() else None
    if head is None:
        detail = (listed.stderr.strip().splitlines() or ["no such branch"])[-1]
        raise UserError(f"cannot ask the remote for the head of {branch!r}: {detail}")
    if head != sha:
        raise UserError(
            f"commit {sha[:12]} is no longer the head of {branch!r} ({head[:12]} is): a newer "
            "pipeline plans and applies it; this apply would roll the environment back"
        )


# The AWS provider's error when wait_for_steady_state gives up on an ECS service (create or
# update; internal/service/ecs/service.go), followed in Terraform's diagnostic by the address
# (with or without -no-color's box drawing):
#   Error: waiting for ECS Service (arn:...:service/<cluster>/<name>) update: timeout while ...
#     with module.ecs.aws_ecs_service.service["service2"],
_STEADY_STATE_ERROR = re.compile(r"waiting for ECS Service \((?P<arn>[^)]*)\) (?:create|update)\b")
_ADDRESS = re.compile(r"^[\s│╷]*with (?P<address>\S+?),?\s*$", re.MULTILINE)


def unsettled_services(output: str) -> list[str]:
    """The ECS services ("<address> (<service name>)") that did not reach a steady state during
    an apply, read from Terraform's error output."""
    found: list[str] = []
    for match in _STEADY_STATE_ERROR.finditer(output):
        rest = output[match.end() :]
        following = rest.split("Error:", 1)[0]  # this diagnostic only
        address = _ADDRESS.search(following)
        name = match["arn"].rsplit("/", 1)[-1]
        entry = f"{address['address']} ({name})" if address else name
        if entry not in found:
            found.append(entry)
    return found


def run_apply(
    project: Project,
    environment: str,
    mode: Mode,
    *,
    echo: Callable[[str], None] = print,
    allow_destroy: bool | None = None,
    environ: Mapping[str, str] = os.environ,
    verbose: bool = False,
) -> None:
    """Apply the saved plan; Terraform's output is appended to the plan's output log and the
    terminal shows a progress line of counts (every line when ``verbose``)."""
    if mode.offline:
        raise UserError(
            f"apply needs AWS credentials: this is an offline run ({mode.reason}), "
            "and offline plans are previews that cannot be applied"
        )
    # What Terraform will see: its environment is this process's (terraform.Terraform.env).
    found = ci_variables.verbose_log({**environ, **os.environ})
    if found:
        name, level = found
        raise UserError(
            f"apply refuses {name}={level}: at that level the AWS provider logs request bodies, "
            "write-only secrets included; use INFO or lower (plans of staging and qa may use it)"
        )
    check_branch_head(project, environ)
    if allow_destroy is None:
        allow_destroy = ci_variables.flag("ALLOW_DESTROY", environ)
    with project.exclusive(f"plan-{environment}"):
        files = check_saved_plan(project, environment, environ, rehearsal=mode.rehearsal)
        summary = report.analyse(json.loads(files.json.read_text()), environment)
        report.guard(summary, allow_destroy, echo)
        echo(f"applying the saved plan {files.binary.name}: {summary.headline}")
        level = (os.environ.get("TF_LOG") or environ.get("TF_LOG") or "").strip().upper()
        if level:
            echo(f"TF_LOG={level}: Terraform logs at that level to build/terraform.log")
        terraform = prepare(project, environment, mode, log=None if verbose else files.output_log)
        progress = Progress(
            f"terraform apply {environment}", files.output_log, verbose=verbose, echo=echo
        )
        # Wait for a plan of the same state (another pipeline) rather than fail at once.
        applied = terraform.run_json(
            ["apply", "-input=false", f"-lock-timeout={LOCK_TIMEOUT}", str(files.binary)],
            echo=echo,
            progress=progress,
        )
        failure = applied.failure(completed_by="change_summary")
        if failure:
            unsettled = unsettled_services("\n".join(d.render() for d in applied.errors))
            if unsettled:
                raise StageFailed(
                    f"terraform apply failed for {environment}: ECS service(s) did not reach a "
                    f"steady state: {', '.join(unsettled)}; see its events and stopped tasks "
                    "(the deployment circuit breaker rolls a failed deployment back)"
                )
            raise StageFailed(
                f"terraform apply failed for {environment}: {failure}; see the messages above"
            )
        # A plan is applied once: Terraform refuses a stale plan anyway, this makes it plain.
        files.binary.unlink(missing_ok=True)
        files.meta.unlink(missing_ok=True)
        echo(f"applied {environment}")
