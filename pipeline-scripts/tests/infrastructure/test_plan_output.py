"""A real offline plan's Terraform output: every resource's line is in the log file that the
progress line points at (the terminal shows counts; tests/package/test_output.py)."""

from __future__ import annotations

from support import EnvironmentPlans


def test_the_output_log_holds_a_line_per_planned_resource(environment_plans: EnvironmentPlans):
    plan = environment_plans("staging")
    log = (environment_plans.build_dir("staging") / "terraform-output.log").read_text()
    planned = [
        change["address"]
        for change in plan["resource_changes"]
        if change["change"]["actions"] != ["no-op"] and change["mode"] == "managed"
    ]
    assert planned
    missing = [address for address in planned if f"{address}: Plan to " not in log]
    assert missing == [], missing[:5]
    assert "--- terraform init" in log and "Plan: " in log
