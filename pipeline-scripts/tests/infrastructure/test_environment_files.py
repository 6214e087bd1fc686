"""The environment files differ only in values; the root terraform.tfvars holds only settings
every environment shares, so no environment's value can reach another's plan."""

from __future__ import annotations

import pytest

from carcierge_pipeline import inputs
from carcierge_pipeline.environments import ENVIRONMENTS, var_file
from carcierge_pipeline.hcl import load_tfvars


def test_environment_files_set_the_same_settings(project):
    keys = {env: set(load_tfvars(var_file(project.root, env))) for env in ENVIRONMENTS}
    reference = keys["prod"]
    for env, env_keys in keys.items():
        assert env_keys == reference, f"{env}: {sorted(env_keys ^ reference)}"


def test_the_root_tfvars_holds_only_shared_settings(project):
    shared = load_tfvars(project.root / inputs.SHARED_FILE)
    assert set(shared) == inputs.SHARED_SETTINGS
    variables = inputs.RootVariables.of(project.root)
    # Every setting an environment file makes is required: none can fall back to a default
    # or to terraform.tfvars when an environment file forgets it.
    own = set(load_tfvars(var_file(project.root, "prod")))
    assert own <= variables.required, sorted(own - variables.required)
    assert variables.required == own | inputs.SHARED_SETTINGS


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_file_passes_the_input_check(project, environment):
    settings = inputs.check_environment_inputs(project.root, environment)
    assert settings["environment"] == environment
