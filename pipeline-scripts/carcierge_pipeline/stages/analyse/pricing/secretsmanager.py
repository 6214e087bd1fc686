"""AWS Secrets Manager: secrets."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    for secret in pricer.of_type("aws_secretsmanager_secret"):
        pricer.add(
            secret, "Secrets Manager", "1 secret", pricer.table["secretsmanager_secret_month"]
        )
