"""Elastic Load Balancing: application load balancers and their LCUs."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    units = pricer.assume["alb_capacity_units"]
    ipv4 = pricer.table["public_ipv4"]["hour"]
    for lb in pricer.of_type("aws_lb", "aws_alb"):
        kind = lb.values.get("load_balancer_type") or "application"
        price = pricer.table["load_balancer"].get(kind)
        if price is None:
            pricer.missing(lb, f"no price for {kind} load balancers")
            continue
        monthly = (price["hour"] + price["capacity_unit_hour"] * units) * pricer.hours
        detail = f"{pricer.hours} h + {units} capacity unit(s)"
        if lb.values.get("internal") is False:
            nodes = pricer.count_of(
                lb.values.get("subnets") or lb.values.get("subnet_mapping"),
                pricer.az_count,
                "internet-facing load balancer public IPv4 addresses",
            )
            monthly += nodes * ipv4 * pricer.hours
            detail += f" + {nodes} public IPv4"
        pricer.add(lb, "Load balancer", detail, monthly)
    if pricer.of_type("aws_lb", "aws_alb"):
        pricer.assumption(f"each load balancer uses {units} capacity unit(s) (LCU) per hour")
