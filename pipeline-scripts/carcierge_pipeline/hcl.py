"""Reading the project's HCL with python-hcl2 (the parser checkov builds on): declarations of
a module, and the literal values of a ``.tfvars`` file."""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from carcierge_pipeline import parsecache

_HEREDOC = re.compile(r'^"<<-?(\w+)\n(.*)\n\s*\1"$', re.S)
# python-hcl2 is slow (~0.1 s per file): files that declare no variable or output are not parsed.
_DECLARES = re.compile(r'^\s*(variable|output)\s+"', re.M)


class HclSyntaxError(ValueError):
    """A file python-hcl2 cannot parse: where, and what the parser expected there."""

    def __init__(self, line: int, column: int, found: str, expected: str) -> None:
        super().__init__(f"line {line}, column {column}: found {found}; expected {expected}")
        self.line, self.column, self.found, self.expected = line, column, found, expected


def text(value: Any) -> str:
    """python-hcl2 keeps string literals quoted and expressions as ${...}; unwrap both."""
    if isinstance(value, str):
        heredoc = _HEREDOC.match(value)
        if heredoc:  # python-hcl2 keeps heredocs verbatim, markers included
            return heredoc.group(2)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return str(json.loads(value))
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    return json.dumps(plain(value), sort_keys=True)


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {text(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return text(value)
    return value


@functools.lru_cache(maxsize=64)
def parsed(source: str) -> dict[str, Any]:
    """python-hcl2's reading of a file's text, once per distinct text (kept on disk:
    parsecache; the input check of each environment, and of each copy of the project in the
    tests, reads the same variables.tf)."""
    return dict(parsecache.kept("hcl", __file__, source, hcl2.loads))


def declarations(directory: Path) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The ``variable`` and ``output`` blocks of a module, by kind, sorted by name."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {"variable": [], "output": []}
    for path in sorted(directory.glob("*.tf")):
        source = path.read_text()
        if not _DECLARES.search(source):
            continue
        blocks_of = parsed(source)
        for kind, blocks in found.items():
            for entry in blocks_of.get(kind, []):
                blocks.extend((text(name), body) for name, body in entry.items())
    return {kind: sorted(blocks) for kind, blocks in found.items()}


def locals_of(directory: Path) -> dict[str, str]:
    """The ``locals`` of a module (every file) written as one expression (python-hcl2 gives
    a literal object or list as such: those are left out), by name, as text."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.tf")):
        source = path.read_text()
        if "locals" not in source:
            continue
        for block in parsed(source).get("locals", []):
            found.update({text(k): text(v) for k, v in block.items() if isinstance(v, str)})
    return found


_CALLS = re.compile(r'^\s*module\s+"', re.M)


@dataclass(frozen=True)
class ModuleCall:
    """A ``module`` block: its source as written and each argument's expression as text
    (``var.services``)."""

    source: str
    arguments: dict[str, str]


def module_calls(directory: Path) -> dict[str, ModuleCall]:
    """The ``module`` blocks of a module (the root: main.tf), by name."""
    found: dict[str, ModuleCall] = {}
    for path in sorted(directory.glob("*.tf")):
        source = path.read_text()
        if not _CALLS.search(source):
            continue
        for entry in parsed(source).get("module", []):
            for name, body in entry.items():
                arguments = {text(k): text(v) for k, v in body.items() if not k.startswith("__")}
                found[text(name)] = ModuleCall(arguments.pop("source", ""), arguments)
    return found


# Lark's terminal names, in the words of a tfvars author.
_TOKEN_WORDS = {
    "EQ": "'='",
    "COLON": "':'",
    "COMMA": "','",
    "NAME": "a name",
    "NL_OR_COMMENT": "a new line",
    "RBRACE": "'}'",
    "RSQB": "']'",
    "RPAR": "')'",
}
_VALUE_TOKENS = {"DBLQUOTE", "INT_LITERAL", "FLOAT_LITERAL", "TRUE", "FALSE", "NULL", "LSQB"}


def _expected(tokens: set[str]) -> str:
    if tokens & _VALUE_TOKENS:
        return "a value (a string in double quotes, a number, true/false, null, [list] or {object})"
    words = sorted({_TOKEN_WORDS.get(name, name) for name in tokens})
    return " or ".join(words) if words else "something else"


# (line, column) of a setting, a key inside an object or an element of a list, by its path
# from the setting's name: ("services", "service1", "max_capacity"), ("alb_ingress_cidrs", 0).
Positions = dict[tuple[str | int, ...], tuple[int, int]]


@dataclass(frozen=True)
class Tfvars:
    """A ``.tfvars`` file read: its values, and where each of them is written."""

    values: dict[str, Any]
    positions: Positions

    def position(self, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        """Where ``path`` is written, or the closest enclosing key that is."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None


def load_tfvars(path: Path) -> dict[str, Any]:
    """The settings of a ``.tfvars`` file as plain Python values (``HclSyntaxError`` if the
    file does not parse)."""
    return read_tfvars(path).values


def _key(node: Tree[Any]) -> str:
    """An object key or attribute name as written: a name, or a quoted string."""
    tokens = "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))
    return str(json.loads(tokens)) if tokens.startswith('"') else tokens


def _children(node: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _collect(node: Tree[Any], path: tuple[str | int, ...], positions: Positions) -> None:
    """The positions of the keys and elements inside the value ``node`` at ``path``."""
    while node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    if node.data == "object":
        for element in _children(node):
            key, value = _children(element)
            inner = (*path, _key(key))
            positions[inner] = (key.meta.line, key.meta.column)
            _collect(value, inner, positions)
    elif node.data == "tuple":
        for index, value in enumerate(_children(node)):
            positions[(*path, index)] = (value.meta.line, value.meta.column)
            _collect(value, (*path, index), positions)


def read_tfvars(path: Path) -> Tfvars:
    """A ``.tfvars`` file's settings as plain Python values, with the position of every key
    and list element (``HclSyntaxError`` if the file does not parse)."""
    read = _read_tfvars_text(path.read_text())
    # The parse is shared by every reader of the same text; each gets values of its own.
    return Tfvars(copy.deepcopy(read.values), dict(read.positions))


@functools.lru_cache(maxsize=64)
def _read_tfvars_text(source: str) -> Tfvars:
    """One parse per distinct text (in a process, and kept on disk: parsecache): the input
    checks, parity and the tests read the same environment files again and again, and
    python-hcl2 takes ~20 ms per file."""
    kept = parsecache.kept("tfvars", __file__, source, _tfvars_json)
    positions = {tuple(path): (line, column) for path, line, column in kept["positions"]}
    return Tfvars(kept["values"], positions)


def _tfvars_json(source: str) -> dict[str, Any]:
    read = _parse_tfvars(source)
    positions = [[list(path), line, column] for path, (line, column) in read.positions.items()]
    return {"values": read.values, "positions": positions}


def _parse_tfvars(source: str) -> Tfvars:
    try:
        tree = hcl2.parses_to_tree(source)
    except UnexpectedToken as error:
        found = str(error.token).split("\n", 1)[0].strip() or "the end of a line"
        raise HclSyntaxError(
            error.line, error.column, repr(found), _expected(set(error.expected))
        ) from None
    except UnexpectedCharacters as error:
        found = repr(source.splitlines()[error.line - 1][error.column - 1 : error.column + 9])
        raise HclSyntaxError(
            error.line, error.column, found, _expected(set(error.allowed or ()))
        ) from None
    except UnexpectedEOF as error:
        lines = source.count("\n") + 1
        raise HclSyntaxError(
            lines, 1, "the end of the file", _expected(set(error.expected))
        ) from None
    except UnexpectedInput as error:  # any other parse error lark reports with a position
        raise HclSyntaxError(error.line, error.column, "invalid input", str(error)) from None
    positions: Positions = {}
    body = _children(tree)[0]
    for attribute in _children(body):
        if attribute.data != "attribute":
            continue
        name = (_key(attribute.children[0]),)
        positions[name] = (attribute.meta.line, attribute.meta.column)
        _collect(attribute.children[-1], name, positions)
    parsed = hcl2.serialize(hcl2.transform(tree))
    values = {text(key): plain(value) for key, value in parsed.items() if not key.startswith("__")}
    return Tfvars(values, positions)
