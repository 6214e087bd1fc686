"""Bad input never gets near AWS. Each mistake below is refused at plan time by a variable
validation whose message names the setting and what it accepts; the plan stage exits non-zero
and leaves no plan file that could be applied. The CLI's own user errors are at the end: exit
code 2 and exactly one line on stderr, starting with ``error:``.

Each case is one small override of a real environment file: one setting, or one field of one
service or data store, replaced in a private copy of ``environments/<env>.tfvars``, then planned
with ``carcierge plan`` (offline). Terraform checks every variable validation of a
configuration in a single plan, so cases that touch different settings share a plan (a
"round"), which costs one plan (~4 s) instead of one per case. A case still has to find its own
message, from the validation rule in its own file, so it cannot pass on a neighbour's mistake;
``CARCIERGE_BAD_INPUT_ISOLATED=1`` plans every case alone to show exactly that (slow).
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
from support import (
    ROOT,
    TerraformResults,
    copy_project,
    hcl,
    run_folder,
    services_of,
    with_setting,
    without_setting,
)

from carcierge_pipeline import ci_variables, cli
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.hcl import load_tfvars, plain
from carcierge_pipeline.inputs import SHARED_FILE, SHARED_SETTINGS
from carcierge_pipeline.project import Project
from carcierge_pipeline.workdir import PlanFiles

CARCIERGE = Path(sys.executable).parent / "carcierge"
ISOLATED = os.environ.get("CARCIERGE_BAD_INPUT_ISOLATED") == "1"


# --- the cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    setting: tuple[str, ...]  # ("az_count",) or ("services", "service3") or ("rds_config", "x")
    value: Any
    message: str  # a fragment of the validation's message, as Terraform prints it
    rule: str = "variables.tf"  # the file whose validation rule must refuse it
    environment: str = "staging"
    reads: tuple[tuple[str, ...], ...] = field(default=())  # other settings the rule reads
    # Settings that other rules read (names, region): Terraform skips every validation that
    # reads a variable which failed its own, so these share a round only with each other.
    foundation: bool = False
    # A service key the catalog lacks gets an empty entry there (the case's value holds every
    # attribute), unless the case is about that very refusal.
    in_catalog: bool = True


ENVIRONMENT_FILES = {
    env: ROOT / "environments" / f"{env}.tfvars" for env in ("staging", "uat", "prod")
}
BASE = {env: load_tfvars(path) for env, path in ENVIRONMENT_FILES.items()}


def service(key: str, **fields: Any) -> dict[str, Any]:
    """staging's service ``key`` as the root merges it, with ``fields`` replaced: a complete
    entry, so that a case planting it under a new key needs only an empty catalog entry."""
    return {**services_of(ROOT, "staging")[key], **fields}


RDS = "modules/rds/variables.tf"
ECS = "modules/ecs/variables.tf"
OPENSEARCH = "modules/opensearch/variables.tf"
REDIS = "modules/elasticache/variables.tf"
VPC = "modules/vpc/variables.tf"
MONITORING = "modules/monitoring/variables.tf"
S = ("services",)

CASES = [
    # --- naming, region, shared settings. (An environment file naming an unknown or another
    # environment is refused before Terraform runs: test_environment_inputs.py; the variable's
    # own validation: tests/root.tftest.hcl.) project_name is shared: its case edits
    # terraform.tfvars.
    Case(
        "project-name-uppercase",
        ("project_name",),
        "Carcierge",
        "project_name must be 2-11 lowercase letters or digits, starting with a letter (the "
        "longest name built from it, the log pipeline staging-<project_name>-logs-alb, is "
        'limited to 28 characters); got "Carcierge"',
        foundation=True,
    ),
    Case(
        "region-not-a-region-code",
        ("aws_region",),
        "california",
        'aws_region must be an AWS region code such as us-west-1; got "california"',
        foundation=True,
    ),
    Case(
        "kms-deletion-window-too-short",
        ("kms_deletion_window_in_days",),
        3,
        "kms_deletion_window_in_days must be a whole number of days from 7 to 30 (KMS's range); "
        "got 3",
    ),
    Case(
        "log-retention-not-a-cloudwatch-value",
        ("log_retention_days",),
        10,
        "log_retention_days must be one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30, 60,"
        " 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; got 10",
    ),
    # --- network
    Case(
        "vpc-cidr-malformed",
        ("vpc_cidr",),
        "10.10.0/16",
        "vpc_cidr must be an IPv4 network address in CIDR notation without host bits, such as "
        '10.10.0.0/16; got "10.10.0/16"',
        rule=VPC,
    ),
    Case(
        "vpc-cidr-host-bits",
        ("vpc_cidr",),
        "10.10.1.0/16",
        "vpc_cidr must be an IPv4 network address in CIDR notation without host bits, such as "
        '10.10.0.0/16; got "10.10.1.0/16"',
        rule=VPC,
    ),
    Case(
        "vpc-cidr-too-small",
        ("vpc_cidr",),
        "10.10.0.0/24",
        'vpc_cidr must have a prefix length from /16 to /20; got "10.10.0.0/24"',
        rule=VPC,
    ),
    Case(
        "az-count-1", ("az_count",), 1, "az_count must be 2 or 3 (us-west-1 offers only 2", rule=VPC
    ),
    Case("az-count-4", ("az_count",), 4, "in most accounts); got 4.", rule=VPC),
    Case(
        "unknown-nat-mode",
        ("nat_gateway_mode",),
        "none",
        'nat_gateway_mode must be one of "single", "per_az"; got "none"',
        rule=VPC,
    ),
    Case(
        "alb-ingress-cidr-malformed",
        ("alb_ingress_cidrs",),
        ["0.0.0.0"],
        "alb_ingress_cidrs must be a non-empty list of IPv4 network addresses in CIDR notation, "
        'such as ["0.0.0.0/0"] or ["203.0.113.0/24"]; got [0.0.0.0]',
    ),
    Case(
        "alb-ingress-cidrs-overlap",
        ("alb_ingress_cidrs",),
        ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.128/25"],
        "alb_ingress_cidrs must not repeat or overlap",
    ),
    Case(
        "alb-ingress-cidrs-repeated",
        ("alb_ingress_cidrs",),
        ["198.51.100.0/24", "198.51.100.0/24"],
        "overlapping: 198.51.100.0/24 and 198.51.100.0/24.",
    ),
    # --- services (the product spec's fields, Fargate sizes, names, routing)
    Case(
        "service-not-in-the-catalog",
        ("services", "service9"),
        {"container_image": "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service9:1"},
        "services keys must be services of the catalog (service_catalog in terraform.tfvars, "
        "what every environment shares about a service): add its entry there first "
        "(docs/runbooks/add-service.md); got: service9.",
        in_catalog=False,
    ),
    Case(
        "service-defaults-override-the-catalog",
        ("service_defaults",),
        {"desired_count": 1, "cpu": 1024},
        "service_defaults must not set what the service catalog (service_catalog, "
        "terraform.tfvars) sets for a service; set it for that service in services.<key> "
        "instead; got: cpu.",
        # The rule reads the catalog; the services the module gets are merged from both, so
        # their rules wait for another round.
        reads=(("service_catalog",), ("services",)),
    ),
    Case(
        "services-empty",
        S,
        {},
        "services must contain at least one service; got an empty map.",
        rule=ECS,
    ),
    Case(
        "service-key-too-long-for-aws-names",
        ("services", "reservations-api"),
        service("service2", container_port=3006, path_patterns=["/reservations"]),
        "services keys must be at most 14 characters so that target group names "
        "staging-carcierge-<key> fit AWS's 32-character limit in every environment; "
        "too long: reservations-api (16)",
        reads=(("project_name",),),
        rule=ECS,
    ),
    Case(
        "service-key-uppercase",
        ("services", "Service6"),
        service("service2", container_port=3006, path_patterns=["/service6"]),
        "services keys must be lowercase letters, digits and hyphens, start with a letter and "
        "not end with a hyphen; got: Service6",
        rule=ECS,
    ),
    Case(
        "service-key-is-a-log-source",
        ("services", "vpc-flow-logs"),
        service("service2", container_port=3006, path_patterns=["/vpc-flow-logs"]),
        "services keys must not be alb or vpc-flow-logs: those are the keys of the ALB access "
        "logs and the VPC flow logs in OpenSearch (indices logs-<key>-yyyy.MM.dd); rename: "
        "vpc-flow-logs.",
        rule=ECS,
    ),
    Case(
        "image-malformed",
        ("services", "service2"),
        service("service2", container_image="Carcierge Service2:latest"),
        "services.*.container_image must be an image reference "
        "[registry/]repository[:tag][@sha256:digest]",
        rule=ECS,
    ),
    Case(
        "port-0",
        ("services", "service3"),
        service("service3", container_port=0),
        "services.*.container_port must be a whole number from 1024 to 65535",
        rule=ECS,
    ),
    Case(
        "port-70000",
        ("services", "service4"),
        service("service4", container_port=70000),
        "service4 = 70000",
        rule=ECS,
    ),
    Case(
        "port-privileged",
        ("services", "service5"),
        service("service5", container_port=80),
        "(the network ACLs pass only unprivileged ports to the services); got: ",
        rule=ECS,
    ),
    Case(
        "fargate-cpu-memory-pair",
        ("services", "service1"),
        service("service1", cpu=256, memory=4096),
        "services.*.cpu/memory must be a Fargate task size: cpu 256 with memory 512, 1024 or 2048",
        rule=ECS,
    ),
    Case(
        "min-capacity-above-max",
        ("services", "service2"),
        service("service2", min_capacity=3, max_capacity=2, desired_count=2),
        "services.*: task counts must be whole numbers with min_capacity <= desired_count <= "
        "max_capacity and max_capacity >= 1",
        rule=ECS,
    ),
    Case(
        "desired-count-above-max",
        ("services", "service3"),
        service("service3", desired_count=5),
        "service3 = 1/5/2 (min/desired/max)",
        rule=ECS,
    ),
    Case(
        "spot-share-above-100",
        ("services", "service4"),
        service("service4", spot=150),
        "services.*.spot (share of tasks on FARGATE_SPOT) must be a whole percentage from 0 to "
        "100; got: service4 = 150",
        rule=ECS,
    ),
    Case(
        "unknown-cpu-architecture",
        ("services", "service5"),
        service("service5", cpu_architecture="arm"),
        "services.*.cpu_architecture must be X86_64 or ARM64; got: service5 = arm",
        rule=ECS,
    ),
    Case(
        "health-check-path-without-slash",
        ("services", "service1"),
        service("service1", health_check_path="health"),
        "services.*.health_check_path must be a URL path starting with / (at most 1024 "
        'characters); got: service1 = "health"',
        rule=ECS,
    ),
    Case(
        "two-default-routes",
        ("services", "service6"),
        service("service2", container_port=3006, default_route=True, path_patterns=[]),
        "services: at most one service may be the default_route",
        rule=ECS,
    ),
    Case(
        "secret-not-an-arn",
        ("services", "service7"),
        service("service2", container_port=3007, path_patterns=["/service7"], secrets={"KEY": "k"}),
        "services.*.secrets values must be full Secrets Manager secret ARNs",
        rule=ECS,
    ),
    Case(
        "service-runs-as-root",
        ("services", "service13"),
        service("service2", container_port=3013, path_patterns=["/service13"], user="0:0"),
        "services.*.user must be a non-root user: a uid or user name, optionally with :gid or "
        ':group (e.g. "1000:1000" or "app"); root and uid 0 are refused; got: service13 = '
        '"0:0"',
        rule=ECS,
    ),
    # --- OpenSearch: a service reaches <key>-* only (review 2026-12-07 L1)
    Case(
        "service-key-logs",
        ("services", "logs"),
        service("service2", container_port=3021, path_patterns=["/logs"]),
        "services keys must not be logs or security-auditlog or a hyphen-prefix of them: a "
        "service reads and writes the OpenSearch indices <key>-*, which would include logs-* and "
        "security-auditlog-*; rename: ",
        rule=ECS,
    ),
    Case(
        "service-key-prefixes-audit-log",
        ("services", "security"),
        service("service2", container_port=3022, path_patterns=["/security"]),
        "services keys must not be logs or security-auditlog or a hyphen-prefix of them",
        rule=ECS,
    ),
    Case(
        "service-key-prefixes-another",
        ("services", "service1-admin"),
        service("service2", container_port=3023, path_patterns=["/service1-admin"]),
        "services keys must not be a hyphen-prefix of another key: a service reads and writes "
        "the OpenSearch indices <key>-*, which would include the other's; rename one of: "
        "service1 (prefix of service1-admin).",
        rule=ECS,
    ),
    # --- ALB listener rules (AWS: 3 values per condition, 5 per rule, 5 wildcards per rule)
    Case(
        "path-patterns-four",
        ("services", "service8"),
        service("service2", container_port=3008, path_patterns=["/a", "/b", "/c", "/d"]),
        "services.*.path_patterns and host_headers: an ALB listener rule takes at most 3 values "
        "per condition (3 path_patterns, 3 host_headers) and 5 values in all (4 for the "
        "default_route, whose rule also matches /*); got: service8 = 4 path_patterns + 0 "
        "host_headers",
        rule=ECS,
    ),
    Case(
        "routing-wildcards-six",
        ("services", "service9"),
        service("service2", container_port=3009, path_patterns=["/a/*/?/*", "/b/*/?/*"]),
        "an ALB listener rule takes at most 5 wildcards (* or ?) in all its values (the "
        "default_route's /* counts one); got: service9 = 6 wildcards",
        rule=ECS,
    ),
    Case(
        "path-pattern-with-brace",
        ("services", "service10"),
        service("service2", container_port=3010, path_patterns=["/items/{id}"]),
        "services.*.path_patterns must start with / and be at most 128 characters of A-Z a-z 0-9"
        " _ - . $ / ~ \" ' @ : + & and the wildcards * ? (what an ALB path condition accepts); "
        'got: service10 = "/items/{id}"',
        rule=ECS,
    ),
    Case(
        "host-header-not-a-host-name",
        ("services", "service11"),
        service("service2", container_port=3011, path_patterns=[], host_headers=["localhost"]),
        "services.*.host_headers must be host names of at most 128 characters: A-Z a-z 0-9 - . "
        "and the wildcards * ?, with at least one . and only letters after the last . "
        '(e.g. api.example.com, *.example.com); got: service11 = "localhost"',
        rule=ECS,
    ),
    Case(
        "arm64-on-fargate-spot",
        ("services", "service12"),
        service("service2", container_port=3012, cpu_architecture="ARM64", spot=50),
        "services.*: cpu_architecture = ARM64 needs spot = 0, because Fargate Spot runs X86_64 "
        "tasks only; set spot = 0 to stay on ARM64, or cpu_architecture = X86_64 to use Spot; "
        "got: service12 = ARM64 with spot = 50",
        rule=ECS,
    ),
    # --- the ALB's certificate and DNS
    Case(
        "certificate-arn-malformed",
        ("ssl_certificate_arn",),
        "arn:aws:acm:us-west-1:123456789012:cert/1234",
        "ssl_certificate_arn must be an ACM certificate ARN such as arn:aws:acm:us-west-1:"
        "123456789012:certificate/12345678-1234-1234-1234-123456789012; got "
        '"arn:aws:acm:us-west-1:123456789012:cert/1234"',
        rule=ECS,
    ),
    Case(
        "certificate-in-another-region",
        ("ssl_certificate_arn",),
        "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000001",
        "ssl_certificate_arn must be a certificate in aws_region (us-west-1), where the ALB is; "
        "got one in us-east-1",
        reads=(("aws_region",),),
        rule=ECS,
    ),
    Case(
        "domain-without-zone",
        ("domain_name",),
        "staging.carcierge.example.com",
        "domain_name and route53_zone_id must be set together (both or neither)",
        reads=(("route53_zone_id",),),
        rule=ECS,
    ),
    Case(
        "waf-acl-arn-malformed",
        ("waf_web_acl_arn",),
        "arn:aws:waf::123456789012:webacl/abc",
        "waf_web_acl_arn must be a regional WAFv2 web ACL ARN",
        # The variable's other rules read these: a neighbour's bad value would skip them all.
        reads=(("enable_waf",), ("alb_ingress_cidrs",)),
    ),
    # --- RDS (validated in modules/rds)
    Case(
        "rds-class-without-db-prefix",
        ("rds_config", "instance_class"),
        "t4g.micro",
        "rds_config.instance_class must be a current RDS instance class db.<family>.<size>, e.g. "
        '"db.t4g.micro"',
        rule=RDS,
    ),
    Case(
        "rds-storage-below-20",
        ("rds_config", "allocated_storage"),
        10,
        "rds_config.allocated_storage must be a whole number of GiB from 20 to 65536 (gp3 limits"
        " for PostgreSQL); got 10",
        rule=RDS,
    ),
    Case(
        "rds-storage-above-65536",
        ("rds_config", "allocated_storage"),
        70000,
        "rds_config.allocated_storage must be a whole number of GiB from 20 to 65536 (gp3 limits"
        " for PostgreSQL); got 70000",
        rule=RDS,
    ),
    Case(
        "rds-autoscaling-ceiling-below-storage",
        ("rds_config", "max_allocated_storage"),
        15,
        "rds_config.max_allocated_storage must be at least allocated_storage (20) and at most "
        "65536 GiB",
        rule=RDS,
        reads=(("rds_config", "allocated_storage"),),
    ),
    Case(
        "rds-engine-mysql",
        ("rds_config", "engine"),
        "mysql",
        'rds_config.engine must be "postgres" (the platform runs RDS for PostgreSQL); got "mysql"',
        rule=RDS,
    ),
    Case(
        "rds-engine-version-retired-minor",
        ("rds_config", "engine_version"),
        "14.9",
        'rds_config.engine_version "14.9" is a PostgreSQL minor that RDS no longer creates (RDS '
        "release calendar; the tables of carcierge_pipeline/rules/engines.py). Use a major such "
        'as "16" (recommended: RDS picks the newest minor and keeps it current) or a minor of at '
        "least 11.22, 12.22, 13.17, 14.18, 15.13, 16.9, 17.5, 18.1",
        rule=RDS,
    ),
    # --- OpenSearch (validated in modules/opensearch)
    Case(
        "opensearch-type-without-search-suffix",
        ("opensearch_config", "instance_type"),
        "t3.small.elasticsearch",
        "opensearch_config.instance_type must be an OpenSearch instance type ending in .search",
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-no-data-nodes",
        ("opensearch_config", "instance_count"),
        0,
        "opensearch_config.instance_count must be a whole number of at least 1 (and at most 10 "
        "with t3 types); got 0",
        rule=OPENSEARCH,
        reads=(("opensearch_config", "instance_type"),),
    ),
    Case(
        "opensearch-count-not-a-multiple-of-azs",
        ("opensearch_config", "instance_count"),
        3,
        "opensearch_config.instance_count must be 1 or a multiple of availability_zone_count (2)",
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-domain-name-invalid",
        ("opensearch_config", "domain_name"),
        "Carcierge_Search",
        "opensearch_config.domain_name must be 3-28 characters: lowercase letters, digits and "
        'hyphens, starting with a letter; got "Carcierge_Search"',
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-domain-name-too-long",
        ("opensearch_config", "domain_name"),
        "staging-carcierge-opensearch-x",
        'got "staging-carcierge-opensearch-x"',
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-engine-version",
        ("opensearch_config", "engine_version"),
        "2.19",
        "opensearch_config.engine_version must be OpenSearch_<major>.<minor>, e.g. "
        '"OpenSearch_2.19"; got "2.19"',
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-engine-version-past-end-of-support",
        ("opensearch_config", "engine_version"),
        "OpenSearch_2.3",
        'opensearch_config.engine_version "OpenSearch_2.3" is not a version Amazon OpenSearch '
        "Service creates domains with (OpenSearch 1.0-1.2 and 2.3-2.9 are past their end of "
        "support; read 2026-12-01); use one of OpenSearch_1.3, OpenSearch_2.11, OpenSearch_2.13,",
        rule=OPENSEARCH,
    ),
    Case(
        "opensearch-t3-small-volume-too-big",
        ("opensearch_config", "volume_size"),
        200,
        "opensearch_config.volume_size must be a whole number of GiB from 10 to 16384 (at most "
        "100 on t3.small.search); got 200",
        rule=OPENSEARCH,
        reads=(("opensearch_config", "instance_type"),),
    ),
    # --- Redis (validated in modules/elasticache): node count decides failover
    Case(
        "redis-no-nodes",
        ("redis_config", "num_cache_nodes"),
        0,
        "redis_config.num_cache_nodes must be a whole number from 1 to 6 (one primary plus up to "
        "five replicas; 2 or more turns on Multi-AZ automatic failover); got 0",
        rule=REDIS,
    ),
    Case(
        "redis-too-many-replicas",
        ("redis_config", "num_cache_nodes"),
        7,
        "2 or more turns on Multi-AZ automatic failover); got 7",
        rule=REDIS,
    ),
    Case(
        "redis-node-type-without-cache-prefix",
        ("redis_config", "node_type"),
        "t4g.micro",
        "redis_config.node_type must be a current ElastiCache node type cache.<family>.<size>",
        rule=REDIS,
    ),
    # --- monitoring
    Case(
        "alert-email-malformed",
        ("alert_emails",),
        ["oncall-at-example.com"],
        "alert_emails must contain only email addresses such as oncall@example.com; got: "
        '"oncall-at-example.com"',
        rule=MONITORING,
    ),
    Case(
        "threshold-name-misspelt",
        ("alarm_thresholds", "ecs_cpu"),
        90,
        "alarm_thresholds keys must be threshold names out of evaluation_periods, ecs_cpu_percent,",
    ),
    Case(
        "threshold-percent-above-100",
        ("alarm_thresholds", "ecs_memory_percent"),
        150,
        "alarm_thresholds values must be percentages above 0 and at most 100 for *_percent and "
        "opensearch_jvm_pressure",
    ),
    Case(
        "threshold-evaluation-periods-0",
        ("alarm_thresholds", "evaluation_periods"),
        0,
        "evaluation_periods = 0",
    ),
    # --- hardening inputs
    Case(
        "steady-state-timeout-too-long",
        ("ecs_steady_state_timeout_minutes",),
        240,
        "ecs_steady_state_timeout_minutes must be a whole number of minutes from 5 to 120; got 240",
    ),
    Case(
        "opensearch-admin-any-role",
        ("opensearch_admin_principal_arns",),
        ["arn:aws:iam::123456789012:role/*"],
        "opensearch_admin_principal_arns must be IAM role ARNs such as "
        "arn:aws:iam::123456789012:role/carcierge-admin",
    ),
    Case(
        "ops-image-latest",
        ("ops_image",),
        "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops:latest",
        "ops_image must be an ECR image reference with an immutable version tag or a digest",
    ),
    Case(
        "ops-image-outside-ecr",
        ("ops_image",),
        "registry.gitlab.com/acme/carcierge/ci:1.0.0",
        "ops_image must be an ECR image reference with an immutable version tag or a digest",
        environment="prod",
    ),
    Case(
        "redis-password-version-zero",
        ("redis_config", "password_version"),
        0,
        "redis_config.password_version must be a whole number from 1 (bump it to rotate the "
        "services' Redis passwords); got 0.",
        rule=REDIS,
    ),
    Case(
        "service-calls-itself",
        ("services", "service2", "callers"),
        ["service2"],
        "services.*.callers must name other services of this environment",
        rule=ECS,
    ),
    Case(
        "rds-log-statement-ddl",
        ("rds_config", "parameters"),
        {"log_statement": "ddl"},
        'rds_config.parameters.log_statement must be "none": ddl, mod and all write passwords of '
        "CREATE/ALTER ROLE statements to the log in clear text",
        rule=RDS,
    ),
    Case(
        "prod-own-waf-and-brought-waf",
        ("waf_web_acl_arn",),
        "arn:aws:wafv2:us-west-1:123456789012:regional/webacl/shared/0123abcd-0123-4567-89ab-0123456789ab",
        "waf_web_acl_arn and enable_waf conflict: set enable_waf = true for the project's own web "
        "ACL, or waf_web_acl_arn to associate an existing one, not both",
        environment="prod",
        reads=(("enable_waf",),),
    ),
    Case(
        "prod-no-opensearch-admin",
        ("opensearch_admin_principal_arns",),
        [],
        "opensearch_admin_principal_arns must name at least one admin role while "
        "opensearch_config.master_user_arn is unset",
        environment="prod",
        reads=(("opensearch_config",),),
    ),
    # --- prod's protections cannot be switched off by a variable
    Case(
        "prod-without-deletion-protection",
        ("deletion_protection",),
        False,
        "deletion_protection must be true in uat and prod (it protects RDS and the ALB and keeps "
        "final snapshots); it may be false only in staging and qa; got false for prod",
        environment="prod",
        reads=(("environment",),),
    ),
    Case(
        "prod-rds-without-final-snapshot",
        ("rds_config", "skip_final_snapshot"),
        True,
        "rds_config.skip_final_snapshot must be false (or unset) where deletion_protection is "
        "true (uat, prod)",
        rule=RDS,
        environment="prod",
        reads=(("deletion_protection",),),
    ),
    Case(
        "prod-without-egress-allow-list",
        ("egress_allowed_domains",),
        None,
        "egress_allowed_domains must be set (a list, [] for AWS names only) where "
        "deletion_protection is true (uat, prod)",
        environment="prod",
        reads=(("deletion_protection",),),
    ),
    Case(
        "prod-redis-without-final-snapshot",
        ("redis_config", "skip_final_snapshot"),
        True,
        "redis_config.skip_final_snapshot must be false (or unset) where deletion_protection is "
        "true (uat, prod)",
        rule=REDIS,
        environment="prod",
        reads=(("deletion_protection",),),
    ),
    # --- uat and prod run images by digest, behind a WAF (review 2026-12-07 M4, L2)
    Case(
        "prod-service-image-by-tag",
        ("services", "service3"),
        {
            **BASE["prod"]["services"]["service3"],
            "container_image": (
                "210987654321.dkr.ecr.us-west-1.amazonaws.com/carcierge-service3:1.0.0"
            ),
        },
        "services.*.container_image must be pinned by digest (<repository>[:<tag>]@sha256:<64 hex "
        "digits>) in uat and prod, where a movable tag could swap the image; by tag in prod: "
        "service3.",
        environment="prod",
        reads=(("environment",),),
        rule=ECS,
    ),
    Case(
        "uat-ops-image-by-tag",
        ("ops_image",),
        "210987654321.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops:1.0.0",
        "ops_image must be pinned by digest (<repository>[:<tag>]@sha256:<64 hex digits>) in uat "
        "and prod: the operator task holds the database master secret",
        environment="uat",
        reads=(("environment",),),
    ),
    Case(
        "uat-without-waf",
        ("enable_waf",),
        False,
        "enable_waf must be true (or waf_web_acl_arn set) in uat and prod and wherever "
        "alb_ingress_cidrs includes 0.0.0.0/0: an ALB facing the internet sits behind a web ACL; "
        "got neither in uat.",
        environment="uat",
        reads=(("environment",), ("waf_web_acl_arn",), ("alb_ingress_cidrs",)),
    ),
    Case(
        "staging-public-alb-without-waf",
        ("enable_waf",),
        False,
        "enable_waf must be true (or waf_web_acl_arn set) in uat and prod and wherever "
        "alb_ingress_cidrs includes 0.0.0.0/0: an ALB facing the internet sits behind a web ACL; "
        "got neither in staging.",
        reads=(("environment",), ("waf_web_acl_arn",), ("alb_ingress_cidrs",)),
    ),
]


# --- rounds: cases that touch different settings share one plan ------------------------------


def _related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _conflict(a: Case, b: Case) -> bool:
    """Whether one case changes a setting the other changes or its rule reads, or both change
    one setting whose rules live in different files: a value that fails a root rule never
    reaches the module, so the module's own rules on it are not checked in that plan."""
    if a.setting[0] == b.setting[0] and a.rule != b.rule:
        return True
    return any(_related(a.setting, x) for x in (b.setting, *b.reads)) or any(
        _related(b.setting, x) for x in a.reads
    )


