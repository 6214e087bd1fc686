"""Amazon OpenSearch Service: the domain's data and master nodes and their EBS storage."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer, first_block


def price(pricer: Pricer) -> None:
    instance_prices = pricer.table["opensearch_instance_hour"]
    storage = pricer.table["opensearch_storage_gb_month"]
    for domain in pricer.of_type("aws_opensearch_domain"):
        cluster = first_block(domain.values.get("cluster_config"))
        data_type = cluster.get("instance_type")
        data_count = int(cluster.get("instance_count") or 1)
        parts: list[str] = []
        monthly = 0.0
        nodes = [(data_type, data_count, "data")]
        if cluster.get("dedicated_master_enabled"):
            nodes.append(
                (
                    cluster.get("dedicated_master_type"),
                    int(cluster.get("dedicated_master_count") or 3),
                    "master",
                )
            )
        unpriced = [t for t, _, _ in nodes if t not in instance_prices]
        if unpriced:
            pricer.missing(domain, f"no price for instance type {', '.join(map(str, unpriced))}")
            continue
        for node_type, count, role in nodes:
            monthly += count * instance_prices[node_type] * pricer.hours
            parts.append(f"{count} x {node_type} {role}")
        ebs = first_block(domain.values.get("ebs_options"))
        if ebs.get("ebs_enabled", True) and ebs.get("volume_size"):
            volume_type = ebs.get("volume_type") or "gp3"
            rate = storage.get(volume_type, storage["gp3"])
            size = float(ebs["volume_size"])
            monthly += size * data_count * rate
            parts.append(f"{data_count} x {size:g} GB {volume_type}")
        pricer.add(domain, "OpenSearch", " + ".join(parts), monthly)
