"""`make plan ENV=prod` followed by `analyse cost` and `analyse security`, offline, on the real
project: the stages run end to end and write their reports. The prod plan is the session's
(`environment_plans`, planned once by the plan stage for every test that needs it)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from carcierge_pipeline import report
from carcierge_pipeline.analyse.cost import run_cost
from carcierge_pipeline.analyse.security import run_security
from carcierge_pipeline.plan import PlanFiles


def test_prod_plan_then_cost_and_security(project_copy, environment_plans):
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

    said: list[str] = []
    failed = run_security(project_copy, "prod", echo=said.append).failed
    assert failed == 0  # the CLI path of the security gate (test_security_gate.py scans all)
    junit = ET.parse(files.directory / "checkov-junit.xml").getroot()
    assert junit.tag == "testsuites"
    assert int(junit.get("tests")) > 0
    assert int(junit.get("failures")) == failed
    suites = [suite.get("name") for suite in junit.findall("testsuite")]
    assert any("environments/prod.tfvars" in name for name in suites)
    assert any("plan.json" in name for name in suites)
    assert said[0].startswith("checkov 3.3.30 on prod")
    assert any(line.startswith("scan ") for line in said)
