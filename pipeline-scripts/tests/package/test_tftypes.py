"""Type constraints read from variable declarations (carcierge_pipeline.tftypes) and the
values of environment files checked against them at every depth."""

from __future__ import annotations

import pytest
from support import ROOT

from carcierge_pipeline.environments import ENVIRONMENTS, var_file
from carcierge_pipeline.hcl import declarations, read_tfvars, text
from carcierge_pipeline.inputs import RootVariables
from carcierge_pipeline.tftypes import (
    Mismatch,
    Type,
    TypeExpressionError,
    dotted,
    mismatches,
    parse_type,
)


def _variables() -> dict[str, str]:
    return {name: text(body["type"]) for name, body in declarations(ROOT)["variable"]}


def test_every_root_variable_type_is_read():
    """Each type of variables.tf parses; an object's attributes are exactly those declared
    (counted in the declaration's own text, not restated here)."""
    for name, expression in _variables().items():
        parsed = parse_type(expression)
        inner = parsed.element if parsed.kind in ("map", "list", "set") else parsed
        assert inner is not None
        if inner.kind == "object":
            assert len(inner.attributes) == expression.count(" = "), name
            optional = sum(a.optional for a in inner.attributes.values())
            assert optional == expression.count("optional("), name


def test_type_expressions():
    parsed = parse_type(
        "${map(object({a = string, b = optional(list(number), [1, 2]), c = optional(map(any)), "
        'd = optional(string, "x, y)"), e = tuple([bool, set(string)])}))}'
    )
    assert parsed.kind == "map"
    obj = parsed.element
    assert obj is not None and obj.kind == "object"
    assert {k: (a.type.kind, a.optional) for k, a in obj.attributes.items()} == {
        "a": ("string", False),
        "b": ("list", True),
        "c": ("map", True),
        "d": ("string", True),
        "e": ("tuple", False),
    }
    assert obj.attributes["b"].type.element == Type("number")
    assert [t.kind for t in obj.attributes["e"].type.elements] == ["bool", "set"]
    nested = parse_type("list(object({x = number}))").element
    assert nested is not None
    assert nested.attributes["x"].type == Type("number")


@pytest.mark.parametrize("expression", ["strin", "map(string, number)", "object([string])", "1 +"])
def test_unknown_type_expressions_are_refused(expression):
    with pytest.raises(TypeExpressionError):
        parse_type(expression)


SERVICE = parse_type(
    "map(object({image = string, port = number, spot = optional(number, 0), "
    "paths = optional(list(string), []), env = optional(map(string), {}), "
    "public = optional(bool, true)}))"
)


def _messages(value, type_=SERVICE, path=("services",)) -> list[str]:
    return [m.message for m in mismatches(value, type_, path)]


def test_values_that_terraform_converts_are_accepted():
    ok = {
        "a": {"image": 5, "port": "3001", "spot": None, "paths": ["/a", 2], "public": "true"},
        "b": {"image": "x", "port": 1.5e3, "env": {"N": 1, "B": False}, "public": "0"},
    }
    assert _messages(ok) == []
    assert _messages(None) == []
    assert mismatches({"any": [{"x": 1}]}, parse_type("any"), ("v",)) == []


def test_an_undeclared_attribute_is_refused_with_the_closest_declared_one():
    value = {"service1": {"image": "x", "port": 1, "spto": 50}}
    assert mismatches(value, SERVICE, ("services",)) == [
        Mismatch(
            ("services", "service1", "spto"),
            "services.service1.spto is not an attribute of services.service1 (did you mean spot?)",
        )
    ]
    far = _messages({"s": {"image": "x", "port": 1, "zzz": 1}})
    assert far == [
        "services.s.zzz is not an attribute of services.s "
        "(its attributes: env, image, paths, port, public, spot)"
    ]


OK = {"image": "x", "port": 1}  # a service that fits SERVICE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({**OK, "port": "many"}, 'services.s.port must be a number, not the string "many"'),
        ({**OK, "port": True}, "services.s.port must be a number, not the bool true"),
        ({**OK, "image": ["x"]}, "services.s.image must be a string, not a list"),
        ({**OK, "public": 1}, "services.s.public must be a bool, not the number 1"),
        ({**OK, "paths": "/a"}, 'services.s.paths must be a list, not the string "/a"'),
        ({**OK, "paths": ["/a", {"p": 1}]}, "services.s.paths[1] must be a string, not an object"),
        ({**OK, "env": ["A=1"]}, "services.s.env must be a map, not a list"),
        ({**OK, "env": {"A": [1]}}, "services.s.env.A must be a string, not a list"),
        (["x"], "services.s must be an object, not a list"),
        ({"image": "x"}, "services.s must set port (no default)"),
    ],
)
def test_wrong_value_types_are_refused_at_their_path(value, message):
    assert _messages({"s": value}) == [message]
    assert _messages(["s"]) == ["services must be a map, not a list"]


def test_objects_inside_lists_are_checked():
    rules = parse_type("list(object({cidr = string, port = optional(number)}))")
    assert _messages([{"cidr": "0.0.0.0/0"}, {"cidr": "10.0.0.0/8", "prot": 1}], rules, ("r",)) == [
        "r[1].prot is not an attribute of r[1] (did you mean port?)"
    ]
    pair = parse_type("tuple([string, number])")
    assert _messages(["a", "b"], pair, ("t",)) == ['t[1] must be a number, not the string "b"']
    assert _messages(["a"], pair, ("t",)) == ["t must be a tuple of 2, not a list"]


def test_paths_are_written_as_terraform_would():
    assert dotted(("services", "service1", "paths", 0)) == "services.service1.paths[0]"
    assert dotted(("tags", "cost center")) == 'tags["cost center"]'


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_file_fits_the_declared_types(environment):
    # The types each value is checked against: a pass-through's (services) is its module's.
    types = RootVariables.of(ROOT).types
    settings = read_tfvars(var_file(ROOT, environment))
    found = [
        m
        for name, value in settings.values.items()
        for m in mismatches(value, parse_type(types[name]), (name,))
    ]
    assert found == []

    # every nested key of the file has a position: what a refusal would point at
    def paths(value, path):
        yield path
        if isinstance(value, dict):
            for key, item in value.items():
                yield from paths(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from paths(item, (*path, index))

    for name, value in settings.values.items():
        for path in paths(value, (name,)):
            assert path in settings.positions, path


def test_a_type_kept_on_disk_reads_back_as_parsed(tmp_path, monkeypatch):
    """Every variable type of the root, read back from the parse cache, equals a fresh parse."""
    from carcierge_pipeline import tftypes

    monkeypatch.setenv("CARCIERGE_CACHE_DIR", str(tmp_path))
    expressions = set(_variables().values())
    assert len(expressions) > 10
    for expression in expressions:
        parse_type.cache_clear()
        written = parse_type(expression)  # parsed, then kept
        parse_type.cache_clear()
        assert parse_type(expression) == written == tftypes._parse_type(expression)
    assert len(list((tmp_path / "tftype").iterdir())) == len(expressions)
