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
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


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


# The ARNs the rehearsal makes up, as AWS shapes them where the configuration checks the shape
# (module variable validations) or a service name is not the type's second word. Global
# services (IAM) have no region. Any other type: arn:aws:<service>:<region>:<account>:<rest>/<id>.
ACCOUNT = "123456789012"  # the account the offline data sources answer with
_ARN_SHAPES = {
    "aws_iam_role": ("iam", "role/{name}"),
    "aws_iam_policy": ("iam", "policy/{name}"),
    "aws_iam_openid_connect_provider": ("iam", "oidc-provider/{id}"),
    "aws_kms_key": ("kms", "key/{uuid}"),
    "aws_secretsmanager_secret": ("secretsmanager", "secret:{name}-{id6}"),
    "aws_sns_topic": ("sns", "{name}"),
    "aws_cloudwatch_log_group": ("logs", "log-group:{name}"),
    "aws_lb": ("elasticloadbalancing", "loadbalancer/app/{name}/{id}"),
    "aws_lb_target_group": ("elasticloadbalancing", "targetgroup/{name}/{id}"),
    "aws_wafv2_web_acl": ("wafv2", "regional/webacl/{name}/{uuid}"),
    "aws_db_instance": ("rds", "db:{identifier}"),
    "aws_ecs_cluster": ("ecs", "cluster/{name}"),
    "aws_ecs_task_definition": ("ecs", "task-definition/{family}:1"),
}
_GLOBAL_SERVICES = {"iam"}


class Invented:
    """Known stand-ins for the values an apply would return, for one resource: distinct per
    resource (``seed``) and the same each time the same values are applied."""

    def __init__(self, type_name: str, planned: dict[str, Any], region: str, seed: str) -> None:
        self.type_name, self.planned, self.region, self.seed = type_name, planned, region, seed

    def _field(self, name: str) -> str:
        value = self.planned.get(name)
        return value if isinstance(value, str) and value else f"rehearsal-{self.seed}"

    def arn(self, service: str | None = None, path: str | None = None) -> str:
        words = self.type_name.split("_")
        default = (words[1] if len(words) > 1 else "aws", "_".join(words[2:]) + "/{id}")
        shape = (service, path) if service and path else _ARN_SHAPES.get(self.type_name, default)
        service, path = shape
        seed = self.seed
        uuid = f"{seed[:8]}-{seed[8:12]}-4000-8000-{seed[:12]}"
        resource = path.format(
            id=seed,
            id6=seed[:6],
            uuid=uuid,
            name=self._field("name"),
            identifier=self._field("identifier"),
            family=self._field("family"),
        )
        region = "" if service in _GLOBAL_SERVICES else self.region
        return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"

    def string(self, name: str) -> str:
        if name.endswith("secret_arn"):
            return self.arn("secretsmanager", "secret:rds!{id}-{id6}")
        if name == "arn" or name.endswith("_arn"):
            return self.arn()
        return f"rehearsal-{name}-{self.seed}"


def _invented(type_: Any, name: str, make: Invented) -> Any:
    """A known value of cty type ``type_`` for an attribute left unknown until apply. Lists and
    sets get one element, so that ``attribute[0]`` references resolve as after a real apply."""
    if type_ == "string":
        return make.string(name)
    if type_ in ("number", "bool", "dynamic"):
        return placeholder(type_, name)
    kind, element = type_
    if kind in ("list", "set"):
        return [_invented(element, name, make)]
    if kind == "map":
        return {}
    if kind == "object":
        return {key: _invented(sub, key, make) for key, sub in element.items()}
    return [_invented(sub, name, make) for sub in element]  # tuple


def _filled(type_: Any, value: Any, name: str, make: Invented) -> Any:
    """``value`` of cty type ``type_`` with every unknown inside it made known."""
    if is_unknown(value):
        return _invented(type_, name, make)
    if value is None or isinstance(type_, str):
        return value
    kind, element = type_
    if kind in ("list", "set"):
        return [_filled(element, item, name, make) for item in value]
    if kind == "map":
        return {key: _filled(element, item, name, make) for key, item in value.items()}
    if kind == "object":
        return {key: _filled(sub, value.get(key), key, make) for key, sub in element.items()}
    return [_filled(sub, item, name, make) for sub, item in zip(element, value, strict=True)]


def fill_unknowns(block: Block, planned: dict[str, Any], make: Invented) -> dict[str, Any]:
    """An applied state: the planned values, each value unknown at plan made known (``make``
    invents them). Nested-type attributes left unknown become null, a known value."""
    state = dict(planned)
    for name, attribute in block.get("attributes", {}).items():
        if "type" in attribute:
            state[name] = _filled(attribute["type"], state.get(name), name, make)
        elif is_unknown(state.get(name)):
            state[name] = None
    for name, block_type in block.get("block_types", {}).items():
        state[name] = _map_nested(
            block_type, state.get(name), lambda nested, item: fill_unknowns(nested, item, make)
        )
    return state


def changed_attributes(prior: dict[str, Any], planned: dict[str, Any]) -> list[str]:
    """Top-level attributes and blocks whose planned value differs from the prior state."""
    return sorted(
        name for name in set(prior) | set(planned) if prior.get(name) != planned.get(name)
    )
