"""The offline provider schema: extractor rules on tiny generated-style sources, then facts of
the real hashicorp/aws 6.69.1 schema rebuilt from the pinned ``cdktn-provider-aws`` wheel.

The real-provider facts read the schema that set-up rebuilt from the wheel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from carcierge_pipeline.offline import schema as offline_schema
from carcierge_pipeline.offline.schema import build_schema_from_sources
from carcierge_pipeline.terraform import Terraform

ADDRESS = "registry.terraform.io/hashicorp/aws"
NAME = re.compile(r"^[a-z0-9_]+$")


# ------------------------------------------------------- synthetic sources in generator style


def member(name: str, flags: str, body: str) -> str:
    """A class member: the generator's flag comment and its getter (``flags`` like "c,o")."""
    c, o, r = (str(f in flags.split(",")).lower() for f in ("c", "o", "r"))
    return f"    // {name} - computed: {c}, optional: {o}, required: {r}\n{body}\n"


def entry(name: str, value: str, kind: str, storage: str) -> str:
    """One ``...ToHclTerraform`` table row."""
    is_block = str(storage[:1].isupper()).lower()
    return (
        f"        {name}: {{\n            value: {value},\n            isBlock: {is_block},\n"
        f'            type: "{kind}",\n            storageClassType: "{storage}",\n        }},\n'
    )


def klass(
    name: str, base: str, members: list[str], table: list[str] | None = None, tf_type: str = ""
) -> str:
    table = table or []
    static = f'    static tfResourceType = "{tf_type}";\n' if tf_type else ""
    hcl = "    synthesizeHclAttributes() {\n        const attrs = {\n" + "".join(table)
    return (
        f"class {name} extends cdktn.{base} {{\n{static}"
        "    // ==========\n    // ATTRIBUTES\n    // ==========\n"
        + "".join(members)
        + "    // =========\n    // SYNTHESIS\n    // =========\n"
        + (hcl + "        };\n    }\n" if table else "")
        + "}\n"
    )


def hcl_fn(struct: str, table: list[str]) -> str:
    fn = struct[:1].lower() + struct[1:]
    rows = "".join(table)
    return f"function {fn}ToHclTerraform(struct) {{\n    const attrs = {{\n{rows}    }};\n}}\n"


def getter(call: str) -> str:
    return f"    get x() {{\n        return {call};\n    }}"


def get(kind: str) -> str:
    return getter(f"this.get{kind}Attribute('x')")


def stored(cls: str, name: str, extra: str = "") -> str:
    return f'    _x = new {cls}(this, "{name}"{extra});'


BLOCKS = "cdktn.listMapperHcl(f, true)(v)"  # a list/set of blocks
OBJECTS = "cdktn.listMapperHcl(f, false)(v)"  # a list/set attribute of objects
CALL = "f(v)"  # a primitive, a single block, or a MaxItems=1 block
WRITE_ONLY_DOC = "    /**\n    * @deprecated Write-only: never returned.\n    */\n"

THING = "\n".join(
    [
        '"use strict";',
        hcl_fn("ThingRule", [entry("name", CALL, "simple", "string")]),
        klass("ThingRuleOutputReference", "ComplexObject", [member("name", "r", get("String"))]),
        klass("ThingRuleList", "ComplexList", []),
        hcl_fn("ThingLimits", [entry("max", CALL, "simple", "number")]),
        klass("ThingLimitsOutputReference", "ComplexObject", [member("max", "o", get("Number"))]),
        klass(
            "ThingOutputsOutputReference",
            "ComplexObject",
            [member("address", "c", get("String")), member("ports", "c", get("NumberList"))],
        ),
        klass("ThingOutputsList", "ComplexList", []),
        hcl_fn("ThingTimeouts", [entry("create", CALL, "simple", "string")]),
        klass(
            "ThingTimeoutsOutputReference", "ComplexObject", [member("create", "o", get("String"))]
        ),
        klass(
            "Thing",
            "TerraformResource",
            [
                member("arn", "c", get("String")),
                member("name", "r", get("String")),
                member("zones", "c,o", getter("cdktn.Fn.tolist(this.getListAttribute('zones'))")),
                member("tags", "o", get("StringMap")),
                member("tags_all", "c", getter("this.interpolationForAttribute('tags_all')")),
                member("blob", "c", getter("this.interpolationForAttribute('blob')")),
                member("secret_wo", "o", WRITE_ONLY_DOC + get("String")),
                member("limits", "o", stored("ThingLimitsOutputReference", "limits")),
                member("rule", "r", stored("ThingRuleList", "rule", ", true")),
                member("outputs", "c", stored("ThingOutputsList", "outputs", ", false")),
                member("extra", "o", stored("ThingRuleList", "extra", ", false")),
                member("timeouts", "o", stored("ThingTimeoutsOutputReference", "timeouts")),
            ],
            [
                entry("name", CALL, "simple", "string"),
                entry(
                    "zones",
                    "cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(v)",
                    "set",
                    "stringList",
                ),
                entry(
                    "tags", "cdktn.hashMapperHcl(cdktn.stringToHclTerraform)(v)", "map", "stringMap"
                ),
                entry("secret_wo", "this.markWriteOnlyAttribute(f(v))", "simple", "string"),
                entry("limits", CALL, "list", "ThingLimitsList"),
                entry("rule", BLOCKS, "set", "ThingRuleList"),
                entry("extra", OBJECTS, "list", "ThingRuleList"),
                entry("timeouts", CALL, "struct", "ThingTimeouts"),
            ],
            tf_type="aws_thing",
        ),
    ]
)


