"""`make plan ENV=prod` followed by `analyse cost`, offline, on the real project: the stages run
end to end and write their reports. The prod plan is the session's (`environment_plans`, planned
once by the plan stage for every test that needs it). The security analysis of every
environment, prod included, is test_security_gate.py: its scans are the slowest step, so they
run once per test run."""

from __future__ import annotations

import json

import pytest

from carcierge_pipeline import report
from carcierge_pipeline.stages.analyse.cost import run_cost
from carcierge_pipeline.workdir import PlanFiles


@pytest.mark.slow(seconds=8)
def test_prod_plan_then_cost(project_copy, environment_plans):
    plan = environment_plans("prod")
    files = PlanFiles(project_copy.build_dir("prod"))
    files.directory.mkdir(parents=True)
    files.json.write_text(json.dumps(plan))
    widget = report.widget_counts(plan)
    assert widget["create"] > 0 and widget["delete"] == 0  # a fresh account: creations only
    report.guard(report.analyse(plan, "prod"), allow_destroy=False)

    estimate = run_cost(files.directory, "prod", echo=lambda _: None, environ={})
    assert estimate.engine == "built-in" and estimate.region == "us-west-1"
    assert estimate.total > 0
    assert "KMS" in estimate.per_service
    assert (files.directory / "cost.md").read_text().startswith("# Monthly cost estimate: prod")
