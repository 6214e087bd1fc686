"""The environment's inputs, checked before Terraform runs.

A plan of ``<env>`` takes its values from ``environments/<env>.tfvars`` and from the root
``terraform.tfvars``, which Terraform always loads. Each value has one owner: the root file holds
only what every environment shares, an environment file only its own values, and every
environment-specific variable is declared without a default, so a value missing from an
environment file is an error rather than a silent fallback to another environment's value.

Terraform alone is not enough here: it only warns about an undeclared key in a var file, the
pinned engine carries out a plan after a var-file syntax error (hashicorp/terraform#38685), and
it drops an object attribute that the variable's type does not declare (``max_capacty = 8`` in a
service: the maximum silently stays at its default). So every value is also checked against its
variable's declared type at every depth (tftypes.py, the types read from variables.tf), and each
refusal names ``file:line:column`` and the path, e.g. ``services.service1.max_capacty``.

A module input the root assembles from several variables (main.tf ``local.services``: the shared
service catalog, the environment's defaults and its own entries, merged per service) is checked
part by part against the module's declaration with every attribute optional, and as a whole for
the attributes it requires (``Merge``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carcierge_pipeline import environments
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.hcl import (
    HclSyntaxError,
    ModuleCall,
    Tfvars,
    declarations,
    locals_of,
    module_calls,
    read_tfvars,
    text,
)
from carcierge_pipeline.terraform import Diagnostic
from carcierge_pipeline.tftypes import Type, dotted, mismatches, parse_type, partial

SHARED_FILE = "terraform.tfvars"
# The settings every environment shares: set in SHARED_FILE, never in an environment file.
# Everything else an environment needs is its own.
SHARED_SETTINGS = frozenset({"project_name", "service_catalog"})


class InvalidInput(StageFailed):
    """An environment's input files would not give a plan of that environment alone."""


class _Modules:
    """Each module's variables and module calls, read once per input check (the root's types
    read the root and a module for each variable, most of them the same files)."""

    def __init__(self) -> None:
        self._variables: dict[Path, dict[str, dict[str, Any]]] = {}
        self._calls: dict[Path, dict[str, ModuleCall]] = {}

    def variables(self, directory: Path) -> dict[str, dict[str, Any]]:
        if directory not in self._variables:
            self._variables[directory] = dict(declarations(directory)["variable"])
        return self._variables[directory]

    def calls(self, directory: Path) -> dict[str, ModuleCall]:
        if directory not in self._calls:
            self._calls[directory] = module_calls(directory)
        return self._calls[directory]


def owned_type(
    directory: Path,
    name: str,
    seen: frozenset[Path] = frozenset(),
    modules: _Modules | None = None,
) -> str | None:
    """The type expression of variable ``name`` of the module in ``directory``: its own, or,
    when it declares none or ``any`` and passes the value unchanged (``argument = var.name``)
    to a local module, the type that module declares for the argument (recursively). A shape
    is declared once, by the module that owns it (the root's services: modules/ecs), and the
    check reads it there rather than a copy. None: no type to check against."""
    modules = modules or _Modules()
    directory = directory.resolve()
    own = modules.variables(directory).get(name, {})
    declared = text(own["type"]) if "type" in own else None
    if declared not in (None, "any") or directory in seen:
        return declared
    owners = {
        found
        for call in modules.calls(directory).values()
        if call.source.startswith(("./", "../"))
        for argument, expression in call.arguments.items()
        if expression == f"var.{name}"
        for found in [owned_type(directory / call.source, argument, seen | {directory}, modules)]
        if found not in (None, "any")
    }
    if len(owners) > 1:  # two modules declaring two shapes for one value: a second owner
        raise StageFailed(f"{directory.name}: var.{name} goes to modules of different types")
    return owners.pop() if owners else declared


