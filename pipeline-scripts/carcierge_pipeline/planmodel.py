"""One typed reader of ``terraform show -json`` output, shared by every stage that reads a plan
(the plan report, the cost estimate, the parity report and the AWS rules gate).

A ``Plan`` holds the plan's resource changes as ``Resource`` objects in plan order (every mode,
action and deposed object: each reader keeps what it needs), the variables' values, the
outputs, and the configuration. ``Resource.get`` reads a dotted path of the planned values and
answers ``UNKNOWN`` where Terraform knows the value only after apply; ``Plan.resolve`` follows
an attribute's configured references (through module variables and outputs) to the resources
it names, which is how a plan links resources whose ids are still unknown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class _Unknown:
    """The value of an attribute that Terraform knows only after apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def _step(container: Any, step: str | int) -> Any:
    if isinstance(step, int):
        return container[step] if isinstance(container, list) and step < len(container) else None
    return container.get(step) if isinstance(container, Mapping) else None


def value_at(after: Any, unknown: Any, path: str | Sequence[str | int]) -> Any:
    """The value at ``path`` (``"cluster_config.0.instance_count"`` or a list of steps) of
    planned values ``after`` whose unknown-ness is ``unknown`` (Terraform's ``after_unknown``):
    the value, None when absent, or UNKNOWN."""
    steps = path.split(".") if isinstance(path, str) else list(path)
    value = after
    for part in steps:
        step: str | int = int(part) if isinstance(part, str) and part.isdigit() else part
        if unknown is True:
            return UNKNOWN
        unknown = _step(unknown, step)
        value = _step(value, step)
        if value is None:
            return UNKNOWN if unknown is True else None
    return UNKNOWN if unknown is True else value


def contains_unknown(unknown: Any) -> bool:
    """Whether an ``after_unknown`` subtree marks anything unknown."""
    if unknown is True:
        return True
    if isinstance(unknown, Mapping):
        return any(contains_unknown(v) for v in unknown.values())
    if isinstance(unknown, list):
        return any(contains_unknown(v) for v in unknown)
    return False


@dataclass(frozen=True)
class Resource:
    """One entry of the plan's ``resource_changes``."""

    address: str
    mode: str | None  # "managed" or "data" (None only in hand-written plans)
    type: str
    name: str
    module: str  # module address, "" for the root module
    index: Any  # for_each key, count index or None
    deposed: str | None
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None  # None when the object is deleted
    after_unknown: Mapping[str, Any]
    replace_paths: tuple[tuple[Any, ...], ...] = ()
    action_reason: str | None = None
    # Terraform's sensitivity masks: True (or a structure with True leaves) where a value is
    # sensitive before or after the change.
    before_sensitive: Any = None
    after_sensitive: Any = None

    @classmethod
    def of(cls, change: Mapping[str, Any]) -> Resource:
        body = change.get("change") or {}
        return cls(
            address=change["address"],
            mode=change.get("mode"),
            type=change["type"],
            name=change.get("name", ""),
            module=change.get("module_address", ""),
            index=change.get("index"),
            deposed=change.get("deposed"),
            actions=tuple(body.get("actions") or ()),
            before=body.get("before"),
            after=body.get("after"),
            after_unknown=body.get("after_unknown") or {},
            replace_paths=tuple(tuple(p) for p in body.get("replace_paths") or ()),
            action_reason=change.get("action_reason"),
            before_sensitive=body.get("before_sensitive"),
            after_sensitive=body.get("after_sensitive"),
        )

    @property
    def managed(self) -> bool:
        return (self.mode or "managed") == "managed"

    @property
    def values(self) -> Mapping[str, Any]:
        """The planned values after the change ({} for a deletion)."""
        return self.after or {}

    @property
    def index_text(self) -> str:
        """The instance key as it appears in the address: '["service1"]', '[0]' or ''."""
        return "" if self.index is None else f"[{json.dumps(self.index)}]"

    def get(self, path: str | Sequence[str | int]) -> Any:
        """The planned value at a dotted path: a value, None, or UNKNOWN."""
        return value_at(self.after or {}, self.after_unknown, path)

    def is_unknown(self, path: str | Sequence[str | int]) -> bool:
        """Whether the value at ``path``, or anything inside it, is known only after apply."""
        steps = path.split(".") if isinstance(path, str) else list(path)
        unknown: Any = self.after_unknown
        for part in steps:
            if unknown is True:
                return True
            unknown = _step(
                unknown, int(part) if isinstance(part, str) and part.isdigit() else part
            )
        return contains_unknown(unknown)


