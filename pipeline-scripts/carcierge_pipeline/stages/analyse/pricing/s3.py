"""Amazon S3: buckets in Standard storage."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    s3_gb = pricer.assume["s3_gb_per_bucket"]
    pricer.each(
        "aws_s3_bucket",
        "S3",
        f"{s3_gb} GB Standard",
        s3_gb * pricer.table["s3_standard_gb_month"],
        assumption=f"each S3 bucket holds {s3_gb} GB in Standard storage",
    )
