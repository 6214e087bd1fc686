"""Plan stage: init with the environment's backend (or offline), plan, and publish the plan as
binary, JSON and text under build/<environment>/, with the GitLab report, a Markdown summary
and the plan's metadata (environment, commit) that apply checks; then the destroy guard."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from carcierge_pipeline import ci_variables, environments, report, rules
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.inputs import check_environment_inputs, error_locator
from carcierge_pipeline.planmeta import PlanMeta, current_commit, sha256_of
from carcierge_pipeline.progress import Progress
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import LOCK_TIMEOUT, PlanFiles, pass_variables, prepare

OFFLINE_BANNER = (
    "OFFLINE PREVIEW ({reason}): planning {environment} against a fresh, empty account with "
    "the offline AWS provider. Remote state is not read; nothing can be applied."
)


def run_plan(
    project: Project,
    environment: str,
    mode: Mode,
    *,
    echo: Callable[[str], None] = print,
    allow_destroy: bool | None = None,
    app_name: str | None = None,
    environ: Mapping[str, str] = os.environ,
    preflight: Callable[[str], None] | None = None,
    terraform_variables: Mapping[str, str] | None = None,
    aws_validators: Callable[[Path], str] | None = None,
    verbose: bool = False,
) -> PlanFiles:
    """Plan ``environment``; ``allow_destroy`` defaults to $ALLOW_DESTROY, ``app_name``
    (APP_NAME) when given must match the environment's project_name, ``preflight`` runs
    after the input checks, before Terraform, and ``terraform_variables`` (TF_VAR_* from the
    pipeline's variables, ci_variables.terraform_variables) reach Terraform's environment only.
    ``aws_validators`` (real mode: AWS's own validators, preflight.validate_plan) reads the plan
    JSON after the rules gate and before anything is published; it raises StageFailed to refuse
    and returns Markdown (its warnings) for the summary. Terraform's output goes to
    ``files.output_log`` (a rehearsal's plans append to it) and the terminal shows a progress
    line of counts, or every line when ``verbose``."""
    environments.require_environment(environment)
    if allow_destroy is None:
        allow_destroy = ci_variables.flag("ALLOW_DESTROY", environ)
    var_file = environments.var_file(project.root, environment)
    if not var_file.is_file():
        raise UserError(f"missing variables file {var_file.relative_to(project.root)}")
    with project.exclusive(f"plan-{environment}"):
        files = PlanFiles(project.build_dir(environment))
        files.directory.mkdir(parents=True, exist_ok=True)
        files.clear()  # a failed plan must leave nothing behind that could be applied
        check_environment_inputs(project.root, environment)
        if preflight:  # real mode: what would fail mid-apply (preflight.py), before Terraform
            preflight(environment)
        if mode.offline:
            echo(OFFLINE_BANNER.format(reason=mode.reason, environment=environment))
        if not mode.rehearsal:
            files.output_log.unlink(missing_ok=True)
        terraform = prepare(project, environment, mode, log=None if verbose else files.output_log)
        pass_variables(terraform, terraform_variables, echo)
        plan_args = [
            "plan",
            "-input=false",
            f"-var-file={var_file.relative_to(project.root)}",
            f"-out={files.binary}",
        ]
        if mode.offline or not mode.state_lock:  # previews; promotion MRs (plan role)
            plan_args.append("-lock=false")
        else:  # wait for an apply of the same state (other pipelines) rather than fail
            plan_args.append(f"-lock-timeout={LOCK_TIMEOUT}")
        # Decided on what Terraform said, not on its exit code alone (terraform.JsonRun).
        progress = Progress(
            f"terraform plan {environment}", files.output_log, verbose=verbose, echo=echo
        )
        failure = terraform.run_json(
            plan_args,
            echo=echo,
            progress=progress,
            locate=error_locator(project.root, environment),
        ).failure(completed_by="change_summary")
        if failure:
            files.clear()
            raise StageFailed(
                f"terraform plan failed for {environment}: {failure}; see the messages above"
            )
        # The text rendering (a second Terraform process, ~0.7 s for prod) runs on the other
        # core while the JSON is read and the rules gate checks it; it is written only if the
        # gate passes.
        with ThreadPoolExecutor(max_workers=1) as renderer:
            text = renderer.submit(
                lambda: terraform.run(["show", "-no-color", str(files.binary)], capture=True)
            )
            files.json.write_text(
                terraform.run(["show", "-json", str(files.binary)], capture=True).stdout
            )
            findings = ""
            try:  # the AWS rules gate: what AWS refuses is never published
                rules.gate(files.json, echo)
                if aws_validators:  # real mode: what AWS's own validators refuse, neither
                    findings = aws_validators(files.json)
            except StageFailed:
                files.clear()
                raise
            files.text.write_text(text.result().stdout)
        _check_plan_identity(files, environment, app_name)
        commit = current_commit(project.root, environ)
        kind = (
            f"**OFFLINE PREVIEW** ({mode.reason}): counts against an empty account, not this "
            "environment's changes; no MR widget"
            if mode.offline
            else f"rehearsal plan ({mode.reason})"
            if mode.rehearsal
            else f"real plan ({mode.reason})"
        )
        summary = report.publish(
            files,
            environment,
            # A preview's counts are those of an empty account: never the MR widget's.
            widget=not mode.offline,
            context=f"{kind}; commit {(commit.sha or 'unknown')[:12]}"
            + (" with uncommitted changes" if commit.dirty else ""),
        )
        if findings:
            with files.summary.open("a") as summary_file:
                summary_file.write(findings)
        PlanMeta(
            environment=environment,
            commit=commit.sha,
            commit_source=commit.source,
            dirty=commit.dirty,
            offline=mode.offline,
            rehearsal=mode.rehearsal,
            mode_reason=mode.reason,
            pipeline_id=environ.get("CI_PIPELINE_ID") or None,
            plan_sha256=sha256_of(files.binary),
            terraform_version=summary.terraform_version,
        ).write(files.meta)
        echo(f"plan written: {files.binary}, {files.json.name}, {files.text.name}")
        widget = "no MR widget (preview)" if mode.offline else files.gitlab_report.name
        echo(f"reports: {files.summary.name}, {widget}, {files.meta.name}")
        echo(f"Plan {summary.headline}")
        for change in summary.stateful_destroys:
            echo(f"  DANGER {change.action.upper()} {change.address} ({change.stateful})")
        try:
            report.guard(summary, allow_destroy, echo)
        except StageFailed:
            # The reports stay for review; nothing that could be applied does.
            files.binary.unlink(missing_ok=True)
            files.meta.unlink(missing_ok=True)
            raise
        return files


def _check_plan_identity(files: PlanFiles, environment: str, app_name: str | None) -> None:
    """The plan must be the one asked for: its ``environment`` variable names ``environment``
    (whatever the files said), and ``app_name`` (APP_NAME), when given, is its project_name."""
    variables = json.loads(files.json.read_text()).get("variables", {})
    planned = variables.get("environment", {}).get("value")
    if planned != environment:
        files.clear()
        raise StageFailed(
            f"the plan made for {environment} has environment = {planned!r}; refusing it "
            f"(check environments/{environment}.tfvars)"
        )
    project_name = variables.get("project_name", {}).get("value")
    if app_name is not None and project_name != app_name:
        files.clear()
        raise UserError(
            f"APP_NAME is {app_name!r} but the plan's project_name is {project_name!r} "
            "(terraform.tfvars); they must match"
        )
