"""The built-in cost estimate: what a plan leaves running, priced from a pinned price table
(``data/prices-<region>.json``, with its source and date) and usage assumptions that are printed
with the result. Resources are priced after the plan is applied (created, updated, replaced or
unchanged; not deleted), per resource and per service; what cannot be priced is listed, never
silently dropped.

One module per AWS service prices that service's resources (``price(pricer)``), registered in
``SERVICES`` as the rules gate registers its rules; ``base`` holds the machinery they share. A
new priced service is a module and a line in ``_services``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.stages.analyse.pricing.base import (
    Estimate,
    Item,
    Pricer,
    load_prices,
)

__all__ = ["Estimate", "Item", "Pricer", "builtin_estimate", "load_prices"]

PriceService = Callable[[Pricer], None]


def _services() -> tuple[PriceService, ...]:
    """Every priced service, in the order its assumptions are listed."""
    from carcierge_pipeline.stages.analyse.pricing import (
        backup,
        cloudwatch,
        cross_region,
        ecs_fargate,
        elasticache,
        elb,
        kms,
        no_charge,
        opensearch,
        opensearch_ingestion,
        rds,
        route53,
        route53_resolver,
        s3,
        secretsmanager,
        vpc,
        waf,
    )

    return (
        ecs_fargate.price,
        vpc.price,
        elb.price,
        elasticache.price,
        opensearch.price,
        rds.price,
        kms.price,
        secretsmanager.price,
        cloudwatch.price,
        s3.price,
        waf.price,
        route53.price,
        opensearch_ingestion.price,
        cross_region.price,
        route53_resolver.price,
        no_charge.price,
        backup.price,
    )


def builtin_estimate(
    plan: Mapping[str, Any] | Plan,
    environment: str,
    region: str,
    prices: dict[str, Any] | None = None,
) -> Estimate:
    prices = prices or load_prices(region)
    estimate = Estimate(
        environment=environment,
        engine="built-in",
        currency=prices["currency"],
        region=region,
        price_source=prices["source"],
        prices_as_of=prices["as_of"],
    )
    estimate.assumptions.append(f"{prices['hours_per_month']} hours per month")
    pricer = Pricer(plan, prices, estimate)
    for price in _services():
        price(pricer)
    pricer.third_party_note()
    pricer.assumption(
        "not included: data transfer out, request charges, backups beyond the free "
        "allowance, Container Insights metrics, ECR storage, free tiers"
    )
    return estimate
