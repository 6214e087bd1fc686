"""Network topology of each environment, read from its offline plan (modules vpc and
security_groups wired through the root with the real environment files)."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from typing import Any

import pytest
from support import ROOT, environment_values, services_of

from carcierge_pipeline.environments import ENVIRONMENTS, PROTECTED_ENVIRONMENTS

INTERFACE_SERVICES = {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"}
OPEN = {"0.0.0.0/0", "::/0"}
ALB_INGRESS = "module.security_groups.aws_vpc_security_group_ingress_rule.alb["


def _changes(plan: dict) -> list[dict]:
    return [rc for rc in plan["resource_changes"] if rc["change"].get("after") is not None]


def _of(plan: dict, address: str) -> dict[Any, dict]:
    """Planned values of every instance of a resource, keyed by instance key (or None): the plan
    JSON's `index`, a for_each key (str) or a count index (int)."""
    prefix, name = address.rsplit(".", 2)[0], address.rsplit(".", 2)[1:]
    return {
        rc.get("index"): rc["change"]["after"]
        for rc in _changes(plan)
        if rc.get("module_address") == prefix and [rc["type"], rc["name"]] == name
    }


def _output(plan: dict, name: str):
    return plan["planned_values"]["outputs"][name]["value"]


def _vpc_config(plan: dict) -> dict[str, dict]:
    module = plan["configuration"]["root_module"]["module_calls"]["vpc"]["module"]
    return {resource["address"]: resource for resource in module["resources"]}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_subnets_span_two_azs_in_three_tiers(environment_plans, environment):
    plan = environment_plans(environment)
    azs = _output(plan, "availability_zones")
    assert len(azs) == environment_values(ROOT, environment)["az_count"], azs
    for tier in ("public", "private", "data"):
        subnets = _of(plan, f"module.vpc.aws_subnet.{tier}")
        assert set(subnets) == set(azs), (tier, sorted(subnets))
        for az, subnet in subnets.items():
            assert subnet["availability_zone"] == az
            assert subnet["map_public_ip_on_launch"] is False
            assert subnet["tags"]["Name"] == f"{environment}-carcierge-vpc-{tier}-subnet-{az}"


