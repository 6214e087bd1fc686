"""The validate stage runs every directory and reports the one that fails, by name; `make test`
runs it on the project itself through the first test below."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import FIXTURES, OFFLINE

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.validate import run_validate

# The validate stage runs Terraform: not in the fast tier (conftest.py).
pytestmark = pytest.mark.terraform

MODULE = 'variable "size" {\n  type = number\n}\n\noutput "double" {\n  value = var.size * 2\n}\n'


def _project(tmp_path: Path, expected_double: int) -> Project:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "tiny-project", root)
    for name in ("alpha", "beta"):
        module = root / "modules" / name
        (module / "tests").mkdir(parents=True)
        (module / "main.tf").write_text(MODULE)
        (module / "tests" / "double.tftest.hcl").write_text(
            'variables {\n  size = 2\n}\n\nrun "doubles" {\n  command = plan\n\n'
            f"  assert {{\n    condition     = output.double == {expected_double}\n"
            '    error_message = "wrong double"\n  }\n}\n'
        )
    return Project(root)


def _validate_stage(project: Project) -> tuple[list[str], str | None]:
    """What the stage said, and its failure if it failed."""
    lines: list[str] = []
    try:
        run_validate(project, OFFLINE, echo=lines.append)
    except StageFailed as error:
        return lines, str(error)
    return lines, None


@pytest.mark.slow(seconds=30)
def test_the_project_passes_the_validate_stage(project_copy, terraform_results):
    """fmt -check, init + validate of the root, `terraform test` of the root and every module.
    Kept between runs while the project's Terraform, the package and the engine are unchanged
    (conftest.py terraform_results)."""
    lines, failure = terraform_results(
        "validate stage", project_copy, lambda: _validate_stage(project_copy)
    )
    if failure:  # Terraform's own messages say what is wrong where
        pytest.fail(f"{failure}\n" + "\n".join(lines))
    passed = {line.split(" (")[0] for line in lines if line.startswith("ok   ")}
    modules = sorted(p.name for p in (project_copy.root / "modules").iterdir() if p.is_dir())
    assert len(modules) >= 7
    expected = {
        "ok   terraform fmt -check",
        "ok   init root",
        "ok   validate root",
        "ok   test root",
        *(f"ok   test modules/{name}" for name in modules),
    }
    assert expected <= passed, sorted(expected - passed)


def test_all_directories_pass(tmp_path):
    lines: list[str] = []
    run_validate(_project(tmp_path, 4), OFFLINE, echo=lines.append)
    assert [line.split(" (")[0] for line in lines if line.startswith("ok   test")] == [
        "ok   test modules/alpha",
        "ok   test modules/beta",
    ]


def test_failing_module_test_fails_the_stage_with_its_name(tmp_path):
    lines: list[str] = []
    with pytest.raises(StageFailed, match="test modules/alpha failed"):
        run_validate(_project(tmp_path, 5), OFFLINE, echo=lines.append)
    assert any("wrong double" in line for line in lines)
    assert any(line.startswith("ok   validate root") for line in lines)


def test_a_module_the_root_does_not_call_is_validated_on_its_own(tmp_path):
    project = _project(tmp_path, 4)
    gamma = project.root / "modules" / "gamma"
    gamma.mkdir()
    (gamma / "main.tf").write_text(MODULE)
    lines: list[str] = []
    run_validate(project, OFFLINE, tests=False, echo=lines.append)
    checked = [line.split(" (")[0] for line in lines if line.startswith("ok   ")]
    # The root calls none of them; without tests, each is validated in its own directory.
    assert [line for line in checked if "modules/" in line] == [
        "ok   init modules/alpha",
        "ok   validate modules/alpha",
        "ok   init modules/beta",
        "ok   validate modules/beta",
        "ok   init modules/gamma",
        "ok   validate modules/gamma",
    ]
    (gamma / "main.tf").write_text(MODULE.replace("var.size * 2", "var.sise * 2"))
    with pytest.raises(StageFailed, match="validate modules/gamma failed"):
        run_validate(project, OFFLINE, tests=False, echo=lines.append)


def test_a_module_the_root_calls_is_validated_with_the_root(tmp_path):
    project = _project(tmp_path, 4)
    (project.root / "calls.tf").write_text(
        'module "alpha" {\n  source = "./modules/alpha"\n  size   = 3\n}\n'
    )
    lines: list[str] = []
    run_validate(project, OFFLINE, tests=False, echo=lines.append)
    checked = [line.split(" (")[0] for line in lines if line.startswith("ok   ")]
    assert "ok   validate modules/alpha" not in checked
    assert "ok   validate modules/beta" in checked
    # A mistake inside the called module is the root's validation failure.
    module = project.root / "modules" / "alpha" / "main.tf"
    module.write_text(MODULE.replace("var.size * 2", "var.sise * 2"))
    with pytest.raises(StageFailed, match="validate root failed"):
        run_validate(project, OFFLINE, tests=False, echo=lines.append)