def plan_rounds(cases: list[Case], isolated: bool = ISOLATED) -> list[tuple[Case, ...]]:
    rounds: list[list[Case]] = []
    for case in cases:
        for members in rounds:
            if (
                not isolated
                and members[0].environment == case.environment
                and members[0].foundation == case.foundation
                and not any(_conflict(case, other) for other in members)
            ):
                members.append(case)
                break
        else:
            rounds.append([case])
    return [tuple(members) for members in rounds]


ROUNDS = plan_rounds(CASES)
ROUND_OF = {case.id: members for members in ROUNDS for case in members}


def round_name(members: tuple[Case, ...]) -> str:
    digest = hashlib.sha256(" ".join(case.id for case in members).encode()).hexdigest()[:10]
    return f"{members[0].environment}-{digest}"


def overridden(text: str, base: dict[str, Any], members: tuple[Case, ...]) -> str:
    """The environment file with every case's setting replaced (appended at the end)."""
    values: dict[str, Any] = {}
    for case in members:
        name, *path = case.setting
        if not path:
            values[name] = case.value
            continue
        target = values.setdefault(name, copy.deepcopy(base.get(name) or {}))
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = case.value
    for name in values:
        text = without_setting(text, name)
    ids = ", ".join(case.id for case in members)
    return (
        text.rstrip("\n")
        + f"\n\n# --- bad input under test: {ids}\n"
        + "".join(f"{name} = {hcl(value)}\n" for name, value in values.items())
    )