_REFERENCE = re.compile(r"^(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?P<index>\[[^\]]*\])?")
_UNTRACKED = ("local.", "each.", "count.", "path.", "self.", "terraform.")


@dataclass
class Plan:
    """The output of ``terraform show -json <plan>``."""

    raw: Mapping[str, Any]
    resources: list[Resource] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Plan | Mapping[str, Any]) -> Plan:
        if isinstance(plan, Plan):
            return plan
        return cls(plan, [Resource.of(c) for c in plan.get("resource_changes") or []])

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.of(json.loads(Path(path).read_text()))

    # --- plan-wide values ----------------------------------------------------------------
    @property
    def terraform_version(self) -> str:
        return str(self.raw.get("terraform_version", ""))

    @property
    def variables(self) -> dict[str, Any]:
        return {name: v.get("value") for name, v in (self.raw.get("variables") or {}).items()}

    def variable(self, name: str, default: Any = None) -> Any:
        return self.variables.get(name, default)

    @property
    def outputs(self) -> dict[str, Any]:
        """Output values after the plan; UNKNOWN where known only after apply."""
        found = {}
        for name, change in (self.raw.get("output_changes") or {}).items():
            found[name] = UNKNOWN if change.get("after_unknown") is True else change.get("after")
        return found

    @property
    def configuration(self) -> Mapping[str, Any]:
        return self.raw.get("configuration") or {}

    # --- resources -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def managed(self) -> list[Resource]:
        return [r for r in self.resources if r.managed]

    def of_type(self, *types: str) -> list[Resource]:
        """Managed resources of these types that exist after the plan (not deleted)."""
        return [r for r in self.resources if r.type in types and r.managed and r.after is not None]

    def by_address(self, address: str) -> Resource | None:
        for resource in self.resources:
            if resource.address == address and not resource.deposed:
                return resource
        return None

    # --- configuration -------------------------------------------------------------------
    def module_config(self, module: str) -> Mapping[str, Any]:
        """The configuration of a module address ('' for the root, 'module.ecs', …)."""
        node: Mapping[str, Any] = self.configuration.get("root_module") or {}
        for part in re.findall(r"module\.([^.\[]+)(?:\[[^\]]*\])?", module):
            node = ((node.get("module_calls") or {}).get(part) or {}).get("module") or {}
        return node

    def _resource_config(self, resource: Resource) -> Mapping[str, Any]:
        for config in self.module_config(resource.module).get("resources") or []:
            if config.get("address") == f"{resource.type}.{resource.name}":
                found: Mapping[str, Any] = config
                return found
        return {}

    def _expression(self, resource: Resource, attribute: str) -> Any:
        node: Any = self._resource_config(resource).get("expressions") or {}
        for part in attribute.split("."):
            node = _step(node, int(part) if part.isdigit() else part)
        return node

    def configured(self, resource: Resource, attribute: str) -> bool:
        """Whether the configuration sets the attribute (else the provider chooses it)."""
        return self._expression(resource, attribute) is not None

    def references(self, resource: Resource, attribute: str) -> list[str]:
        """The references of an attribute's configured expression (``vpc_options.0.subnet_ids``
        reaches into nested blocks)."""
        node = self._expression(resource, attribute)
        return list((node or {}).get("references") or []) if isinstance(node, Mapping) else []

    def dependencies(self, resource: Resource) -> list[Resource]:
        """The resources ``resource``'s configuration refers to, in any argument or block and
        its ``depends_on``, through module variables and outputs (links that go only through
        locals or ``each.value`` cannot be known from the plan and are not listed)."""
        config = self._resource_config(resource)
        lists = [*reference_lists(config.get("expressions") or {})]
        lists.append([str(name) for name in config.get("depends_on") or []])
        found: dict[str, Resource] = {}
        for references in lists:
            for target in self._follow(references, resource.module, resource.index, 0) or []:
                if target.managed and target.address != resource.address:
                    found.setdefault(target.address, target)
        return list(found.values())

    def resolve(self, resource: Resource, attribute: str) -> list[Resource] | None:
        """The resources an attribute's expression refers to, through module variables and
        outputs; None when the expression's references go only through values the plan JSON
        does not record (locals, ``each.value``), so the link cannot be known from the plan."""
        found = self._follow(
            self.references(resource, attribute), resource.module, resource.index, depth=0
        )
        return None if found is None else list({r.address: r for r in found}.values())

    def _follow(
        self, references: list[str], module: str, index: Any, depth: int
    ) -> list[Resource] | None:
        if depth > 8:
            return None
        # Terraform lists "a.b.c" and its prefix "a.b"; the longest names the value.
        refs = [r for r in references if not any(o != r and o.startswith(r) for o in references)]
        # ``x.y[each.key]`` is recorded as "x.y" and "each.key": the same instance key.
        same_key = "each.key" in references or "count.index" in references
        found: list[Resource] = []
        resolved_any = False
        for ref in dict.fromkeys(refs):
            if ref.startswith(_UNTRACKED):
                continue
            if ref.startswith("var."):
                parent, call = _parent_of(module)
                if call is None:
                    continue  # a root variable: a value, not a resource
                expression = (
                    (self.module_config(parent).get("module_calls") or {})
                    .get(call, {})
                    .get("expressions", {})
                    .get(ref.split(".")[1], {})
                )
                inner = self._follow(expression.get("references") or [], parent, None, depth + 1)
            elif ref.startswith("module."):
                parts = ref.split(".")
                if len(parts) < 3:
                    continue
                child = f"{module}.module.{parts[1]}" if module else f"module.{parts[1]}"
                output = (self.module_config(child).get("outputs") or {}).get(parts[2], {})
                inner = self._follow(
                    (output.get("expression") or {}).get("references") or [], child, None, depth + 1
                )
            else:
                inner = self._resources_named(ref, module, index if same_key else None)
            if inner is not None:
                resolved_any = True
                found.extend(inner)
        return found if resolved_any else None

    # --- ECS: which task definition a service runs, and where ECS places its tasks ----------
    def task_definition(self, service: Resource) -> Resource | None:
        """The task definition ``service`` runs: the one its ``task_definition`` argument
        refers to (``aws_ecs_task_definition.<name>`` or ``[each.key]`` of it, in the service's
        module), else the only one of that module with the service's instance key."""
        after = {r.address: r for r in self.of_type("aws_ecs_task_definition") if not r.deposed}
        prefix = f"{service.module}." if service.module else ""
        for ref in self.references(service, "task_definition"):
            match = re.fullmatch(r"aws_ecs_task_definition\.([^.\[]+)(\[each\.key\])?", ref)
            if match:
                index = service.index_text if match.group(2) else ""
                found = after.get(f"{prefix}aws_ecs_task_definition.{match.group(1)}{index}")
                if found:
                    return found
        same = [
            r
            for r in after.values()
            if r.module == service.module and r.index_text == service.index_text
        ]
        return same[0] if len(same) == 1 else None

    def capacity_strategy(self, service: Resource) -> Any:
        """The capacity provider strategy ECS places ``service``'s tasks with: its own; with
        neither that nor a launch type, its cluster's default (the capacity providers of the
        service's module: one cluster per module); [] for a plain launch type; UNKNOWN when
        the plan cannot say."""
        strategy = service.get("capacity_provider_strategy")
        if strategy is UNKNOWN or strategy:
            return strategy
        launch_type = service.get("launch_type")
        if isinstance(launch_type, str) and launch_type:
            return []
        defaults = [
            r
            for r in self.of_type("aws_ecs_cluster_capacity_providers")
            if r.module == service.module
        ]
        if len(defaults) != 1:
            return UNKNOWN if defaults else []
        default = defaults[0].get("default_capacity_provider_strategy")
        return [] if default is None else default

    def _resources_named(self, ref: str, module: str, index: Any) -> list[Resource] | None:
        mode = "managed"
        if ref.startswith("data."):
            mode, ref = "data", ref[len("data.") :]
        match = _REFERENCE.match(ref)
        if not match:
            return None
        candidates = [
            r
            for r in self.resources
            if r.module == module
            and r.type == match["type"]
            and r.name == match["name"]
            and (r.mode or "managed") == mode
            and not r.deposed
        ]
        key = match["index"]
        if key in ("[each.key]", "[count.index]") or (not key and index is not None):
            candidates = [r for r in candidates if r.index == index]
        elif key:
            try:
                wanted = json.loads(key[1:-1])
            except ValueError:
                return None
            candidates = [r for r in candidates if r.index == wanted]
        return candidates


