"""Amazon Route 53: hosted zones."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    pricer.each("aws_route53_zone", "Route 53", "1 hosted zone", pricer.table["route53_zone_month"])