# --- running a round through the plan stage ---------------------------------------------------


@dataclass(frozen=True)
class Diagnostic:
    summary: str
    text: str  # whitespace-normalised body
    rule: str | None  # file of the validation rule that fired
    origin: tuple[str, int, int, str] | None  # file, line, column and path of the value


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    plan_files_left: list[str]
    seconds: float

    @property
    def diagnostics(self) -> list[Diagnostic]:
        found = []
        for block in re.split(r"^Error: ", self.stderr, flags=re.M)[1:]:
            summary, _, body = block.partition("\n")
            text = " ".join(body.split())
            rule = re.search(r"checked by the validation rule at (\S+?):\d+", text)
            at = re.search(r"set at (\S+?):(\d+):(\d+): (\S+)", text)
            origin = (at[1], int(at[2]), int(at[3]), at[4]) if at else None
            found.append(Diagnostic(summary.strip(), text, rule.group(1) if rule else None, origin))
        return found


def _pipeline_environ(root: Path) -> dict[str, str]:
    """This process's environment without pipeline or CI variables, planning ``root`` offline."""
    drop = {*ci_variables.DEFAULTS, "TF_LOG"}
    environ = {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("CI_", "AWS_"))
    }
    return {**environ, "CARCIERGE_ROOT": str(root), "OFFLINE": "1"}


