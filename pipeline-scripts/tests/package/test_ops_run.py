"""`carcierge ops run` (ops_run.py), the step `terraform apply` runs before the ECS services are
asked to be steady: RunTask with a command override, DescribeTasks until the task stops, one
line on a failure. botocore's Stubber checks every request against the ECS API model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from carcierge_pipeline import ops_run
from carcierge_pipeline.cli import main
from carcierge_pipeline.errors import StageFailed, UserError

CLUSTER = "arn:aws:ecs:us-west-1:123456789012:cluster/staging-carcierge-cluster"
TASK_DEFINITION = "arn:aws:ecs:us-west-1:123456789012:task-definition/staging-carcierge-ops:3"
DB_ROLES = ["carcierge", "db", "roles", "-e", "staging"]
OPENSEARCH = ["carcierge", "opensearch", "setup", "-e", "staging"]

ENVIRON = {
    "OPS_CLUSTER": CLUSTER,
    "OPS_TASK_DEFINITION": TASK_DEFINITION,
    "OPS_CONTAINER": "ops",
    "OPS_SUBNETS": json.dumps(["subnet-0aaa", "subnet-0bbb"]),
    "OPS_SECURITY_GROUPS": json.dumps(["sg-0ecs"]),
    "OPS_COMMANDS": json.dumps([DB_ROLES, OPENSEARCH]),
    "OPS_TIMEOUT_SECONDS": "60",
    "AWS_REGION": "us-west-1",
}


def _arn(name: str) -> str:
    return f"arn:aws:ecs:us-west-1:123456789012:task/staging-carcierge-cluster/{name}"


def _run_request(command: list[str]) -> dict[str, Any]:
    return {
        "cluster": CLUSTER,
        "taskDefinition": TASK_DEFINITION,
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": "carcierge-apply",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0aaa", "subnet-0bbb"],
                "securityGroups": ["sg-0ecs"],
                "assignPublicIp": "DISABLED",
            }
        },
        "overrides": {"containerOverrides": [{"name": "ops", "command": command}]},
    }


def _task(name: str, status: str, exit_code: int | None = None, reason: str = "") -> dict:
    container: dict[str, Any] = {"name": "ops", "lastStatus": status}
    if exit_code is not None:
        container["exitCode"] = exit_code
    task: dict[str, Any] = {"taskArn": _arn(name), "lastStatus": status, "containers": [container]}
    if reason:
        task["stoppedReason"] = reason
    return task


class Clock:
    """A fake monotonic clock that sleeping advances: no test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "ecs", region_name="us-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _start_both(stubber: Stubber) -> None:
    stubber.add_response("run_task", {"tasks": [{"taskArn": _arn("db")}]}, _run_request(DB_ROLES))
    stubber.add_response("run_task", {"tasks": [{"taskArn": _arn("os")}]}, _run_request(OPENSEARCH))


def _run(client: Any, clock: Clock, lines: list[str]) -> list[ops_run.Outcome]:
    return ops_run.run_and_wait(
        client,
        ops_run.settings_from(ENVIRON),
        echo=lines.append,
        sleep=clock.sleep,
        clock=clock,
        poll_seconds=10,
    )


def test_both_tasks_start_with_their_command_and_the_run_waits_until_they_stop(ecs):
    client, stubber = ecs
    _start_both(stubber)
    stubber.add_response(
        "describe_tasks",
        {"tasks": [_task("db", "RUNNING"), _task("os", "PROVISIONING")]},
        {"cluster": CLUSTER, "tasks": [_arn("db"), _arn("os")]},
    )
    stubber.add_response(
        "describe_tasks",
        {
            "tasks": [
                _task("db", "STOPPED", 0, "Essential container in task exited"),
                _task("os", "RUNNING"),
            ]
        },
        {"cluster": CLUSTER, "tasks": [_arn("db"), _arn("os")]},
    )
    stubber.add_response(  # only what is still running is asked for again
        "describe_tasks",
        {"tasks": [_task("os", "STOPPED", 0, "Essential container in task exited")]},
        {"cluster": CLUSTER, "tasks": [_arn("os")]},
    )
    clock = Clock()
    lines: list[str] = []

    outcomes = _run(client, clock, lines)

    assert [(o.command, o.exit_code) for o in outcomes] == [(DB_ROLES, 0), (OPENSEARCH, 0)]
    assert clock.now == 20  # two polls slept, none after the last task stopped
    assert lines[-2:] == [
        "carcierge db roles -e staging: done (db)",
        "carcierge opensearch setup -e staging: done (os)",
    ]


