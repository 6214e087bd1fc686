"""AWS Secrets Manager: secrets."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    monthly = pricer.table["secretsmanager_secret_month"]
    pricer.each("aws_secretsmanager_secret", "Secrets Manager", "1 secret", monthly)
