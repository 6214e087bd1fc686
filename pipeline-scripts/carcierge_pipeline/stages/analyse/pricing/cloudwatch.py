"""Amazon CloudWatch: log groups (ingest and storage), alarms, dashboards."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    cw = pricer.table["cloudwatch"]
    ingest = pricer.assume["log_ingest_gb_per_log_group"]
    stored = pricer.assume["log_stored_gb_per_log_group"]
    pricer.each(
        "aws_cloudwatch_log_group",
        "CloudWatch",
        f"log group: {ingest} GB ingested, {stored} GB stored",
        ingest * cw["log_ingest_gb"] + stored * cw["log_storage_gb_month"],
        assumption=f"each log group ingests {ingest} GB and stores {stored} GB per month",
    )
    pricer.each(
        "aws_cloudwatch_metric_alarm",
        "CloudWatch",
        "1 standard-resolution alarm",
        cw["alarm_month"],
    )
    pricer.each("aws_cloudwatch_dashboard", "CloudWatch", "1 dashboard", cw["dashboard_month"])
