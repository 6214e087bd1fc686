"""Module READMEs: input and output tables generated from the HCL, kept in sync by a test.

terraform-docs is a Go binary outside the registries these machines reach; python-hcl2 (the
parser checkov builds on) reads the same declarations. The generated part sits between marker
comments, so each README keeps its hand-written description above it.
"""

from __future__ import annotations

import json
from pathlib import Path

from carcierge_pipeline.hcl import declarations, plain, text

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def render_tables(directory: Path) -> str:
    declared = declarations(directory)
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in declared["variable"]:
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(json.dumps(plain(body['default'])))}`"
        lines.append(
            f"| `{name}` | {_cell(text(body.get('description', '')))} | "
            f"`{_cell(text(body.get('type', 'any')))}` | {default} | "
            f"{'yes' if required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in declared["output"]:
        lines.append(f"| `{name}` | {_cell(text(body.get('description', '')))} |")
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
