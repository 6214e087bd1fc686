"""Amazon RDS: the PostgreSQL instance, Multi-AZ, and its storage."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    instance_prices = pricer.table["rds_postgres_instance_hour"]
    storage = pricer.table["rds_storage_gb_month"]
    factor = pricer.table["rds_multi_az_factor"]
    for db in pricer.of_type("aws_db_instance"):
        klass = db.values.get("instance_class")
        if klass not in instance_prices:
            pricer.missing(db, f"no price for instance class {klass}")
            continue
        multi_az = bool(db.values.get("multi_az"))
        copies = factor if multi_az else 1
        size = float(db.values.get("allocated_storage") or 0)
        storage_type = db.values.get("storage_type")
        if not storage_type:
            storage_type = pricer.assume["default_rds_storage_type"]
            pricer.assumption(f"RDS storage type {storage_type} where the plan does not set it")
        rate = storage.get(storage_type, storage["gp3"])
        monthly = copies * (instance_prices[klass] * pricer.hours + size * rate)
        detail = f"{klass}{' multi-AZ' if multi_az else ''} + {size:g} GB {storage_type}"
        pricer.add(db, "RDS", detail, monthly)
    for cluster in pricer.of_type("aws_rds_cluster"):
        pricer.missing(cluster, "Aurora clusters are not in the price table")
