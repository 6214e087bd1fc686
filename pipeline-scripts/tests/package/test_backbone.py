"""The offline backbone catches real mistakes with Terraform's own messages.

Each case seeds one mistake into a correct fixture; the unseeded fixture must pass, so a test
that cannot fail (a stub that accepts everything) would be caught by ``test_good_fixture``
and a stub that rejects everything by the mistake-specific messages.
"""

from __future__ import annotations

import json

import pytest

GOOD_KMS = (
    'resource "aws_kms_key" "fixture" {\n  description         = "${var.environment}-fixture"\n'
)


def _validate(terraform):
    return terraform.run(["validate", "-no-color"], capture=True, check=False)


def _plan(terraform, environment="staging"):
    return terraform.run(
        [
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            f"-var=environment={environment}",
            "-out=plan.bin",
        ],
        capture=True,
        check=False,
    )


def test_good_fixture_validates_and_plans(fixture_workdir):
    terraform = fixture_workdir("good")
    assert _validate(terraform).returncode == 0
    result = _plan(terraform)
    assert result.returncode == 0, result.stderr
    shown = terraform.run(["show", "-json", "plan.bin"], capture=True)
    plan = json.loads(shown.stdout)
    changes = {c["address"]: c["change"] for c in plan["resource_changes"]}
    assert changes["aws_kms_key.fixture"]["actions"] == ["create"]
    assert changes["aws_kms_key.fixture"]["after"]["enable_key_rotation"] is True
    assert changes["aws_kms_key.fixture"]["after_unknown"]["arn"] is True  # computed at apply
    assert changes["aws_kms_alias.fixture"]["after"]["name"] == "alias/staging-fixture"
    # The provider setup every fixture shares (fixtures/providers.tf, copied in).
    provider = plan["configuration"]["provider_config"]["aws"]
    assert provider["version_constraint"] == "~> 6.0"
    assert provider["expressions"]["region"] == {"constant_value": "us-west-1"}


SEEDED_MISTAKES = {
    "unknown argument": (
        lambda s: s.replace(GOOD_KMS, GOOD_KMS + "  rotate_every_day    = true\n"),
        'An argument named "rotate_every_day" is not expected here',
    ),
    "missing required argument": (
        lambda s: s.replace("  target_key_id = aws_kms_key.fixture.key_id\n", ""),
        'The argument "target_key_id" is required',
    ),
    "wrong block name": (
        lambda s: s.replace(GOOD_KMS, GOOD_KMS + "  timeout {\n  }\n"),
        'Blocks of type "timeout" are not expected here',
    ),
    "type error": (
        lambda s: s.replace("enable_key_rotation = true", 'enable_key_rotation = "sometimes"'),
        'Inappropriate value for attribute "enable_key_rotation"',
    ),
    "undeclared variable": (
        lambda s: s.replace(
            '${var.environment}-fixture"\n  enable', '${var.region}-fixture"\n  enable'
        ),
        'An input variable with the name "region" has not been declared',
    ),
}


@pytest.mark.parametrize("mistake", sorted(SEEDED_MISTAKES))
def test_seeded_mistake_fails_validate(fixture_workdir, mistake):
    edit, message = SEEDED_MISTAKES[mistake]
    terraform = fixture_workdir("good", edit)
    result = _validate(terraform)
    assert result.returncode != 0
    assert message in " ".join(result.stderr.split()), result.stderr


def test_invalid_variable_value_fails_plan(fixture_workdir):
    # Terraform 1.15 still writes an "errored" plan file here; the plan stage deletes it
    # (see test_plan_stage.py), which is why callers must not trust the file's existence.
    terraform = fixture_workdir("good")
    result = _plan(terraform, environment="dev")
    assert result.returncode != 0
    assert "environment must be staging or prod." in result.stderr