def test_a_task_that_exits_non_zero_fails_in_one_line_naming_it_and_its_reason(ecs):
    client, stubber = ecs
    _start_both(stubber)
    stubber.add_response(
        "describe_tasks",
        {
            "tasks": [
                _task("db", "STOPPED", 1, "Essential container in task exited"),
                _task("os", "STOPPED", 0, "Essential container in task exited"),
            ]
        },
        {"cluster": CLUSTER, "tasks": [_arn("db"), _arn("os")]},
    )

    with pytest.raises(StageFailed) as failed:
        _run(client, Clock(), [])

    message = str(failed.value)
    assert "\n" not in message
    assert "the operator task db (`carcierge db roles -e staging`) exited 1" in message
    assert "Essential container in task exited" in message
    assert "opensearch" not in message.split(" (logs:")[0]  # the task that succeeded is not named


def test_a_task_stopped_before_its_container_ran_names_the_stopped_reason(ecs):
    client, stubber = ecs
    stubber.add_response("run_task", {"tasks": [{"taskArn": _arn("db")}]}, _run_request(DB_ROLES))
    pull = "CannotPullContainerError: pull image manifest has been retried 7 time(s)"
    stubber.add_response(
        "describe_tasks",
        {
            "tasks": [
                _task("db", "STOPPED", None, "Task failed to start")
                | {"containers": [{"name": "ops", "reason": pull}]}
            ]
        },
        {"cluster": CLUSTER, "tasks": [_arn("db")]},
    )
    settings = ops_run.settings_from(ENVIRON | {"OPS_COMMANDS": json.dumps([DB_ROLES])})

    with pytest.raises(
        StageFailed, match="exited without running: Task failed to start; CannotPull"
    ):
        ops_run.run_and_wait(client, settings, echo=lambda _: None, sleep=lambda _: None)


def test_a_task_that_does_not_start_names_ecs_s_failure(ecs):
    client, stubber = ecs
    stubber.add_response(
        "run_task",
        {"tasks": [], "failures": [{"reason": "RESOURCE:ENI", "detail": "no ENI left"}]},
        _run_request(DB_ROLES),
    )

    with pytest.raises(
        StageFailed,
        match=r"did not start for `carcierge db roles -e staging`: RESOURCE:ENI \(no ENI left\)",
    ):
        _run(client, Clock(), [])


def test_a_task_still_running_at_the_timeout_fails_the_run_naming_it(ecs):
    client, stubber = ecs
    _start_both(stubber)
    for _ in range(7):  # 0, 10, ..., 60 s: the last poll is at the deadline
        stubber.add_response(
            "describe_tasks",
            {"tasks": [_task("db", "STOPPED", 0), _task("os", "RUNNING")]},
            {"cluster": CLUSTER, "tasks": ANY},
        )
    clock = Clock()

    with pytest.raises(StageFailed) as failed:
        _run(client, clock, [])

    assert clock.now == 60
    assert "did not stop within 60 s: os (`carcierge opensearch setup -e staging`)" in str(
        failed.value
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OPS_SUBNETS", "subnet-0aaa", "OPS_SUBNETS must be a non-empty JSON list"),
        ("OPS_COMMANDS", "[[]]", "OPS_COMMANDS must be a list of non-empty string lists"),
        ("OPS_TIMEOUT_SECONDS", "soon", "OPS_TIMEOUT_SECONDS must be a whole number"),
        ("OPS_CLUSTER", "", "carcierge ops run needs OPS_CLUSTER"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2_without_an_aws_call(
    monkeypatch, capsys, name, value, message
):
    for key, setting in (ENVIRON | {name: value}).items():
        monkeypatch.setenv(key, setting)
    monkeypatch.delenv(ops_run.REHEARSAL_SWITCH, raising=False)
    monkeypatch.setattr(ops_run, "run_and_wait", lambda *a, **k: pytest.fail("AWS was called"))

    assert main(["ops", "run"]) == UserError.exit_code
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_the_rehearsal_gets_a_labelled_stand_in_and_no_aws_call(monkeypatch):
    environ = ENVIRON | {ops_run.REHEARSAL_SWITCH: "1"}
    lines: list[str] = []

    outcomes = ops_run.run(environ, ecs=object(), echo=lines.append)

    assert outcomes == []
    assert [line.split(":")[0] for line in lines] == ["REHEARSAL STAND-IN (no AWS call)"] * 2
    assert "carcierge db roles -e staging" in lines[0]


def test_the_stand_in_switch_is_the_one_the_rehearsal_turns_on():
    from carcierge_pipeline.offline import server

    assert ops_run.REHEARSAL_SWITCH == server.APPLY_SWITCH
