"""What every plan of an environment must hold, whatever its environment file says: the
project's policy, as one function over a plan's JSON (``terraform show -json``).

Values that an environment file may change freely (which services exist, their sizes and
counts, Spot shares, retention days, node types) are not policy and are not checked here; what
is checked is fixed by the product spec and the security review:

- every environment: data stores encrypted at rest and in transit, none publicly reachable,
  RDS backups kept at least ``MIN_BACKUP_RETENTION_DAYS``, every bucket behind a full public
  access block, every log group with a retention and the environment key, tasks without
  public IPs;
- the protected environments (``PROTECTED_ENVIRONMENTS``): Multi-AZ RDS with deletion
  protection and a final snapshot, Redis with a replica and automatic failover, zone-aware
  OpenSearch, a protected load balancer, no ECS Exec;
- prod: RDS automated backups replicated to a second region.

A value known only after apply (offline, e.g. the KMS key ARN) counts as set: the planned
attribute is a reference, not a null.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# uat and prod hold data someone relies on: deletion protection, Multi-AZ, final snapshots.
PROTECTED_ENVIRONMENTS = ("uat", "prod")
# RDS's default retention; AWS allows 0-35 days and 0 turns automated backups off
# (CreateDBInstance BackupRetentionPeriod, botocore rds service-2.json).
MIN_BACKUP_RETENTION_DAYS = 7
PUBLIC_ACCESS_BLOCK = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


def _planned(plan: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(address, type, planned values, unknown markers) of every managed resource the plan
    keeps or creates."""
    for change in plan.get("resource_changes", []):
        after = change["change"].get("after")
        if change.get("mode", "managed") == "managed" and after is not None:
            unknown = change["change"].get("after_unknown") or {}
            yield change["address"], change["type"], after, unknown


def _set(values: Mapping[str, Any], unknown: Mapping[str, Any], key: str) -> bool:
    """A value is set when it is known and not null/empty, or known only after apply."""
    return bool(unknown.get(key)) or values.get(key) not in (None, "", [], {})


def _first(values: Mapping[str, Any], key: str) -> dict[str, Any]:
    block = values.get(key) or [{}]
    return dict(block[0])


def violations(plan: Mapping[str, Any], environment: str) -> list[str]:
    """Every way ``plan`` (a plan of ``environment``) breaks the policy, one line each:
    ``<address>: <what is wrong>``. Empty when it holds."""
    protected = environment in PROTECTED_ENVIRONMENTS
    found: list[str] = []
    counts: dict[str, int] = {}
    blocks = 0

    def need(condition: bool, address: str, message: str) -> None:
        if not condition:
            found.append(f"{address}: {message}")

    for address, kind, values, unknown in _planned(plan):
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "aws_db_instance":
            need(values.get("storage_encrypted") is True, address, "storage not encrypted")
            need(_set(values, unknown, "kms_key_id"), address, "no KMS key")
            need(values.get("publicly_accessible") is False, address, "publicly accessible")
            retention = values.get("backup_retention_period") or 0
            need(
                retention >= MIN_BACKUP_RETENTION_DAYS,
                address,
                f"backups kept {retention} days (< {MIN_BACKUP_RETENTION_DAYS})",
            )
            if protected:
                need(values.get("multi_az") is True, address, "not Multi-AZ")
                need(values.get("deletion_protection") is True, address, "no deletion protection")
                need(values.get("skip_final_snapshot") is False, address, "skips final snapshot")
        elif kind == "aws_elasticache_replication_group":
            need(
                str(values.get("at_rest_encryption_enabled")).lower() == "true",
                address,
                "not encrypted at rest",
            )
            need(values.get("transit_encryption_enabled") is True, address, "no TLS")
            if protected:
                need((values.get("num_cache_clusters") or 0) >= 2, address, "no replica")
                need(
                    values.get("automatic_failover_enabled") is True
                    and values.get("multi_az_enabled") is True,
                    address,
                    "no Multi-AZ automatic failover",
                )
        elif kind == "aws_opensearch_domain":
            need(
                _first(values, "encrypt_at_rest").get("enabled") is True,
                address,
                "not encrypted at rest",
            )
            need(
                _first(values, "node_to_node_encryption").get("enabled") is True,
                address,
                "no node-to-node encryption",
            )
            need(
                _first(values, "domain_endpoint_options").get("enforce_https") is True,
                address,
                "HTTPS not enforced",
            )
            need(bool(values.get("vpc_options")), address, "not inside the VPC")
            if protected:
                need(
                    _first(values, "cluster_config").get("zone_awareness_enabled") is True,
                    address,
                    "not zone-aware",
                )
        elif kind == "aws_s3_bucket_public_access_block":
            need(
                all(values.get(key) is True for key in PUBLIC_ACCESS_BLOCK),
                address,
                "public access not fully blocked",
            )
            blocks += 1
        elif kind == "aws_cloudwatch_log_group":
            need(bool(values.get("retention_in_days")), address, "kept forever (no retention)")
            need(_set(values, unknown, "kms_key_id"), address, "not encrypted with a KMS key")
        elif kind == "aws_ecs_service":
            for network in values.get("network_configuration") or []:
                need(network.get("assign_public_ip") is False, address, "tasks get public IPs")
            if protected:
                need(values.get("enable_execute_command") is False, address, "ECS Exec on")
        elif kind == "aws_lb" and protected:
            need(values.get("enable_deletion_protection") is True, address, "not protected")
    need(
        blocks >= counts.get("aws_s3_bucket", 0),
        "aws_s3_bucket",
        f"{counts.get('aws_s3_bucket', 0)} buckets but {blocks} public access blocks",
    )
    for kind in ("aws_db_instance", "aws_elasticache_replication_group", "aws_opensearch_domain"):
        need(counts.get(kind, 0) >= 1, kind, "missing from the plan")
    if environment == "prod":
        need(
            counts.get("aws_db_instance_automated_backups_replication", 0) >= 1,
            "aws_db_instance_automated_backups_replication",
            "prod's RDS backups are not replicated to a second region",
        )
    return found
