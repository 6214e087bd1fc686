"""Plan stage: init with the environment's backend (or offline), plan, and publish the plan as
binary, JSON and text under build/<environment>/."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline import environments
from carcierge_pipeline.backend import backend_settings
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode, Terraform, scratch_copy

OFFLINE_BANNER = (
    "OFFLINE PREVIEW ({reason}): planning {environment} against a fresh, empty account with "
    "the offline AWS provider. Remote state is not read; nothing can be applied."
)


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

    def clear(self) -> None:
        for path in (self.binary, self.json, self.text):
            path.unlink(missing_ok=True)


def prepare(
    project: Project, environment: str, mode: Mode, *, workdir_name: str | None = None
) -> Terraform:
    """An initialised working directory for ``environment`` in ``mode``."""
    if mode.offline:
        workdir = scratch_copy(
            project.root, project.work_dir(workdir_name or f"plan-{environment}")
        )
        terraform = Terraform.for_mode(workdir, mode)
        terraform.run(["init", "-input=false", "-no-color"], capture=True)
        return terraform
    terraform = Terraform.for_mode(project.root, mode)
    settings = backend_settings(environment)
    terraform.run(
        [
            "init",
            "-input=false",
            "-reconfigure",
            *(f"-backend-config={key}={value}" for key, value in settings.items()),
        ]
    )
    return terraform


def run_plan(
    project: Project, environment: str, mode: Mode, *, echo: Callable[[str], None] = print
) -> PlanFiles:
    environments.require_environment(environment)
    var_file = environments.var_file(project.root, environment)
    if not var_file.is_file():
        raise UserError(f"missing variables file {var_file.relative_to(project.root)}")
    with project.exclusive(f"plan-{environment}"):
        files = PlanFiles(project.build_dir(environment))
        files.directory.mkdir(parents=True, exist_ok=True)
        files.clear()  # a failed plan must leave nothing behind that could be applied
        if mode.offline:
            echo(OFFLINE_BANNER.format(reason=mode.reason, environment=environment))
        terraform = prepare(project, environment, mode)
        color = [] if sys.stdout.isatty() else ["-no-color"]
        plan_args = [
            "plan",
            "-input=false",
            *color,
            f"-var-file={var_file.relative_to(project.root)}",
            f"-out={files.binary}",
        ]
        if mode.offline:
            plan_args.append("-lock=false")
        if terraform.run(plan_args, check=False).returncode != 0:
            files.clear()
            raise StageFailed(f"terraform plan failed for {environment}; see the messages above")
        files.json.write_text(
            terraform.run(["show", "-json", str(files.binary)], capture=True).stdout
        )
        files.text.write_text(
            terraform.run(["show", "-no-color", str(files.binary)], capture=True).stdout
        )
        echo(f"plan written: {files.binary}, {files.json.name}, {files.text.name}")
        return files
