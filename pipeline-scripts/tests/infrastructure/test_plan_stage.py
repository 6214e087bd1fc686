"""The plan stage end to end, offline: every environment plans. (Bad input leaves no plan file:
test_bad_input.py runs every refused case through the same stage.)"""

from __future__ import annotations

import json

import pytest
from support import OFFLINE, EnvironmentPlans

from carcierge_pipeline import environments
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.stages.plan import run_plan
from carcierge_pipeline.workdir import PlanFiles


@pytest.mark.parametrize("environment", environments.ENVIRONMENTS)
def test_every_environment_plans_offline(environment_plans: EnvironmentPlans, environment):
    # The session's plans are made by run_plan, the same stage `make plan` runs.
    plan = environment_plans(environment)
    files = PlanFiles(environment_plans.build_dir(environment))
    assert json.loads(files.json.read_text()) == plan
    variables = {name: v["value"] for name, v in plan["variables"].items()}
    assert variables["environment"] == environment
    created = {
        c["address"]: c["change"]["after"]
        for c in plan["resource_changes"]
        if c["change"]["actions"] == ["create"]
    }
    assert created["module.kms.aws_kms_alias.this"]["name"] == f"alias/{environment}-carcierge-main"
    assert created["module.kms.aws_kms_key.this"]["enable_key_rotation"] is True
    assert files.binary.stat().st_size > 0
    assert "Plan:" in files.text.read_text()


def test_unknown_environment_is_a_user_error(project_copy):
    with pytest.raises(UserError, match="unknown environment 'dev'"):
        run_plan(project_copy, "dev", OFFLINE, echo=lambda _: None)