@pytest.fixture(scope="module")
def thing() -> dict[str, Any]:
    doc = build_schema_from_sources({"thing": [THING]})
    return doc["provider_schemas"][ADDRESS]["resource_schemas"]["aws_thing"]["block"]


def test_primitive_attributes_keep_flags_and_types(thing: dict[str, Any]) -> None:
    attrs = thing["attributes"]
    assert attrs["arn"] == {"type": "string", "description_kind": "plain", "computed": True}
    assert attrs["name"]["required"] is True
    assert attrs["zones"]["type"] == ["set", "string"]
    assert attrs["zones"]["optional"] is attrs["zones"]["computed"] is True
    assert attrs["tags"]["type"] == ["map", "string"]


def test_unknown_computed_types_become_tag_maps_or_dynamic(thing: dict[str, Any]) -> None:
    assert thing["attributes"]["tags_all"]["type"] == ["map", "string"]
    assert thing["attributes"]["blob"]["type"] == "dynamic"


def test_write_only_comes_from_the_deprecation_note(thing: dict[str, Any]) -> None:
    assert thing["attributes"]["secret_wo"]["write_only"] is True
    assert "write_only" not in thing["attributes"]["name"]


def test_nested_blocks_and_their_nesting(thing: dict[str, Any]) -> None:
    blocks = thing["block_types"]
    assert blocks["limits"]["nesting_mode"] == "list"
    assert blocks["limits"]["max_items"] == 1
    assert blocks["rule"]["nesting_mode"] == "set"
    assert blocks["rule"]["min_items"] == 1  # required block: at least one
    assert "max_items" not in blocks["rule"]
    assert blocks["rule"]["block"]["attributes"]["name"]["required"] is True
    assert blocks["timeouts"]["nesting_mode"] == "single"


def test_computed_or_non_block_structs_become_object_attributes(thing: dict[str, Any]) -> None:
    outputs = thing["attributes"]["outputs"]
    assert outputs["computed"] is True
    assert outputs["type"] == [
        "list",
        ["object", {"address": "string", "ports": ["list", "number"]}],
    ]
    assert thing["attributes"]["extra"]["type"] == ["list", ["object", {"name": "string"}]]
    assert {"outputs", "extra"}.isdisjoint(thing["block_types"])


def test_self_referencing_structs_are_unrolled_to_a_bounded_depth() -> None:
    node = member("node", "o", stored("LoopNodeList", "node", ", false"))
    table = [entry("node", BLOCKS, "list", "LoopNodeList")]
    source = "\n".join(
        [
            hcl_fn("LoopNode", table),
            klass("LoopNodeOutputReference", "ComplexObject", [node]),
            klass("Loop", "TerraformResource", [node], table, tf_type="aws_loop"),
        ]
    )
    doc = build_schema_from_sources({"loop": [source]})
    block = doc["provider_schemas"][ADDRESS]["resource_schemas"]["aws_loop"]["block"]
    depth = 0
    while "block_types" in block:
        block = block["block_types"]["node"]["block"]
        depth += 1
    assert depth == offline_schema.MAX_STRUCT_REPEATS


