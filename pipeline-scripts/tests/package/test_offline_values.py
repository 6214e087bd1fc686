"""Planning and data-source rules of the offline provider, on hand-written schema blocks."""

from __future__ import annotations

from carcierge_pipeline.offline import datasources, values

BLOCK = {
    "attributes": {
        "id": {"type": "string", "optional": True, "computed": True},
        "arn": {"type": "string", "computed": True},
        "name": {"type": "string", "required": True},
        "password_wo": {"type": "string", "optional": True, "write_only": True},
        "port": {"type": "number", "optional": True, "computed": True},
    },
    "block_types": {
        "rule": {
            "nesting_mode": "list",
            "block": {
                "attributes": {
                    "priority": {"type": "number", "optional": True, "computed": True},
                    "action": {"type": "string", "required": True},
                }
            },
        },
    },
}


def test_create_keeps_config_and_leaves_computed_unknown():
    proposed = {
        "id": None,
        "arn": None,
        "name": "x",
        "password_wo": "secret",
        "port": 6379,
        "rule": [{"priority": None, "action": "allow"}],
    }
    planned = values.plan_create(BLOCK, proposed)
    assert planned["name"] == "x" and planned["port"] == 6379
    assert values.is_unknown(planned["id"]) and values.is_unknown(planned["arn"])
    assert planned["password_wo"] is None, "write-only values never enter a plan"
    assert values.is_unknown(planned["rule"][0]["priority"])
    assert planned["rule"][0]["action"] == "allow"


def test_msgpack_roundtrip_preserves_unknown():
    planned = values.plan_create(BLOCK, {"name": "x", "rule": []})
    decoded = values.decode(values.encode(planned))
    assert values.is_unknown(decoded["arn"]) and decoded["name"] == "x"


def test_tags_all_merges_default_tags_like_the_provider():
    assert values.merged_tags({"Env": "qa", "Name": "d"}, {"Name": "n"}) == {
        "Env": "qa",
        "Name": "n",
    }
    assert values.is_unknown(values.merged_tags({"Env": "qa"}, {"Name": values.UNKNOWN}))


def test_data_source_values_are_all_known():
    block = {
        "attributes": {
            "names": {"type": ["list", "string"], "computed": True},
            "state": {"type": "string", "optional": True},
            "count": {"type": "number", "computed": True},
        }
    }
    state = values.fill_computed(
        block, {"names": None, "state": "available", "count": None}, {"names": ["a"]}
    )
    assert state == {"names": ["a"], "state": "available", "count": 0}
    assert values.is_wholly_known(state)


def test_availability_zones_are_realistic_for_us_west_1():
    zones = datasources.overrides_for("aws_availability_zones", {}, "us-west-1")
    assert zones["names"] == ["us-west-1a", "us-west-1c"]
    assert zones["zone_ids"] == ["usw1-az1", "usw1-az2"]
    assert len(datasources.overrides_for("aws_availability_zones", {}, "eu-west-1")["names"]) == 3


def test_elb_log_account_for_region():
    account = datasources.overrides_for("aws_elb_service_account", {}, "us-west-1")
    assert account["arn"] == "arn:aws:iam::027434742980:root"


def test_blocks_with_dynamic_attributes_pass_through_as_sent():
    """Terraform sends a list of blocks whose type contains ``dynamic`` as one dynamic value,
    [type JSON, value] (aws_wafv2_web_acl's rule); planning keeps it as configured."""
    block = {
        "attributes": {"name": {"type": "string", "required": True}},
        "block_types": {
            "rule": {
                "nesting_mode": "list",
                "block": {"attributes": {"statement": {"type": "dynamic", "optional": True}}},
            },
        },
    }
    wrapped = [b'["list",["object",{"statement":"dynamic"}]]', [{"statement": None}]]
    planned = values.plan_create(block, {"name": "acl", "rule": wrapped})
    assert planned == {"name": "acl", "rule": wrapped}
