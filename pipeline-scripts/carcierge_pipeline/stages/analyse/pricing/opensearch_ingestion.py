"""Amazon OpenSearch Ingestion: the log pipelines' OCUs (third-party price: no AWS page
states it)."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    ocu_hour = pricer.third_party("opensearch_ingestion_ocu_hour")
    for pipeline in pricer.of_type("aws_osis_pipeline"):
        units = int(pipeline.values.get("min_units") or 1)
        if ocu_hour is None:
            pricer.missing(pipeline, "no opensearch_ingestion_ocu_hour in the price table")
            continue
        detail = f"{units} Ingestion OCU(s) around the clock (min_units; third-party price)"
        pricer.add(pipeline, "OpenSearch Ingestion", detail, units * ocu_hour * pricer.hours)
    if pipelines := pricer.of_type("aws_osis_pipeline"):
        # One pipeline per data source (AWS allows one source per pipeline definition):
        # each is billed its own min_units around the clock.
        pricer.assumption(
            f"{len(pipelines)} OpenSearch Ingestion pipeline(s), one per log source, each "
            "at its min_units; scaling towards max_units under load is not estimated. SQS "
            "requests of their queues (one S3 event per Firehose object or ALB access-log "
            "file, long-polled): negligible, not priced"
        )
    ingest = pricer.assume["log_ingest_gb_per_log_group"]
    streams = pricer.third_party_each(
        "aws_kinesis_firehose_delivery_stream",
        "firehose_ingest_gb",
        ingest,
        "Firehose",
        f"{ingest} GB ingested (its log group's volume; third-party price)",
    )
    if streams:
        pricer.estimate.not_estimated.append(
            f"{len(streams)} Firehose stream(s): the per-GB charge for decompressing "
            "CloudWatch Logs records (no figure found, 2026-12-01; see the price table's "
            "not_in_table)"
        )