def reference_lists(node: Any) -> Iterator[list[str]]:
    """Every ``references`` list of a configuration's expressions, nested blocks included."""
    if isinstance(node, Mapping):
        references = node.get("references")
        if isinstance(references, list):
            yield [str(reference) for reference in references]
        for key, value in node.items():
            if key != "references":
                yield from reference_lists(value)
    elif isinstance(node, list):
        for value in node:
            yield from reference_lists(value)


def _parent_of(module: str) -> tuple[str, str | None]:
    """('module.a', 'b') for 'module.a.module.b["x"]'; ('', None) for the root."""
    calls = re.findall(r"module\.[^.\[]+(?:\[[^\]]*\])?", module)
    if not calls:
        return "", None
    name = re.match(r"module\.([^.\[]+)", calls[-1])
    return ".".join(calls[:-1]), name.group(1) if name else None


# --- ECS capacity providers (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
# fargate-capacity-providers.html): each provider's base is placed first, the rest by weight; a
# provider with weight 0 and no base places nothing. ------------------------------------------
FARGATE_SPOT = "FARGATE_SPOT"


def _entries(strategy: Any) -> list[Mapping[str, Any]]:
    return [entry or {} for entry in strategy or []]


def uses_spot(strategy: Any) -> bool:
    """Whether a strategy can place any task on Fargate Spot (a weight or a base)."""
    return any(
        e.get("capacity_provider") == FARGATE_SPOT and (e.get("weight") or e.get("base"))
        for e in _entries(strategy)
    )