def _catalog_new_services(shared_file: Path, members: tuple[Case, ...]) -> None:
    """An empty catalog entry for each service key a case plants (its value is complete)."""
    catalog = load_tfvars(shared_file)["service_catalog"]
    new = [
        case.setting[1]
        for case in members
        if case.setting[0] == "services" and len(case.setting) == 2 and case.in_catalog
    ]
    if set(new) - set(catalog):
        catalog |= {key: {} for key in new if key not in catalog}
        shared_file.write_text(with_setting(shared_file.read_text(), "service_catalog", catalog))


def run_round(
    project: Project, shared: Path, members: tuple[Case, ...], results: TerraformResults
) -> Outcome:
    """Plan one round with ``carcierge plan`` in its own project copy, once per set of inputs
    (``results`` keeps the outcome between runs while the round's files are unchanged)."""
    name = round_name(members)
    environment = members[0].environment
    copy_ = Project(shared / name)
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not copy_.root.exists():
            copy_project(project, copy_.root)
            var_file = copy_.root / "environments" / f"{environment}.tfvars"
            own = tuple(c for c in members if c.setting[0] not in SHARED_SETTINGS)
            common = tuple(c for c in members if c.setting[0] in SHARED_SETTINGS)
            if own:
                var_file.write_text(overridden(var_file.read_text(), BASE[environment], own))
                _catalog_new_services(copy_.root / SHARED_FILE, own)
            if common:
                shared_file = copy_.root / SHARED_FILE
                shared_file.write_text(
                    overridden(shared_file.read_text(), load_tfvars(shared_file), common)
                )
    return results("bad input round", copy_, lambda: _plan(copy_, environment))


