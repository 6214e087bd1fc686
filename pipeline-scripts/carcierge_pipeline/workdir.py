"""Terraform working directories of an environment: initialised for a mode (a scratch copy with
a local backend offline, a scratch copy with the emulator's S3 backend in the rehearsal, the
project itself with the environment's S3 backend in real mode), and the files a plan is
published as under build/<environment>/. Shared by the plan, apply and drift stages."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline.backend import backend_settings
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode, Terraform, scratch_copy

# How long a real plan or apply waits for another run's lock on the same state.
LOCK_TIMEOUT = "10m"


@dataclass(frozen=True)
class ChangeFiles:
    """What a change preview publishes, under build/<environment>/change/: its plan and summary
    named as a plan's (PlanFiles), the plan from an empty account and the MR comment."""

    directory: Path

    @property
    def plan_json(self) -> Path:
        return PlanFiles(self.directory).json

    @property
    def fresh_plan_json(self) -> Path:
        """The working tree planned from an empty account (cost and security after)."""
        return self.directory / "plan-from-empty.json"

    @property
    def summary(self) -> Path:
        return PlanFiles(self.directory).summary

    @property
    def comment(self) -> Path:
        return self.directory / "comment.md"

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class PlanFiles:
    directory: Path

    @property
    def binary(self) -> Path:
        return self.directory / "plan.bin"

    @property
    def json(self) -> Path:
        return self.directory / "plan.json"

    @property
    def text(self) -> Path:
        return self.directory / "plan.txt"

    @property
    def meta(self) -> Path:
        return self.directory / "plan-meta.json"

    @property
    def gitlab_report(self) -> Path:
        return self.directory / "gitlab-report.json"

    @property
    def summary(self) -> Path:
        return self.directory / "summary.md"

    @property
    def output_log(self) -> Path:
        """Everything Terraform printed (init, plan, apply): the terminal shows counts."""
        return self.directory / "terraform-output.log"

    # Results of the analyse stage: they describe a plan, so a new plan removes them.
    @property
    def cost_json(self) -> Path:
        return self.directory / "cost.json"

    @property
    def cost_markdown(self) -> Path:
        return self.directory / "cost.md"

    @property
    def checkov_junit(self) -> Path:
        return self.directory / "checkov-junit.xml"

    @property
    def checkov_json(self) -> Path:
        return self.directory / "checkov.json"

    @property
    def analysis(self) -> tuple[Path, ...]:
        return (self.cost_json, self.cost_markdown, self.checkov_junit, self.checkov_json)

    @property
    def change(self) -> ChangeFiles:
        """What a change preview of this environment publishes (a folder of its own)."""
        return ChangeFiles(self.directory / "change")

    def clear(self) -> None:
        for path in (
            self.binary,
            self.json,
            self.text,
            self.meta,
            self.gitlab_report,
            self.summary,
            *self.analysis,
        ):
            path.unlink(missing_ok=True)


def prepare(
    project: Project,
    environment: str,
    mode: Mode,
    *,
    workdir_name: str | None = None,
    log: Path | None = None,
) -> Terraform:
    """An initialised working directory for ``environment`` in ``mode``; with ``log``, init's
    output goes to that file instead of the terminal."""
    if mode.offline:
        workdir = scratch_copy(
            project.root, project.work_dir(workdir_name or f"plan-{environment}")
        )
        terraform = Terraform.for_mode(workdir, mode)
        terraform.run(["init", "-input=false", "-no-color"], capture=True, log=log)
        return terraform
    settings = backend_settings(environment)
    # A committed lock file is the provider's checksums from the registry: CI never rewrites it.
    # (The rehearsal's scratch copy has none: its provider is the offline stand-in.)
    locked = ["-lockfile=readonly"] if (project.root / ".terraform.lock.hcl").is_file() else []
    if mode.rehearsal:
        locked = []
        # A scratch copy keeps the emulator's backend out of the project's own .terraform.
        workdir = scratch_copy(
            project.root,
            project.work_dir(workdir_name or f"rehearse-{environment}"),
            local_backend=False,
        )
        terraform = Terraform.for_mode(workdir, mode)
        settings["use_path_style"] = "true"  # the emulator has no per-bucket host names
    else:
        terraform = Terraform.for_mode(project.root, mode)
    terraform.run(
        [
            "init",
            "-input=false",
            "-reconfigure",
            *locked,
            *(f"-backend-config={key}={value}" for key, value in settings.items()),
        ],
        log=log,
    )
    return terraform


def pass_variables(
    terraform: Terraform, variables: Mapping[str, str] | None, echo: Callable[[str], None]
) -> None:
    """TF_VAR_* for this Terraform run; the log names them, never their values."""
    variables = dict(variables or {})
    terraform.extra_env.update(variables)
    if "TF_VAR_alert_emails" in variables:
        count = len(json.loads(variables["TF_VAR_alert_emails"]))
        echo(f"alert e-mails: {count} address(es) from ALERT_EMAILS")
    else:
        echo("alert e-mails: none (ALERT_EMAILS is not set for this environment)")
