"""A picture of a change: a Mermaid flowchart (GitLab renders ```mermaid blocks in comments) of
the changed resources and what they depend on, coloured by action.

Up to ``DETAIL_LIMIT`` nodes it draws resources, grouped in a subgraph per module, with the
unchanged resources they depend on in grey; above that (a change touching dozens of services)
it draws one node per module with its counts, and an edge where a resource of one depends on a
resource of the other, so the picture stays readable at any size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from carcierge_pipeline.change import ACTION_ORDER, ResourceChange
from carcierge_pipeline.planmodel import Plan, Resource

DETAIL_LIMIT = 40
UNCHANGED = "unchanged"
# GitHub/GitLab-like colours; "replace" and "delete" read as danger.
STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37,color:#000",
    "update": "fill:#fff8c5,stroke:#9a6700,color:#000",
    "replace": "fill:#ffd8b5,stroke:#bc4c00,color:#000",
    "delete": "fill:#ffebe9,stroke:#cf222e,color:#000",
    UNCHANGED: "fill:#f6f8fa,stroke:#8c959f,color:#57606a",
}
ROOT_MODULE = "root"


def _label(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and angle brackets as entity codes."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _local_address(resource: Resource) -> str:
    module = resource.module
    address = resource.address
    return address[len(module) + 1 :] if module and address.startswith(module + ".") else address


def _module_of(resource: Resource) -> str:
    return resource.module or ROOT_MODULE


def _class_lines(used: Iterable[str]) -> list[str]:
    return [f"  classDef {name} {STYLES[name]}" for name in STYLES if name in set(used)]


def graph(plan: Plan, changes: list[ResourceChange]) -> str:
    """The flowchart's source (without the ``` fence); empty when nothing changes."""
    if not changes:
        return ""
    changed = {c.resource.address: c for c in changes}
    edges: set[tuple[str, str]] = set()
    nodes: dict[str, Resource] = {c.resource.address: c.resource for c in changes}
    for item in changes:
        if item.action == "delete":
            continue  # a deleted resource's configuration is gone
        for dependency in plan.dependencies(item.resource):
            nodes.setdefault(dependency.address, dependency)
            edges.add((item.resource.address, dependency.address))
    if len(nodes) > DETAIL_LIMIT:
        return _modules_graph(changes, nodes, edges)
    ids = {address: f"r{number}" for number, address in enumerate(sorted(nodes))}
    lines = ["flowchart LR"]
    by_module: dict[str, list[str]] = {}
    for address, resource in sorted(nodes.items()):
        by_module.setdefault(_module_of(resource), []).append(address)
    used: list[str] = []
    for number, (module, addresses) in enumerate(sorted(by_module.items())):
        lines.append(f'  subgraph m{number}["{_label(module)}"]')
        for address in addresses:
            found = changed.get(address)
            style = found.action if found else UNCHANGED
            used.append(style)
            text = _local_address(nodes[address]) + (f" ({found.action})" if found else "")
            lines.append(f'    {ids[address]}["{_label(text)}"]:::{style}')
        lines.append("  end")
    for source, target in sorted(edges):
        lines.append(f"  {ids[source]} --> {ids[target]}")
    return "\n".join(lines + _class_lines(used))


def _modules_graph(
    changes: list[ResourceChange], nodes: dict[str, Resource], edges: set[tuple[str, str]]
) -> str:
    per_module: dict[str, Counter[str]] = {}
    for item in changes:
        per_module.setdefault(_module_of(item.resource), Counter())[item.action] += 1
    modules = sorted({_module_of(resource) for resource in nodes.values()})
    ids = {module: f"m{number}" for number, module in enumerate(modules)}
    lines = ["flowchart LR"]
    used: list[str] = []
    for module in modules:
        counted = per_module.get(module)
        if counted:
            style = next(action for action in ACTION_ORDER if counted[action])
            text = (
                module
                + ": "
                + ", ".join(f"{counted[a]} {a}" for a in reversed(ACTION_ORDER) if counted[a])
            )
        else:
            style, text = UNCHANGED, module
        used.append(style)
        lines.append(f'  {ids[module]}["{_label(text)}"]:::{style}')
    module_edges = {
        (_module_of(nodes[source]), _module_of(nodes[target]))
        for source, target in edges
        if _module_of(nodes[source]) != _module_of(nodes[target])
    }
    for source, target in sorted(module_edges):
        lines.append(f"  {ids[source]} --> {ids[target]}")
    return "\n".join(lines + _class_lines(used))
