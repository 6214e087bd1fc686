"""The environment files differ only in values, and fully override the spec's example file."""

from __future__ import annotations

import hcl2
import pytest

from carcierge_pipeline.environments import ENVIRONMENTS, var_file


def _keys(path) -> set[str]:
    with path.open() as handle:
        return set(hcl2.load(handle))


def test_environment_files_set_the_same_settings(project):
    keys = {env: _keys(var_file(project.root, env)) for env in ENVIRONMENTS}
    reference = keys["prod"]
    for env, env_keys in keys.items():
        assert env_keys == reference, f"{env}: {sorted(env_keys ^ reference)}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_file_overrides_every_example_setting(project, environment):
    # Terraform always loads terraform.tfvars; the -var-file must override all of it, or the
    # spec's example values would leak into a real environment.
    example = _keys(project.root / "terraform.tfvars")
    missing = example - _keys(var_file(project.root, environment))
    assert not missing, f"{environment} does not set {sorted(missing)}"
