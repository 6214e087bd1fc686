"""Cross-region copies: S3 replication and RDS backup replication transfer, and the backup
storage they leave in the second region."""

from __future__ import annotations

from carcierge_pipeline.planmodel import Resource
from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    rate = pricer.third_party("inter_region_transfer_gb")
    s3_gb = pricer.assume["s3_replicated_gb_per_month_per_bucket"]
    rds_gb = pricer.assume["rds_backup_replicated_gb_per_month"]
    replications = pricer.of_type("aws_db_instance_automated_backups_replication")
    copies = [
        (r, s3_gb, "S3 replication", "the replica bucket's region")
        for r in pricer.of_type("aws_s3_bucket_replication_configuration")
    ] + [
        (r, rds_gb, "RDS backup replication", r.values.get("region") or "the backup region")
        for r in replications
    ]
    for resource, gb, what, target in copies:
        if rate is None:
            pricer.missing(resource, "no inter_region_transfer_gb in the price table")
            continue
        detail = f"{what}: {gb:g} GB/month transferred to {target} (third-party price)"
        pricer.add(resource, "Cross-region copies", detail, gb * rate)
    if copies and rate is not None:
        pricer.assumption(
            f"cross-region copies transfer {s3_gb} GB/month per replicated bucket and "
            f"{rds_gb} GB/month of RDS backups (snapshots and transaction logs), at {rate} "
            "USD/GB out of the region; replica buckets are priced as S3 buckets"
        )
    _replicated_backup_storage(pricer, replications)


def _replicated_backup_storage(pricer: Pricer, replications: list[Resource]) -> None:
    """Backup storage in the second region: about one full copy of the database there (the
    replicated snapshots are incremental after the first), with no free allowance."""
    if not replications:
        return
    databases = pricer.of_type("aws_db_instance")
    size = max((float(db.values.get("allocated_storage") or 0) for db in databases), default=0)
    for replication in replications:
        region = str(replication.values.get("region") or "")
        rate = pricer.third_party("backup_region_prices", region, "rds_backup_storage_gb_month")
        if rate is None:
            pricer.missing(
                replication,
                f"RDS backup storage in {region or 'the backup region'}: no "
                "backup_region_prices entry for that region in the price table",
            )
            continue
        detail = f"RDS backup storage: {size:g} GB in {region} (third-party price)"
        pricer.add(replication, "Cross-region copies", detail, size * rate)
        pricer.assumption(
            "RDS backups replicated to the backup region occupy about the database's "
            "allocated storage there (one full copy; later snapshots are incremental), with "
            "no free allowance in that region"
        )
