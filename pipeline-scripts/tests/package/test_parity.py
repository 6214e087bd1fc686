"""The environment parity report: rules over hand-written plans, the prod-vs-uat check, and the
real environments (their offline plans and backend settings)."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, ROOT, edit_environment, environment_values

from carcierge_pipeline import cli
from carcierge_pipeline.backend import backend_settings
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.stages.analyse import parity
from carcierge_pipeline.stages.analyse.parity import file_differences, render_differences

PLANS = FIXTURES / "parity"


@pytest.fixture
def plans() -> dict[str, dict]:
    return {env: json.loads((PLANS / f"{env}.json").read_text()) for env in ENVIRONMENTS}


def _changes(plan: dict, address_part: str) -> list[dict]:
    found = [c for c in plan["resource_changes"] if address_part in c["address"]]
    assert found, f"fixture has no resource matching {address_part!r}"
    return found


def _set(plan: dict, address_part: str, **values) -> None:
    for change in _changes(plan, address_part):
        change["change"]["after"].update(values)


# --- the table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("NAT gateways", ["1", "1", "2", "2"]),  # prod's NAT gateway being deleted is not counted
        ("Interface VPC endpoints", ["0", "0", "3", "3"]),  # the S3 gateway endpoint is not
        ("ALB deletion protection", ["off", "off", "on", "on"]),
        ("ECS api: desired tasks", ["1", "1", "2", "2"]),
        ("ECS worker: min tasks", ["1", "1", "2", "3"]),  # prod's DynamoDB target is not ECS
        ("ECS worker: max tasks", ["2", "2", "4", "10"]),
        # service strategy / cluster default strategy (qa) / both providers / launch type (prod)
        ("ECS worker: Spot share", ["100%", "100%", "50%", "0%"]),
        ("ECS Container Insights", ["enabled", "enabled", "enabled", "enhanced"]),
        ("Redis nodes", ["1", "1", "2", "3"]),  # prod: 1 shard x (1 primary + 2 replicas)
        ("Redis multi-AZ", ["off", "off", "on", "on"]),
        (
            "Redis node type",
            ["cache.t4g.micro", "cache.t4g.micro", "cache.t4g.small", "cache.m7g.large"],
        ),
        ("OpenSearch data nodes", ["1", "1", "2", "3"]),
        ("OpenSearch zone awareness", ["off", "off", "on", "on"]),
        ("RDS multi-AZ", ["off", "off", "on", "on"]),
        ("RDS instance class", ["db.t4g.micro", "db.t4g.micro", "db.t4g.medium", "db.m7g.large"]),
        ("RDS backup retention (days)", ["?", "7", "7", "14"]),  # staging: known after apply
        ("RDS deletion protection", ["off", "off", "on", "on"]),
        ("RDS skips final snapshot", ["on", "on", "off", "off"]),
        ("CloudWatch alarms", ["2", "2", "4", "4"]),
        ("Log retention, shortest (days)", ["14", "14", "30", "90"]),  # 0 = never is longest
        ("KMS key deletion window (days)", ["7", "7", "30", "30"]),
        ("Secrets recovery window (days)", ["—", "—", "—", "—"]),  # no secrets planned yet
    ],
)
def test_report_values(plans, label, expected):
    assert parity.build_report(plans).values(label) == expected


def test_rows_follow_the_rules_with_services_grouped(plans):
    labels = [row.label for row in parity.build_report(plans).rows]
    assert labels[:4] == [
        "NAT gateways",
        "Interface VPC endpoints",
        "ALB deletion protection",
        "ALB WAF web ACL",
    ]
    assert labels[4:12] == [
        f"ECS {service}: {setting}"
        for service in ("api", "worker")
        for setting in ("desired tasks", "min tasks", "max tasks", "Spot share")
    ]
    assert labels[-1] == "Secrets recovery window (days)"


def test_rendered_table(plans):
    lines = parity.render(parity.build_report(plans))
    assert lines[0].split() == ["setting", *ENVIRONMENTS, "prod", "vs", "uat"]
    assert re.fullmatch(r"NAT gateways\s+1\s+1\s+2\s+2\s+ok", lines[2])
    assert any(re.fullmatch(r"Redis node type(\s+\S+){4}", line) for line in lines)
    assert any(re.fullmatch(r"Secrets recovery window \(days\)(\s+—){4}", line) for line in lines)
    assert lines[-1] == "prod is nowhere weaker than uat"
    widths = {len(line) for line in lines[:2]}
    assert len(widths) == 1, "header and rule line up"


def test_modules_not_written_yet_print_dashes_everywhere():
    empty: dict[str, dict[str, Any]] = {env: {"resource_changes": []} for env in ENVIRONMENTS}
    report = parity.build_report(empty)
    assert {value for row in report.rows for value in report.values(row.label)} == {"—"}
    assert report.findings == []
    assert report.row("ECS each service: desired tasks").verdict == ""


# --- prod never weaker than uat ---------------------------------------------------------------


def test_prod_weaker_than_uat_is_detected_and_fails(plans):
    prod = plans["prod"]
    _set(prod, "aws_db_instance", multi_az=False, backup_retention_period=3)
    _set(prod, "aws_lb.this", enable_deletion_protection=None)  # null: provider default (off)
    _set(prod, 'aws_cloudwatch_log_group.this["api"]', retention_in_days=14)
    prod["resource_changes"].remove(_changes(prod, 'aws_nat_gateway.this["c"]')[0])
    _changes(prod, 'aws_ecs_service.this["api"]')[0]["change"]["after"][
        "capacity_provider_strategy"
    ] = [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    _set(prod, "aws_db_instance", skip_final_snapshot=True)

    report = parity.build_report(plans)
    weaker = {row.label: row.reason for row in report.findings}
    assert weaker == {
        "NAT gateways": "1 vs 2",
        "ALB deletion protection": "off vs on",
        "ECS api: Spot share": "100% vs 50%",  # lower is stronger
        "RDS multi-AZ": "off vs on",
        "RDS backup retention (days)": "3 vs 7",
        "RDS skips final snapshot": "on vs off",  # lower is stronger
        "Log retention, shortest (days)": "14 vs 30",
    }
    lines = parity.render(report)
    assert "prod is weaker than uat in 7 setting(s):" in lines
    assert "  RDS multi-AZ: off vs on" in lines
    with pytest.raises(StageFailed, match=r"prod is weaker than uat in 7 setting\(s\): NAT"):
        parity.check(report)


def test_a_store_missing_from_prod_is_weaker(plans):
    prod = plans["prod"]
    prod["resource_changes"].remove(_changes(prod, "aws_opensearch_domain")[0])
    report = parity.build_report(plans)
    row = report.row("OpenSearch data nodes")
    assert report.values(row.label)[-1] == "—"
    assert (row.verdict, row.reason) == (
        "WEAKER",
        "planned in the reference environment but not here",
    )


def test_values_known_only_after_apply_are_not_compared(plans):
    _changes(plans["prod"], "aws_db_instance")[0]["change"]["after_unknown"][
        "backup_retention_period"
    ] = True
    _set(plans["prod"], "aws_db_instance", backup_retention_period=None)
    report = parity.build_report(plans)
    assert report.values("RDS backup retention (days)")[-1] == "?"
    assert report.row("RDS backup retention (days)").verdict == "?"
    assert report.findings == []


def test_prod_stronger_or_equal_passes(plans):
    report = parity.build_report(plans)
    assert report.findings == []
    parity.check(report)  # does not raise
    verdicts = {row.label: row.verdict for row in report.rows}
    assert verdicts["Redis node type"] == ""  # informational rows are never judged
    assert verdicts["ECS worker: max tasks"] == "ok"


# --- the rules table --------------------------------------------------------------------------


def test_rules_are_well_formed():
    aggregates = {"count", "sum", "min", "max", "all", "any", "distinct"}
    labels = [rule.label for rule in parity.RULES]
    assert len(labels) == len(set(labels))
    for rule in parity.RULES:
        assert rule.aggregate in aggregates, rule.label
        assert rule.stronger in (parity.HIGHER, parity.LOWER, None), rule.label
        assert (rule.path is None) != (rule.extract is None) or rule.aggregate == "count"
        assert ("{key}" in rule.label) == rule.per_instance, rule.label
        assert rule.resource_type.startswith("aws_"), rule.label
        if rule.aggregate == "distinct":
            assert rule.stronger is None, f"{rule.label}: text values have no order"


def test_value_formatting():
    rule = parity.Rule("x", "aws_x", "x")
    assert parity.format_value(rule, math.inf) == "never"
    assert parity.format_value(rule, True) == "on"
    assert parity.format_value(rule, 2.0) == "2"
    assert parity.format_value(parity.Rule("x", "aws_x", "x", unit="%"), 0.25) == "25%"
    assert parity.format_value(rule, parity.UNSET) == "unset"
    with pytest.raises(ValueError, match="aggregate must be count"):
        parity.aggregate("median", [1])


def test_resource_paths_read_unknown_and_nested_values():
    resource = parity.Resource(
        "a",
        "aws_x",
        "k",
        {"cluster_config": [{"instance_count": 2}], "name": None},
        {"cluster_config": [{"warm_type": True}], "arn": True, "name": True},
    )
    assert resource.get("cluster_config.0.instance_count") == 2
    assert resource.get("cluster_config.0.warm_type") is parity.UNKNOWN
    assert resource.get("arn") is parity.UNKNOWN
    assert resource.get("name") is parity.UNKNOWN
    assert resource.get("cluster_config.1.instance_count") is None
    assert resource.get("missing.0.x") is None


# --- the command ------------------------------------------------------------------------------


def _project_with_plans(root: Path, plans: dict[str, dict]) -> Path:
    (root / "modules").mkdir(parents=True)
    (root / "terraform.tf").write_text("")
    shutil.copytree(ROOT / "environments", root / "environments")
    for env, plan in plans.items():
        (root / "build" / env).mkdir(parents=True)
        (root / "build" / env / "plan.json").write_text(json.dumps(plan))
    return root


def test_cli_parity_from_published_plans(plans, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CARCIERGE_ROOT", str(_project_with_plans(tmp_path / "p", plans)))
    assert cli.main(["parity", "--reuse-plans"]) == 0
    out = capsys.readouterr().out
    assert "prod is nowhere weaker than uat" in out
    assert re.search(r"^service_defaults\.max_capacity +\d", out, re.M)  # from the files

    _set(plans["prod"], "aws_elasticache_replication_group", multi_az_enabled=False)
    monkeypatch.setenv("CARCIERGE_ROOT", str(_project_with_plans(tmp_path / "q", plans)))
    assert cli.main(["parity", "--reuse-plans"]) == 1
    captured = capsys.readouterr()
    assert "  Redis multi-AZ: off vs on" in captured.out.splitlines()
    assert captured.err == "failed: prod is weaker than uat in 1 setting(s): Redis multi-AZ\n"


def test_cli_parity_without_plans_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CARCIERGE_ROOT", str(_project_with_plans(tmp_path / "p", {})))
    assert cli.main(["parity", "--reuse-plans"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no plan of staging at ")
    assert err.count("\n") == 1


def test_report_needs_prod_and_uat(plans):
    del plans["uat"]
    with pytest.raises(UserError, match="needs the uat plan"):
        parity.build_report(plans)


# --- the real environments --------------------------------------------------------------------


def test_real_environments_prod_never_weaker_than_uat(environment_plans):
    plans = {env: environment_plans(env) for env in ENVIRONMENTS}
    for env, plan in plans.items():
        assert plan["variables"]["environment"]["value"] == env
    report = parity.build_report(plans)
    print("\n".join(parity.render(report)))
    assert report.findings == [], "\n".join(parity.render(report))
    # Not vacuous: settings the root already plans are read in every environment.
    assert "—" not in report.values("KMS key deletion window (days)")
    # The hardening switches: ECS Exec only below uat; the project's WAF in front of every ALB
    # open to the internet, which all four are (issue 26; required by validation).
    assert report.values("ECS Exec") == ["on", "on", "off", "off"]
    assert report.values("ALB WAF web ACL") == ["1", "1", "1", "1"]
    assert {report.row(label).verdict for label in ("ECS Exec", "ALB WAF web ACL")} == {"ok"}
    # Logs into OpenSearch where the file switches it on (its services and the VPC flow
    # logs); cross-region copies where the file asks for them (prod).
    files = {env: environment_values(ROOT, env) for env in ENVIRONMENTS}
    assert report.values("Log delivery streams into OpenSearch") == [
        str(len(f["services"]) + 1 if f["enable_log_delivery"] else 0) for f in files.values()
    ]
    copies = [str(int(f["enable_cross_region_backups"])) for f in files.values()]
    assert copies[-1] == "1", "prod keeps copies of its backups in a second region (policy)"
    assert report.values("RDS backups replicated cross-region") == copies
    assert report.values("S3 buckets replicated cross-region") == copies
    compared = [row for row in report.rows if row.verdict == "ok"]
    assert compared, "no setting was compared"


def test_backend_settings_are_complete_and_one_state_per_environment():
    environ = {"TF_STATE_BUCKET": "acme-carcierge-tfstate"}
    settings = {env: backend_settings(env, environ) for env in ENVIRONMENTS}
    for env, values in settings.items():
        assert set(values) == {
            "bucket",
            "key",
            "region",
            "encrypt",
            "kms_key_id",
            "dynamodb_table",
            "use_lockfile",
        }, env
        assert all(values.values()), f"{env}: empty backend setting"
        assert values["key"] == f"carcierge/{env}/terraform.tfstate"
        assert (values["encrypt"], values["use_lockfile"]) == ("true", "true")
        assert values["kms_key_id"] == "alias/carcierge-terraform-state"
    keys = [values["key"] for values in settings.values()]
    assert len(set(keys)) == len(ENVIRONMENTS), "every environment has its own state"
    shared = {(v["bucket"], v["region"], v["dynamodb_table"]) for v in settings.values()}
    assert shared == {("acme-carcierge-tfstate", "us-west-1", "carcierge-terraform-locks")}


def _environment_files(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return tmp_path


def test_the_files_differences_are_read_from_the_files(tmp_path):
    """Below the table: each value the environment files write differently, and no other; it
    follows an edit of one file (an attribute all four agree on appears once one differs)."""
    root = _environment_files(tmp_path)
    before = {row[0]: row[1:] for row in file_differences(root)}
    assert "environment" not in before
    assert before["vpc_cidr"] == [environment_values(ROOT, e)["vpc_cidr"] for e in ENVIRONMENTS]
    same = "rds_config.database_name"  # all four write "carcierge"
    assert same not in before
    edit_environment(root, "uat", "rds_config", lambda now: now | {"database_name": "other"})
    edit_environment(root, "qa", "alarm_thresholds", lambda now: now | {"extra": 1})
    after = {row[0]: row[1:] for row in file_differences(root)}
    names = [environment_values(root, e)["rds_config"]["database_name"] for e in ENVIRONMENTS]
    assert after[same] == names and names.count("other") == 1
    assert after["alarm_thresholds.extra"] == ["—", "1", "—", "—"]
    assert set(after) - set(before) == {same, "alarm_thresholds.extra"}


def test_a_long_value_keeps_its_start_and_end(tmp_path):
    root = _environment_files(tmp_path)
    rows = {row[0]: row[1:] for row in file_differences(root)}
    path = next(k for k in rows if k.endswith(".container_image"))
    _, key, _ = path.split(".")
    for environment, cell in zip(ENVIRONMENTS, rows[path], strict=True):
        image = environment_values(root, environment)["services"][key]["container_image"]
        start, end = cell.split("…")
        assert len(cell) == 32 and image.startswith(start) and image.endswith(end)
    lines = render_differences(file_differences(root))
    assert lines[0].split()[-4:] == list(ENVIRONMENTS)
