"""Deterministic, realistic answers for the data sources a fresh account would return.

Only what the preview needs to be believable is modelled; every other computed attribute gets
a type-correct placeholder (see ``values.placeholder``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OFFLINE_ACCOUNT_ID = "123456789012"

# Zones most accounts see; us-west-1 offers two.
_ZONE_LETTERS = {"us-west-1": "ac"}
# Elastic Load Balancing account that writes ALB access logs in regions opened before 2022.
_ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
}

Overrides = Callable[[dict[str, Any], str], dict[str, Any]]


def _zone_id_prefix(region: str) -> str:
    area, direction, number = region.split("-")
    return f"{area}{direction[0]}{number}"  # us-west-1 -> usw1, as in usw1-az1


def _availability_zones(config: dict[str, Any], region: str) -> dict[str, Any]:
    letters = _ZONE_LETTERS.get(region, "abc")
    prefix = _zone_id_prefix(region)
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zone_ids": [f"{prefix}-az{index + 1}" for index in range(len(letters))],
        "group_names": [region],
    }


def _caller_identity(config: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "id": OFFLINE_ACCOUNT_ID,
        "account_id": OFFLINE_ACCOUNT_ID,
        "arn": f"arn:aws:iam::{OFFLINE_ACCOUNT_ID}:user/offline-preview",
        "user_id": "AIDAOFFLINEPREVIEW",
    }


def _region(config: dict[str, Any], region: str) -> dict[str, Any]:
    name = config.get("region") or config.get("name") or region
    return {
        "id": name,
        "name": name,
        "region": name,
        "endpoint": f"ec2.{name}.amazonaws.com",
        "description": name,
    }


def _partition(config: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "id": "aws",
        "partition": "aws",
        "dns_suffix": "amazonaws.com",
        "reverse_dns_prefix": "com.amazonaws",
    }


def _elb_service_account(config: dict[str, Any], region: str) -> dict[str, Any]:
    target = config.get("region") or region
    account = _ELB_LOG_ACCOUNTS.get(target, "000000000000")
    return {"id": account, "arn": f"arn:aws:iam::{account}:root", "region": target}


OVERRIDES: dict[str, Overrides] = {
    "aws_availability_zones": _availability_zones,
    "aws_caller_identity": _caller_identity,
    "aws_region": _region,
    "aws_partition": _partition,
    "aws_elb_service_account": _elb_service_account,
}


def overrides_for(type_name: str, config: dict[str, Any], region: str) -> dict[str, Any]:
    fn = OVERRIDES.get(type_name)
    return fn(config, region) if fn else {}
