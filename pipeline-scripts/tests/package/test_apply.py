"""Apply stage: only the saved plan of the same environment, commit and pipeline is applied;
every refusal is one line. A stand-in ``terraform`` on PATH records what would run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import FIXTURES, stand_in_terraform

from carcierge_pipeline import cli
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.planmeta import PlanMeta, sha256_of
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.apply import check_branch_head, run_apply
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import PlanFiles

# The apply stage runs Terraform (or a stand-in named terraform): not in the fast tier.
pytestmark = pytest.mark.terraform

REAL = Mode(offline=False, reason="test: real mode with a stand-in terraform")
SHA = "c0ffee" + "0" * 34
CI = {"CI_COMMIT_SHA": SHA, "CI_PIPELINE_ID": "1001"}
FINISHED = json.dumps(
    {"type": "change_summary", "@message": "Apply complete! Resources: 4 added, 0 changed."}
)


@pytest.fixture
def project(tmp_path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "tiny-project", root)
    return Project(root)


def save_plan(project: Project, env: str = "prod", plan: str = "create.json", **meta):
    """A saved real-mode plan in build/<env>/; ``meta`` overrides recorded plan-meta fields."""
    files = PlanFiles(project.build_dir(env))
    files.directory.mkdir(parents=True, exist_ok=True)
    files.binary.write_bytes(b"saved plan of " + env.encode())
    shutil.copy(FIXTURES / "plans" / plan, files.json)
    values = {
        "environment": env,
        "commit": SHA,
        "commit_source": "CI_COMMIT_SHA",
        "dirty": False,
        "offline": False,
        "mode_reason": "AWS credentials found",
        "pipeline_id": "1001",
        "plan_sha256": sha256_of(files.binary),
        "terraform_version": "1.15.5",
        **meta,
    }
    PlanMeta(**values).write(files.meta)
    return files


@pytest.fixture
def terraform_log(tmp_path, monkeypatch) -> Path:
    """A stand-in ``terraform`` first on PATH: answers ``version -json``, logs everything else."""
    log = stand_in_terraform(
        tmp_path,
        monkeypatch,
        'echo "$* TF_LOG=$TF_LOG" >> "$LOG"\n'
        f'echo "$TF_LOG_PATH" > {tmp_path / "tf_log_path"}\n'
        # apply -json: what STANDIN_APPLY_OUTPUT holds (a test's), else a finished apply.
        'if [ "$1" = apply ]; then\n'
        '  printf "%s\\n" "${STANDIN_APPLY_OUTPUT-$FINISHED}"; exit "${STANDIN_APPLY_EXIT:-0}"\n'
        "fi\n",
    )
    monkeypatch.delenv("ALLOW_DESTROY", raising=False)
    monkeypatch.setenv("FINISHED", FINISHED)
    return log


def test_applies_the_saved_plan_and_passes_tf_log(project, terraform_log, monkeypatch):
    files = save_plan(project)
    monkeypatch.setenv("TF_LOG", "INFO")
    monkeypatch.delenv("TF_LOG_PATH", raising=False)
    said: list[str] = []
    run_apply(project, "prod", REAL, echo=said.append, environ=CI)
    lines = terraform_log.read_text().splitlines()
    assert lines[0].startswith("init -input=false -reconfigure -backend-config=bucket=")
    assert "-backend-config=key=carcierge/prod/terraform.tfstate" in lines[0]
    # It waits for another run's lock on the same state rather than failing at once.
    assert lines[1] == f"apply -json -input=false -lock-timeout=10m {files.binary} TF_LOG=INFO"
    # Issue 14, item 8: the log goes to a file (an `access: developer` artifact), not the job log.
    assert terraform_log.with_name("tf_log_path").read_text().strip() == str(
        project.root / "build" / "terraform.log"
    )
    assert said[-2:] == ["Apply complete! Resources: 4 added, 0 changed.", "applied prod"]
    assert said[0] == "applying the saved plan plan.bin: prod: 4 to create, 0 to update, " + (
        "0 to replace, 0 to delete"
    )
    assert not files.binary.exists(), "an applied plan is used up"


@pytest.mark.parametrize(
    ("name", "level"),
    [("TF_LOG", "DEBUG"), ("TF_LOG", "trace"), ("TF_LOG", "JSON"),
     ("TF_LOG_PROVIDER", "DEBUG"), ("TF_LOG_CORE", "TRACE")],
)  # fmt: skip
def test_apply_refuses_logs_that_carry_request_bodies(
    project, terraform_log, monkeypatch, name, level
):
    save_plan(project)
    for other in ("TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_CORE"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, level)
    with pytest.raises(UserError, match=f"apply refuses {name}={level.upper()}: at that level"):
        run_apply(project, "prod", REAL, echo=lambda _: None, environ=CI)
    assert not terraform_log.exists(), "Terraform must not start"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_apply_refuses_a_commit_that_is_no_longer_the_branch_head(tmp_path):
    # Issue 22 item 3 (review L3): an older pipeline's apply would roll the environment back.
    origin, runner, other = tmp_path / "origin.git", tmp_path / "runner", tmp_path / "other"
    _git(tmp_path, "init", "-q", "--bare", "-b", "prod", str(origin))
    _git(tmp_path, "clone", "-q", str(origin), str(runner))
    _git(runner, "checkout", "-q", "-b", "prod")
    _git(runner, "commit", "-q", "--allow-empty", "-m", "older")
    _git(runner, "push", "-q", "origin", "prod")
    older = _git(runner, "rev-parse", "HEAD")
    job = {"CI_JOB_ID": "9", "CI_COMMIT_BRANCH": "prod", "CI_COMMIT_SHA": older}
    check_branch_head(Project(runner), job)  # still the head: applies
    _git(tmp_path, "clone", "-q", "-b", "prod", str(origin), str(other))
    _git(other, "commit", "-q", "--allow-empty", "-m", "newer")
    _git(other, "push", "-q", "origin", "prod")
    newer = _git(other, "rev-parse", "HEAD")
    with pytest.raises(UserError, match=re.escape(
        f"commit {older[:12]} is no longer the head of 'prod' ({newer[:12]} is)"
    )):  # fmt: skip
        check_branch_head(Project(runner), job)
    gone = {**job, "CI_COMMIT_BRANCH": "deleted"}
    with pytest.raises(UserError, match="cannot ask the remote for the head of 'deleted'"):
        check_branch_head(Project(runner), gone)
    check_branch_head(Project(runner), {"CI_COMMIT_SHA": older})  # outside CI: not asked


@pytest.mark.parametrize(
    ("setup", "environ", "message"),
    [
        (lambda p: None, CI, "no saved plan at build/prod/plan.bin: run `carcierge plan -e prod`"),
        (lambda p: save_plan(p, "qa"), CI, "no saved plan at build/prod/plan.bin"),
        (
            lambda p: save_plan(p, "prod", environment="qa"),
            CI,
            "the saved plan is for qa, not prod",
        ),
        (
            lambda p: save_plan(p, offline=True, mode_reason="OFFLINE=1"),
            CI,
            "the saved prod plan is an offline preview (OFFLINE=1)",
        ),
        (
            lambda p: save_plan(p, commit="1" * 40),
            CI,
            "the saved plan is of commit 111111111111, this is c0ffee000000; plan again",
        ),
        (lambda p: save_plan(p), {"CI_PIPELINE_ID": "1001"}, "cannot tell which commit"),
        (
            lambda p: save_plan(p, pipeline_id="999"),
            CI,
            "the saved plan comes from pipeline 999, not this pipeline 1001",
        ),
        (
            lambda p: save_plan(p, dirty=True),
            CI,
            "the plan or this checkout has uncommitted changes",
        ),
        (
            lambda p: save_plan(p, plan_sha256="0" * 64),
            CI,
            "build/prod/plan.bin changed after it was planned",
        ),
        (
            lambda p: save_plan(p).meta.unlink(),
            CI,
            "build/prod/plan.bin has no plan-meta.json beside it",
        ),
    ],
)
def test_refusals(project, terraform_log, setup, environ, message):
    setup(project)
    with pytest.raises(UserError) as raised:
        run_apply(project, "prod", REAL, echo=lambda _: None, environ=environ)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    assert not terraform_log.exists(), "nothing may run after a refusal"


def test_offline_mode_never_applies(project):
    save_plan(project)
    with pytest.raises(UserError, match="apply needs AWS credentials"):
        run_apply(project, "prod", Mode(True, "OFFLINE=1"), echo=lambda _: None, environ=CI)


def test_destroy_guard_rechecked_at_apply(project, terraform_log):
    save_plan(project, plan="destroy-stateful.json")
    with pytest.raises(StageFailed, match="set ALLOW_DESTROY=TRUE"):
        run_apply(project, "prod", REAL, echo=lambda _: None, environ=CI)
    assert not terraform_log.exists()
    run_apply(project, "prod", REAL, echo=lambda _: None, environ={**CI, "ALLOW_DESTROY": "TRUE"})
    assert "apply -json -input=false" in terraform_log.read_text()


def test_cli_apply_refuses_feature_branches(monkeypatch, capsys):
    monkeypatch.setenv("CI_COMMIT_BRANCH", "feature/x")
    monkeypatch.setenv("OFFLINE", "0")
    assert cli.main(["apply"]) == 2
    assert capsys.readouterr().err == (
        "error: apply runs only on the environment branches (main, qa, uat, prod); "
        "'feature/x' is not one\n"
    )


def test_cli_apply_without_a_plan_is_one_line(project, terraform_log, monkeypatch, capsys):
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("CARCIERGE_ROOT", str(project.root))
    monkeypatch.setenv("OFFLINE", "0")
    for name, value in {**CI, "CI_COMMIT_BRANCH": "uat"}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["apply", "--environment", "uat"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no saved plan at build/uat/plan.bin")
    assert err.count("\n") == 1
    assert not terraform_log.exists()


ERROR_DIAGNOSTIC = json.dumps(
    {
        "type": "diagnostic",
        "@message": "Error: creating ECS Service",
        "diagnostic": {"severity": "error", "summary": "creating ECS Service", "detail": "boom"},
    }
)


@pytest.mark.parametrize(
    ("output", "exit_code", "reason"),
    [
        # The pinned engine's regression: an error printed, exit code 0 (hashicorp/terraform#38685)
        (ERROR_DIAGNOSTIC, 0, "Terraform reported an error: creating ECS Service"),
        (ERROR_DIAGNOSTIC, 1, "Terraform reported an error: creating ECS Service"),
        ("", 0, "no change_summary message: the run did not finish"),
        ("panic: runtime error", 0, "printed output that is not its -json stream"),
        (FINISHED, 1, "Terraform exited 1"),
    ],
    ids=["error-exit-0", "error-exit-1", "silent", "not-json", "exit-1"],
)
def test_apply_decides_on_what_terraform_said(
    project, terraform_log, monkeypatch, capsys, output, exit_code, reason
):
    files = save_plan(project)
    monkeypatch.setenv("STANDIN_APPLY_OUTPUT", output)
    monkeypatch.setenv("STANDIN_APPLY_EXIT", str(exit_code))
    with pytest.raises(StageFailed, match=f"terraform apply failed for prod: .*{reason}"):
        run_apply(project, "prod", REAL, echo=lambda _: None, environ=CI)
    if output == ERROR_DIAGNOSTIC:  # shown as Terraform shows it, on stderr
        assert "Error: creating ECS Service\n\nboom\n" in capsys.readouterr().err
    assert files.binary.exists(), "a failed apply keeps the plan for the record"


# What Terraform prints when wait_for_steady_state gives up on a service (the AWS provider's
# message, internal/service/ecs/service.go, in Terraform's diagnostic box).
STEADY_STATE_FAILURE = """\
module.ecs.aws_ecs_service.service["service2"]: Still modifying... [29m50s elapsed]
╷
│ Error: waiting for ECS Service (arn:aws:ecs:us-west-1:123456789012:service/{CLUSTER}/{NAME}) \
update: timeout while waiting for state to become 'tfSTABLE' (last state: 'tfPENDING', \
timeout: 30m0s)
│
│   with module.ecs.aws_ecs_service.service["service2"],
│   on modules/ecs/main.tf line 226, in resource "aws_ecs_service" "service":
│  226: resource "aws_ecs_service" "service" {
│
╵
╷
│ Error: creating CloudWatch Logs Log Group (/ecs/prod-carcierge-service3): operation error
│
│   with module.ecs.aws_cloudwatch_log_group.service["service3"],
╵
""".replace("{CLUSTER}/{NAME}", "prod-carcierge-ecs-cluster/prod-carcierge-service2")


def test_unsettled_services_are_read_from_terraforms_error_output():
    from carcierge_pipeline.stages.apply import unsettled_services

    assert unsettled_services(STEADY_STATE_FAILURE) == [
        'module.ecs.aws_ecs_service.service["service2"] (prod-carcierge-service2)'
    ]
    no_color = STEADY_STATE_FAILURE.replace("│ ", "").replace("╷\n", "").replace("╵\n", "")
    created = no_color.replace(") update:", ") create:").replace("service2", "service5")
    assert unsettled_services(created) == [
        'module.ecs.aws_ecs_service.service["service5"] (prod-carcierge-service5)'
    ]
    assert unsettled_services("Error: creating CloudWatch Logs Log Group (x)") == []


def test_apply_names_the_service_that_did_not_settle(project, terraform_log, monkeypatch):
    save_plan(project)
    arn = "arn:aws:ecs:us-west-1:123456789012:service/prod-carcierge-ecs-cluster/"
    diagnostic = {
        "type": "diagnostic",
        "@message": "Error: waiting for ECS Service",
        "diagnostic": {
            "severity": "error",
            "summary": f"waiting for ECS Service ({arn}prod-carcierge-service2) update: "
            "timeout while waiting for state to become 'tfSTABLE'",
            "address": 'module.ecs.aws_ecs_service.service["service2"]',
        },
    }
    monkeypatch.setenv("STANDIN_APPLY_OUTPUT", json.dumps(diagnostic))
    monkeypatch.setenv("STANDIN_APPLY_EXIT", "1")
    with pytest.raises(StageFailed) as failure:
        run_apply(project, "prod", REAL, echo=lambda _: None, environ=CI)
    assert str(failure.value) == (
        "terraform apply failed for prod: ECS service(s) did not reach a steady state: "
        'module.ecs.aws_ecs_service.service["service2"] (prod-carcierge-service2); '
        "see its events and stopped tasks (the deployment circuit breaker rolls a failed "
        "deployment back)"
    )
