"""cty values on the plugin wire (MessagePack) and the plan/read rules the stub applies.

Terraform encodes every object with its schema's implied type; unknown values are MessagePack
extension 0 (12 when refined). Decoded values are plain Python data with ``UNKNOWN`` markers,
so the planning rules below are ordinary dict walks over the provider schema (JSON shape of
``terraform providers schema -json``).
"""

from __future__ import annotations

from typing import Any

import msgpack

UNKNOWN = msgpack.ExtType(0, b"")
_UNKNOWN_CODES = {0, 12}

Block = dict[str, Any]


def decode(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False) if raw else None


def encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def is_unknown(value: Any) -> bool:
    return isinstance(value, msgpack.ExtType) and value.code in _UNKNOWN_CODES


def is_wholly_known(value: Any) -> bool:
    if is_unknown(value):
        return False
    if isinstance(value, dict):
        return all(is_wholly_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_wholly_known(v) for v in value)
    return True


def _has_dynamic(block: Block) -> bool:
    """Whether a block's implied type contains ``dynamic`` (cty's DynamicPseudoType)."""
    attributes = block.get("attributes", {}).values()
    return any("dynamic" in repr(attribute.get("type")) for attribute in attributes) or any(
        _has_dynamic(nested["block"]) for nested in block.get("block_types", {}).values()
    )


def _map_nested(block_type: dict[str, Any], value: Any, fn: Any) -> Any:
    if value is None or is_unknown(value):
        return value
    nested = block_type["block"]
    if block_type["nesting_mode"] in ("list", "set", "map") and _has_dynamic(nested):
        # Terraform sends such a collection of blocks as a dynamic value ([type JSON, value];
        # e.g. aws_wafv2_web_acl's rule, whose statement is dynamic): kept as configured.
        return value
    mode = block_type["nesting_mode"]
    if mode in ("list", "set"):
        return [fn(nested, item) for item in value]
    if mode == "map":
        return {key: fn(nested, item) for key, item in value.items()}
    return fn(nested, value)


def plan_create(block: Block, proposed: dict[str, Any]) -> dict[str, Any]:
    """A creation plan: configured values kept, unset computed values unknown until apply,
    write-only values never kept (Terraform requires them null in any plan)."""
    planned = dict(proposed)
    for name, attribute in block.get("attributes", {}).items():
        if attribute.get("write_only"):
            planned[name] = None
        elif attribute.get("computed") and planned.get(name) is None:
            planned[name] = UNKNOWN
    for name, block_type in block.get("block_types", {}).items():
        planned[name] = _map_nested(block_type, planned.get(name), plan_create)
    return planned


def plan_update(block: Block, proposed: dict[str, Any]) -> dict[str, Any]:
    """An in-place update: Terraform's proposal already merges prior computed values."""
    planned = dict(proposed)
    for name, attribute in block.get("attributes", {}).items():
        if attribute.get("write_only"):
            planned[name] = None
    for name, block_type in block.get("block_types", {}).items():
        planned[name] = _map_nested(block_type, planned.get(name), plan_update)
    return planned


def merged_tags(default_tags: dict[str, str], tags: Any) -> Any:
    """``tags_all`` as the real provider plans it: provider default_tags overlaid by tags."""
    if not is_wholly_known(tags):
        return UNKNOWN
    return {**default_tags, **(tags or {})}


def placeholder(type_: Any, name: str) -> Any:
    """A known, type-correct stand-in for a computed value the offline preview cannot know."""
    if type_ == "string":
        return f"offline-{name}"
    if type_ == "number":
        return 0
    if type_ == "bool":
        return False
    if type_ == "dynamic":
        return None
    kind, element = type_
    if kind in ("list", "set"):
        return []
    if kind == "map":
        return {}
    if kind == "object":
        return {key: placeholder(sub, key) for key, sub in element.items()}
    if kind == "tuple":
        return [placeholder(sub, name) for sub in element]
    raise ValueError(f"unsupported cty type {type_!r}")


def fill_computed(
    block: Block, config: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """A data source result: config kept, every unset computed attribute given a known value."""
    state = dict(config)
    for name, attribute in block.get("attributes", {}).items():
        if state.get(name) is not None or not attribute.get("computed"):
            continue
        if name in overrides:
            state[name] = overrides[name]
        elif "type" in attribute:  # nested-type attributes stay null: a valid, known value
            state[name] = placeholder(attribute["type"], name)
    return state
