"""The machinery of the built-in cost estimate: the price table, the estimate and its items,
and the ``Pricer`` every AWS service's module prices with (``add``, ``assumption``,
``missing``, third-party prices). The services themselves are the package's other modules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from carcierge_pipeline.errors import UserError
from carcierge_pipeline.planmodel import Plan, Resource

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


def first_block(block: object) -> dict[str, Any]:
    if isinstance(block, list) and block:
        return block[0] or {}
    return block if isinstance(block, dict) else {}


def json_rule_count(rule_json: object) -> int:
    """Rules of a web ACL written as rule_json (modules/ecs/waf.tf), each billed like a rule
    block; 0 when unknown at plan."""
    try:
        rules = json.loads(rule_json) if isinstance(rule_json, str) else []
    except ValueError:
        return 0
    return len(rules) if isinstance(rules, list) else 0


# --- pricing ----------------------------------------------------------------------------------


class Pricer:
    """One estimate being made: the plan's resources after it is applied, the price table and
    its assumptions; each service module reads resources and adds items through it."""

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

    def each(
        self, type_: str, service: str, detail: str, monthly: float, *, assumption: str = ""
    ) -> None:
        """Every resource of ``type_`` at one monthly price, and the ``assumption`` that price
        rests on, stated once where there is such a resource."""
        resources = self.of_type(type_)
        for resource in resources:
            self.add(resource, service, detail, monthly)
        if resources and assumption:
            self.assumption(assumption)

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

    # Third-party prices: where no AWS page states the price, the table's third_party_prices
    # (each with its source) price it; every item priced from one says so in its detail, and
    # the assumptions name the figures. What no source prices is listed.
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
        self,
        type_: str,
        price: str,
        quantity: float,
        service: str,
        detail: str,
        *,
        assumption: str = "",
    ) -> list[Resource]:
        """Each resource of ``type_`` at ``quantity`` times the third-party price ``price``, or
        listed as not estimated when the table has no such price; ``assumption`` as ``each``.
        Returns the resources."""
        resources = self.of_type(type_)
        rate = self.third_party(price)
        for resource in resources:
            if rate is None:
                self.missing(resource, f"no {price} in the price table")
                continue
            self.add(resource, service, detail, quantity * rate)
        if resources and assumption:
            self.assumption(assumption)
        return resources

    def third_party_note(self) -> None:
        if self.third_party_used:
            self.assumption(
                "third-party prices (no AWS page found; sources in the price table's "
                f"third_party_prices, verify before relying on them): "
                f"{', '.join(sorted(self.third_party_used))}"
            )
