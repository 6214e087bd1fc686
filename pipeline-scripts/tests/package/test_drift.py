"""Drift detection (issue 14): a scheduled real plan with -detailed-exitcode; drift fails the job
with its own exit code and a report, and nothing is ever applied. A stand-in ``terraform`` on
PATH answers as Terraform would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, stand_in_terraform

from carcierge_pipeline import cli
from carcierge_pipeline.errors import DriftFound, StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.drift import run_drift
from carcierge_pipeline.terraform import Mode

# The drift stage runs Terraform (or a stand-in named terraform): not in the fast tier.
pytestmark = pytest.mark.terraform

REAL = Mode(offline=False, reason="test: real mode with a stand-in terraform")
SUMMARY = {"type": "change_summary", "@message": "Plan: 4 to add, 0 to change, 0 to destroy."}


@pytest.fixture
def project(tmp_path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "tiny-project", root)
    return Project(root)


@pytest.fixture
def terraform(tmp_path, monkeypatch) -> Path:
    return stand_in_terraform(
        tmp_path,
        monkeypatch,
        'echo "$*" >> "$LOG"\n'
        'case "$1" in\n'
        f"  plan) echo '{json.dumps(SUMMARY)}'; exit \"${{STANDIN_PLAN_EXIT:-0}}\" ;;\n"
        f"  show) cat {FIXTURES / 'plans' / 'create.json'} ;;\n"
        "esac\n",
    )


def test_drift_fails_with_its_own_exit_code_and_a_report(project, terraform, monkeypatch):
    monkeypatch.setenv("STANDIN_PLAN_EXIT", "2")  # -detailed-exitcode: changes
    with pytest.raises(DriftFound, match=r"DRIFT in prod: prod: 4 to create") as raised:
        run_drift(project, "prod", REAL, echo=lambda _: None)
    assert raised.value.exit_code == 3
    plan = [line for line in terraform.read_text().splitlines() if line.startswith("plan ")]
    assert plan and "-detailed-exitcode" in plan[0].split()
    build = project.build_dir("prod")
    assert json.loads((build / "gitlab-report.json").read_text())["create"] == 4
    assert "scheduled drift check" in (build / "summary.md").read_text()
    assert not (build / "plan.bin").exists() and not (build / "plan-meta.json").exists()


def test_no_drift_passes(project, terraform):
    said: list[str] = []
    run_drift(project, "prod", REAL, echo=said.append)
    assert said[-1] == "no drift in prod: the real environment matches its code"


def test_an_error_is_not_drift(project, terraform, monkeypatch):
    monkeypatch.setenv("STANDIN_PLAN_EXIT", "1")
    with pytest.raises(StageFailed, match="drift check of prod failed: Terraform exited 1") as e:
        run_drift(project, "prod", REAL, echo=lambda _: None)
    assert not isinstance(e.value, DriftFound)


def test_drift_never_runs_offline(project):
    with pytest.raises(UserError, match="drift detection compares the real prod"):
        run_drift(project, "prod", Mode(True, "OFFLINE=1"), echo=lambda _: None)


def test_cli_exit_code_3_on_drift(project, terraform, monkeypatch, capsys):
    monkeypatch.setenv("STANDIN_PLAN_EXIT", "2")
    monkeypatch.setenv("OFFLINE", "0")
    monkeypatch.setenv("DRIFT_ENVIRONMENT", "prod")
    for name in ("CI_JOB_ID", "GITLAB_OIDC_TOKEN", "MODULES", "TYPE", "APP_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    assert cli.main(["drift"]) == 3
    assert capsys.readouterr().err.startswith("failed: DRIFT in prod:")
