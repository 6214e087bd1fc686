"""Module READMEs: input and output tables generated from the HCL, kept in sync by a test.

terraform-docs is a Go binary outside the registries these machines reach; python-hcl2 (the
parser checkov builds on) reads the same declarations. The generated part sits between marker
comments, so each README keeps its hand-written description above it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2

_HEREDOC = re.compile(r'^"<<-?(\w+)\n(.*)\n\s*\1"$', re.S)
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _text(value: Any) -> str:
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
    return json.dumps(_plain(value), sort_keys=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_text(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    return value


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# python-hcl2 is slow (~0.1 s per file): files that declare no variable or output are not parsed.
_DECLARES = re.compile(r'^\s*(variable|output)\s+"', re.M)


def _declarations(directory: Path) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The ``variable`` and ``output`` blocks of a module, by kind, sorted by name."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {"variable": [], "output": []}
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text()
        if not _DECLARES.search(text):
            continue
        parsed = hcl2.loads(text)
        for kind, blocks in found.items():
            for entry in parsed.get(kind, []):
                blocks.extend((_text(name), body) for name, body in entry.items())
    return {kind: sorted(blocks) for kind, blocks in found.items()}


def render_tables(directory: Path) -> str:
    declared = _declarations(directory)
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in declared["variable"]:
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(json.dumps(_plain(body['default'])))}`"
        lines.append(
            f"| `{name}` | {_cell(_text(body.get('description', '')))} | "
            f"`{_cell(_text(body.get('type', 'any')))}` | {default} | "
            f"{'yes' if required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in declared["output"]:
        lines.append(f"| `{name}` | {_cell(_text(body.get('description', '')))} |")
    return "\n".join(lines)


def updated_readme(current: str, tables: str) -> str:
    generated = f"{BEGIN}\n{tables}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        return head + generated + rest.split(END, 1)[1]
    return current.rstrip("\n") + "\n\n" + generated + "\n"


def sync(module_dirs: list[Path], *, check: bool) -> list[Path]:
    """Regenerate (or, with ``check``, only compare) each module README; return the stale ones."""
    stale: list[Path] = []
    for directory in module_dirs:
        readme = directory / "README.md"
        current = readme.read_text() if readme.exists() else f"# {directory.name}\n"
        wanted = updated_readme(current, render_tables(directory))
        if wanted != current:
            stale.append(readme)
            if not check:
                readme.write_text(wanted)
    return stale
