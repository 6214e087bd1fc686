"""Cost estimate: the built-in arithmetic on a hand-checked fixture, the price table's shape, the
files the stage writes, and the infracost path (with a stand-in binary)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, ROOT, environment_values, executable

from carcierge_pipeline import planmodel
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.hcl import load_tfvars
from carcierge_pipeline.stages.analyse import cost, pricing

PLANS = FIXTURES / "plans"
HOURS = 730


@pytest.fixture
def frozen_prices() -> dict:
    return json.loads((PLANS / "prices-hand-checked.json").read_text())


@pytest.fixture
def estimate(frozen_prices) -> pricing.Estimate:
    plan = json.loads((PLANS / "cost.json").read_text())
    return pricing.builtin_estimate(plan, "staging", "us-west-1", frozen_prices)


def by_address(estimate: pricing.Estimate) -> dict[str, float]:
    return {item.address: item.monthly for item in estimate.items}


# Worked out by hand from prices-hand-checked.json (730 h/month):
HAND_CHECKED = {
    # 4 tasks, base 1 on FARGATE, 3 split 50/50 -> 1.5 on Spot at 30% of the price:
    # (0.5 x 0.04656 + 1 x 0.00511) x (2.5 + 1.5 x 0.3) x 730 = 0.02839 x 2.95 x 730
    'module.ecs.aws_ecs_service.service["api"]': 61.137865,
    # no strategy -> the cluster default (FARGATE); ARM64: (0.25 x 0.03725 + 0.5 x 0.00409) x 730
    'module.ecs.aws_ecs_service.service["worker"]': 8.290975,
    # 0.048 x 730 + 0.048 x 50 GB
    'module.vpc.aws_nat_gateway.this["us-west-1a"]': 37.44,
    # 0.005 x 730
    'module.vpc.aws_eip.nat["us-west-1a"]': 3.65,
    # (0.0252 + 0.008 x 1 LCU) x 730 + 2 subnets x 0.005 x 730
    "module.ecs.aws_lb.main": 31.536,
    # subnets unknown -> 2 AZs from the planned subnets: 0.011 x 2 x 730 + 0.01 x 5 GB
    'module.vpc.aws_vpc_endpoint.interface["ecr.api"]': 16.11,
    # 2 x 0.018 x 730
    "module.elasticache.aws_elasticache_replication_group.main": 26.28,
    # 2 x 0.040 x 730 + 2 x 20 GB x 0.134
    "module.opensearch.aws_opensearch_domain.main": 63.76,
    # multi-AZ doubles: 2 x (0.021 x 730 + 20 GB x 0.138)
    "module.rds.aws_db_instance.main": 36.18,
    "aws_kms_key.main": 1.00,
    # 2 GB x 0.50 + 2 GB x 0.03
    'module.ecs.aws_cloudwatch_log_group.service["api"]': 1.06,
    'module.ecs.aws_cloudwatch_log_group.service["worker"]': 1.06,
    "module.monitoring.aws_cloudwatch_metric_alarm.rds_cpu": 0.10,
    "module.rds.aws_secretsmanager_secret.master": 0.40,
}


def test_itemised_arithmetic_is_hand_checked(estimate):
    assert by_address(estimate) == pytest.approx(HAND_CHECKED, abs=1e-6)
    assert estimate.total == pytest.approx(288.00, abs=0.005)


def test_per_service_totals(estimate):
    assert estimate.per_service == pytest.approx(
        {
            "ECS Fargate": 69.43,
            "OpenSearch": 63.76,
            "NAT gateway": 37.44,
            "RDS": 36.18,
            "Load balancer": 31.54,
            "ElastiCache": 26.28,
            "VPC interface endpoints": 16.11,
            "Public IPv4": 3.65,
            "CloudWatch": 2.22,
            "KMS": 1.00,
            "Secrets Manager": 0.40,
        },
        abs=0.005,
    )


def test_deleted_free_and_unpriced_resources(estimate):
    priced = by_address(estimate)
    assert "module.rds.aws_db_instance.old" not in priced  # deleted by the plan
    assert "module.vpc.aws_vpc_endpoint.s3" not in priced  # gateway endpoints are free
    assert not any("aws_iam_role" in address for address in priced)
    assert estimate.not_estimated == [
        "module.rds.aws_db_instance.exotic: no price for instance class db.x99.huge"
    ]


def test_assumptions_are_stated(estimate):
    text = "\n".join(estimate.assumptions)
    assert f"{HOURS} hours per month" in text
    assert "Fargate Spot is priced at 70% off" in text
    assert "each NAT gateway processes 50 GB/month" in text
    assert "1 capacity unit(s) (LCU)" in text
    assert "not included: data transfer out" in text


@pytest.mark.parametrize(
    ("desired", "strategy", "spot"),
    [
        (4, [], 0),
        (4, [{"capacity_provider": "FARGATE_SPOT", "weight": 1}], 4),
        (
            4,
            [
                {"capacity_provider": "FARGATE", "weight": 50, "base": 1},
                {"capacity_provider": "FARGATE_SPOT", "weight": 50},
            ],
            1.5,
        ),
        (
            2,
            [
                {"capacity_provider": "FARGATE", "weight": 1, "base": 2},
                {"capacity_provider": "FARGATE_SPOT", "weight": 3},
            ],
            0,
        ),
        (
            5,
            [
                {"capacity_provider": "FARGATE", "weight": 1},
                {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 1},
            ],
            4,
        ),
    ],
)
def test_spot_share_follows_base_then_weight(desired, strategy, spot):
    assert planmodel.spot_tasks(desired, strategy) == pytest.approx(spot)


def test_shipped_price_table_has_source_date_and_every_price(frozen_prices):
    shipped = pricing.load_prices("us-west-1")
    assert shipped["region"] == "us-west-1"
    assert shipped["source"].startswith("AWS public on-demand price pages")
    assert shipped["as_of"] and shipped["hours_per_month"] == HOURS
    assert set(shipped["prices"]) == set(frozen_prices["prices"])
    assert set(shipped["assumptions"]) == set(frozen_prices["assumptions"])
    with pytest.raises(UserError, match="no price table for region 'eu-west-1'"):
        pricing.load_prices("eu-west-1")


def test_stage_writes_cost_json_and_markdown(tmp_path):
    shutil.copy(PLANS / "cost.json", tmp_path / "plan.json")
    said: list[str] = []
    result = cost.run_cost(tmp_path, "staging", echo=said.append, environ={})
    data = json.loads((tmp_path / "cost.json").read_text())
    assert data["engine"] == "built-in"
    assert data["monthly_total"] == result.total
    assert data["prices_as_of"] and data["price_source"]
    assert {item["address"] for item in data["items"]} >= set(HAND_CHECKED)
    markdown = (tmp_path / "cost.md").read_text()
    for heading in ("## Per service", "## Per resource", "## Assumptions", "## Not estimated"):
        assert heading in markdown
    assert (
        said[0] == "pricing the staging plan with the built-in price table (no INFRACOST_API_KEY)"
    )
    assert any(line.startswith("  ECS Fargate") for line in said)


def test_missing_plan_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"no plan for qa at .*: run `carcierge plan -e qa` first"):
        cost.run_cost(tmp_path, "qa", echo=lambda _: None, environ={})


def _fake_infracost(tmp_path: Path, output: dict, exit_code: int = 0) -> Path:
    return executable(
        tmp_path / "infracost",
        "#!/bin/sh\n"
        f'test "$1" = breakdown || exit 9\n'
        f"cat <<'EOF'\n{json.dumps(output)}\nEOF\n"
        f"exit {exit_code}\n",
    )


def test_infracost_is_used_when_configured(tmp_path):
    shutil.copy(PLANS / "cost.json", tmp_path / "plan.json")
    output = {
        "currency": "USD",
        "timeGenerated": "2026-11-26T00:00:00Z",
        "projects": [
            {
                "breakdown": {
                    "resources": [
                        {
                            "name": "aws_kms_key.main",
                            "resourceType": "aws_kms_key",
                            "monthlyCost": "1",
                        },
                        {
                            "name": "module.rds.aws_db_instance.main",
                            "resourceType": "aws_db_instance",
                            "monthlyCost": "36.5",
                        },
                    ]
                }
            }
        ],
    }
    binary = _fake_infracost(tmp_path, output)
    environ = {"INFRACOST_API_KEY": "ico-test", "INFRACOST": str(binary)}
    result = cost.run_cost(tmp_path, "staging", echo=lambda _: None, environ=environ)
    assert result.engine == "infracost"
    assert result.total == 37.5
    assert json.loads((tmp_path / "cost.json").read_text())["engine"] == "infracost"


def test_without_api_key_infracost_is_not_used(tmp_path):
    binary = _fake_infracost(tmp_path, {})
    assert cost.infracost_binary({"INFRACOST": str(binary)}) is None
    assert cost.infracost_binary({"INFRACOST_API_KEY": "k", "INFRACOST": str(binary)}) == str(
        binary
    )


def test_infracost_failure_is_one_line(tmp_path):
    shutil.copy(PLANS / "cost.json", tmp_path / "plan.json")
    binary = _fake_infracost(tmp_path, {"error": "invalid API key"}, exit_code=1)
    environ = {"INFRACOST_API_KEY": "bad", "INFRACOST": str(binary)}
    with pytest.raises(StageFailed, match="infracost failed"):
        cost.run_cost(tmp_path, "staging", echo=lambda _: None, environ=environ)


# Log delivery, per environment, at the shipped table's third-party figures: each ingestion
# pipeline (one per source: the log groups' files and the ALB's access logs) at min_units (1) x
# 0.24 USD/OCU-hour x 730 h = 175.20; each Firehose stream its log group's 2 GB x 0.035 USD/GB
# = 0.07. Decompression has no figure and is listed, once.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_log_delivery_is_priced_per_environment(environment_plans, environment):
    plan = environment_plans(environment)
    estimate = pricing.builtin_estimate(plan, environment, "us-west-1")
    items = {item.address: item for item in estimate.items}
    streams = [
        r["address"]
        for r in plan["resource_changes"]
        if r["type"] == "aws_kinesis_firehose_delivery_stream"
    ]
    # one per service of the environment file and the VPC flow logs
    assert len(streams) == len(environment_values(ROOT, environment)["services"]) + 1
    assert {address: round(items[address].monthly, 6) for address in streams} == {
        address: 0.07 for address in streams
    }
    pipelines = [item for item in estimate.items if ".aws_osis_pipeline." in item.address]
    planned = [r for r in plan["resource_changes"] if r["type"] == "aws_osis_pipeline"]
    assert len(pipelines) == len(planned) == 2  # one per source
    for pipeline in pipelines:
        assert pipeline.monthly == pytest.approx(175.20)
        assert "1 Ingestion OCU(s)" in pipeline.detail and "third-party price" in pipeline.detail
    assert estimate.per_service["OpenSearch Ingestion"] == pytest.approx(2 * 175.20)
    [count] = [a for a in estimate.assumptions if "OpenSearch Ingestion pipeline(s)" in a]
    assert count.startswith("2 OpenSearch Ingestion pipeline(s), one per log source")
    [decompression] = [line for line in estimate.not_estimated if "decompressing" in line]
    assert decompression.startswith(f"{len(streams)} Firehose stream(s)")
    [third_party] = [a for a in estimate.assumptions if a.startswith("third-party prices")]
    assert "opensearch_ingestion_ocu_hour" in third_party and "firehose_ingest_gb" in third_party


def test_log_delivery_without_its_prices_is_listed_never_dropped(environment_plans):
    prices = pricing.load_prices("us-west-1")
    del prices["prices"]["opensearch_ingestion_ocu_hour"]
    del prices["prices"]["firehose_ingest_gb"]
    estimate = pricing.builtin_estimate(environment_plans("qa"), "qa", "us-west-1", prices)
    assert not [i for i in estimate.items if i.service in {"OpenSearch Ingestion", "Firehose"}]
    missing = " ".join(estimate.not_estimated)
    assert missing.count("no opensearch_ingestion_ocu_hour in the price table") == 2
    streams = len(environment_values(ROOT, "qa")["services"]) + 1  # and the VPC flow logs
    assert missing.count("no firehose_ingest_gb in the price table") == streams


# Cross-region copies, prod only: transfer out of the region at inter_region_transfer_gb
# (0.02 USD/GB) for the shipped usage assumptions (5 GB/month per replicated bucket, 20 GB/month
# of RDS backups): 5 x 0.02 and 20 x 0.02; and the replicated backups' storage in us-east-1,
# prod's allocated 100 GB x 0.095 USD/GB-month = 9.50.
CROSS_REGION = {
    ("aws_s3_bucket_replication_configuration", "S3 replication"): 0.10,
    ("aws_db_instance_automated_backups_replication", "RDS backup replication"): 0.40,
    ("aws_db_instance_automated_backups_replication", "RDS backup storage"): 9.50,
}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cross_region_copies_are_priced_per_environment(environment_plans, environment):
    plan = environment_plans(environment)
    estimate = pricing.builtin_estimate(plan, environment, "us-west-1")
    copies = {
        (item.address.split(".")[-2].split("[")[0], item.detail.split(":")[0]): round(
            item.monthly, 6
        )
        for item in estimate.items
        if item.service == "Cross-region copies"
    }
    if environment != "prod":  # enable_cross_region_backups is on in prod only
        assert copies == {}
        return
    assert copies == CROSS_REGION
    details = {item.detail for item in estimate.items if item.service == "Cross-region copies"}
    assert "RDS backup replication: 20 GB/month transferred to us-east-1 (third-party price)" in (
        details
    )
    assert "RDS backup storage: 100 GB in us-east-1 (third-party price)" in details
    assert estimate.per_service["Cross-region copies"] == pytest.approx(10.00)
    assert any("cross-region copies transfer 5 GB/month" in a for a in estimate.assumptions)
    [third_party] = [a for a in estimate.assumptions if a.startswith("third-party prices")]
    assert "backup_region_prices.us-east-1.rds_backup_storage_gb_month" in third_party
    assert "inter_region_transfer_gb" in third_party


def test_cross_region_copies_follow_the_assumptions_and_need_their_price(environment_plans):
    prices = pricing.load_prices("us-west-1")
    prices["assumptions"]["rds_backup_replicated_gb_per_month"] = 100
    estimate = pricing.builtin_estimate(environment_plans("prod"), "prod", "us-west-1", prices)
    rds = [
        i for i in estimate.items if "transferred" in i.detail and "automated_backups" in i.address
    ]
    assert [round(i.monthly, 6) for i in rds] == [2.0]  # 100 GB x 0.02

    del prices["prices"]["inter_region_transfer_gb"]
    del prices["backup_region_prices"]["us-east-1"]
    estimate = pricing.builtin_estimate(environment_plans("prod"), "prod", "us-west-1", prices)
    assert not [i for i in estimate.items if i.service == "Cross-region copies"]
    missing = [line for line in estimate.not_estimated if "no inter_region_transfer_gb" in line]
    assert len(missing) == 2
    [storage] = [line for line in estimate.not_estimated if "RDS backup storage in" in line]
    assert "RDS backup storage in us-east-1: no backup_region_prices entry" in storage


def test_shipped_table_cites_every_third_party_price():
    shipped = pricing.load_prices("us-west-1")
    sources = shipped["third_party_prices"]
    assert shipped["prices"]["inter_region_transfer_gb"] == 0.02
    assert shipped["prices"]["opensearch_ingestion_ocu_hour"] == 0.24
    assert shipped["prices"]["firehose_ingest_gb"] == 0.035
    assert shipped["backup_region_prices"]["us-east-1"]["rds_backup_storage_gb_month"] == 0.095
    assert shipped["prices"]["dns_firewall_domain_month"] == 0.0005
    assert shipped["prices"]["dns_firewall_million_queries"] == 0.60
    cited = {key for key in sources if key != "why"}
    assert cited == {
        "inter_region_transfer_gb",
        "opensearch_ingestion_ocu_hour",
        "firehose_ingest_gb",
        "backup_region_prices.us-east-1.rds_backup_storage_gb_month",
        "dns_firewall_domain_month",
        "dns_firewall_million_queries",
    }
    for key in cited:
        assert re.search(r"read 2026-\d\d-\d\d", sources[key]), key
        assert "Verify: aws.amazon.com/" in sources[key], key
    assert "decompressing CloudWatch Logs" in shipped["not_in_table"]


# Issue 26's running costs, per environment, at the shipped table: the DNS Firewall where the
# environment file sets egress_allowed_domains (its listed names at dns_firewall_domain_month,
# its queries at dns_firewall_million_queries for the assumed volume); one Secrets Manager
# secret per service for its Redis password; the STS interface endpoint with the others.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_issue_26_egress_and_identity_costs_per_environment(environment_plans, environment):
    plan = environment_plans(environment)
    prices = pricing.load_prices("us-west-1")
    estimate = pricing.builtin_estimate(plan, environment, "us-west-1", prices)
    items = {item.address: item for item in estimate.items}
    firewall = {a: i for a, i in items.items() if i.service == "DNS Firewall"}
    listed = plan["variables"]["egress_allowed_domains"]["value"]
    if listed is None:
        assert firewall == {}
    else:
        lists = {
            rc["address"]: rc["change"]["after"]["domains"]
            for rc in plan["resource_changes"]
            if rc["type"] == "aws_route53_resolver_firewall_domain_list"
        }
        assert len(lists) == 2
        domain_month = prices["prices"]["dns_firewall_domain_month"]
        for address, domains in lists.items():
            assert firewall[address].monthly == pytest.approx(len(domains) * domain_month)
        [association] = [a for a in firewall if "rule_group_association" in a]
        queries = prices["assumptions"]["dns_firewall_million_queries_per_vpc"]
        expected = queries * prices["prices"]["dns_firewall_million_queries"]
        assert firewall[association].monthly == pytest.approx(expected)
        assert "third-party price" in firewall[association].detail
        [third_party] = [a for a in estimate.assumptions if a.startswith("third-party prices")]
        assert "dns_firewall_million_queries" in third_party
    services = plan["variables"]["services"]["value"]
    redis_secrets = [
        item
        for address, item in items.items()
        if address.startswith("module.elasticache.aws_secretsmanager_secret.user[")
    ]
    assert len(redis_secrets) == len(services)
    assert all(
        item.monthly == pytest.approx(prices["prices"]["secretsmanager_secret_month"])
        for item in redis_secrets
    )
    sts = items.get('module.vpc.aws_vpc_endpoint.interface["sts"]')
    assert (sts is not None) is plan["variables"]["enable_interface_endpoints"]["value"]
    assert any(a.startswith("no charge: ElastiCache RBAC users") for a in estimate.assumptions)


# --- issue 26: the WAF of every internet-facing ALB, AWS Backup's locked copies ----------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_public_alb_pays_for_its_waf(environment_plans, environment):
    # Every environment file opens its ALB to 0.0.0.0/0, so each has the project's web ACL
    # (a validation requires it); its rules are in rule_json and billed each.
    plan = environment_plans(environment)
    settings = load_tfvars(ROOT / "environments" / f"{environment}.tfvars")
    assert "0.0.0.0/0" in settings["alb_ingress_cidrs"] and settings["enable_waf"] is True
    [acl] = [
        rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_wafv2_web_acl" and rc["change"]["after"]
    ]
    rules = len(json.loads(acl["rule_json"]))
    prices = pricing.load_prices("us-west-1")
    waf = prices["prices"]["waf"]
    wanted = (
        waf["web_acl_month"]
        + rules * waf["rule_month"]
        + prices["assumptions"]["waf_million_requests"] * waf["million_requests"]
    )
    estimate = pricing.builtin_estimate(plan, environment, "us-west-1")
    assert rules >= 4  # three managed rule groups and the rate limit
    assert estimate.per_service["WAF"] == pytest.approx(wanted)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_aws_backup_copies_are_priced_where_they_exist(environment_plans, environment):
    plan = environment_plans(environment)
    settings = load_tfvars(ROOT / "environments" / f"{environment}.tfvars")
    estimate = pricing.builtin_estimate(plan, environment, "us-west-1")
    items = [item for item in estimate.items if item.service == "AWS Backup"]
    if not settings["enable_cross_region_backups"]:
        assert items == []
        return
    prices = pricing.load_prices("us-west-1")
    region = settings["backup_region"]
    size = settings["rds_config"]["allocated_storage"]
    gb = prices["assumptions"]["rds_backup_replicated_gb_per_month"]
    storage = prices["backup_region_prices"][region]["rds_backup_storage_gb_month"]
    [item] = items
    assert item.address == "module.rds.aws_backup_plan.rds[0]"
    assert item.detail.startswith(f"locked copy in {region}: {size:g} GB snapshot storage")
    assert item.monthly == pytest.approx(
        size * storage + gb * prices["prices"]["inter_region_transfer_gb"]
    )
    assert any("vault of the instance's region" in line for line in estimate.not_estimated)


def test_every_service_module_is_registered():
    # One module per AWS service (issue 27 item 3); one written and not registered would price
    # nothing, silently.
    import importlib
    import pkgutil

    package = importlib.import_module("carcierge_pipeline.stages.analyse.pricing")
    modules = {info.name for info in pkgutil.iter_modules(package.__path__) if info.name != "base"}
    registered = {price.__module__.rsplit(".", 1)[-1] for price in package._services()}
    assert registered == modules
    assert len(package._services()) == len(set(package._services()))
