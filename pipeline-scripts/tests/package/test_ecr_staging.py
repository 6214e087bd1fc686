"""The staged first deployment (docs/first-deployment.md): the plan gate refuses a plan that
creates an ECR repository and, in the same apply, a service whose image is in it
(rules/ecr.py); with the service held back (services_awaiting_images) or the repository already
there, it passes."""

from __future__ import annotations

from typing import Any

import pytest

from carcierge_pipeline import rules
from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.rules import ecr

REGISTRY = "123456789012.dkr.ecr.us-west-1.amazonaws.com"


def _change(
    address: str,
    after: dict[str, Any],
    *,
    actions: tuple[str, ...] = ("create",),
    index: Any = None,
) -> dict:
    rtype, name = address.split(".", 2)[-1].split("[")[0].split(".")
    found: dict[str, Any] = {
        "address": address,
        "module_address": "module.ecs",
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {"actions": list(actions), "after": after, "after_unknown": {}},
    }
    if index is not None:
        found["index"] = index
    return found


def _plan(
    *, repository: tuple[str, ...] | None = ("create",), service: bool = True, image: str
) -> Plan:
    changes = []
    if repository is not None:
        changes.append(
            _change(
                'module.ecs.aws_ecr_repository.service["api"]',
                {"name": "staging-carcierge-api"},
                actions=repository,
                index="api",
            )
        )
    if service:
        changes.append(
            _change(
                'module.ecs.aws_ecs_service.service["api"]',
                {"name": "staging-carcierge-api"},
                index="api",
            )
        )
    return Plan.of(
        {
            "resource_changes": changes,
            "variables": {"services": {"value": {"api": {"container_image": image}}}},
            "configuration": {},
        }
    )


def _lines(model: Plan) -> list[str]:
    return [finding.line for finding in rules.evaluate(model, [ecr.RULE]).findings]


def test_a_service_from_a_repository_the_same_apply_creates_is_refused():
    (line,) = _lines(_plan(image=f"{REGISTRY}/staging-carcierge-api:1.0.0"))
    assert line.startswith(
        'aws-ecr-image-before-service: module.ecs.aws_ecs_service.service["api"]: '
    )
    assert (
        'its image is in module.ecs.aws_ecr_repository.service["api"], which this same apply '
        "creates" in line
    )
    assert 'services_awaiting_images = ["api"]' in line and "docs/first-deployment.md" in line
    assert "\n" not in line


@pytest.mark.parametrize(
    ("repository", "service", "image"),
    [
        (("create",), False, f"{REGISTRY}/staging-carcierge-api:1.0.0"),  # stage 1: no service
        (None, True, f"{REGISTRY}/staging-carcierge-api:1.0.0"),  # stage 2: the repository exists
        (("update",), True, f"{REGISTRY}/staging-carcierge-api:1.0.0"),
        (("create",), True, f"{REGISTRY}/carcierge-api:1.0.0"),  # an image from elsewhere
    ],
)
def test_staged_or_unrelated_plans_pass(repository, service, image):
    assert _lines(_plan(repository=repository, service=service, image=image)) == []


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        (f"{REGISTRY}/staging-carcierge-api:1.0.0", "staging-carcierge-api"),
        (f"{REGISTRY}/team/api@sha256:{'a' * 64}", "team/api"),
        (f"{REGISTRY}/team/api:1.0@sha256:{'a' * 64}", "team/api"),
        ("localhost:5000/api:1", "api"),
        ("library/nginx:1.27", "library/nginx"),
        ("nginx", "nginx"),
    ],
)
def test_the_repository_of_an_image_reference(image, repository):
    assert ecr.repository_of(image) == repository