# {for <key>, <own> in var.<entries> : <key> => merge(<parts>)}, as python-hcl2 writes it.
_MERGE = re.compile(
    r"\{for (?P<key>\w+), (?P<own>\w+) in var\.(?P<entries>[\w-]+) : (?P=key) => "
    r"merge\((?P<parts>.*)\)\}",
    re.S,
)


def _arguments(call: str) -> list[str]:
    """The top-level, comma-separated arguments of a function call's argument text."""
    found, depth, start = [], 0, 0
    for index, character in enumerate(call):
        depth += (character in "([{") - (character in ")]}")
        if character == "," and depth == 0:
            found.append(call[start:index].strip())
            start = index + 1
    return [*found, call[start:].strip()]


@dataclass(frozen=True)
class Merge:
    """A module input the root assembles per entry of ``var.<entries>``, merging several
    variables in order (a later one wins): a keyed part holds a value per entry key (the
    entries themselves, the shared catalog), an unkeyed part one value for every entry (an
    environment's defaults). Read from the root's local, so the order has one owner."""

    entries: str
    parts: tuple[tuple[str, bool], ...]  # (variable, keyed)

    @classmethod
    def read(cls, expression: str) -> Merge | None:
        match = _MERGE.fullmatch(expression.strip())
        if not match:
            return None
        key = re.escape(match["key"])
        keyed = re.compile(rf"lookup\(var\.([\w-]+), {key}, \{{\}}\)|var\.([\w-]+)\[{key}\]")
        parts: list[tuple[str, bool]] = []
        for part in _arguments(match["parts"]):
            by_key, whole = keyed.fullmatch(part), re.fullmatch(r"var\.([\w-]+)", part)
            if part == match["own"]:
                parts.append((match["entries"], True))
            elif by_key:
                parts.append((by_key[1] or by_key[2], True))
            elif whole:
                parts.append((whole[1], False))
            else:
                raise StageFailed(
                    f"the input check cannot read {part!r} in merge({match['parts']}): "
                    "merge var.<name>, var.<name>[<key>], lookup(var.<name>, <key>, {}) "
                    "or the entry itself"
                )
        return cls(match["entries"], tuple(parts))

    def merged(self, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Each entry as the root merges it from the settings ``values`` (of both files): the
        parts' attributes in order, a later part winning; a keyed part without the entry's
        key adds nothing (the root's validation refuses that entry)."""
        merged: dict[str, dict[str, Any]] = {}
        own = values.get(self.entries)
        for key in own if isinstance(own, dict) else {}:
            merged[key] = {}
            for variable, keyed in self.parts:
                part = values.get(variable)
                part = part.get(key) if keyed and isinstance(part, dict) else part
                merged[key].update(part if isinstance(part, dict) else {})
        return merged


def _merge_passed(expression: str, local_values: dict[str, str]) -> Merge | None:
    """The merge a module argument passes when it is ``local.<name>`` of one (local.services)."""
    local = re.fullmatch(r"\s*local\.([\w-]+)\s*", expression)
    return Merge.read(local_values.get(local[1], "")) if local else None


@dataclass(frozen=True)
class RootVariables:
    declared: frozenset[str]
    required: frozenset[str]  # declared without a default: each environment sets its own
    # The type expression each value is checked against: the variable's own, or that of the
    # module input it is passed to unchanged (owned_type).
    types: dict[str, str]
    # A part of a merged module input: its type (the module's, every attribute optional).
    parts: dict[str, Type]
    # The merged inputs, with the type the module declares for the whole.
    merges: tuple[tuple[Merge, Type], ...]

    @classmethod
    def of(cls, root: Path) -> RootVariables:
        modules = _Modules()
        variables = declarations(root)["variable"]
        types = {name: owned_type(root, name, modules=modules) for name, _ in variables}
        parts: dict[str, Type] = {}
        merges: list[tuple[Merge, Type]] = []
        local_values = locals_of(root)
        for call in modules.calls(root.resolve()).values():
            for argument, expression in call.arguments.items():
                merge = _merge_passed(expression, local_values)
                owner = owned_type(root / call.source, argument, modules=modules) if merge else None
                if merge is None or owner is None:
                    continue
                whole = parse_type(owner)
                merges.append((merge, whole))
                element = whole.element if whole.element is not None else whole
                for variable, keyed in merge.parts:
                    parts[variable] = partial(whole if keyed else element)
        return cls(
            declared=frozenset(name for name, _ in variables),
            required=frozenset(name for name, body in variables if "default" not in body),
            types={name: type_ for name, type_ in types.items() if type_ is not None},
            parts=parts,
            merges=tuple(merges),
        )

    def type_of(self, name: str) -> Type | None:
        if name in self.parts:
            return self.parts[name]
        return parse_type(self.types[name]) if name in self.types else None


def _where(root: Path, path: Path, settings: Tfvars, at: tuple[str | int, ...] = ()) -> str:
    """``file:line:column`` of the setting (or nested key) ``at``, or the file alone."""
    name = path.relative_to(root).as_posix()
    position = settings.position(at)
    return f"{name}:{position[0]}:{position[1]}" if position else name


def _settings(root: Path, path: Path) -> Tfvars:
    try:
        return read_tfvars(path)
    except HclSyntaxError as error:
        raise InvalidInput(
            f"{path.relative_to(root).as_posix()}:{error.line}:{error.column}: syntax error: "
            f"found {error.found} where HCL expects {error.expected}"
        ) from None


def _undeclared(root: Path, path: Path, settings: Tfvars, variables: RootVariables) -> list[str]:
    problems = []
    for key in sorted(set(settings.values) - variables.declared):
        close = difflib.get_close_matches(key, sorted(variables.declared), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(
            f"{_where(root, path, settings, (key,))}: {key} is not a variable of this "
            f"configuration{hint}"
        )
    return problems


def _mistyped(root: Path, path: Path, settings: Tfvars, variables: RootVariables) -> list[str]:
    """Values that do not fit their variable's declared type, at any depth; an object
    attribute the type does not declare among them (Terraform would drop it silently)."""
    return [
        f"{_where(root, path, settings, mismatch.path)}: {mismatch.message}"
        for name, value in settings.values.items()
        for type_ in [variables.type_of(name)]
        if type_ is not None
        for mismatch in mismatches(value, type_, (name,))
    ]


def _incomplete(
    root: Path, files: dict[str, tuple[Path, Tfvars]], variables: RootVariables
) -> list[str]:
    """Entries of a merged input that no part gives an attribute the module requires. An entry
    missing from a keyed part (a service the catalog lacks) is the root's validation's to name."""
    problems = []
    values = {name: settings.values[name] for name, (_, settings) in files.items()}
    for merge, whole in variables.merges:
        element = whole.element
        if merge.entries not in files or element is None or element.kind != "object":
            continue
        path, settings = files[merge.entries]
        required = [n for n, attribute in element.attributes.items() if not attribute.optional]
        others = " or ".join(v for v, _ in merge.parts if v != merge.entries)
        keyed = [values.get(v) for v, by_key in merge.parts if by_key]
        for key, entry in merge.merged(values).items():
            missing = [n for n in required if n not in entry]
            if missing and all(isinstance(part, dict) and key in part for part in keyed):
                problems.append(
                    f"{_where(root, path, settings, (merge.entries, key))}: "
                    f"{dotted((merge.entries, key))} has no {', '.join(missing)}: set it "
                    f"there, or in {others}"
                )
    return problems


def check_environment_inputs(root: Path, environment: str) -> dict[str, Any]:
    """The settings of ``environments/<environment>.tfvars`` if the plan of ``environment``
    would take every environment-specific value from that file alone; else InvalidInput."""
    environments.require_environment(environment)
    variables = RootVariables.of(root)
    env_file = environments.var_file(root, environment)
    shared_file = root / SHARED_FILE
    own_settings = _settings(root, env_file)
    shared_settings = _settings(root, shared_file) if shared_file.is_file() else Tfvars({}, {})
    own, shared = own_settings.values, shared_settings.values

    problems = _undeclared(root, env_file, own_settings, variables)
    problems += _undeclared(root, shared_file, shared_settings, variables)
    if "environment" in own and own["environment"] != environment:
        problems.append(
            f"{_where(root, env_file, own_settings, ('environment',))}: environment = "
            f"{own['environment']!r} in the file of {environment}; it must be {environment!r}"
        )
    for key in sorted((set(shared) & variables.declared) - SHARED_SETTINGS):
        problems.append(
            f"{_where(root, shared_file, shared_settings, (key,))}: {key} belongs to each "
            "environment: set it in "
            f"environments/<env>.tfvars, not in {SHARED_FILE} (shared settings only: "
            f"{', '.join(sorted(SHARED_SETTINGS))})"
        )
    for key in sorted(set(own) & SHARED_SETTINGS):
        problems.append(
            f"{_where(root, env_file, own_settings, (key,))}: {key} is shared by every "
            "environment and set once "
            f"in {SHARED_FILE}; remove it here"
        )
    missing = sorted(variables.required - set(own) - (set(shared) & SHARED_SETTINGS))
    if missing:
        problems.append(
            f"{env_file.relative_to(root).as_posix()}: does not set {', '.join(missing)}; "
            "each environment sets its own (they have no default and no other file may supply them)"
        )
    problems += _mistyped(root, env_file, own_settings, variables)
    problems += _mistyped(root, shared_file, shared_settings, variables)
    files = {name: (shared_file, shared_settings) for name in shared}
    files.update({name: (env_file, own_settings) for name in own})
    problems += _incomplete(root, files, variables)
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})" if problems[1:] else ""
        raise InvalidInput(problems[0] + more)
    return own


# --- where a Terraform error's value is written --------------------------------------------------

_REFERENCE = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_SEGMENTS = r"((?:\.(?:\*|[A-Za-z_][\w-]*)|\[\d+\])*)"


def _resolve(value: Any, segments: str, detail: str) -> tuple[str | int, ...]:
    """The deepest path of ``value`` that ``segments`` (".services.*.cpu", "[0]") names; a
    ``*`` stands for the one key of the map that the message names (else the path stops)."""
    path: list[str | int] = []
    for part in re.findall(r"\.(\*|[A-Za-z_][\w-]*)|\[(\d+)\]", segments):
        name, index = part
        if index and isinstance(value, list) and int(index) < len(value):
            path.append(int(index))
            value = value[int(index)]
        elif name == "*" and isinstance(value, dict):
            named = [k for k in value if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", detail)]
            if len(named) != 1:
                break
            path.append(named[0])
            value = value[named[0]]
        elif name and isinstance(value, dict) and name in value:
            path.append(name)
            value = value[name]
        else:
            break
    # A map or object whose message names one of its keys after "got:" or "unknown:" (the
    # project's validation messages list what they refuse there): that key.
    tail = re.split(r"\b(?:got|unknown|too long|rename):", detail)
    if isinstance(value, dict) and len(tail) > 1:
        named = [k for k in value if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", tail[-1])]
        if len(named) == 1:
            path.append(named[0])
    return tuple(path)


def _in_merge(
    merge: Merge, settings: dict[Path, Tfvars], diagnostic: Diagnostic
) -> tuple[Path, Tfvars, tuple[str | int, ...]] | None:
    """Where a module's error about a merged input (``services.*.cpu ...``) is written: the
    most specific part that sets the attribute it names (the entry, then the environment's
    defaults, then the catalog). None: no part sets it (the entry is then the value at fault)."""
    texts = (diagnostic.detail, *(t.removeprefix("var.") for t in diagnostic.traversals))
    pattern = rf"\b{re.escape(merge.entries)}{_SEGMENTS}"
    templates = [found for text_ in texts for found in re.findall(pattern, text_) if found]
    for variable, keyed in reversed(merge.parts):
        for path, tfvars in settings.items():
            if variable not in tfvars.values:
                continue
            for template in templates:
                # An unkeyed part holds one entry's attributes: the template without its key.
                segments = template if keyed else re.sub(r"^\.(\*|[\w-]+)", "", template)
                depth = len(re.findall(r"\.(?:\*|[A-Za-z_][\w-]*)|\[\d+\]", segments))
                at = _resolve(tfvars.values[variable], segments, diagnostic.detail)
                if depth > keyed and len(at) >= depth:
                    return path, tfvars, (variable, *at)
    return None


def error_locator(root: Path, environment: str) -> Callable[[Diagnostic], str | None]:
    """For a Terraform error: ``file:line:column: path`` of the environment file's value that
    caused it, whether Terraform points at that file (a root variable's validation) or at the
    module argument the value flows into (main.tf: a module's validation), or None."""
    settings: dict[Path, Tfvars] = {}
    for path in (environments.var_file(root, environment), root / SHARED_FILE):
        try:
            settings[path.resolve()] = read_tfvars(path)
        except (OSError, HclSyntaxError):  # Terraform's own diagnostic says where, then
            continue
    local_values = locals_of(root)

    def locate(diagnostic: Diagnostic) -> str | None:
        if not diagnostic.filename:
            return None
        source = (root / diagnostic.filename).resolve()
        names: list[str] = []
        if source in settings:  # the value itself (a root variable's validation)
            names = [
                str(path[0])
                for path, position in settings[source].positions.items()
                if len(path) == 1 and position[0] == diagnostic.line
            ]
            if not names:  # a value over several lines: the variable the rule reads
                names = [n for t in diagnostic.traversals for n in _REFERENCE.findall(t)]
        elif source.is_file() and diagnostic.start_byte is not None:
            expression = source.read_bytes()[diagnostic.start_byte : diagnostic.end_byte].decode()
            merge = _merge_passed(expression, local_values)
            found_in_part = _in_merge(merge, settings, diagnostic) if merge else None
            if found_in_part:
                path, tfvars, at = found_in_part
                return f"{_where(root.resolve(), path, tfvars, at)}: {dotted(at)}"
            for text_ in (*diagnostic.traversals, expression):
                names += [n for n in _REFERENCE.findall(text_) if n not in names]
            # The variable the message names first, else the first referenced; a message about
            # another setting by its path (rds_config.skip_final_snapshot, checked against
            # deletion_protection) names the value at fault.
            names.sort(key=lambda n: not re.search(rf"\b{re.escape(n)}\b", diagnostic.detail))
            # An argument that passes a variable through unchanged (services = var.services)
            # is the value the module refused; the module's own names in the traversals
            # (its var.environment) are another scope's.
            passed = re.fullmatch(r"\s*var\.([A-Za-z_][\w-]*)\s*", expression)
            value_at_fault = passed[1] if passed else merge.entries if merge else None
            if value_at_fault:  # or the entries of a merged input (local.services)
                names = [value_at_fault, *(n for n in names if n != value_at_fault)]
            written = {name for tfvars in settings.values() for name in tfvars.values}
            named = re.findall(r"\b([A-Za-z_][\w-]*)\.(?:\*|[A-Za-z_])", diagnostic.detail)
            names = [n for n in dict.fromkeys(named) if n in written] + names
        for name in names:
            for path, tfvars in settings.items():
                if name not in tfvars.values:
                    continue
                texts = [t.removeprefix("var.") for t in diagnostic.traversals]
                found = [
                    (name, *_resolve(tfvars.values[name], segments, diagnostic.detail))
                    for text_ in (diagnostic.detail, *texts)
                    for segments in re.findall(rf"\b{re.escape(name)}{_SEGMENTS}", text_)
                ]
                deepest = max(found, key=len, default=(name,))
                return f"{_where(root.resolve(), path, tfvars, deepest)}: {dotted(deepest)}"
        return None

    return locate