def test_set_blocks_holding_untyped_attributes_become_lists() -> None:
    statement = getter("this.interpolationForAttribute('statement')")
    source = "\n".join(
        [
            hcl_fn("AclRule", [entry("statement", CALL, "simple", "any")]),
            klass("AclRuleOutputReference", "ComplexObject", [member("statement", "o", statement)]),
            klass(
                "Acl",
                "TerraformResource",
                [member("rule", "o", stored("AclRuleList", "rule", ", true"))],
                [entry("rule", BLOCKS, "set", "AclRuleList")],
                tf_type="aws_acl",
            ),
        ]
    )
    doc = build_schema_from_sources({"acl": [source]})
    rule = doc["provider_schemas"][ADDRESS]["resource_schemas"]["aws_acl"]["block"]["block_types"]
    assert rule["rule"]["nesting_mode"] == "list"
    assert rule["rule"]["block"]["attributes"]["statement"]["type"] == "dynamic"


def test_kinds_follow_the_base_class_and_the_provider_drops_alias() -> None:
    # The provider's generated class stores inputs without typed getters: the table types them.
    stores = [member(name, "o", getter(f"this._{name}")) for name in ("region", "alias")]
    source = "\n".join(
        [
            klass(
                "DataAwsZones",
                "TerraformDataSource",
                [member("names", "c", get("List"))],
                tf_type="aws_zones",
            ),
            klass(
                "EphemeralAwsPassword",
                "TerraformEphemeralResource",
                [member("value", "c", get("String"))],
                tf_type="aws_password",
            ),
            hcl_fn("AwsProviderDefaultTags", [entry("tags", "h(v)", "map", "stringMap")]),
            klass(
                "AwsProvider",
                "TerraformProvider",
                [*stores, member("default_tags", "o", getter("this._defaultTags"))],
                [
                    entry("region", CALL, "simple", "string"),
                    entry("alias", CALL, "simple", "string"),
                    entry("default_tags", BLOCKS, "list", "AwsProviderDefaultTagsList"),
                ],
                tf_type="aws",
            ),
        ]
    )
    doc = build_schema_from_sources({"a": [source]})["provider_schemas"][ADDRESS]
    names = doc["data_source_schemas"]["aws_zones"]["block"]["attributes"]["names"]
    assert names["type"] == ["list", "string"]
    assert list(doc["ephemeral_resource_schemas"]) == ["aws_password"]
    provider = doc["provider"]["block"]
    assert set(provider["attributes"]) == {"region"}
    tags = provider["block_types"]["default_tags"]["block"]["attributes"]["tags"]
    assert tags == {"type": ["map", "string"], "description_kind": "plain", "optional": True}


@pytest.mark.parametrize(
    ("storage", "outer", "cty"),
    [
        ("string", None, "string"),
        ("boolean", None, "bool"),
        ("any", None, "dynamic"),
        ("stringList", "set", ["set", "string"]),
        ("stringMapList", "list", ["list", ["map", "string"]]),
        ("stringListMap", "map", ["map", ["list", "string"]]),
    ],
)
def test_storage_classes_map_to_cty_types(storage: str, outer: str | None, cty: Any) -> None:
    assert offline_schema._storage_type(storage, outer) == cty


# ------------------------------------------------------------------------ the real provider


@pytest.fixture(scope="module")
def aws(offline_cache) -> dict[str, Any]:
    """The schema that set-up rebuilt from the pinned wheel (``make setup`` times it)."""
    return json.loads(offline_cache.schema_json_path.read_text())


