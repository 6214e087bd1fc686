"""``carcierge ops run`` (run by ``terraform apply``, modules/ecs/ops.tf): start the operator
task once per command and wait for it to stop (ops_run.py)."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import Command


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.ops_run import run as run_operator_task

    run_operator_task()


COMMAND = Command(
    "run",
    help="start the operator task once per command and wait for it to stop (run by terraform "
    "apply, modules/ecs/ops.tf); settings from OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, "
    "OPS_SUBNETS, OPS_SECURITY_GROUPS, OPS_COMMANDS, OPS_TIMEOUT_SECONDS",
    examples=(
        "carcierge ops run  # as terraform apply runs it (terraform_data.ops_setup, ops.tf)",
    ),
    variables=(
        "OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS, "
        "OPS_COMMANDS, OPS_TIMEOUT_SECONDS",
        "CARCIERGE_OFFLINE_APPLY (the rehearsal: a labelled stand-in, no AWS call)",
        "AWS credentials",
    ),
    handler=run,
    group="ops",
)