def _plan(copy_: Project, environment: str) -> Outcome:
    started = time.monotonic()
    process = subprocess.run(
        [str(CARCIERGE), "plan", "--environment", environment],
        cwd=copy_.root,
        env=_pipeline_environ(copy_.root),
        capture_output=True,
        text=True,
        timeout=600,
    )
    files = PlanFiles(copy_.build_dir(environment))
    left = [
        path.name
        for path in (files.binary, files.json, files.text, files.meta, files.summary)
        if path.exists()
    ]
    return Outcome(
        process.returncode, process.stdout, process.stderr, left, time.monotonic() - started
    )


@pytest.fixture(scope="session")
def bad_input_round(project: Project, terraform_results, tmp_path_factory):
    """The outcome of a case's round; shared by the xdist workers of one run like
    ``environment_plans``, and kept between runs (``terraform_results``)."""
    shared = run_folder(tmp_path_factory, "bad-input")
    return lambda members: run_round(project, shared, members, terraform_results)


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_at_plan_time(case, bad_input_round):
    outcome = bad_input_round(ROUND_OF[case.id])
    assert outcome.returncode == StageFailed.exit_code, outcome.stderr[-2000:]
    assert re.search(
        f"failed: terraform plan failed for {case.environment}: Terraform reported an error: "
        r"Invalid value for variable \([^)]+\)( and \d+ more)?; see the messages above\n$",
        outcome.stderr,
    ), outcome.stderr[-500:]
    assert outcome.plan_files_left == [], "a refused plan must leave nothing to apply"
    caught = [
        d
        for d in outcome.diagnostics
        if d.summary == "Invalid value for variable" and _normal(case.message) in d.text
    ]
    assert caught, f"no validation said {case.message!r}; Terraform said:\n{outcome.stderr}"
    assert case.rule in {d.rule for d in caught}, f"refused, but not by a rule in {case.rule}"
    # Whatever module the rule lives in, the error names where the value is written.
    origins = {d.origin for d in caught if d.origin}
    assert origins, f"no error names the environment file's line:\n{outcome.stderr}"
    shared = case.setting[0] in SHARED_SETTINGS
    written = _positions(ROUND_OF[case.id], shared)
    setting = ".".join(case.setting)
    for file, line, column, path in origins:
        assert file == (SHARED_FILE if shared else f"environments/{case.environment}.tfvars")
        assert written.get(path) == (line, column), (path, line, column)
    # (A diagnostic whose snippet merely shows the case's value may name another key.)
    # A rule across settings (enable_waf with alb_ingress_cidrs) may name any setting it reads.
    paths = {path for *_, path in origins}
    named = [setting, *(".".join(read) for read in case.reads)]
    assert any(n.startswith(p) or p.startswith(n) for p in paths for n in named), (paths, named)


