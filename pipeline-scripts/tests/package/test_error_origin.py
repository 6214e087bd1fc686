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
    diagnostic = _argument("var.services")
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
