"""The validate stage runs every directory and reports the one that fails, by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, OFFLINE

from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.validate import run_validate

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