def _positions(members: tuple[Case, ...], shared: bool) -> dict[str, tuple[int, int]]:
    """Where each (dotted) setting is written in the round's own or shared file, rebuilt as
    run_round writes it."""
    import tempfile

    from carcierge_pipeline.hcl import read_tfvars
    from carcierge_pipeline.tftypes import dotted

    environment = members[0].environment
    own = tuple(c for c in members if (c.setting[0] in SHARED_SETTINGS) == shared)
    source = ROOT / SHARED_FILE if shared else ENVIRONMENT_FILES[environment]
    base = load_tfvars(source) if shared else BASE[environment]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "round.tfvars"
        path.write_text(overridden(source.read_text(), base, own))
        return {dotted(p): at for p, at in read_tfvars(path).positions.items()}


@pytest.mark.parametrize("members", ROUNDS, ids=[round_name(members) for members in ROUNDS])
def test_bad_input_fails_only_on_validations(members, bad_input_round):
    """Nothing slips past the validations into the resources (an index error, a bad function
    argument): every error is a variable validation."""
    outcome = bad_input_round(members)
    summaries = {d.summary for d in outcome.diagnostics}
    assert summaries == {"Invalid value for variable"}, outcome.stderr
    # No partial "Plan: N to add" before the errors, and a progress line, not one per resource.
    assert not re.search(r"^Plan: ", outcome.stdout, re.M), outcome.stdout
    assert len(outcome.stdout.splitlines()) <= 4 + outcome.seconds / 15, outcome.stdout


