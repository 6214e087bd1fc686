"""The package shows its architecture: stages (validate, plan, analyse, apply, drift) sit above
the shared machinery and never import each other; the machinery never imports a stage; only the
entry points (the CLI's command modules, the rehearsal and the change preview) compose stages;
nothing but the CLI imports a command module, and the CLI is only their registry. Read from the
import statements."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from support import PACKAGE

ENTRY_POINTS = {
    "carcierge_pipeline.cli",
    "carcierge_pipeline.rehearsal",
    "carcierge_pipeline.preview",
}
COMMANDS = "carcierge_pipeline.commands"  # one module per subcommand: entry points too


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every carcierge_pipeline module ``path`` imports, at top level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("carcierge_pipeline")}


def stage_of(name: str) -> str | None:
    """'plan' for carcierge_pipeline.stages.plan[...], 'analyse' for the analyse package."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "stages" else None


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
STAGES = {stage_of(name) for name in MODULES} - {None}


def test_the_stages_are_the_pipelines():
    assert {"validate", "plan", "analyse", "apply", "drift"} <= STAGES


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_crosses_the_layers(name):
    own = stage_of(name)
    for imported in imports(MODULES[name]):
        other = stage_of(imported)
        if other is None or name in ENTRY_POINTS or name.startswith(f"{COMMANDS}."):
            continue
        assert own is not None, f"{name} is machinery and imports the stage {imported}"
        assert other == own, f"the {own} stage ({name}) imports another stage: {imported}"


def test_the_commands_sit_above_everything_but_the_cli():
    # The command modules are the top layer: machinery or a stage that imported one would turn
    # the layering upside down (and make the "entry point" exemption above cover it).
    assert any(name.startswith(f"{COMMANDS}.") for name in MODULES)
    for name, path in MODULES.items():
        if name == "carcierge_pipeline.cli" or name.startswith(COMMANDS):
            continue
        imported = sorted(i for i in imports(path) if i == COMMANDS or i.startswith(f"{COMMANDS}."))
        assert imported == [], f"{name} imports the command modules {imported}"


def test_the_cli_is_only_the_registry():
    # Issue 27: every subcommand's parser and handler live in its own module of commands/;
    # cli.py lists them, assembles the parser and handles errors, nothing else.
    tree = ast.parse(MODULES["carcierge_pipeline.cli"].read_text())
    handlers = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("_cmd")
    ]
    assert handlers == [], f"cli.py defines command handlers: {handlers}"
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    own = calls & {"add_parser", "set_defaults"}
    assert own == set(), f"cli.py builds subcommands itself ({', '.join(sorted(own))})"
    arguments = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_argument"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert arguments == ["--version"], f"cli.py adds arguments beyond --version: {arguments}"


def test_every_command_module_is_registered():
    # A command module left out of cli.COMMANDS would be dead code nobody can run.
    from carcierge_pipeline import cli
    from carcierge_pipeline.commands import Command

    registered = {command.__name__ for command in cli.COMMANDS}  # type: ignore[attr-defined]
    modules = {
        name
        for name in MODULES
        if name.startswith(f"{COMMANDS}.")
        and isinstance(getattr(importlib.import_module(name), "COMMAND", None), Command)
    }
    assert modules == registered


def _published_names() -> set[str]:
    """The file names PlanFiles and ChangeFiles give build/<environment>/ and its change/."""
    from carcierge_pipeline.workdir import ChangeFiles, PlanFiles

    names: set[str] = set()
    for files in (PlanFiles(Path("build")), ChangeFiles(Path("change"))):
        for attribute in dir(type(files)):
            value = getattr(files, attribute)
            if isinstance(value, Path):
                names.add(value.name)
    return names


def test_workdir_owns_every_published_file_name():
    # Issue 27: PlanFiles owns every build/<env>/ file name. A literal copy of one elsewhere in
    # the package drifts the day the name changes.
    names = _published_names()
    assert {"plan.json", "plan.bin", "summary.md", "checkov-junit.xml", "comment.md"} <= names
    copies = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "workdir.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert copies == [], "name them through workdir.PlanFiles / ChangeFiles: " + ", ".join(copies)
