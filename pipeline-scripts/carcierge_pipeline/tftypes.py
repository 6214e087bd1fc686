"""Terraform type constraints, read from a variable's ``type = ...`` and checked against the
literal values of a ``.tfvars`` file.

The types are never restated in Python: ``parse_type`` reads the expression text of a variable
declaration with python-hcl2's own HCL grammar, and ``mismatches`` applies Terraform's
conversion rules to a value (a number or bool converts to a string, a numeric string to a
number, "true"/"false" to a bool, null to anything) with one difference on purpose: an object
attribute that the type does not declare is an error here. Terraform drops it silently when it
converts to an object type, so a misspelt optional attribute would fall back to its default.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import hcl2
from lark import Token, Tree

from carcierge_pipeline import parsecache

PRIMITIVES = frozenset({"string", "number", "bool", "any"})
COLLECTIONS = frozenset({"list", "set", "map"})
# cty's string -> number conversion accepts a decimal number (convert/conversion_primitive.go).
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOL_STRINGS = frozenset({"true", "false", "1", "0"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

Path = tuple[str | int, ...]


class TypeExpressionError(ValueError):
    """A type expression this module does not understand."""


@dataclass(frozen=True)
class Type:
    """A type constraint: a primitive (string, number, bool, any), a collection (list, set,
    map of ``element``), an object (``attributes``) or a tuple (``elements``)."""

    kind: str
    element: Type | None = None
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    elements: tuple[Type, ...] = ()

    def describe(self) -> str:
        if self.kind in PRIMITIVES:
            return "any value" if self.kind == "any" else f"a {self.kind}"
        if self.kind in COLLECTIONS:
            return f"a {self.kind}"
        return "an object" if self.kind == "object" else f"a tuple of {len(self.elements)}"


@dataclass(frozen=True)
class Attribute:
    type: Type
    optional: bool


@dataclass(frozen=True)
class Mismatch:
    """Where a value does not fit its type (``path`` from the variable's name) and why."""

    path: Path
    message: str


def dotted(path: Path) -> str:
    """``services.service1.path_patterns[0]``; a key that is not an identifier in brackets."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def partial(type_: Type) -> Type:
    """``type_`` with every attribute of its object optional: the type of one part of a value
    assembled from several (a map of objects: each element's attributes)."""
    if type_.kind == "map" and type_.element is not None:
        return Type("map", element=partial(type_.element))
    attributes = {n: Attribute(a.type, optional=True) for n, a in type_.attributes.items()}
    return Type(type_.kind, element=type_.element, attributes=attributes, elements=type_.elements)


# --- reading a type expression -----------------------------------------------------------------


@functools.cache
def parse_type(expression: str) -> Type:
    """The type of a ``type = <expression>`` (as python-hcl2 gives it: with or without ${});
    kept on disk (parsecache): a plan reads the same declarations every time."""
    if expression.startswith("${") and expression.endswith("}"):
        expression = expression[2:-1]
    return _decoded(parsecache.kept("tftype", __file__, expression, _encoded_parse))


def _encoded_parse(expression: str) -> dict[str, Any]:
    return _encoded(_parse_type(expression))


def _encoded(type_: Type) -> dict[str, Any]:
    return {
        "kind": type_.kind,
        "element": _encoded(type_.element) if type_.element else None,
        "attributes": {
            name: [_encoded(attribute.type), attribute.optional]
            for name, attribute in type_.attributes.items()
        },
        "elements": [_encoded(element) for element in type_.elements],
    }


def _decoded(data: dict[str, Any]) -> Type:
    return Type(
        data["kind"],
        element=_decoded(data["element"]) if data["element"] else None,
        attributes={
            name: Attribute(_decoded(inner), optional)
            for name, (inner, optional) in data["attributes"].items()
        },
        elements=tuple(_decoded(element) for element in data["elements"]),
    )


def _parse_type(expression: str) -> Type:
    try:
        tree = hcl2.parses_to_tree(f"type = {expression}\n")
    except Exception as error:  # lark's errors: the expression is not HCL at all
        raise TypeExpressionError(f"not a type expression: {expression!r} ({error})") from None
    attribute = next(tree.find_data("attribute"))
    return _type(_expression(attribute.children[-1]), expression)


def _trees(node: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _expression(node: Tree[Any]) -> Tree[Any]:
    """The term inside an ``expr_term`` (and any parentheses)."""
    while isinstance(node, Tree) and node.data == "expr_term":
        inner = _trees(node)
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def _name(node: Tree[Any]) -> str:
    tokens = [t for t in node.scan_values(lambda v: isinstance(v, Token))]
    return "".join(str(t) for t in tokens)


def _type(node: Tree[Any], source: str) -> Type:
    if node.data == "identifier":
        name = _name(node)
        if name in PRIMITIVES:
            return Type(name)
        raise TypeExpressionError(f"unknown type {name!r} in {source!r}")
    if node.data != "function_call":
        raise TypeExpressionError(f"not a type expression: {source!r}")
    name = _name(node.children[0])
    arguments = next((c for c in _trees(node) if c.data == "arguments"), None)
    args = [_expression(a) for a in _trees(arguments)] if arguments is not None else []
    if name in COLLECTIONS and len(args) == 1:
        return Type(name, element=_type(args[0], source))
    if name == "object" and len(args) == 1 and args[0].data == "object":
        attributes: dict[str, Attribute] = {}
        for element in _trees(args[0]):
            key, value = _trees(element)
            value = _expression(value)
            if value.data == "function_call" and _name(value.children[0]) == "optional":
                optional_args = next(c for c in _trees(value) if c.data == "arguments")
                # optional(type[, default]): the default is Terraform's business, not ours.
                inner = _expression(_trees(optional_args)[0])
                attributes[_name(key)] = Attribute(_type(inner, source), optional=True)
            else:
                attributes[_name(key)] = Attribute(_type(value, source), optional=False)
        return Type("object", attributes=attributes)
    if name == "tuple" and len(args) == 1 and args[0].data == "tuple":
        return Type("tuple", elements=tuple(_type(_expression(e), source) for e in _trees(args[0])))
    raise TypeExpressionError(f"unsupported type constructor {name}(...) in {source!r}")


# --- checking a value ----------------------------------------------------------------------------


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return f"the bool {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def mismatches(value: Any, type_: Type, path: Path) -> list[Mismatch]:
    """Every place where ``value`` (a literal from a .tfvars file, ``path`` naming it) does not
    fit ``type_``, in file order."""
    if value is None or type_.kind == "any":
        return []
    wrong = [Mismatch(path, f"{dotted(path)} must be {type_.describe()}, not {_got(value)}")]
    if type_.kind == "string":
        return [] if isinstance(value, (str, int, float)) else wrong  # bool is an int
    if type_.kind == "number":
        if isinstance(value, bool):
            return wrong
        if isinstance(value, (int, float)):
            return []
        return [] if isinstance(value, str) and _NUMBER.match(value.strip()) else wrong
    if type_.kind == "bool":
        if isinstance(value, bool):
            return []
        return [] if isinstance(value, str) and value in _BOOL_STRINGS else wrong
    if type_.kind in ("list", "set"):
        if not isinstance(value, list):
            return wrong
        assert type_.element is not None
        element = type_.element
        return [m for i, item in enumerate(value) for m in mismatches(item, element, (*path, i))]
    if type_.kind == "tuple":
        if not isinstance(value, list) or len(value) != len(type_.elements):
            return wrong
        return [
            m
            for i, (item, item_type) in enumerate(zip(value, type_.elements, strict=True))
            for m in mismatches(item, item_type, (*path, i))
        ]
    if not isinstance(value, dict):
        return wrong
    if type_.kind == "map":
        assert type_.element is not None
        element = type_.element
        return [m for key, item in value.items() for m in mismatches(item, element, (*path, key))]
    return _object_mismatches(value, type_, path)


def _object_mismatches(value: dict[str, Any], type_: Type, path: Path) -> list[Mismatch]:
    found: list[Mismatch] = []
    declared = sorted(type_.attributes)
    for key, item in value.items():
        attribute = type_.attributes.get(key)
        if attribute is None:
            close = difflib.get_close_matches(key, declared, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]}?" if close else f"its attributes: {', '.join(declared)}"
            )
            found.append(
                Mismatch(
                    (*path, key),
                    f"{dotted((*path, key))} is not an attribute of {dotted(path)} ({hint})",
                )
            )
            continue
        found += mismatches(item, attribute.type, (*path, key))
    missing = [k for k in declared if not type_.attributes[k].optional and k not in value]
    if missing:
        found.append(Mismatch(path, f"{dotted(path)} must set {', '.join(missing)} (no default)"))
    return found
