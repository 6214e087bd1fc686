"""Amazon ElastiCache: the Redis replication group's nodes."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    node_prices = pricer.table["elasticache_node_hour"]
    for group in pricer.of_type("aws_elasticache_replication_group", "aws_elasticache_cluster"):
        node_type = group.values.get("node_type")
        if group.type == "aws_elasticache_cluster":
            nodes = int(group.values.get("num_cache_nodes") or 1)
        elif group.values.get("num_cache_clusters"):
            nodes = int(group.values["num_cache_clusters"])
        else:
            shards = int(group.values.get("num_node_groups") or 1)
            nodes = shards * (int(group.values.get("replicas_per_node_group") or 0) + 1)
        if node_type not in node_prices:
            pricer.missing(group, f"no price for node type {node_type}")
            continue
        rate = node_prices[node_type]
        engine = group.values.get("engine") or "redis"
        if engine == "valkey":
            rate *= 1 - pricer.table["elasticache_valkey_discount"]
        pricer.add(
            group,
            "ElastiCache",
            f"{nodes} x {node_type} ({engine})",
            nodes * rate * pricer.hours,
        )
    for cache in pricer.of_type("aws_elasticache_serverless_cache"):
        pricer.missing(cache, "serverless caches are priced by usage")
