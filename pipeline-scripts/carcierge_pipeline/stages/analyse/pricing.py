"""The built-in cost estimate: what a plan leaves running, priced from a pinned price table
(``data/prices-<region>.json``, with its source and date) and usage assumptions that are printed
with the result. Resources are priced after the plan is applied (created, updated, replaced or
unchanged; not deleted), per resource and per service; what cannot be priced is listed, never
silently dropped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from carcierge_pipeline.errors import UserError
from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource, spot_tasks

PRICE_FILE = "prices-{region}.json"


def load_prices(region: str) -> dict[str, Any]:
    name = PRICE_FILE.format(region=region)
    data = resources.files("carcierge_pipeline").joinpath("data", name)
    if not data.is_file():
        raise UserError(f"no price table for region {region!r} (expected data/{name})")
    prices: dict[str, Any] = json.loads(data.read_text())
    return prices


@dataclass
class Item:
    address: str
    service: str
    detail: str
    monthly: float


@dataclass
class Estimate:
    environment: str
    engine: str
    currency: str
    region: str
    price_source: str
    prices_as_of: str
    items: list[Item] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    not_estimated: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(item.monthly for item in self.items), 2)

    @property
    def per_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for item in self.items:
            totals[item.service] = totals.get(item.service, 0.0) + item.monthly
        return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "engine": self.engine,
            "currency": self.currency,
            "region": self.region,
            "price_source": self.price_source,
            "prices_as_of": self.prices_as_of,
            "monthly_total": self.total,
            "per_service": self.per_service,
            "items": [
                {**asdict(item), "monthly": round(item.monthly, 2)}
                for item in sorted(self.items, key=lambda i: (i.service, i.address))
            ],
            "assumptions": self.assumptions,
            "not_estimated": self.not_estimated,
        }


# --- reading the plan -------------------------------------------------------------------------


def _resources_after(plan: Plan) -> dict[str, Resource]:
    """Managed resources that exist after the plan (created, updated, replaced or unchanged),
    by address."""
    return {
        r.address: r
        for r in plan.resources
        if r.managed and not r.deposed and r.after is not None  # None: deleted
    }


def _first(block: object) -> dict[str, Any]:
    if isinstance(block, list) and block:
        return block[0] or {}
    return block if isinstance(block, dict) else {}


def _json_rules(rule_json: object) -> int:
    """Rules of a web ACL written as rule_json (modules/ecs/waf.tf), each billed like a rule
    block; 0 when unknown at plan."""
    try:
        rules = json.loads(rule_json) if isinstance(rule_json, str) else []
    except ValueError:
        return 0
    return len(rules) if isinstance(rules, list) else 0


# --- pricing ----------------------------------------------------------------------------------


class Pricer:
    def __init__(
        self, plan: Mapping[str, Any] | Plan, prices: dict[str, Any], estimate: Estimate
    ) -> None:
        self.plan = Plan.of(plan)
        self.prices = prices
        self.table = prices["prices"]
        self.assume = prices["assumptions"]
        self.hours = prices["hours_per_month"]
        self.estimate = estimate
        self.resources = _resources_after(self.plan)
        self.used: set[str] = set()
        self.third_party_used: set[str] = set()
        subnets_azs = {
            r.values.get("availability_zone")
            for r in self.resources.values()
            if r.type == "aws_subnet" and r.values.get("availability_zone")
        }
        self.az_count = len(subnets_azs) or self.assume["default_az_count"]

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]

    def add(self, resource: Resource, service: str, detail: str, monthly: float) -> None:
        self.estimate.items.append(Item(resource.address, service, detail, monthly))

    def assumption(self, text: str) -> None:
        if text not in self.estimate.assumptions:
            self.estimate.assumptions.append(text)

    def missing(self, resource: Resource, why: str) -> None:
        self.estimate.not_estimated.append(f"{resource.address}: {why}")

    def count_of(self, values: object, fallback: int, label: str) -> int:
        if isinstance(values, list) and values:
            return len(values)
        self.assumption(f"{label}: one per availability zone ({fallback}) where not known at plan")
        return fallback

    # Fargate -----------------------------------------------------------------------------
    def fargate(self) -> None:
        table = self.table["fargate"]
        discount = table["spot_discount"]
        if self.of_type("aws_ecs_service"):
            self.assumption(
                f"Fargate services run their desired_count around the clock ({self.hours} "
                "h/month); auto scaling above it is not estimated"
            )
        for service in self.of_type("aws_ecs_service"):
            if service.values.get("launch_type") not in (None, "", "FARGATE"):
                self.missing(service, f"launch type {service.values.get('launch_type')}")
                continue
            task = self.plan.task_definition(service)
            if task is None:
                self.missing(service, "its task definition is not in the plan")
                continue
            try:
                vcpu = float(task.values["cpu"]) / 1024
                memory_gb = float(task.values["memory"]) / 1024
            except (KeyError, TypeError, ValueError):
                self.missing(service, "task cpu/memory unknown at plan time")
                continue
            self.used.add(task.address)
            desired = float(service.values.get("desired_count") or 0)
            strategy = self.plan.capacity_strategy(service)
            spot = spot_tasks(desired, [] if strategy is UNKNOWN else strategy) if desired else 0.0
            arch = (_first(task.values.get("runtime_platform")).get("cpu_architecture")) or "X86_64"
            rate = table.get(arch) or table["X86_64"]
            per_task_hour = vcpu * rate["vcpu_hour"] + memory_gb * rate["gb_hour"]
            task_hours = (desired - spot + spot * (1 - discount)) * self.hours
            share = f", {spot / desired:.0%} on Spot" if desired and spot else ""
            self.add(
                service,
                "ECS Fargate",
                f"{desired:g} task(s) x {vcpu:g} vCPU / {memory_gb:g} GB {arch}{share}",
                per_task_hour * task_hours,
            )
        if any(r.type == "aws_ecs_service" for r in self.resources.values()):
            self.assumption(
                f"Fargate Spot is priced at {discount:.0%} off on-demand (AWS: 'up to 70%'; "
                "the actual Spot price varies)"
            )

    # Network -----------------------------------------------------------------------------
    def network(self) -> None:
        nat = self.table["nat_gateway"]
        gb = self.assume["nat_gb_processed_per_gateway"]
        for gateway in self.of_type("aws_nat_gateway"):
            self.add(
                gateway,
                "NAT gateway",
                f"{self.hours} h + {gb} GB processed",
                nat["hour"] * self.hours + nat["gb_processed"] * gb,
            )
        if self.of_type("aws_nat_gateway"):
            self.assumption(f"each NAT gateway processes {gb} GB/month")
        ipv4 = self.table["public_ipv4"]["hour"]
        for eip in self.of_type("aws_eip"):
            self.add(eip, "Public IPv4", "1 address", ipv4 * self.hours)
        endpoint = self.table["vpc_interface_endpoint"]
        gb = self.assume["interface_endpoint_gb_processed_per_endpoint"]
        for vpce in self.of_type("aws_vpc_endpoint"):
            if (vpce.values.get("vpc_endpoint_type") or "Gateway") != "Interface":
                continue  # gateway endpoints (S3, DynamoDB) are free
            azs = self.count_of(vpce.values.get("subnet_ids"), self.az_count, "interface endpoints")
            self.add(
                vpce,
                "VPC interface endpoints",
                f"{azs} AZ(s) + {gb} GB",
                endpoint["az_hour"] * azs * self.hours + endpoint["gb_processed"] * gb,
            )
            self.assumption(f"each interface endpoint processes {gb} GB/month")

    def load_balancers(self) -> None:
        units = self.assume["alb_capacity_units"]
        ipv4 = self.table["public_ipv4"]["hour"]
        for lb in self.of_type("aws_lb", "aws_alb"):
            kind = lb.values.get("load_balancer_type") or "application"
            price = self.table["load_balancer"].get(kind)
            if price is None:
                self.missing(lb, f"no price for {kind} load balancers")
                continue
            monthly = (price["hour"] + price["capacity_unit_hour"] * units) * self.hours
            detail = f"{self.hours} h + {units} capacity unit(s)"
            if lb.values.get("internal") is False:
                nodes = self.count_of(
                    lb.values.get("subnets") or lb.values.get("subnet_mapping"),
                    self.az_count,
                    "internet-facing load balancer public IPv4 addresses",
                )
                monthly += nodes * ipv4 * self.hours
                detail += f" + {nodes} public IPv4"
            self.add(lb, "Load balancer", detail, monthly)
        if self.of_type("aws_lb", "aws_alb"):
            self.assumption(f"each load balancer uses {units} capacity unit(s) (LCU) per hour")

    # Data stores -------------------------------------------------------------------------
    def elasticache(self) -> None:
        node_prices = self.table["elasticache_node_hour"]
        for group in self.of_type("aws_elasticache_replication_group", "aws_elasticache_cluster"):
            node_type = group.values.get("node_type")
            if group.type == "aws_elasticache_cluster":
                nodes = int(group.values.get("num_cache_nodes") or 1)
            elif group.values.get("num_cache_clusters"):
                nodes = int(group.values["num_cache_clusters"])
            else:
                shards = int(group.values.get("num_node_groups") or 1)
                nodes = shards * (int(group.values.get("replicas_per_node_group") or 0) + 1)
            if node_type not in node_prices:
                self.missing(group, f"no price for node type {node_type}")
                continue
            rate = node_prices[node_type]
            engine = group.values.get("engine") or "redis"
            if engine == "valkey":
                rate *= 1 - self.table["elasticache_valkey_discount"]
            self.add(
                group,
                "ElastiCache",
                f"{nodes} x {node_type} ({engine})",
                nodes * rate * self.hours,
            )
        for cache in self.of_type("aws_elasticache_serverless_cache"):
            self.missing(cache, "serverless caches are priced by usage")

    def opensearch(self) -> None:
        instance_prices = self.table["opensearch_instance_hour"]
        storage = self.table["opensearch_storage_gb_month"]
        for domain in self.of_type("aws_opensearch_domain"):
            cluster = _first(domain.values.get("cluster_config"))
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
                self.missing(domain, f"no price for instance type {', '.join(map(str, unpriced))}")
                continue
            for node_type, count, role in nodes:
                monthly += count * instance_prices[node_type] * self.hours
                parts.append(f"{count} x {node_type} {role}")
            ebs = _first(domain.values.get("ebs_options"))
            if ebs.get("ebs_enabled", True) and ebs.get("volume_size"):
                volume_type = ebs.get("volume_type") or "gp3"
                rate = storage.get(volume_type, storage["gp3"])
                size = float(ebs["volume_size"])
                monthly += size * data_count * rate
                parts.append(f"{data_count} x {size:g} GB {volume_type}")
            self.add(domain, "OpenSearch", " + ".join(parts), monthly)

    def rds(self) -> None:
        instance_prices = self.table["rds_postgres_instance_hour"]
        storage = self.table["rds_storage_gb_month"]
        factor = self.table["rds_multi_az_factor"]
        for db in self.of_type("aws_db_instance"):
            klass = db.values.get("instance_class")
            if klass not in instance_prices:
                self.missing(db, f"no price for instance class {klass}")
                continue
            multi_az = bool(db.values.get("multi_az"))
            copies = factor if multi_az else 1
            size = float(db.values.get("allocated_storage") or 0)
            storage_type = db.values.get("storage_type")
            if not storage_type:
                storage_type = self.assume["default_rds_storage_type"]
                self.assumption(f"RDS storage type {storage_type} where the plan does not set it")
            rate = storage.get(storage_type, storage["gp3"])
            monthly = copies * (instance_prices[klass] * self.hours + size * rate)
            detail = f"{klass}{' multi-AZ' if multi_az else ''} + {size:g} GB {storage_type}"
            self.add(db, "RDS", detail, monthly)
        for cluster in self.of_type("aws_rds_cluster"):
            self.missing(cluster, "Aurora clusters are not in the price table")

    # Small fixed charges -----------------------------------------------------------------
    def small(self) -> None:
        for key in self.of_type("aws_kms_key"):
            self.add(key, "KMS", "1 customer-managed key", self.table["kms_key_month"])
        for secret in self.of_type("aws_secretsmanager_secret"):
            self.add(
                secret, "Secrets Manager", "1 secret", self.table["secretsmanager_secret_month"]
            )
        cw = self.table["cloudwatch"]
        ingest = self.assume["log_ingest_gb_per_log_group"]
        stored = self.assume["log_stored_gb_per_log_group"]
        for group in self.of_type("aws_cloudwatch_log_group"):
            self.add(
                group,
                "CloudWatch",
                f"log group: {ingest} GB ingested, {stored} GB stored",
                ingest * cw["log_ingest_gb"] + stored * cw["log_storage_gb_month"],
            )
        if self.of_type("aws_cloudwatch_log_group"):
            self.assumption(f"each log group ingests {ingest} GB and stores {stored} GB per month")
        for alarm in self.of_type("aws_cloudwatch_metric_alarm"):
            self.add(alarm, "CloudWatch", "1 standard-resolution alarm", cw["alarm_month"])
        for dashboard in self.of_type("aws_cloudwatch_dashboard"):
            self.add(dashboard, "CloudWatch", "1 dashboard", cw["dashboard_month"])
        s3_gb = self.assume["s3_gb_per_bucket"]
        for bucket in self.of_type("aws_s3_bucket"):
            self.add(
                bucket, "S3", f"{s3_gb} GB Standard", s3_gb * self.table["s3_standard_gb_month"]
            )
        if self.of_type("aws_s3_bucket"):
            self.assumption(f"each S3 bucket holds {s3_gb} GB in Standard storage")
        waf = self.table["waf"]
        requests = self.assume["waf_million_requests"]
        for acl in self.of_type("aws_wafv2_web_acl"):
            rules = len(acl.values.get("rule") or []) or _json_rules(acl.values.get("rule_json"))
            self.add(
                acl,
                "WAF",
                f"1 web ACL, {rules} rule(s), {requests} M requests",
                waf["web_acl_month"]
                + rules * waf["rule_month"]
                + requests * waf["million_requests"],
            )
        for zone in self.of_type("aws_route53_zone"):
            self.add(zone, "Route 53", "1 hosted zone", self.table["route53_zone_month"])

    # Logs into OpenSearch and cross-region copies ----------------------------------------
    # Priced from the table's third-party figures where no AWS page states the price
    # (third_party_prices, each with its source): every item priced from one says so in its
    # detail, and the assumptions name the figures. What no source prices is listed.

    def third_party(self, *path: str) -> float | None:
        """A price with no AWS source, marked as used under its name in the table's
        third_party_prices; None if absent. One key is a price of ``prices``; a longer path
        is read from the table's top level (e.g. backup_region_prices, <region>, <price>)."""
        value: Any = self.table if len(path) == 1 else self.prices
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
        self.third_party_used.add(".".join(path))
        return float(value)

    def third_party_each(
        self, resources: list[Resource], price: str, quantity: float, service: str, detail: str
    ) -> None:
        """Each resource at ``quantity`` times the third-party price ``price``, or listed as not
        estimated when the table has no such price."""
        rate = self.third_party(price)
        for resource in resources:
            if rate is None:
                self.missing(resource, f"no {price} in the price table")
                continue
            self.add(resource, service, detail, quantity * rate)

    def log_delivery(self) -> None:
        ocu_hour = self.third_party("opensearch_ingestion_ocu_hour")
        for pipeline in self.of_type("aws_osis_pipeline"):
            units = int(pipeline.values.get("min_units") or 1)
            if ocu_hour is None:
                self.missing(pipeline, "no opensearch_ingestion_ocu_hour in the price table")
                continue
            detail = f"{units} Ingestion OCU(s) around the clock (min_units; third-party price)"
            self.add(pipeline, "OpenSearch Ingestion", detail, units * ocu_hour * self.hours)
        if pipelines := self.of_type("aws_osis_pipeline"):
            # One pipeline per data source (AWS allows one source per pipeline definition):
            # each is billed its own min_units around the clock.
            self.assumption(
                f"{len(pipelines)} OpenSearch Ingestion pipeline(s), one per log source, each "
                "at its min_units; scaling towards max_units under load is not estimated. SQS "
                "requests of their queues (one S3 event per Firehose object or ALB access-log "
                "file, long-polled): negligible, not priced"
            )
        ingest = self.assume["log_ingest_gb_per_log_group"]
        streams = self.of_type("aws_kinesis_firehose_delivery_stream")
        self.third_party_each(
            streams,
            "firehose_ingest_gb",
            ingest,
            "Firehose",
            f"{ingest} GB ingested (its log group's volume; third-party price)",
        )
        if streams:
            self.estimate.not_estimated.append(
                f"{len(streams)} Firehose stream(s): the per-GB charge for decompressing "
                "CloudWatch Logs records (no figure found, 2026-12-01; see the price table's "
                "not_in_table)"
            )

    def cross_region(self) -> None:
        rate = self.third_party("inter_region_transfer_gb")
        s3_gb = self.assume["s3_replicated_gb_per_month_per_bucket"]
        rds_gb = self.assume["rds_backup_replicated_gb_per_month"]
        replications = self.of_type("aws_db_instance_automated_backups_replication")
        copies = [
            (r, s3_gb, "S3 replication", "the replica bucket's region")
            for r in self.of_type("aws_s3_bucket_replication_configuration")
        ] + [
            (r, rds_gb, "RDS backup replication", r.values.get("region") or "the backup region")
            for r in replications
        ]
        for resource, gb, what, target in copies:
            if rate is None:
                self.missing(resource, "no inter_region_transfer_gb in the price table")
                continue
            detail = f"{what}: {gb:g} GB/month transferred to {target} (third-party price)"
            self.add(resource, "Cross-region copies", detail, gb * rate)
        if copies and rate is not None:
            self.assumption(
                f"cross-region copies transfer {s3_gb} GB/month per replicated bucket and "
                f"{rds_gb} GB/month of RDS backups (snapshots and transaction logs), at {rate} "
                "USD/GB out of the region; replica buckets are priced as S3 buckets"
            )
        self.replicated_backup_storage(replications)

    def replicated_backup_storage(self, replications: list[Resource]) -> None:
        """Backup storage in the second region: about one full copy of the database there (the
        replicated snapshots are incremental after the first), with no free allowance."""
        if not replications:
            return
        databases = self.of_type("aws_db_instance")
        size = max((float(db.values.get("allocated_storage") or 0) for db in databases), default=0)
        for replication in replications:
            region = str(replication.values.get("region") or "")
            rate = self.third_party("backup_region_prices", region, "rds_backup_storage_gb_month")
            if rate is None:
                self.missing(
                    replication,
                    f"RDS backup storage in {region or 'the backup region'}: no "
                    "backup_region_prices entry for that region in the price table",
                )
                continue
            detail = f"RDS backup storage: {size:g} GB in {region} (third-party price)"
            self.add(replication, "Cross-region copies", detail, size * rate)
            self.assumption(
                "RDS backups replicated to the backup region occupy about the database's "
                "allocated storage there (one full copy; later snapshots are incremental), with "
                "no free allowance in that region"
            )

    # Egress allow-list and per-service identities ----------------------------------------
    def dns_firewall(self) -> None:
        """Route 53 Resolver DNS Firewall: each listed domain name per month, and the queries
        it filters for each VPC it is associated with (an assumed volume)."""
        domain_month = self.third_party("dns_firewall_domain_month")
        for domain_list in self.of_type("aws_route53_resolver_firewall_domain_list"):
            domains = domain_list.values.get("domains")
            if domain_month is None or not isinstance(domains, list):
                why = "no dns_firewall_domain_month in the price table"
                self.missing(domain_list, why if domain_month is None else "domains unknown")
                continue
            detail = f"{len(domains)} domain name(s) listed (third-party price)"
            self.add(domain_list, "DNS Firewall", detail, len(domains) * domain_month)
        millions = self.assume["dns_firewall_million_queries_per_vpc"]
        associations = self.of_type("aws_route53_resolver_firewall_rule_group_association")
        self.third_party_each(
            associations,
            "dns_firewall_million_queries",
            millions,
            "DNS Firewall",
            f"{millions} M queries/month filtered for its VPC (third-party price)",
        )
        if associations:
            self.assumption(
                f"the DNS Firewall filters {millions} million queries per month per VPC"
            )

    def free_items(self) -> None:
        """Resources whose running cost is nil, stated so the report shows they were seen."""
        free = {
            "aws_elasticache_user": "ElastiCache RBAC users and user groups",
            "aws_elasticache_user_group": "ElastiCache RBAC users and user groups",
            "aws_security_group": "security groups and their rules",
            "aws_vpc_security_group_ingress_rule": "security groups and their rules",
            "aws_vpc_security_group_egress_rule": "security groups and their rules",
        }
        seen = sorted({free[r.type] for r in self.resources.values() if r.type in free})
        if seen:
            self.assumption(
                f"no charge: {', '.join(seen)} (aws.amazon.com/elasticache/pricing and "
                "/vpc/pricing list none); each service's Redis password secret is priced as a "
                "Secrets Manager secret"
            )

    def backup_vaults(self) -> None:
        """AWS Backup's locked copies of the database (modules/rds/backup_vault.tf): each plan
        rule's copy_action keeps about one full snapshot of the database in the destination
        vault's region (the copies after the first are incremental) and transfers the daily
        changes there. AWS Backup bills RDS snapshots at the RDS snapshot storage rate (AWS
        Backup pricing page: the RDS line of "AWS Backup storage"). The snapshots in the source
        region's vault count towards the RDS backup storage of the instance's region, which has
        no price in the table: listed, not guessed."""
        plans = self.of_type("aws_backup_plan")
        if not plans:
            return
        databases = self.of_type("aws_db_instance")
        size = max((float(db.values.get("allocated_storage") or 0) for db in databases), default=0)
        gb = self.assume["rds_backup_replicated_gb_per_month"]
        for plan in plans:
            for rule in plan.values.get("rule") or []:
                for copy in rule.get("copy_action") or []:
                    arn = str(copy.get("destination_vault_arn") or "")
                    region = arn.split(":")[3] if arn.count(":") >= 5 else ""
                    storage = self.third_party(
                        "backup_region_prices", region, "rds_backup_storage_gb_month"
                    )
                    transfer = self.third_party("inter_region_transfer_gb")
                    if storage is None or transfer is None:
                        self.missing(
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
                    self.add(plan, "AWS Backup", detail, size * storage + gb * transfer)
            self.estimate.not_estimated.append(
                f"{plan.address}: the daily snapshots in the vault of the instance's region "
                f"(RDS backup storage of {self.estimate.region} beyond the free allowance; no "
                "price in the table)"
            )
        self.assumption(
            "AWS Backup copies of the database occupy about its allocated storage in the backup "
            f"region (one full snapshot, then incremental) and transfer {gb:g} GB/month there; "
            "vault locks and S3 Object Lock cost nothing themselves"
        )

    def third_party_note(self) -> None:
        if self.third_party_used:
            self.assumption(
                "third-party prices (no AWS page found; sources in the price table's "
                f"third_party_prices, verify before relying on them): "
                f"{', '.join(sorted(self.third_party_used))}"
            )

    def run(self) -> None:
        self.fargate()
        self.network()
        self.load_balancers()
        self.elasticache()
        self.opensearch()
        self.rds()
        self.small()
        self.log_delivery()
        self.cross_region()
        self.dns_firewall()
        self.free_items()
        self.backup_vaults()
        self.third_party_note()
        self.assumption(
            "not included: data transfer out, request charges, backups beyond the free "
            "allowance, Container Insights metrics, ECR storage, free tiers"
        )


def builtin_estimate(
    plan: Mapping[str, Any] | Plan,
    environment: str,
    region: str,
    prices: dict[str, Any] | None = None,
) -> Estimate:
    prices = prices or load_prices(region)
    estimate = Estimate(
        environment=environment,
        engine="built-in",
        currency=prices["currency"],
        region=region,
        price_source=prices["source"],
        prices_as_of=prices["as_of"],
    )
    estimate.assumptions.append(f"{prices['hours_per_month']} hours per month")
    Pricer(plan, prices, estimate).run()
    return estimate
