"""ECR: a service never starts from a repository that the same apply creates.

ECS starts a service's tasks as soon as the service exists and pulls the task definition's
image; a repository created by the same apply holds no image yet, so the tasks fail with
CannotPullContainerError and the apply waits for a steady state that never comes (Amazon ECS
Developer Guide, "CannotPullContainer task errors", task_cannot_pull_image.html; ECR User
Guide, "Pushing an image": an image is in a repository only once pushed). Not a value AWS
refuses but an apply that cannot succeed, so the gate refuses its plan: the first deployment is
staged instead (the service's key in services_awaiting_images, apply, push, then remove the
key: docs/first-deployment.md).

The image is the root variable ``services``' ``container_image`` of the service's key (the
task definition's container_definitions are unknown at plan: they carry the data stores'
addresses); the repository's name is planned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from carcierge_pipeline.planmodel import Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

SOURCE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html"


def repository_of(image: str) -> str:
    """The repository path of an image reference [registry/]repository[:tag][@digest]."""
    name = image.split("@", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    created: dict[str, str] = {}
    for created_repository in plan.of_type("aws_ecr_repository"):
        if "create" not in created_repository.actions:
            continue
        name = created_repository.get("name")
        if not isinstance(name, str):
            yield Unknown(created_repository.address, "name")
            continue
        created[name] = created_repository.address
    if not created:
        return
    services: Any = plan.variable("services") or {}
    for service in plan.of_type("aws_ecs_service"):
        if "create" not in service.actions:
            continue
        entry = services.get(service.index) if isinstance(services, dict) else None
        image = entry.get("container_image") if isinstance(entry, dict) else None
        if not isinstance(image, str):
            yield Unknown(service.address, "container_image (services variable)")
            continue
        repository = repository_of(image)
        if repository in created:
            yield Violation(
                service.address,
                image,
                f"its image is in {created[repository]}, which this same apply creates: no "
                "image can be there when ECS starts the service; stage it (its key in "
                f'services_awaiting_images = ["{service.index}"], apply, push the image, then '
                "remove the key: docs/first-deployment.md)",
            )


RULE = Rule(
    "aws-ecr-image-before-service",
    "A service's image repository exists (and holds the image) before the service",
    SOURCE,
    check,
)
