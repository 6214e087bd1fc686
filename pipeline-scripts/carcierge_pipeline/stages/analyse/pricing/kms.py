"""AWS KMS: customer-managed keys."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    pricer.each("aws_kms_key", "KMS", "1 customer-managed key", pricer.table["kms_key_month"])