def test_each_environment_has_its_own_vpc_cidr(environment_plans):
    cidrs = {
        env: _of(environment_plans(env), "module.vpc.aws_vpc.this")[None]["cidr_block"]
        for env in ENVIRONMENTS
    }
    assert len(set(cidrs.values())) == len(ENVIRONMENTS), cidrs


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_nat_topology(environment_plans, environment):
    plan = environment_plans(environment)
    azs = _output(plan, "availability_zones")
    nats = _of(plan, "module.vpc.aws_nat_gateway.this")
    eips = _of(plan, "module.vpc.aws_eip.nat")
    routes = _of(plan, "module.vpc.aws_route.private_nat")
    route_nat_azs = _output(plan, "private_route_nat_azs")

    per_az = environment_values(ROOT, environment)["nat_gateway_mode"] == "per_az"
    if per_az:  # one NAT per AZ; each private subnet leaves through its own AZ
        assert set(nats) == set(azs)
        assert route_nat_azs == {az: az for az in azs}
    else:  # one shared NAT in the first AZ
        assert set(nats) == {azs[0]}
        assert route_nat_azs == dict.fromkeys(azs, azs[0])
    assert set(eips) == set(nats)
    assert all(eip["domain"] == "vpc" for eip in eips.values())
    assert all(nat["connectivity_type"] == "public" for nat in nats.values())

    # One default route per private AZ; its target is the NAT of the AZ the output names.
    assert set(routes) == set(azs)
    assert all(route["destination_cidr_block"] == "0.0.0.0/0" for route in routes.values())
    target = _vpc_config(plan)["aws_route.private_nat"]["expressions"]["nat_gateway_id"]
    assert target["references"][:2] == ["aws_nat_gateway.this", "local.nat_az_for"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_data_tier_has_no_route_out(environment_plans, environment):
    plan = environment_plans(environment)
    assert _of(plan, "module.vpc.aws_route_table.data")[None]["route"] == []
    routes = {
        rc["address"] for rc in _changes(plan) if rc["type"] in ("aws_route", "aws_route_table")
    }
    azs = _output(plan, "availability_zones")
    assert routes == {
        "module.vpc.aws_route.public_internet",
        "module.vpc.aws_route_table.public",
        "module.vpc.aws_route_table.data",
        *(f'module.vpc.aws_route.private_nat["{az}"]' for az in azs),
        *(f'module.vpc.aws_route_table.private["{az}"]' for az in azs),
    }
    data_nacl_in = [
        (rule["from_port"], rule["to_port"], rule["cidr_block"])
        for key, rule in _of(plan, "module.vpc.aws_network_acl_rule.this").items()
        if key.startswith("data-") and not rule["egress"]
    ]
    # The private tier owns the second quarter of the VPC CIDR (modules/vpc layout).
    vpc_cidr = IPv4Network(_of(plan, "module.vpc.aws_vpc.this")[None]["cidr_block"])
    private_tier = list(vpc_cidr.subnets(prefixlen_diff=2))[1]
    private_subnets = _of(plan, "module.vpc.aws_subnet.private").values()
    assert all(IPv4Network(s["cidr_block"]).subnet_of(private_tier) for s in private_subnets)
    assert sorted(data_nacl_in) == [(port, port, str(private_tier)) for port in (443, 5432, 6379)]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_interface_endpoints_only_in_uat_and_prod(environment_plans, environment):
    plan = environment_plans(environment)
    endpoints = _of(plan, "module.vpc.aws_vpc_endpoint.interface")
    gateway = _of(plan, "module.vpc.aws_vpc_endpoint.s3")[None]
    assert gateway["vpc_endpoint_type"] == "Gateway"
    assert gateway["service_name"] == "com.amazonaws.us-west-1.s3"
    if environment_values(ROOT, environment)["enable_interface_endpoints"]:
        assert set(endpoints) == INTERFACE_SERVICES
        for service, endpoint in endpoints.items():
            assert endpoint["service_name"] == f"com.amazonaws.us-west-1.{service}"
            assert endpoint["vpc_endpoint_type"] == "Interface"
            assert endpoint["private_dns_enabled"] is True
        assert len(_of(plan, "module.vpc.aws_security_group.endpoints")) == 1
    else:
        assert endpoints == {}
        assert _of(plan, "module.vpc.aws_security_group.endpoints") == {}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_name_tag_follows_the_convention(environment_plans, environment):
    plan = environment_plans(environment)
    names = {
        rc["address"]: (rc["change"]["after"].get("tags") or {}).get("Name")
        for rc in _changes(plan)
        if "tags" in rc["change"]["after"]
    }
    assert names, "no taggable resources in the plan"
    wrong = {
        address: name
        for address, name in names.items()
        if name is not None and not name.startswith(f"{environment}-carcierge-")
    }
    assert wrong == {}
    network = ("module.vpc.", "module.security_groups.")
    unnamed = [a for a, name in names.items() if a.startswith(network) and name is None]
    assert unnamed == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_ingress_from_anywhere_except_the_alb(environment_plans, environment):
    plan = environment_plans(environment)
    open_ingress = []
    for rc in _changes(plan):
        after = rc["change"]["after"]
        if rc["type"] == "aws_vpc_security_group_ingress_rule":
            if after.get("cidr_ipv4") in OPEN or after.get("cidr_ipv6") in OPEN:
                open_ingress.append(rc["address"])
        elif rc["type"] == "aws_security_group_rule" and after.get("type") == "ingress":
            if OPEN & set((after.get("cidr_blocks") or []) + (after.get("ipv6_cidr_blocks") or [])):
                open_ingress.append(rc["address"])
        elif rc["type"] in ("aws_security_group", "aws_default_security_group"):
            for rule in after.get("ingress") or []:
                if OPEN & set(rule.get("cidr_blocks", []) + rule.get("ipv6_cidr_blocks", [])):
                    open_ingress.append(rc["address"])
    # The public ALB is open on 443 and 80 (alb_ingress_cidrs is 0.0.0.0/0 everywhere) ...
    alb = sorted(a for a in open_ingress if a.startswith(ALB_INGRESS))
    assert alb == [f'{ALB_INGRESS}"http-0.0.0.0/0"]', f'{ALB_INGRESS}"https-0.0.0.0/0"]']
    # ... and nothing else is.
    assert sorted(set(open_ingress) - set(alb)) == []


# --- data-store ports: one source each, the store's own config ---------------------------------

DATA_IN_RULES = {
    "rds": "data-in-postgres",
    "redis": "data-in-redis",
    "opensearch": "data-in-opensearch",
}


def _opened_ports(plan: dict) -> dict[str, set[int]]:
    """Per store: every port its security group rules (from and to each task's group) and the
    data tier's ACL rule open. Rules are keyed <task>-<store>."""
    ingress = _of(
        plan, "module.security_groups.aws_vpc_security_group_ingress_rule.store_from_task"
    )
    egress = _of(plan, "module.security_groups.aws_vpc_security_group_egress_rule.task_to_store")
    nacl = _of(plan, "module.vpc.aws_network_acl_rule.this")
    opened: dict[str, set[int]] = {}
    for store in DATA_IN_RULES:
        rules = [
            rule
            for group in (ingress, egress)
            for key, rule in group.items()
            if key.endswith(f"-{store}")
        ]
        assert rules, store
        opened[store] = {
            port
            for rule in (*rules, nacl[DATA_IN_RULES[store]])
            for port in (rule["from_port"], rule["to_port"])
        }
    return opened


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_data_store_ports_are_the_configured_ones(environment_plans, environment):
    plan = environment_plans(environment)
    rds = plan["variables"]["rds_config"]["value"].get("port") or 5432
    redis = plan["variables"]["redis_config"]["value"].get("port") or 6379
    assert _opened_ports(plan) == {"rds": {rds}, "redis": {redis}, "opensearch": {443}}


# --- east-west: one group per service, open to the ALB and the service's callers only -----------

SG = "module.security_groups."


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_service_admits_only_the_alb_and_its_callers(environment_plans, environment):
    """Expected from the environment file (services.*.public and .callers): a service's group
    admits the ALB when it is public and each caller's group, on its container port; nothing
    else reaches it, and the operator task's group admits nothing."""
    plan = environment_plans(environment)
    services = services_of(ROOT, environment)
    groups = _of(plan, f"{SG}aws_security_group.service")
    assert {key: group["name"] for key, group in groups.items()} == {
        key: f"{environment}-carcierge-{key}-sg" for key in services
    }
    assert (
        _of(plan, f"{SG}aws_security_group.role")["ops"]["name"]
        == f"{environment}-carcierge-ops-sg"
    )

    # Which group a rule belongs to and which it admits: the configuration's references (the
    # ids are unknown offline), read from the rule's for_each key.
    from_alb = _of(plan, f"{SG}aws_vpc_security_group_ingress_rule.service_from_alb")
    from_caller = _of(plan, f"{SG}aws_vpc_security_group_ingress_rule.service_from_caller")
    admitted = {(key, "alb", rule["from_port"]) for key, rule in from_alb.items()} | {
        (key.split("-from-")[0], key.split("-from-")[1], rule["from_port"])
        for key, rule in from_caller.items()
    }
    expected = {
        (key, "alb", service["container_port"])
        for key, service in services.items()
        if service.get("public", True)
    } | {
        (key, caller, service["container_port"])
        for key, service in services.items()
        for caller in service.get("callers") or []
    }
    assert admitted == expected
    assert all(
        rule["to_port"] == rule["from_port"] for rule in (*from_alb.values(), *from_caller.values())
    )
    calls_out = _of(plan, f"{SG}aws_vpc_security_group_egress_rule.caller_to_service")
    assert set(calls_out) == set(from_caller)

    # Nothing else opens a service's or the operator task's group: the module's only ingress
    # rules are the ALB's, these two and the data stores' (from the tasks and the log delivery).
    ingress_kinds = {
        rc["name"]
        for rc in _changes(plan)
        if rc["type"] == "aws_vpc_security_group_ingress_rule" and rc["address"].startswith(SG)
    }
    assert ingress_kinds <= {
        "alb",
        "service_from_alb",
        "service_from_caller",
        "store_from_task",
    }
    # The services' settings reach ECS: each service runs in its own group.
    config = plan["configuration"]["root_module"]["module_calls"]["ecs"]["module"]["resources"]
    [service] = [r for r in config if r["address"] == "aws_ecs_service.service"]
    groups_expression = service["expressions"]["network_configuration"][0]["security_groups"]
    assert "var.service_security_group_ids" in groups_expression["references"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_data_stores_admit_each_task_group(environment_plans, environment):
    """Every service reaches every store; the operator task RDS and OpenSearch only; the log
    delivery pipeline, where the environment has it, OpenSearch only."""
    plan = environment_plans(environment)
    services = plan["variables"]["services"]["value"]
    ingress = _of(plan, f"{SG}aws_vpc_security_group_ingress_rule.store_from_task")
    egress = _of(plan, f"{SG}aws_vpc_security_group_egress_rule.task_to_store")
    expected = {f"{key}-{store}" for key in services for store in DATA_IN_RULES} | {
        "ops-rds",
        "ops-opensearch",
    }
    if plan["variables"]["enable_log_delivery"]["value"]:
        expected.add("log-delivery-opensearch")
    assert set(ingress) == expected
    assert set(egress) == expected


# --- egress: S3 only to this account's buckets (and ECR layers); DNS allow-list in uat/prod ------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_s3_endpoint_admits_only_this_account_and_ecr_layers(environment_plans, environment):
    plan = environment_plans(environment)
    gateway = _of(plan, "module.vpc.aws_vpc_endpoint.s3")[None]
    statements = json.loads(gateway["policy"])["Statement"]
    account = "123456789012"  # the offline stand-in's account
    region = plan["variables"]["aws_region"]["value"]
    assert statements == [
        {
            "Sid": "ThisAccountsBuckets",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": account}},
        },
        {
            "Sid": "EcrImageLayers",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*",
        },
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_dns_allow_list_where_the_environment_sets_one(environment_plans, environment):
    """Expected from the environment file: egress_allowed_domains set -> a DNS Firewall that
    allows this region's AWS names and the listed ones and blocks the rest with NXDOMAIN; null ->
    none. Policy: the protected environments (uat, prod) have one."""
    plan = environment_plans(environment)
    listed = plan["variables"]["egress_allowed_domains"]["value"]
    allowed = _of(plan, "module.vpc.aws_route53_resolver_firewall_domain_list.allowed")
    association = _of(
        plan, "module.vpc.aws_route53_resolver_firewall_rule_group_association.egress"
    )
    if environment in PROTECTED_ENVIRONMENTS:
        assert listed is not None
    if listed is None:
        assert allowed == {} and association == {}
        return
    region = plan["variables"]["aws_region"]["value"]
    domains = set(allowed[0]["domains"])
    assert set(listed) <= domains
    assert f"*.{region}.amazonaws.com" in domains
    assert "*" not in domains
    everything = _of(plan, "module.vpc.aws_route53_resolver_firewall_domain_list.everything")
    assert everything[0]["domains"] == ["*"]
    allow = _of(plan, "module.vpc.aws_route53_resolver_firewall_rule.allow")[0]
    block = _of(plan, "module.vpc.aws_route53_resolver_firewall_rule.block")[0]
    assert (allow["action"], block["action"], block["block_response"]) == (
        "ALLOW",
        "BLOCK",
        "NXDOMAIN",
    )
    assert allow["priority"] < block["priority"]
    assert association[0]["mutation_protection"] == "ENABLED"
    config = _of(plan, "module.vpc.aws_route53_resolver_firewall_config.this")[0]
    assert config["firewall_fail_open"] == "DISABLED"