def test_overrides_are_small_and_well_formed():
    """The override helpers change exactly the named settings and keep the rest verbatim."""
    text = ENVIRONMENT_FILES["staging"].read_text()
    case = next(c for c in CASES if c.id == "rds-storage-below-20")
    changed = overridden(text, BASE["staging"], (case,))
    assert changed.startswith(without_setting(text, "rds_config").rstrip("\n"))
    reparsed = {k: v for k, v in plain(hcl2.loads(changed)).items() if not k.startswith("__")}
    assert reparsed["rds_config"] == {**BASE["staging"]["rds_config"], "allocated_storage": 10}
    assert {k: v for k, v in reparsed.items() if k != "rds_config"} == {
        k: v for k, v in BASE["staging"].items() if k != "rds_config"
    }
    assert len(CASES) >= 25 and len({c.id for c in CASES}) == len(CASES)


# --- the CLI: user errors are one line and exit code 2 ----------------------------------------

PIPELINE_VARIABLES = (
    *ci_variables.DEFAULTS,
    "OFFLINE",
    "TF_STATE_BUCKET",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_SHA",
    "CI_PIPELINE_ID",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_MERGE_REQUEST_IID",
    "CI_PIPELINE_SOURCE",
)

# (command, environment variables, the start of the one line). Covered elsewhere already:
# plan -e dev and OFFLINE=maybe (test_cli), RUN_COST_SCAN=maybe for every pipeline command
# (test_ci_variables), apply from a feature branch or without a saved plan (test_apply), state
# bootstrap/lock refusals (test_state).
CLI_ERRORS = [
    (["validate"], {"OFFLINE": "2"}, "error: OFFLINE must be 1, 0 or unset, got '2'"),
    (
        ["plan"],
        {"ENVIRONMENTS": "staging,dev"},
        "error: ENVIRONMENTS must list environments out of staging, qa, uat, prod; got 'dev'",
    ),
    (
        ["plan"],
        {"MODULES": "network"},
        "error: MODULES must list roots out of app (the platform root); got 'network'",
    ),
    (["plan"], {"TYPE": "library"}, "error: TYPE must be one of app; got 'library'"),
    (["apply"], {"APP_NAME": "Car_cierge"}, "error: APP_NAME must be 2-15 lowercase letters"),
    (
        ["analyse", "security"],
        {"BACKEND_REGION": "west"},
        "error: BACKEND_REGION must be an AWS region code such as us-west-1; got 'west'",
    ),
    (["validate"], {"TF_LOG": "LOUD"}, "error: TF_LOG must be empty or one of TRACE, DEBUG"),
    (["plan"], {"ALLOW_DESTROY": "yes"}, "error: ALLOW_DESTROY must be TRUE or FALSE; got 'yes'"),
    (
        ["validate"],
        {"TERRAFORM_TEST": "0"},
        "error: TERRAFORM_TEST must be TRUE or FALSE; got '0'",
    ),
    (
        ["analyse", "cost", "-e", "dev"],
        {},
        "error: unknown environment 'dev': expected one of staging, qa, uat, prod",
    ),
    (["state", "lock", "-e", "test"], {}, "error: unknown environment 'test'"),
    (["apply", "-e", "dev"], {}, "error: unknown environment 'dev'"),
    (
        ["apply", "-e", "prod"],
        {"CI_COMMIT_BRANCH": "main"},
        "error: branch 'main' deploys staging, not 'prod'",
    ),
    (
        ["apply"],
        {"CI_COMMIT_BRANCH": "main", "CI_MERGE_REQUEST_IID": "12"},
        "error: apply never runs in a merge request pipeline",
    ),
    (["apply"], {}, "error: apply needs --environment outside a CI branch pipeline"),
    (
        ["plan", "-e", "qa"],
        {"OFFLINE": "0"},
        "error: TF_STATE_BUCKET is not set: name the S3 state bucket",
    ),
    (
        ["apply", "-e", "qa"],
        {"OFFLINE": "1"},
        "error: apply needs AWS credentials: this is an offline run (OFFLINE=1)",
    ),
    (
        ["analyse", "cost", "-e", "uat"],
        {},
        "error: no plan for uat at",
    ),
    (
        ["analyse", "security", "-e", "qa"],
        {},
        "error: no plan for qa at build/qa/plan.json: run `carcierge plan -e qa` first",
    ),
    (
        ["parity", "--reuse-plans"],
        {},
        "error: no plan of staging at",
    ),
    (
        ["state", "bootstrap", "--bucket", "Not_A_Bucket"],
        {},
        "error: bucket must be 3-63 lowercase letters, digits, '.' or '-'",
    ),
]


