"""ECS: Fargate Spot runs only X86_64 Linux tasks.

"Linux tasks with the ARM64 architecture don't support the Fargate Spot capacity provider.
Fargate Spot only supports Linux tasks with the X86_64 architecture." (Amazon ECS, "AWS
Fargate capacity providers", fargate-capacity-providers.html, read 2026-12-01 in its English
copy at docs.amazonaws.cn/en_us/AmazonECS/latest/userguide/; the docs.aws.amazon.com copy of
the page, titled "Amazon ECS clusters for the Fargate launch type", says "Fargate Spot only
supports Linux tasks with the X86_64 architecture on platform version 1.3.0 or later"). A
service uses Fargate Spot through its own capacity provider strategy or, with neither strategy
nor launch type, through its cluster's default strategy (the same page: "When you run a
standalone task or create a service, you either use the cluster's default capacity provider
strategy or a capacity provider strategy that overrides the default one"). An entry with
weight 0 and no base places no tasks (Best Practices Guide, "Amazon ECS clusters for Fargate",
ec2-and-fargate-spot.html: a capacity provider with weight 0 is not used to place tasks; read
in its zh/ko translations, the English excerpt read stops before that sentence).
"""

from __future__ import annotations

from collections.abc import Iterator

from carcierge_pipeline.planmodel import UNKNOWN, Plan, uses_spot
from carcierge_pipeline.rules import Rule, Unknown, Violation

SOURCE = "https://docs.aws.amazon.com/AmazonECS/latest/userguide/fargate-capacity-providers.html"


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for service in plan.of_type("aws_ecs_service"):
        strategy = plan.capacity_strategy(service)
        if strategy is UNKNOWN:
            yield Unknown(service.address, "capacity_provider_strategy")
            continue
        if not uses_spot(strategy):
            continue
        task = plan.task_definition(service)
        if task is None:
            yield Unknown(service.address, "task_definition")
            continue
        architecture = task.get("runtime_platform.0.cpu_architecture")
        if architecture is UNKNOWN:
            yield Unknown(task.address, "runtime_platform.cpu_architecture")
        elif architecture == "ARM64":
            yield Violation(
                service.address,
                architecture,
                f"runs {task.address} (ARM64) on FARGATE_SPOT; Fargate Spot runs only "
                "X86_64 Linux tasks",
            )


RULE = Rule(
    "aws-fargate-spot-architecture",
    "Fargate Spot only with X86_64 task definitions",
    SOURCE,
    check,
)
