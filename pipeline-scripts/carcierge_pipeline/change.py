"""What a plan changes, resource by resource and attribute by attribute: the model behind the
change preview (``carcierge preview``) and the merge-request comment.

Each managed resource change of a plan becomes a ``ResourceChange`` with its action (create,
update, replace, delete) and the attributes whose values differ. A value known only after apply
counts as a change only where the configuration sets that attribute (a configured value that now
depends on something that changes, such as an ECS service's ``task_definition`` after its task
definition is replaced); computed attributes the provider fills in (``arn``, ``id``,
``revision``) that are merely unknown never count by themselves, and an update with nothing else
is no change. Attributes holding JSON documents (container definitions, policies) are compared
inside the document, so an image-tag change reads ``container_definitions[0].image``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource
from carcierge_pipeline.report import STATEFUL_TYPES, classify, path_text

ACTION_ORDER = ("delete", "replace", "update", "create")


@dataclass(frozen=True)
class AttributeChange:
    path: str
    before: Any
    after: Any  # UNKNOWN when known only after apply
    sensitive: bool = False

    @property
    def unknown(self) -> bool:
        return self.after is UNKNOWN


@dataclass(frozen=True)
class ResourceChange:
    resource: Resource
    action: str
    attributes: tuple[AttributeChange, ...] = ()
    forced_by: tuple[str, ...] = ()  # the attributes that force a replacement

    @property
    def address(self) -> str:
        return self.resource.address + (" (deposed)" if self.resource.deposed else "")

    @property
    def module(self) -> str:
        return self.resource.module

    @property
    def stateful(self) -> str | None:
        return STATEFUL_TYPES.get(self.resource.type)

    @property
    def destructive(self) -> bool:
        """Deleting or replacing a resource that holds data."""
        return bool(self.stateful) and self.action in ("delete", "replace")


def _json_document(value: Any) -> Any:
    """The parsed value of a string holding a JSON object or array, else None."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, (dict, list)) else None
    return None


def _sensitive(mask: Any) -> bool:
    return mask is True


def _step_of(node: Any, step: str | int) -> Any:
    if isinstance(step, int):
        return node[step] if isinstance(node, list) and step < len(node) else None
    return node.get(step) if isinstance(node, Mapping) else None


def diff(
    before: Any,
    after: Any,
    unknown: Any = None,
    sensitive: Any = None,
    steps: tuple[str | int, ...] = (),
) -> Iterator[AttributeChange]:
    """The leaves where ``after`` (with Terraform's ``after_unknown`` and the union of its
    ``before_sensitive``/``after_sensitive`` masks) differs from ``before``."""
    if unknown is True:
        yield AttributeChange(path_text(steps), before, UNKNOWN, _sensitive(sensitive))
        return
    if _sensitive(sensitive):
        if before != after:
            yield AttributeChange(path_text(steps), None, None, True)
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            yield from diff(
                before.get(key),
                after.get(key),
                _step_of(unknown, key),
                _step_of(sensitive, key),
                (*steps, key),
            )
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from diff(
                old, new, _step_of(unknown, index), _step_of(sensitive, index), (*steps, index)
            )
        return
    if unknown is not None and isinstance(after, (Mapping, list)) and before is None:
        # A new block with parts known after apply: report the known and unknown leaves.
        yield from diff({} if isinstance(after, Mapping) else [], after, unknown, sensitive, steps)
        return
    if before == after:
        return
    old_document, new_document = _json_document(before), _json_document(after)
    if old_document is not None and new_document is not None:
        yield from diff(old_document, new_document, None, None, steps)
        return
    yield AttributeChange(path_text(steps), before, after)


def _merge_masks(first: Any, second: Any) -> Any:
    """A sensitivity mask true wherever either mask is."""
    if first is True or second is True:
        return True
    if isinstance(first, Mapping) or isinstance(second, Mapping):
        a = first if isinstance(first, Mapping) else {}
        b = second if isinstance(second, Mapping) else {}
        return {key: _merge_masks(a.get(key), b.get(key)) for key in set(a) | set(b)}
    if isinstance(first, list) or isinstance(second, list):
        a_list = first if isinstance(first, list) else []
        b_list = second if isinstance(second, list) else []
        length = max(len(a_list), len(b_list))
        return [
            _merge_masks(
                a_list[i] if i < len(a_list) else None, b_list[i] if i < len(b_list) else None
            )
            for i in range(length)
        ]
    return None


def _top_level(path: str) -> str:
    return path.split(".")[0].split("[")[0]


def _counts(plan: Plan, resource: Resource, change: AttributeChange) -> bool:
    """Whether an attribute change is a change by itself (see the module's docstring)."""
    return not change.unknown or plan.configured(resource, _top_level(change.path))


def resource_change(plan: Plan, resource: Resource) -> ResourceChange | None:
    """The change a plan makes to one managed resource, or None for no (effective) change."""
    action = classify(resource.actions)
    if action not in ACTION_ORDER:
        return None
    attributes: tuple[AttributeChange, ...] = ()
    if action in ("update", "replace"):
        mask = _merge_masks(resource.before_sensitive, resource.after_sensitive)
        found = diff(resource.before or {}, resource.after or {}, resource.after_unknown, mask)
        attributes = tuple(change for change in found if _counts(plan, resource, change))
        if action == "update" and not attributes:
            return None
    forced = tuple(path_text(path) for path in resource.replace_paths)
    return ResourceChange(resource, action, attributes, forced)


def changes(plan: Plan | Mapping[str, Any]) -> list[ResourceChange]:
    """Every effective change of ``plan``: destructive ones first, then by action and address."""
    model = Plan.of(plan)
    found = [c for r in model.managed() if (c := resource_change(model, r)) is not None]
    return sorted(
        found,
        key=lambda c: (not c.destructive, ACTION_ORDER.index(c.action), c.module, c.address),
    )


def counts(found: list[ResourceChange]) -> dict[str, int]:
    return {
        action: sum(1 for c in found if c.action == action) for action in reversed(ACTION_ORDER)
    }


def _text(value: Any) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("\n", " ")


def shorten(value: Any, limit: int = 60) -> str:
    """A value as a reviewer reads it in one table cell."""
    text = _text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_pair(before: Any, after: Any, limit: int = 40) -> tuple[str, str]:
    """Two values shortened around where they differ, so an image tag at the end of a long
    repository URL stays visible: ``…service1:1.0.0`` → ``…service1:1.1.0``."""
    old, new = _text(before), _text(after)
    if len(old) <= limit and len(new) <= limit:
        return old, new
    common = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        common += 1
    start = max(0, common - limit // 2)
    old, new = old[start:], new[start:]
    marker = "…" if start else ""
    return (shorten(marker + old, limit), shorten(marker + new, limit))


def before_plan(plan: Plan | Mapping[str, Any]) -> Plan:
    """The state a plan starts from, shaped as a plan whose planned values are the prior ones
    (each resource as it is before the change; resources the plan creates are absent): what
    the cost of "before" is estimated on when no base plan exists."""
    model = Plan.of(plan)
    raw = dict(model.raw)
    raw["resource_changes"] = [
        {
            **entry,
            "change": {
                "actions": ["no-op"],
                "before": body.get("before"),
                "after": body.get("before"),
                "after_unknown": {},
            },
        }
        for entry in model.raw.get("resource_changes") or []
        if (body := entry.get("change") or {}).get("before") is not None
    ]
    return Plan.of(raw)