@pytest.fixture
def cli_project(tmp_path, monkeypatch) -> Iterator[Path]:
    """An empty build/ beside a copy of the configuration; no pipeline variables set."""
    root = tmp_path / "project"
    root.mkdir()
    for entry in ("terraform.tf", "main.tf", "variables.tf", "terraform.tfvars"):
        (root / entry).write_text((ROOT / entry).read_text())
    (root / "modules").mkdir()
    (root / "environments").mkdir()
    for env in ENVIRONMENTS:
        (root / "environments" / f"{env}.tfvars").write_text(
            (ROOT / "environments" / f"{env}.tfvars").read_text()
        )
    for name in PIPELINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARCIERGE_ROOT", str(root))
    monkeypatch.chdir(root)
    yield root


@pytest.mark.parametrize(
    ("argv", "environ", "line"), CLI_ERRORS, ids=[" ".join(c[0]) + f" {c[1]}" for c in CLI_ERRORS]
)
def test_cli_user_errors_are_one_line(argv, environ, line, cli_project, monkeypatch, capsys):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(argv) == UserError.exit_code
    captured = capsys.readouterr()
    assert captured.err.startswith(line), captured.err
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n")
    assert "Traceback" not in captured.out + captured.err
    assert not any((cli_project / "build").glob("*/plan.*")), "a refusal writes no plan"


@pytest.mark.terraform  # the CLI in a process of its own
@pytest.mark.parametrize(
    ("argv", "environ", "line"),
    [
        (["plan", "-e", "dev"], {}, "error: unknown environment 'dev'"),
        (["apply"], {"RUN_COST_SCAN": "maybe"}, "error: RUN_COST_SCAN must be TRUE or FALSE"),
        # Usage mistakes too: argparse would print its usage and then the error.
        (["plan", "--environmnet", "qa"], {}, "error: unrecognized arguments: --environmnet qa"),
        (["deploy"], {}, "error: argument COMMAND: invalid choice: 'deploy'"),
        (["analyse", "costs"], {}, "error: argument KIND: invalid choice: 'costs'"),
    ],
)
def test_cli_process_exits_2_with_one_line(argv, environ, line, cli_project):
    """The installed console script, not just ``main``: exit status 2, no traceback."""
    process = subprocess.run(
        [str(CARCIERGE), *argv],
        cwd=cli_project,
        env={**_pipeline_environ(cli_project), **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr.startswith(line) and process.stderr.count("\n") == 1, process.stderr
    assert process.stdout == ""
