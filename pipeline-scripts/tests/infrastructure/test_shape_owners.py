"""A value's shape is declared once, by the module that owns it: the root merges ``services``
from the shared catalog, the environment's defaults and its entries (all ``type = any``) and
passes the result to modules/ecs, whose declaration the input check reads (inputs.owned_type,
inputs.Merge). A second copy of the type is what let a misspelt attribute plan green
(review 2026-12-07 §1): each copy dropped what the other declared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import OFFLINE, ROOT, edit_environment, environment_values, services_of, with_setting

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.hcl import declarations, load_tfvars, module_calls, text
from carcierge_pipeline.inputs import Merge, RootVariables, owned_type
from carcierge_pipeline.tftypes import Type, TypeExpressionError, parse_type

OWNER = ROOT / "modules" / "ecs"


def _objects(type_: Type) -> list[Type]:
    """The object types in ``type_`` at any depth."""
    found = [type_] if type_.kind == "object" else []
    inner = [type_.element, *type_.elements, *(a.type for a in type_.attributes.values())]
    for each in inner:
        if each is not None:
            found += _objects(each)
    return found


def _declared_objects() -> list[tuple[Path, str, frozenset[str]]]:
    """(module directory, variable, attribute names) of every object type a variable of the
    root or of a module declares."""
    found = []
    for directory in [ROOT, *sorted(p.parent for p in ROOT.glob("modules/*/variables.tf"))]:
        for name, body in declarations(directory)["variable"]:
            if "type" not in body:
                continue
            try:
                parsed = parse_type(text(body["type"]))
            except TypeExpressionError:
                continue
            found += [(directory, name, frozenset(o.attributes)) for o in _objects(parsed)]
    return found


def _service_attributes() -> frozenset[str]:
    (_, whole), *_ = RootVariables.of(ROOT).merges
    service = whole.element
    assert service is not None and service.kind == "object"
    return frozenset(service.attributes)


def test_the_services_shape_is_declared_once_in_the_ecs_module():
    attributes = _service_attributes()
    assert {"container_image", "container_port", "callers"} <= attributes
    # Any object type that declares half of a service's attributes is a copy of the shape
    # (modules/security_groups takes 3 of them, renamed: port, public, callers).
    copies = [
        (directory.relative_to(ROOT).as_posix() or ".", name)
        for directory, name, declared in _declared_objects()
        if len(declared & attributes) * 2 >= len(attributes)
    ]
    assert copies == [("modules/ecs", "services")]
    # ... and in the text of every .tf file: an attribute declaration line such as
    # "cpu_architecture = optional(string, ...)" of the shape's optional attributes.
    optional = {n for n in attributes if f"{n} = optional(" in _owner_text_normalised()}
    assert len(optional) * 2 >= len(attributes)
    holding = sorted(
        path.relative_to(ROOT).as_posix()
        for path in [*ROOT.glob("*.tf"), *ROOT.glob("modules/**/*.tf")]
        if ".terraform" not in path.parts
        and sum(f"{n} = optional(" in _normalised(path.read_text()) for n in optional) * 2
        > len(optional)
    )
    assert holding == ["modules/ecs/variables.tf"]


def _normalised(source: str) -> str:
    return " ".join(source.split())


def _owner_text_normalised() -> str:
    return _normalised((OWNER / "variables.tf").read_text())


def test_the_root_merges_services_once_and_passes_the_result_on():
    root = dict(declarations(ROOT)["variable"])
    parts = ("service_catalog", "service_defaults", "services")
    assert {name: text(root[name]["type"]) for name in parts} == dict.fromkeys(parts, "any")
    calls = module_calls(ROOT)
    assert (ROOT / calls["ecs"].source).resolve() == OWNER
    assert calls["ecs"].arguments["services"] == "local.services"
    # The merge the input check reads: catalog, then defaults, then the entry (later wins).
    merges = RootVariables.of(ROOT).merges
    assert [merge for merge, _ in merges] == [
        Merge(
            "services", (("service_catalog", True), ("service_defaults", False), ("services", True))
        )
    ]
    owner = dict(declarations(OWNER)["variable"])
    assert merges[0][1] == parse_type(text(owner["services"]["type"]))
    # Each part is checked against the owner's shape with every attribute optional.
    parts_types = RootVariables.of(ROOT).parts
    assert parts_types["service_defaults"].kind == "object"
    assert not any(a.optional is False for a in parts_types["service_defaults"].attributes.values())
    assert parts_types["services"].element == parts_types["service_defaults"]
    # No other module takes the root's value whole: each reads the owner's output.
    takes = [
        n
        for n, c in calls.items()
        if {"var.services", "local.services"} & set(c.arguments.values())
    ]
    assert takes == ["ecs"]


def test_a_merge_the_input_check_cannot_read_is_refused():
    assert Merge.read("{for k, v in var.a : k => v}") is None  # not a merge: nothing to check
    with pytest.raises(StageFailed, match="cannot read 'try"):
        Merge.read("{for k, v in var.a : k => merge(try(var.b[k], {}), v)}")


def _module(directory: Path, variables: str, calls: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "variables.tf").write_text(variables)
    (directory / "main.tf").write_text(calls or "# no module calls\n")


def test_the_type_is_read_from_the_module_a_value_is_passed_to(tmp_path):
    shape = 'variable "x" {\n  type = object({ a = string })\n}\n'
    _module(tmp_path / "modules" / "inner", shape)
    _module(
        tmp_path / "modules" / "outer",
        'variable "y" {\n  type = any\n}\n',
        'module "inner" {\n  source = "../inner"\n  x      = var.y\n}\n',
    )
    _module(
        tmp_path,
        'variable "v" {\n  type = any\n}\nvariable "w" {\n  type = any\n}\n'
        'variable "z" {\n  type = string\n}\n',
        'module "outer" {\n  source = "./modules/outer"\n  y      = var.v\n'
        "  other  = { wrapped = var.w }\n}\n",
    )
    assert owned_type(tmp_path, "v") == "object({a = string})"  # through two modules
    assert owned_type(tmp_path, "w") == "any"  # not passed unchanged: nothing to read
    assert owned_type(tmp_path, "z") == "string"  # a type of its own is the root's


def test_two_modules_declaring_two_shapes_for_one_value_are_refused(tmp_path):
    _module(tmp_path / "modules" / "a", 'variable "x" {\n  type = object({ a = string })\n}\n')
    _module(tmp_path / "modules" / "b", 'variable "x" {\n  type = object({ b = string })\n}\n')
    _module(
        tmp_path,
        'variable "v" {\n  type = any\n}\n',
        'module "a" {\n  source = "./modules/a"\n  x      = var.v\n}\n'
        'module "b" {\n  source = "./modules/b"\n  x      = var.v\n}\n',
    )
    with pytest.raises(StageFailed, match=r"var\.v goes to modules of different types"):
        owned_type(tmp_path, "v")


# --- the catalog changes nothing Terraform builds ---------------------------------------------


def _changes(plan: dict[str, Any]) -> dict[str, Any]:
    return {
        rc["address"]: [
            rc["change"]["actions"],
            rc["change"]["after"],
            rc["change"]["after_unknown"],
        ]
        for rc in plan["resource_changes"]
    }


def _planned(project: Any, environment: str) -> dict[str, Any]:
    from carcierge_pipeline.stages.plan import run_plan

    run_plan(project, environment, OFFLINE, echo=lambda _: None)
    return _changes(json.loads((project.build_dir(environment) / "plan.json").read_text()))


@pytest.mark.slow(seconds=15)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_catalog_plans_as_every_service_written_out(
    project_copy, terraform_results, environment_plans, environment
):
    """Each service written out whole in the environment file (the form before the catalog:
    every attribute in the entry, no defaults, empty catalog entries) plans resource for
    resource, value for value, as the catalog and the defaults do."""
    root = project_copy.root
    edit_environment(root, environment, "services", services_of(ROOT, environment))
    edit_environment(root, environment, "service_defaults", {})
    shared = root / "terraform.tfvars"
    catalog: dict[str, dict[str, Any]] = {k: {} for k in load_tfvars(shared)["service_catalog"]}
    shared.write_text(with_setting(shared.read_text(), "service_catalog", catalog))
    assert all(
        len(entry) > 1 for entry in environment_values(root, environment)["services"].values()
    )

    written_out = terraform_results(
        f"services written out in {environment}",
        project_copy,
        lambda: _planned(project_copy, environment),
    )
    assert written_out == _changes(environment_plans(environment))


@pytest.mark.slow(seconds=15)
def test_an_entry_wins_over_the_environments_defaults(project_copy, terraform_results):
    """The merge's order (main.tf local.services; the input check reads the same): a service's
    own entry over the environment's service_defaults."""
    environment = "prod"
    defaults = environment_values(ROOT, environment)["service_defaults"]
    key, *others = services_of(ROOT, environment)
    wanted = int(defaults["max_capacity"]) + 3
    edit_environment(
        project_copy.root,
        environment,
        "services",
        lambda now: now | {key: now[key] | {"max_capacity": wanted}},
    )
    assert services_of(project_copy.root, environment)[key]["max_capacity"] == wanted
    changes = terraform_results(
        "an entry over the defaults", project_copy, lambda: _planned(project_copy, environment)
    )
    targets = {
        address.split('"')[1]: change[1]["max_capacity"]
        for address, change in changes.items()
        if address.startswith("module.ecs.aws_appautoscaling_target.service[")
    }
    assert targets == {key: wanted} | dict.fromkeys(others, defaults["max_capacity"])
