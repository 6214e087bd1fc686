"""A Terraform error caused by a value of an environment file names where that value is
written (inputs.error_locator), whichever file Terraform points at. test_bad_input.py checks
the same on real plans, for every validation of every module."""

from __future__ import annotations

import pytest
from support import ROOT

from carcierge_pipeline.environments import ENVIRONMENTS, var_file
from carcierge_pipeline.hcl import read_tfvars
from carcierge_pipeline.inputs import error_locator
from carcierge_pipeline.terraform import Diagnostic


def _argument(expression: str) -> Diagnostic:
    """A diagnostic on the module argument ``expression`` in main.tf, as Terraform sends it."""
    source = (ROOT / "main.tf").read_bytes()
    start = source.index(expression.encode())
    line = source[:start].count(b"\n") + 1
    return Diagnostic(
        "error",
        "Invalid value for variable",
        filename="main.tf",
        line=line,
        start_byte=start,
        end_byte=start + len(expression),
        traversals=(expression,),
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_module_validation_points_at_the_service_it_names(environment):
    settings = read_tfvars(var_file(ROOT, environment))
    key = next(iter(settings.values["services"]))
    line, column = settings.positions[("services", key)]
    diagnostic = _argument("local.services")
    one = Diagnostic(**{**diagnostic.__dict__, "detail": f"services.*: bad; got: {key} = 4/2/10."})
    assert error_locator(ROOT, environment)(one) == (
        f"environments/{environment}.tfvars:{line}:{column}: services.{key}"
    )
    # Several services named: the map itself.
    other = list(settings.values["services"])[-1]
    two = Diagnostic(**{**diagnostic.__dict__, "detail": f"services.*: got: {key}, {other}."})
    line, column = settings.positions[("services",)]
    assert error_locator(ROOT, environment)(two) == (
        f"environments/{environment}.tfvars:{line}:{column}: services"
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_merged_attribute_points_at_the_part_that_sets_it(environment):
    """A service is merged from the catalog, the environment's defaults and its own entry
    (main.tf local.services): a module's error about one attribute names the most specific
    part that sets it, in whichever file that is."""
    own = read_tfvars(var_file(ROOT, environment))
    shared = read_tfvars(ROOT / "terraform.tfvars")
    key = next(iter(own.values["services"]))
    diagnostic = _argument("local.services")
    locate = error_locator(ROOT, environment)
    written = [
        (f"environments/{environment}.tfvars", own, ("services", key), own.values["services"][key]),
        (
            f"environments/{environment}.tfvars",
            own,
            ("service_defaults",),
            own.values["service_defaults"],
        ),
        (
            "terraform.tfvars",
            shared,
            ("service_catalog", key),
            shared.values["service_catalog"][key],
        ),
    ]
    seen: set[str] = set()
    for file, tfvars, at, attributes in written:
        for attribute in sorted(set(attributes) - seen):
            seen.add(attribute)
            detail = f"services.*.{attribute} is wrong; got: {key}."
            line, column = tfvars.positions[(*at, attribute)]
            assert locate(Diagnostic(**{**diagnostic.__dict__, "detail": detail})) == (
                f"{file}:{line}:{column}: {'.'.join((*at, attribute))}"
            )
    assert {"container_image", "container_port"} <= seen  # each file had a part to find


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_nested_attribute_named_by_the_message(environment):
    settings = read_tfvars(var_file(ROOT, environment))
    line, column = settings.positions[("rds_config", "allocated_storage")]
    diagnostic = _argument("var.rds_config")
    named = Diagnostic(
        **{**diagnostic.__dict__, "detail": "rds_config.allocated_storage must be 20+; got 10."}
    )
    assert error_locator(ROOT, environment)(named) == (
        f"environments/{environment}.tfvars:{line}:{column}: rds_config.allocated_storage"
    )


def test_a_root_validation_points_at_its_own_line_and_nothing_else():
    settings = read_tfvars(var_file(ROOT, "qa"))
    line, _ = settings.positions[("az_count",)]
    at = Diagnostic("error", "Invalid value for variable", filename="environments/qa.tfvars")
    locate = error_locator(ROOT, "qa")
    assert locate(Diagnostic(**{**at.__dict__, "line": line})) == (
        f"environments/qa.tfvars:{line}:1: az_count"
    )
    assert locate(Diagnostic(**{**at.__dict__, "line": 1})) is None  # a comment line
    assert locate(Diagnostic("error", "Unsupported argument")) is None


def test_a_map_key_named_after_unknown_is_the_path(tmp_path):
    """alarm_thresholds is a map(number): its names are checked by a validation, whose message
    lists what it refuses after "unknown:"; the error points at that key's line."""
    import shutil

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copy(ROOT / "terraform.tfvars", tmp_path / "terraform.tfvars")
    env_file = tmp_path / "environments" / "uat.tfvars"
    text = env_file.read_text().replace(
        "alarm_thresholds = {", "alarm_thresholds = {\n  ecs_cpu = 90"
    )
    env_file.write_text(text)
    settings = read_tfvars(env_file)
    line, column = settings.positions[("alarm_thresholds", "ecs_cpu")]
    at = Diagnostic(
        "error",
        "Invalid value for variable",
        detail="alarm_thresholds keys must be threshold names out of evaluation_periods, "
        "ecs_cpu_percent; unknown: ecs_cpu.",
        filename="environments/uat.tfvars",
        line=settings.positions[("alarm_thresholds",)][0],
    )
    assert error_locator(tmp_path, "uat")(at) == (
        f"environments/uat.tfvars:{line}:{column}: alarm_thresholds.ecs_cpu"
    )


def test_a_variable_passed_through_is_the_value_at_fault_whatever_the_module_reads():
    """The root passes its merged services to modules/ecs, which owns their validations; a
    rule there also reads the module's own var.environment and says "environment" in its
    message: the value at fault is still the services map, not the root's environment."""
    settings = read_tfvars(var_file(ROOT, "staging"))
    source = (ROOT / "main.tf").read_bytes()
    start = source.index(b"services = local.services\n") + len(b"services = ")
    diagnostic = Diagnostic(
        "error",
        "Invalid value for variable",
        detail="services keys must fit in every environment; too long: reservations-api (16).",
        filename="main.tf",
        line=source[:start].count(b"\n") + 1,
        start_byte=start,
        end_byte=start + len(b"local.services"),
        traversals=("var.environment", "var.name_prefix", "local.services"),
    )
    line, column = settings.positions[("services",)]
    assert error_locator(ROOT, "staging")(diagnostic) == (
        f"environments/staging.tfvars:{line}:{column}: services"
    )
