"""Amazon ECS on Fargate: each service's desired tasks around the clock, with its share on
Fargate Spot at the table's discount (planmodel's capacity strategy)."""

from __future__ import annotations

from carcierge_pipeline.planmodel import UNKNOWN, spot_tasks
from carcierge_pipeline.stages.analyse.pricing.base import Pricer, first_block


def price(pricer: Pricer) -> None:
    table = pricer.table["fargate"]
    discount = table["spot_discount"]
    if pricer.of_type("aws_ecs_service"):
        pricer.assumption(
            f"Fargate services run their desired_count around the clock ({pricer.hours} "
            "h/month); auto scaling above it is not estimated"
        )
    for service in pricer.of_type("aws_ecs_service"):
        if service.values.get("launch_type") not in (None, "", "FARGATE"):
            pricer.missing(service, f"launch type {service.values.get('launch_type')}")
            continue
        task = pricer.plan.task_definition(service)
        if task is None:
            pricer.missing(service, "its task definition is not in the plan")
            continue
        try:
            vcpu = float(task.values["cpu"]) / 1024
            memory_gb = float(task.values["memory"]) / 1024
        except (KeyError, TypeError, ValueError):
            pricer.missing(service, "task cpu/memory unknown at plan time")
            continue
        pricer.used.add(task.address)
        desired = float(service.values.get("desired_count") or 0)
        strategy = pricer.plan.capacity_strategy(service)
        spot = spot_tasks(desired, [] if strategy is UNKNOWN else strategy) if desired else 0.0
        arch = (
            first_block(task.values.get("runtime_platform")).get("cpu_architecture")
        ) or "X86_64"
        rate = table.get(arch) or table["X86_64"]
        per_task_hour = vcpu * rate["vcpu_hour"] + memory_gb * rate["gb_hour"]
        task_hours = (desired - spot + spot * (1 - discount)) * pricer.hours
        share = f", {spot / desired:.0%} on Spot" if desired and spot else ""
        pricer.add(
            service,
            "ECS Fargate",
            f"{desired:g} task(s) x {vcpu:g} vCPU / {memory_gb:g} GB {arch}{share}",
            per_task_hour * task_hours,
        )
    if any(r.type == "aws_ecs_service" for r in pricer.resources.values()):
        pricer.assumption(
            f"Fargate Spot is priced at {discount:.0%} off on-demand (AWS: 'up to 70%'; "
            "the actual Spot price varies)"
        )