def _provider(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["provider_schemas"][ADDRESS]


def test_document_shape_and_counts(aws: dict[str, Any]) -> None:
    assert aws["format_version"] == "1.0"
    provider = _provider(aws)
    assert len(provider["resource_schemas"]) == 1735
    assert len(provider["data_source_schemas"]) == 685
    assert len(provider["ephemeral_resource_schemas"]) == 11


def test_known_resources(aws: dict[str, Any]) -> None:
    resources = _provider(aws)["resource_schemas"]
    vpc = resources["aws_vpc"]["block"]["attributes"]
    assert vpc["cidr_block"]["optional"] is True and "required" not in vpc["cidr_block"]
    assert vpc["id"]["computed"] is True
    assert vpc["tags"]["type"] == ["map", "string"]
    redis = resources["aws_elasticache_replication_group"]["block"]["attributes"]
    assert redis["auth_token_wo"]["write_only"] is True
    ecs = resources["aws_ecs_service"]["block"]["block_types"]
    assert ecs["deployment_circuit_breaker"]["nesting_mode"] == "list"
    assert ecs["deployment_circuit_breaker"]["max_items"] == 1
    action = resources["aws_lb_listener"]["block"]["block_types"]["default_action"]
    assert action["nesting_mode"] == "list" and action["min_items"] == 1
    redirect = action["block"]["block_types"]["redirect"]
    assert redirect["block"]["attributes"]["status_code"]["required"] is True
    ingress = resources["aws_security_group"]["block"]["attributes"]["ingress"]
    assert ingress["type"][0] == "set" and ingress["type"][1][0] == "object"


def test_known_data_sources_ephemerals_and_provider(aws: dict[str, Any]) -> None:
    provider = _provider(aws)
    zones = provider["data_source_schemas"]["aws_availability_zones"]["block"]
    assert zones["attributes"]["names"] == {
        "type": ["list", "string"],
        "description_kind": "plain",
        "computed": True,
    }
    assert zones["block_types"]["filter"]["nesting_mode"] == "set"
    access_logs = provider["data_source_schemas"]["aws_lb"]["block"]["attributes"]["access_logs"]
    assert access_logs["type"][1][0] == "object"  # read-only nested data: attribute, not block
    assert "aws_secretsmanager_random_password" in provider["ephemeral_resource_schemas"]
    config = provider["provider"]["block"]
    assert "region" in config["attributes"] and "alias" not in config["attributes"]
    assert "default_tags" in config["block_types"]


def _walk(block: dict[str, Any], path: str):
    yield path, block
    for name, nested in block.get("block_types", {}).items():
        yield from _walk(nested["block"], f"{path}.{name}")


def _block_has_dynamic(block: dict[str, Any]) -> bool:
    def typed(cty: Any) -> bool:
        if isinstance(cty, list):
            inner = cty[1].values() if cty[0] == "object" else [cty[1]]
            return any(map(typed, inner))
        return cty == "dynamic"

    return any(typed(a["type"]) for a in block.get("attributes", {}).values()) or any(
        _block_has_dynamic(b["block"]) for b in block.get("block_types", {}).values()
    )


def test_every_block_passes_terraforms_schema_rules(aws: dict[str, Any]) -> None:
    """The checks of Terraform's configschema InternalValidate that this output can break."""
    provider = _provider(aws)
    roots = [("provider", provider["provider"]["block"])]
    for kind in ("resource_schemas", "data_source_schemas", "ephemeral_resource_schemas"):
        roots += [(name, s["block"]) for name, s in provider[kind].items()]
    valid_flags = [{"required"}, {"optional"}, {"computed"}, {"optional", "computed"}]
    problems = []
    for root, top in roots:
        for path, block in _walk(top, root):
            attrs, nested = block.get("attributes", {}), block.get("block_types", {})
            for name, attr in attrs.items():
                flags = {f for f in ("required", "optional", "computed") if attr.get(f)}
                if flags not in valid_flags or not NAME.match(name):
                    problems.append(f"{path}.{name}: {sorted(flags)}")
                if attr.get("write_only") and attr.get("computed"):
                    problems.append(f"{path}.{name}: computed write-only")
            for name, child in nested.items():
                if name in attrs or not NAME.match(name):
                    problems.append(f"{path}.{name}: bad block name")
                mode = child["nesting_mode"]
                if mode in ("single", "map") and ("min_items" in child or "max_items" in child):
                    problems.append(f"{path}.{name}: counts on {mode} block")
                if mode == "set" and _block_has_dynamic(child["block"]):
                    problems.append(f"{path}.{name}: dynamic inside a set block")
    assert problems == []


# ------------------------------------------------------------ the real Terraform engine


def test_terraform_accepts_and_renders_the_schema_unchanged(
    aws: dict[str, Any], tmp_path: Path, offline_cache
) -> None:
    """Terraform launches the offline plugin from the mirror, validates every type of the
    served schema (it rejects invalid provider schemas) and prints back the same document."""
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    terraform = Terraform(tmp_path, offline=True)
    terraform.run(["init", "-input=false", "-no-color", "-backend=false"], capture=True)
    result = terraform.run(["providers", "schema", "-json"], capture=True)
    assert json.loads(result.stdout) == aws
