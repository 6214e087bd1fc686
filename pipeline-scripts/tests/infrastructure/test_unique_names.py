"""The rules gate refuses two planned resources of one type with one name (rules/unique.py):
each type the rule knows, as the environments plan it, with one resource planned twice."""

from __future__ import annotations

import copy

import pytest

from carcierge_pipeline import rules
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.rules import unique


def _twice(plan: dict, address: str) -> tuple[dict, str]:
    """``plan`` with the resource at ``address`` planned again under another for_each key of
    the same block (same configuration, same name)."""
    doubled = copy.deepcopy(plan)
    original = next(c for c in doubled["resource_changes"] if c["address"] == address)
    twin = copy.deepcopy(original)
    base = address.rsplit("[", 1)[0] if original.get("index") is not None else address
    twin["index"] = "twin"
    twin["address"] = f'{base}["twin"]'
    doubled["resource_changes"].append(twin)
    return doubled, twin["address"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_names_every_resource_once(environment_plans, environment):
    result = rules.evaluate(environment_plans(environment), [unique.RULE])
    assert (result.findings, result.unchecked) == ([], [])


def test_a_resource_planned_twice_under_one_name_is_refused(environment_plans):
    plan = environment_plans("prod")
    model = Plan.of(plan)
    present = [entry for entry in unique.UNIQUE_NAMES if model.of_type(entry.type)]
    # The rule covers what the project creates: most of its entries are planned in prod.
    assert len(present) >= len(unique.UNIQUE_NAMES) - 3, [e.type for e in present]
    for entry in present:
        first = next(r for r in model.of_type(entry.type) if r.get(entry.attribute))
        doubled, twin = _twice(plan, first.address)
        found = rules.evaluate(doubled, [unique.RULE]).findings
        assert [(f.address, f.value) for f in found] == [(twin, first.get(entry.attribute))], (
            entry.type
        )
        assert first.address in found[0].message


def test_the_same_name_in_another_region_or_parent_is_no_collision(environment_plans):
    plan = environment_plans("prod")
    model = Plan.of(plan)
    [alias] = [r for r in model.of_type("aws_kms_alias")][:1]
    doubled, twin = _twice(plan, alias.address)
    moved = next(c for c in doubled["resource_changes"] if c["address"] == twin)
    moved["change"]["after"]["region"] = "eu-north-1"
    assert rules.evaluate(doubled, [unique.RULE]).findings == []
    group = model.of_type("aws_security_group")[0]
    doubled, twin = _twice(plan, group.address)
    moved = next(c for c in doubled["resource_changes"] if c["address"] == twin)
    moved["change"]["after"]["vpc_id"] = "vpc-0123456789abcdef0"  # an existing VPC
    moved["change"]["after_unknown"].pop("vpc_id", None)
    assert rules.evaluate(doubled, [unique.RULE]).findings == []
