"""AWS Backup: the locked copies of the database in the backup vaults."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    """AWS Backup's locked copies of the database (modules/rds/backup_vault.tf): each plan
    rule's copy_action keeps about one full snapshot of the database in the destination
    vault's region (the copies after the first are incremental) and transfers the daily
    changes there. AWS Backup bills RDS snapshots at the RDS snapshot storage rate (AWS
    Backup pricing page: the RDS line of "AWS Backup storage"). The snapshots in the source
    region's vault count towards the RDS backup storage of the instance's region, which has
    no price in the table: listed, not guessed."""
    plans = pricer.of_type("aws_backup_plan")
    if not plans:
        return
    databases = pricer.of_type("aws_db_instance")
    size = max((float(db.values.get("allocated_storage") or 0) for db in databases), default=0)
    gb = pricer.assume["rds_backup_replicated_gb_per_month"]
    for plan in plans:
        for rule in plan.values.get("rule") or []:
            for copy in rule.get("copy_action") or []:
                arn = str(copy.get("destination_vault_arn") or "")
                region = arn.split(":")[3] if arn.count(":") >= 5 else ""
                storage = pricer.third_party(
                    "backup_region_prices", region, "rds_backup_storage_gb_month"
                )
                transfer = pricer.third_party("inter_region_transfer_gb")
                if storage is None or transfer is None:
                    pricer.missing(
                        plan,
                        f"AWS Backup copy in {region or 'the backup region'}: no "
                        "backup_region_prices entry or inter_region_transfer_gb in the "
                        "price table",
                    )
                    continue
                detail = (
                    f"locked copy in {region}: {size:g} GB snapshot storage, {gb:g} GB/month "
                    "transferred (third-party prices)"
                )
                pricer.add(plan, "AWS Backup", detail, size * storage + gb * transfer)
        pricer.estimate.not_estimated.append(
            f"{plan.address}: the daily snapshots in the vault of the instance's region "
            f"(RDS backup storage of {pricer.estimate.region} beyond the free allowance; no "
            "price in the table)"
        )
    pricer.assumption(
        "AWS Backup copies of the database occupy about its allocated storage in the backup "
        f"region (one full snapshot, then incremental) and transfer {gb:g} GB/month there; "
        "vault locks and S3 Object Lock cost nothing themselves"
    )