def spot_tasks(desired: float, strategy: Any) -> float:
    """How many of ``desired`` tasks ECS places on Fargate Spot: bases first, the rest by
    weight."""
    remaining = float(desired)
    spot = 0.0
    entries = _entries(strategy)
    for entry in entries:
        base = min(float(entry.get("base") or 0), remaining)
        remaining -= base
        if entry.get("capacity_provider") == FARGATE_SPOT:
            spot += base
    weights = sum(float(e.get("weight") or 0) for e in entries)
    if weights and remaining:
        spot_weight = sum(
            float(e.get("weight") or 0)
            for e in entries
            if e.get("capacity_provider") == FARGATE_SPOT
        )
        spot += remaining * spot_weight / weights
    return spot


def spot_weight_share(strategy: Any) -> Any:
    """The share of a strategy's weight on Fargate Spot (bases aside): 0.0 to 1.0, or UNKNOWN
    when a weight is not known at plan."""
    weights = [(e.get("capacity_provider"), e.get("weight") or 0) for e in _entries(strategy)]
    if any(not isinstance(w, (int, float)) for _, w in weights):
        return UNKNOWN
    total = sum(w for _, w in weights)
    spot = sum(w for provider, w in weights if provider == FARGATE_SPOT)
    return spot / total if total else 0.0
