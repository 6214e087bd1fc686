"""`carcierge ops run`: start the operator task <env>-carcierge-ops with a command override and
wait for it to stop, from inside `terraform apply` (the `terraform_data.ops_setup` provisioner in
modules/ecs/ops.tf) so that the services' database roles and OpenSearch role mappings exist
before the ECS services are asked to be steady.

Its settings come from the provisioner's environment (never from a shell-quoted command line):

- ``OPS_CLUSTER``, ``OPS_TASK_DEFINITION``, ``OPS_CONTAINER``: where and what to run;
- ``OPS_SUBNETS``, ``OPS_SECURITY_GROUPS``: JSON lists (the private subnets, the ECS group);
- ``OPS_COMMANDS``: a JSON list of commands, each a list of strings, one task per command;
- ``OPS_TIMEOUT_SECONDS``: how long to wait for all of them (default 900).

The tasks start together and are awaited together; any that exits non-zero (or stops before its
container ran) fails the apply with one line per task naming it, its exit code and the stopped
reason, and where its log is. Under the rehearsal (the offline provider applies, AWS is a local
emulator) the cluster exists only in the offline provider: the command prints what it would
start, labelled as a stand-in, and calls nothing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from carcierge_pipeline.errors import StageFailed, UserError

DEFAULT_TIMEOUT_SECONDS = 900
POLL_SECONDS = 6.0
# RunTask startedBy: up to 128 letters, digits, hyphens, slashes and underscores (ECS API
# reference, RunTask); it marks the tasks the apply started in `aws ecs list-tasks`.
STARTED_BY = "carcierge-apply"
# The offline provider's switch that the rehearsal turns on (offline/server.py APPLY_SWITCH):
# read by name, so the command does not import the provider server.
REHEARSAL_SWITCH = "CARCIERGE_OFFLINE_APPLY"


@dataclass(frozen=True)
class OpsSettings:
    cluster: str
    task_definition: str
    container: str
    subnets: list[str]
    security_groups: list[str]
    commands: list[list[str]]
    timeout_seconds: int


@dataclass(frozen=True)
class Outcome:
    command: list[str]
    task_arn: str
    exit_code: int | None
    reason: str


def _json_list(environ: Mapping[str, str], name: str) -> list[Any]:
    raw = environ.get(name, "")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not value:
        raise UserError(f"{name} must be a non-empty JSON list, got {raw!r}")
    return value


def settings_from(environ: Mapping[str, str]) -> OpsSettings:
    """The run's settings from the provisioner's environment; one line naming a bad one."""
    missing = [
        name
        for name in ("OPS_CLUSTER", "OPS_TASK_DEFINITION", "OPS_CONTAINER")
        if not environ.get(name)
    ]
    if missing:
        raise UserError(f"carcierge ops run needs {', '.join(missing)} (set by modules/ecs/ops.tf)")
    subnets = _json_list(environ, "OPS_SUBNETS")
    groups = _json_list(environ, "OPS_SECURITY_GROUPS")
    commands = _json_list(environ, "OPS_COMMANDS")
    for name, items in (("OPS_SUBNETS", subnets), ("OPS_SECURITY_GROUPS", groups)):
        if not all(isinstance(item, str) and item for item in items):
            raise UserError(f"{name} must list non-empty strings, got {items!r}")
    if not all(
        isinstance(command, list) and command and all(isinstance(p, str) for p in command)
        for command in commands
    ):
        raise UserError(f"OPS_COMMANDS must be a list of non-empty string lists, got {commands!r}")
    raw_timeout = environ.get("OPS_TIMEOUT_SECONDS") or str(DEFAULT_TIMEOUT_SECONDS)
    if not raw_timeout.isdigit() or int(raw_timeout) < 1:
        raise UserError(
            f"OPS_TIMEOUT_SECONDS must be a whole number of seconds, got {raw_timeout!r}"
        )
    return OpsSettings(
        cluster=environ["OPS_CLUSTER"],
        task_definition=environ["OPS_TASK_DEFINITION"],
        container=environ["OPS_CONTAINER"],
        subnets=subnets,
        security_groups=groups,
        commands=commands,
        timeout_seconds=int(raw_timeout),
    )


def _start(ecs: Any, settings: OpsSettings, command: list[str]) -> str:
    response = ecs.run_task(
        cluster=settings.cluster,
        taskDefinition=settings.task_definition,
        launchType="FARGATE",
        count=1,
        startedBy=STARTED_BY,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": settings.subnets,
                "securityGroups": settings.security_groups,
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={"containerOverrides": [{"name": settings.container, "command": command}]},
    )
    tasks = response.get("tasks") or []
    if not tasks:
        failures = "; ".join(
            f"{f.get('reason', '?')}{' (' + f['detail'] + ')' if f.get('detail') else ''}"
            for f in response.get("failures") or []
        )
        raise StageFailed(
            f"the operator task {settings.task_definition} did not start for "
            f"`{' '.join(command)}`: {failures or 'no task and no failure returned'}"
        )
    return str(tasks[0]["taskArn"])


def _outcome(task: Mapping[str, Any], container: str, command: list[str]) -> Outcome:
    containers = [c for c in task.get("containers") or [] if c.get("name") == container]
    exit_code = containers[0].get("exitCode") if containers else None
    reasons = [str(task.get("stoppedReason") or "")]
    if containers and containers[0].get("reason"):
        reasons.append(str(containers[0]["reason"]))
    reason = "; ".join(r for r in reasons if r) or "no reason given"
    return Outcome(command, str(task["taskArn"]), exit_code, reason)


def run_and_wait(
    ecs: Any,
    settings: OpsSettings,
    *,
    echo: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    poll_seconds: float = POLL_SECONDS,
) -> list[Outcome]:
    """Start one task per command, wait until all have stopped; StageFailed on a failure."""
    started: dict[str, list[str]] = {}
    for command in settings.commands:
        arn = _start(ecs, settings, command)
        started[arn] = command
        echo(f"started {arn.rsplit('/', 1)[-1]}: {' '.join(command)}")
    deadline = clock() + settings.timeout_seconds
    stopped: dict[str, Outcome] = {}
    while True:
        pending = [arn for arn in started if arn not in stopped]
        response = ecs.describe_tasks(cluster=settings.cluster, tasks=pending)
        for task in response.get("tasks") or []:
            arn = str(task["taskArn"])
            if task.get("lastStatus") == "STOPPED" and arn in started:
                stopped[arn] = _outcome(task, settings.container, started[arn])
        if len(stopped) == len(started):
            break
        if clock() >= deadline:
            waiting = ", ".join(
                f"{arn.rsplit('/', 1)[-1]} (`{' '.join(started[arn])}`)"
                for arn in started
                if arn not in stopped
            )
            raise StageFailed(
                f"the operator task {settings.task_definition} did not stop within "
                f"{settings.timeout_seconds} s: {waiting} still running in {settings.cluster} "
                "(it goes on; `aws ecs stop-task` ends it)"
            )
        sleep(poll_seconds)
    outcomes = [stopped[arn] for arn in started]
    failed = [o for o in outcomes if o.exit_code != 0]
    if failed:
        raise StageFailed(
            "; ".join(
                f"the operator task {o.task_arn.rsplit('/', 1)[-1]} (`{' '.join(o.command)}`) "
                f"exited {'without running' if o.exit_code is None else o.exit_code}: {o.reason}"
                for o in failed
            )
            + f" (logs: the task's stream in the {settings.task_definition.rsplit('/', 1)[-1]} "
            "log group /ecs/<env>-carcierge-ops)"
        )
    for outcome in outcomes:
        echo(f"{' '.join(outcome.command)}: done ({outcome.task_arn.rsplit('/', 1)[-1]})")
    return outcomes


def is_rehearsal(environ: Mapping[str, str]) -> bool:
    return environ.get(REHEARSAL_SWITCH) == "1"


def run(
    environ: Mapping[str, str] = os.environ,
    *,
    ecs: Any = None,
    echo: Callable[[str], None] = print,
) -> Sequence[Outcome]:
    """The `carcierge ops run` command: settings, then the rehearsal's stand-in or real tasks."""
    settings = settings_from(environ)
    if is_rehearsal(environ):
        for command in settings.commands:
            echo(
                f"REHEARSAL STAND-IN (no AWS call): would run {settings.task_definition} in "
                f"{settings.cluster} with `{' '.join(command)}` and wait for it to stop"
            )
        return []
    if ecs is None:
        from carcierge_pipeline import state

        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise UserError("carcierge ops run needs AWS_REGION")
        ecs = state.AwsClients(region).ecs
    from carcierge_pipeline import state

    with state.aws_errors(f"running the operator task {settings.task_definition}"):
        return run_and_wait(ecs, settings, echo=echo)
