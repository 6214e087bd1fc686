"""Validate stage: formatting, init + validate of the root (and so of every module it calls),
terraform test of each directory that has tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode, Terraform, scratch_copy

ROOT_TEST_ENVIRONMENT = "qa"


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
        # `validate` of the root checks every module it calls as well, so a module directory is
        # validated on its own only when the root does not call it. `terraform test` validates
        # the directory it runs in before its runs.
        root = Terraform.for_mode(workdir, mode)
        _step("init root", root, ["init", "-backend=false", "-input=false", "-no-color"], echo)
        _step("validate root", root, ["validate", "-no-color"], echo)
        called = _called_module_dirs(workdir)
        modules = sorted(p for p in (workdir / "modules").iterdir() if (p / "main.tf").is_file())
        jobs: list[tuple[Path, bool]] = []
        for directory in [workdir, *modules]:
            with_tests = tests and any((directory / "tests").glob("*.tftest.hcl"))
            validate = directory != workdir and directory.resolve() not in called
            if with_tests or validate:
                jobs.append((directory, with_tests))
        # Directories are independent; two at a time keeps both cores busy (Terraform and the
        # offline provider each leave idle time). Output stays grouped per directory.
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(_check_directory, workdir, directory, mode, with_tests)
                for directory, with_tests in jobs
            ]
            failure: StageFailed | None = None
            for future in futures:
                lines, error = future.result()
                for line in lines:
                    echo(line)
                failure = failure or error
        if failure:
            raise failure


def _called_module_dirs(workdir: Path) -> set[Path]:
    """Directories of the modules the root calls, from the manifest `terraform init` wrote."""
    manifest = workdir / ".terraform" / "modules" / "modules.json"
    if not manifest.is_file():
        return set()
    entries = json.loads(manifest.read_text()).get("Modules") or []
    return {(workdir / entry["Dir"]).resolve() for entry in entries if entry.get("Key")}


def _check_directory(
    workdir: Path, directory: Path, mode: Mode, with_tests: bool
) -> tuple[list[str], StageFailed | None]:
    label = directory.relative_to(workdir).as_posix() if directory != workdir else "root"
    terraform = Terraform.for_mode(directory, mode)
    lines: list[str] = []
    steps: list[tuple[str, list[str]]] = []
    if directory != workdir:  # the root was initialised above
        steps.append((f"init {label}", ["init", "-backend=false", "-input=false", "-no-color"]))
    # The root declares each environment's settings without defaults: its tests take them from
    # the environment file of the environment they test (tests/root.tftest.hcl).
    var_file = [f"-var-file=environments/{ROOT_TEST_ENVIRONMENT}.tfvars"] if label == "root" else []
    steps.append(
        (f"test {label}", ["test", "-no-color", *var_file])
        if with_tests
        else (f"validate {label}", ["validate", "-no-color"])
    )
    try:
        for step_label, args in steps:
            _step(step_label, terraform, args, lines.append)
    except StageFailed as error:
        return lines, error
    return lines, None
