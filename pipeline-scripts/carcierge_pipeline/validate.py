"""Validate stage: formatting, init + validate of the root and every module, terraform test."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode, Terraform, scratch_copy


def _fmt_targets(project: Project) -> list[str]:
    files = sorted(p.name for p in project.root.iterdir() if p.suffix in (".tf", ".tfvars"))
    folders = [
        name for name in ("modules", "environments", "tests") if (project.root / name).is_dir()
    ]
    return [*files, *folders]


def _step(label: str, terraform: Terraform, args: list[str], echo: Callable[[str], None]) -> None:
    started = time.monotonic()
    result = terraform.run(args, capture=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        echo((result.stdout + result.stderr).strip())
        raise StageFailed(f"{label} failed")
    echo(f"ok   {label} ({elapsed:.1f} s)")


def run_validate(
    project: Project, mode: Mode, *, tests: bool = True, echo: Callable[[str], None] = print
) -> None:
    in_place = Terraform.for_mode(project.root, mode)
    _step(
        "terraform fmt -check",
        in_place,
        ["fmt", "-check", "-recursive", "-diff", "-no-color", *_fmt_targets(project)],
        echo,
    )

    with project.exclusive("validate"):
        workdir = scratch_copy(project.root, project.work_dir("validate"))
        directories: list[Path] = [
            workdir,
            *sorted(p for p in (workdir / "modules").iterdir() if (p / "main.tf").is_file()),
        ]
        for directory in directories:
            label = directory.relative_to(workdir).as_posix() if directory != workdir else "root"
            terraform = Terraform.for_mode(directory, mode)
            _step(
                f"init {label}",
                terraform,
                ["init", "-backend=false", "-input=false", "-no-color"],
                echo,
            )
            _step(f"validate {label}", terraform, ["validate", "-no-color"], echo)
            if tests and any((directory / "tests").glob("*.tftest.hcl")):
                _step(f"test {label}", terraform, ["test", "-no-color"], echo)
