"""support.TerraformResults, the kept Terraform results of warm runs: a result is replayed only
while everything it was computed from is unchanged."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import FIXTURES, TerraformResults, copy_project

from carcierge_pipeline.offline.cache import OfflineCache
from carcierge_pipeline.project import Project


class Counting:
    """A computation that says how often it ran."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> dict[str, int]:
        self.runs += 1
        return {"run": self.runs}


@pytest.fixture
def setting(tmp_path: Path) -> tuple[TerraformResults, Project, OfflineCache]:
    engine = OfflineCache(tmp_path / "offline")
    engine.root.mkdir()
    engine.stamp_path.write_text("engine 1")
    folder = tmp_path / "kept"
    folder.mkdir()
    project = copy_project(Project(FIXTURES / "tiny-project"), tmp_path / "project")
    return TerraformResults(folder, engine), project, engine


def test_a_result_is_replayed_while_its_inputs_are_unchanged(setting) -> None:
    results, project, _ = setting
    compute = Counting()
    assert results("plan", project, compute) == {"run": 1}
    assert results("plan", project, compute) == {"run": 1}
    assert compute.runs == 1
    # Another computation on the same inputs is its own result.
    assert results("validate", project, compute) == {"run": 2}


@pytest.mark.parametrize(
    "change",
    ["a Terraform file", "an environment file", "a module test", "the engine", "an also-input"],
)
def test_any_changed_input_computes_again(setting, change: str) -> None:
    results, project, engine = setting
    compute = Counting()
    also = "Dockerfile 1"
    results("plan", project, compute, also)
    root = project.root
    if change == "a Terraform file":
        (root / "main.tf").write_text((root / "main.tf").read_text() + "\n# edited\n")
    elif change == "an environment file":
        (root / "environments").mkdir(exist_ok=True)
        (root / "environments" / "qa.tfvars").write_text('image = "b"\n')
    elif change == "a module test":
        (root / "modules" / "x" / "tests").mkdir(parents=True)
        (root / "modules" / "x" / "tests" / "x.tftest.hcl").write_text('run "x" {}\n')
    elif change == "the engine":
        engine.stamp_path.write_text("engine 2")
    else:
        also = "Dockerfile 2"
    assert results("plan", project, compute, also) == {"run": 2}


def test_a_computation_that_raises_keeps_nothing(setting) -> None:
    results, project, _ = setting

    def broken() -> None:
        raise RuntimeError("terraform crashed")

    with pytest.raises(RuntimeError):
        results("plan", project, broken)
    compute = Counting()
    assert results("plan", project, compute) == {"run": 1}


def test_results_unread_for_a_week_are_dropped(setting) -> None:
    results, project, _ = setting
    results("plan", project, Counting())
    [kept] = results.folder.glob("*.pickle")
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(kept, (week_ago, week_ago))
    results.prune()
    assert not kept.exists()
