"""Validate stage: formatting, init + validate of the root and every module, terraform test."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        # Directories are independent; two at a time keeps both cores busy (Terraform and the
        # offline provider each leave idle time). Output stays grouped per directory.
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [
                pool.submit(_check_directory, workdir, directory, mode, tests)
                for directory in directories
            ]
            failure: StageFailed | None = None
            for job in jobs:
                lines, error = job.result()
                for line in lines:
                    echo(line)
                failure = failure or error
        if failure:
            raise failure


def _check_directory(
    workdir: Path, directory: Path, mode: Mode, tests: bool
) -> tuple[list[str], StageFailed | None]:
    label = directory.relative_to(workdir).as_posix() if directory != workdir else "root"
    terraform = Terraform.for_mode(directory, mode)
    lines: list[str] = []
    steps = [
        (f"init {label}", ["init", "-backend=false", "-input=false", "-no-color"]),
        (f"validate {label}", ["validate", "-no-color"]),
    ]
    if tests and any((directory / "tests").glob("*.tftest.hcl")):
        steps.append((f"test {label}", ["test", "-no-color"]))
    try:
        for step_label, args in steps:
            _step(step_label, terraform, args, lines.append)
    except StageFailed as error:
        return lines, error
    return lines, None
