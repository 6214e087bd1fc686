"""The rehearsal of the real path: Terraform's real S3 backend, its KMS encryption and both
locks, the apply stage and a second plan, against moto's server on 127.0.0.1 (started and
stopped here), with the offline provider standing in for AWS's resources.

One test walks the whole path for staging, as a deployment would: bootstrap, plan, apply (held
half-way, so that the lock can be seen and a second runner's plan has to wait for it), the
second plan, then the refusals of the apply stage and an image change.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import boto3
import pytest
from support import copy_project

from carcierge_pipeline import cli, rehearsal, rules
from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, state_key
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.offline import server
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.project import Project
from carcierge_pipeline.rules import pipeline as pipeline_rules
from carcierge_pipeline.stages.apply import run_apply
from carcierge_pipeline.stages.plan import run_plan
from carcierge_pipeline.state import AwsClients
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import PlanFiles

ENV = "staging"
FIRST = {"CI_COMMIT_SHA": "a" * 40, "CI_PIPELINE_ID": "101"}
SECOND = {"CI_COMMIT_SHA": "a" * 40, "CI_PIPELINE_ID": "102"}
WAIT = 120  # seconds: the most any step may take on a busy 2-core machine


def _quiet(_: str) -> None:
    pass


class Background(threading.Thread):
    """A stage run in a thread, its outcome (or exception) kept for the test."""

    def __init__(self, target, *args, **kwargs) -> None:
        super().__init__(daemon=True)
        self._call = (target, args, kwargs)
        self.result = None
        self.error: BaseException | None = None
        self.finished_at: float | None = None

    def run(self) -> None:
        target, args, kwargs = self._call
        try:
            self.result = target(*args, **kwargs)
        except BaseException as error:  # handed to the test thread
            self.error = error
        self.finished_at = time.monotonic()

    def outcome(self):
        self.join(WAIT)
        assert not self.is_alive(), f"{self._call[0].__name__} did not finish in {WAIT} s"
        if self.error:
            raise self.error
        return self.result


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _changes(files: PlanFiles) -> dict[str, list[str]]:
    plan = json.loads(files.json.read_text())
    return {
        change["address"]: change["change"]["actions"]
        for change in plan["resource_changes"]
        if change["change"]["actions"] != ["no-op"]
    }


@pytest.fixture
def emulator(monkeypatch, tmp_path):
    """moto's server on a free loopback port, with the process environment the rehearsal
    gives Terraform (fake credentials, the emulator's endpoint, nothing of this machine's)."""
    with rehearsal.emulator() as endpoint:
        for name in filter(rehearsal.is_aws_setting, list(os.environ)):
            monkeypatch.delenv(name)
        for name, value in rehearsal.settings(endpoint).items():
            monkeypatch.setenv(name, value)
        yield endpoint


@pytest.mark.slow(seconds=40)
def test_rehearsal_of_the_real_path(
    project, offline_cache, emulator, tmp_path, monkeypatch, capsys
):
    admin = boto3.session.Session(aws_access_key_id="rehearsal", aws_secret_access_key="x")
    aws = AwsClients("us-west-1", emulator, session=admin)
    bootstrap = rehearsal.bootstrap_backend(emulator)
    # From here on the stages sign in as the deploy role of staging, through
    # AssumeRoleWithWebIdentity with a GitLab-shaped ID token: no static keys remain.
    rehearsal.bootstrap_deploy_roles(emulator, ENV, project.root)
    environ = dict(os.environ)
    role_arn = rehearsal.use_deploy_role(emulator, ENV, environ)
    for name in set(os.environ) | set(environ):
        if name in environ:
            monkeypatch.setenv(name, environ[name])
        else:
            monkeypatch.delenv(name)
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert role_arn.endswith(":role/staging-carcierge-ci-deploy")
    caller = boto3.client("sts", region_name="us-west-1").get_caller_identity()["Arn"]
    assert ":assumed-role/staging-carcierge-ci-deploy/" in caller, caller
    runner_a = copy_project(project, tmp_path / "runner-a")
    runner_b = copy_project(project, tmp_path / "runner-b")
    bucket, key = rehearsal.BUCKET, state_key(ENV)
    lock_id = f"{bucket}/{key}"

    def dynamodb_lock():
        return aws.dynamodb.get_item(
            TableName=DEFAULT_LOCK_TABLE, Key={"LockID": {"S": lock_id}}, ConsistentRead=True
        ).get("Item")

    def s3_lockfile() -> bool:
        listed = aws.s3.list_objects_v2(Bucket=bucket, Prefix=key + ".tflock")
        return listed.get("KeyCount", 0) > 0

    # 1. Plan with the real S3 backend: the state does not exist yet.
    first = run_plan(runner_a, ENV, rehearsal.MODE, echo=_quiet, environ=FIRST)
    created = _changes(first)
    assert created and all(actions == ["create"] for actions in created.values())

    # 2. Apply, held half-way: the lock is taken in both stores...
    hold = tmp_path / "hold-apply"
    hold.touch()
    monkeypatch.setenv(server.HOLD_SWITCH, str(hold))
    applied: list[str] = []
    apply = Background(run_apply, runner_a, ENV, rehearsal.MODE, echo=applied.append, environ=FIRST)
    apply.start()
    _until(lambda: dynamodb_lock() is not None and s3_lockfile(), "the apply's state lock")
    held = json.loads(dynamodb_lock()["Info"]["S"])
    assert held["Operation"] == "OperationTypeApply"

    # ...a second runner's plan waits for it (-lock-timeout) instead of failing...
    waiting = Background(run_plan, runner_b, ENV, rehearsal.MODE, echo=_quiet, environ=SECOND)
    waiting.start()
    time.sleep(3)
    assert waiting.is_alive(), "a plan started while the apply holds the lock must wait"

    # ...and `carcierge state lock` names the holder and the exact force-unlock line.
    capsys.readouterr()
    monkeypatch.chdir(runner_a.root)
    assert cli.main(["state", "lock", "-e", ENV]) == 0
    said = capsys.readouterr().out
    assert f"LockID {lock_id}" in said and "OperationTypeApply" in said
    assert f"terraform force-unlock {held['ID']}" in said, said

    released_at = time.monotonic()
    hold.unlink()
    apply.outcome()
    second = waiting.outcome()
    assert waiting.finished_at is not None
    assert waiting.finished_at > released_at, "the waiting plan finished before the lock was free"

    # The apply ran the operator task's set-up (terraform_data.ops_setup's provisioner, `carcierge
    # ops run`) as the rehearsal's labelled stand-in: one line per command, no AWS call.
    # (The terminal shows counts; Terraform's whole output, the provisioner's lines with it, is
    # in the environment's output log.)
    output = PlanFiles(runner_a.build_dir(ENV)).output_log.read_text().splitlines()
    stand_in = [line for line in output if "REHEARSAL STAND-IN (no AWS call)" in line]
    assert len(stand_in) == 2, output[-20:]
    assert "carcierge db roles --environment staging" in stand_in[0]

    # 3. After the apply: both locks released, the state versioned and SSE-KMS with the
    # bootstrap key.
    assert dynamodb_lock() is None
    assert not s3_lockfile()
    head = aws.s3.head_object(Bucket=bucket, Key=key)
    assert head.get("ServerSideEncryption") == "aws:kms", "the state object must be SSE-KMS"
    key_id = aws.kms.describe_key(KeyId=head["SSEKMSKeyId"])["KeyMetadata"]["Arn"]
    assert key_id == bootstrap.kms_key_arn
    assert aws.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    versions = aws.s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert any(v["Key"] == key and v["VersionId"] not in (None, "null") for v in versions)
    state = json.loads(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    managed = [r for r in state["resources"] if r["mode"] == "managed"]
    assert sum(len(r["instances"]) for r in managed) == len(created)

    # 4. The configuration is stable under its own state: the second plan changes nothing.
    assert _changes(second) == {}
    # The log pipelines' bodies, known once applied, were checked by the rules gate (one
    # source each, processors, routes, index names): nothing refused, nothing left unchecked.
    settled = Plan.load(second.json)
    checked = rules.evaluate(settled, [pipeline_rules.RULE])
    assert len(settled.of_type("aws_osis_pipeline")) == 2
    assert checked.findings == [] and checked.unchecked == []

    # 5. A new image tag for one service touches that service's task definition (a new
    # revision) and its service, nothing else.
    env_file = runner_a.root / "environments" / f"{ENV}.tfvars"
    text = env_file.read_text()
    edited = re.sub(r"(carcierge-service1:)[^\"]+", r"\g<1>1.0.1", text, count=1)
    assert edited != text
    env_file.write_text(edited)
    third = run_plan(runner_a, ENV, rehearsal.MODE, echo=_quiet, environ=FIRST)
    assert _changes(third) == {
        'module.ecs.aws_ecs_task_definition.service["service1"]': ["delete", "create"],
        'module.ecs.aws_ecs_service.service["service1"]': ["update"],
    }
    assert Plan.load(third.json).variables["environment"] == ENV

    # 6. The apply stage refuses a plan of another pipeline, commit or environment, and a
    # rehearsal plan outside the rehearsal.
    refusals = [
        (ENV, rehearsal.MODE, {**FIRST, "CI_PIPELINE_ID": "999"}, "comes from pipeline 101"),
        (ENV, rehearsal.MODE, {**FIRST, "CI_COMMIT_SHA": "b" * 40}, "is of commit aaaaaaaaaaaa"),
        (ENV, Mode(False, "real"), FIRST, "is a rehearsal plan (local AWS emulator)"),
    ]
    qa = PlanFiles(runner_a.build_dir("qa"))
    qa.directory.mkdir(parents=True)
    for path in (third.binary, third.json, third.meta):
        (qa.directory / path.name).write_bytes(path.read_bytes())
    refusals.append(("qa", rehearsal.MODE, FIRST, "the saved plan is for staging, not qa"))
    for environment, mode, environ, message in refusals:
        with pytest.raises(UserError, match=re.escape(message)):
            run_apply(runner_a, environment, mode, echo=_quiet, environ=environ)
    assert third.binary.exists(), "a refused apply leaves the plan as it was"


@pytest.mark.slow(seconds=30)
def test_rehearse_prod_publishes_only_under_build_rehearsal(project, offline_cache, tmp_path):
    """prod's profile (its backup key and the replica bucket in backup_region, Multi-AZ stores,
    protection) through `carcierge rehearse`'s whole path. Resources with a region of their own
    get ARNs of that region at apply (the modules' ARN validations refuse others), and a plan
    published for review in build/prod/ stays as it was."""
    copy = copy_project(project, tmp_path / "project")
    review = copy.build_dir("prod")
    review.mkdir(parents=True)
    (review / "plan.json").write_text('{"made": "for review"}')
    said: list[str] = []
    result = rehearsal.rehearse(copy, "prod", echo=said.append)
    assert result.first.counts["create"] > 0 and not any(result.second.counts.values())
    assert (copy.root / "build" / "rehearsal" / "prod" / "plan.json").is_file()
    assert sorted(p.name for p in review.iterdir()) == ["plan.json"]
    assert (review / "plan.json").read_text() == '{"made": "for review"}'
    assert said[-1].endswith("(build/rehearsal/prod/)"), said[-1]


def test_the_rehearsal_never_leaves_this_machine():
    for endpoint in ("https://s3.us-west-1.amazonaws.com", "http://10.0.0.5:5000", "http://x"):
        with pytest.raises(UserError, match="only against an emulator on this machine"):
            rehearsal.require_loopback(endpoint)
    for endpoint in ("http://127.0.0.1:5000", "http://localhost:1", "http://[::1]:80"):
        assert rehearsal.require_loopback(endpoint) == endpoint


def test_the_offline_provider_applies_only_in_the_rehearsal(project_copy: Project):
    mode = Mode(offline=True, reason="test")
    from carcierge_pipeline.terraform import Terraform

    assert Terraform.for_mode(Path("."), mode).env()[server.APPLY_SWITCH] == "0"
    assert Terraform.for_mode(Path("."), rehearsal.MODE).env()[server.APPLY_SWITCH] == "1"


def test_the_rehearsal_sets_the_machines_aws_settings_aside():
    machine = {
        "AWS_PROFILE": "prod-admin",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_CA_BUNDLE": "/etc/proxy-ca.pem",  # any AWS_* setting, not only credentials
        "GITLAB_OIDC_TOKEN": "eyJ-real",
        "TF_STATE_BUCKET": "acme-carcierge-tfstate",
        "HOME": "/root",
    }
    environ = dict(machine)
    with rehearsal.aws_environment("http://127.0.0.1:5000", environ):
        for name in ("AWS_PROFILE", "AWS_CA_BUNDLE", "GITLAB_OIDC_TOKEN"):
            assert name not in environ
        assert environ["TF_STATE_BUCKET"] == rehearsal.BUCKET
        assert environ["HOME"] == "/root"
        assert environ["AWS_ACCESS_KEY_ID"] == "rehearsal"
        assert environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
        assert environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert environ == machine
