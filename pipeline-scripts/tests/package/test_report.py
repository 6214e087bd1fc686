"""Plan reports: counts, GitLab's MR-widget JSON, the Markdown summary and the destroy guard, on
fixture plans; and the plan stage writing them (a tiny offline project, no AWS provider)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, OFFLINE

from carcierge_pipeline import report
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.planmeta import PlanMeta, sha256_of
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.plan import run_plan
from carcierge_pipeline.workdir import PlanFiles

PLANS = FIXTURES / "plans"


def load(name: str) -> dict:
    return json.loads((PLANS / name).read_text())


@pytest.mark.parametrize(
    ("fixture", "counts", "widget"),
    [
        (
            "create.json",
            {"create": 4, "update": 0, "replace": 0, "delete": 0},
            {"create": 4, "update": 0, "delete": 0},
        ),
        (
            "mixed.json",
            {"create": 1, "update": 2, "replace": 2, "delete": 1},
            # GitLab flattens the action lists: each replace is one create and one delete.
            {"create": 3, "update": 2, "delete": 3},
        ),
        (
            "destroy-stateful.json",
            {"create": 0, "update": 1, "replace": 3, "delete": 5},
            {"create": 3, "update": 1, "delete": 8},
        ),
    ],
)
def test_counts_and_widget(fixture, counts, widget):
    result = report.analyse(load(fixture), "staging")
    assert result.counts == counts
    assert result.widget == widget


def test_widget_json_shape_matches_gitlab(tmp_path):
    shutil.copy(PLANS / "mixed.json", tmp_path / "plan.json")
    report.publish(PlanFiles(tmp_path), "qa")
    data = json.loads((tmp_path / "gitlab-report.json").read_text())
    assert data == {"create": 3, "update": 2, "delete": 3}
    assert all(isinstance(value, int) for value in data.values())


def test_counts_by_resource_type():
    by_type = report.analyse(load("mixed.json"), "qa").by_type
    assert by_type["aws_lb_target_group"] == {"create": 1, "update": 0, "replace": 1, "delete": 0}
    assert by_type["aws_ecs_service"]["update"] == 2
    assert "aws_kms_key" not in by_type  # no-op
    assert "aws_route" not in by_type  # forget: removed from state, not destroyed


def test_summary_without_stateful_destroys_is_calm():
    text = report.markdown(report.analyse(load("mixed.json"), "qa"))
    assert "**1 to create, 2 to update, 2 to replace, 1 to delete.**" in text
    assert "DANGER" not in text
    assert "| `aws_lb_target_group` | 1 |  | 1 |  |" in text
    assert '`module.ecs.aws_lb_listener_rule.service["service3"]`: delete' in text


def test_summary_shouts_about_every_stateful_destroy():
    result = report.analyse(load("destroy-stateful.json"), "prod")
    text = report.markdown(result, context="offline preview")
    assert "## 🚨 DANGER: resources holding data will be DELETED or REPLACED" in text
    expected = {
        "module.rds.aws_db_instance.main": ("RDS", "REPLACE", "`db_subnet_group_name`"),
        "module.elasticache.aws_elasticache_replication_group.main": (
            "ElastiCache (Redis)",
            "DELETE",
            "",
        ),
        "module.opensearch.aws_opensearch_domain.main": (
            "OpenSearch",
            "REPLACE",
            "`cluster_config[0].instance_type`, `domain_name`",
        ),
        "module.ecs.aws_s3_bucket.alb_logs": ("S3 bucket", "REPLACE", "`bucket`"),
        "aws_kms_key.main": ("KMS key", "DELETE", ""),
        'module.ecs.aws_cloudwatch_log_group.service["service1"]': (
            "CloudWatch log group",
            "DELETE",
            "",
        ),
        "module.rds.aws_secretsmanager_secret.master": ("Secrets Manager secret", "DELETE", ""),
    }
    for address, (kind, action, forced) in expected.items():
        assert f"| `{address}` | {kind} | **{action}** | {forced} |" in text
    assert [c.address for c in result.stateful_destroys] == list(expected)
    # The ECS service is deleted too, but holds no data: listed, not in the danger table.
    assert '`module.ecs.aws_ecs_service.service["service1"]`: delete' in text


def test_guard_refuses_stateful_destroys_in_one_line():
    result = report.analyse(load("destroy-stateful.json"), "prod")
    with pytest.raises(StageFailed) as raised:
        report.guard(result, allow_destroy=False)
    message = str(raised.value)
    assert message.startswith("the prod plan deletes or replaces 7 resource(s) holding data: ")
    assert "module.rds.aws_db_instance.main (replace)" in message
    assert message.endswith("set ALLOW_DESTROY=TRUE to allow it")
    assert "\n" not in message


def test_guard_lets_allow_destroy_through_loudly():
    said: list[str] = []
    report.guard(report.analyse(load("destroy-stateful.json"), "prod"), True, said.append)
    assert said and said[0].startswith("WARNING: ALLOW_DESTROY=TRUE lets this plan delete")


@pytest.mark.parametrize("fixture", ["create.json", "mixed.json"])
def test_guard_passes_plans_without_stateful_destroys(fixture):
    report.guard(report.analyse(load(fixture), "qa"), allow_destroy=False)


@pytest.mark.parametrize("stateful_type", sorted(report.STATEFUL_TYPES))
def test_guard_catches_a_replace_of_each_stateful_type(stateful_type):
    plan = {
        "resource_changes": [
            {
                "address": f"{stateful_type}.this",
                "mode": "managed",
                "type": stateful_type,
                "name": "this",
                "change": {"actions": ["delete", "create"], "before": {}, "after": {}},
            }
        ]
    }
    with pytest.raises(StageFailed, match=f"{stateful_type}.this \\(replace\\)"):
        report.guard(report.analyse(plan, "prod"), allow_destroy=False)


# --- the plan stage writes the reports (tiny offline project) --------------------------------


@pytest.fixture
def tiny(tmp_path, offline_cache) -> Project:
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny-project", root)
    return Project(root)


def test_plan_stage_writes_reports_and_meta(tiny):
    environ = {"CI_COMMIT_SHA": "a" * 40, "CI_PIPELINE_ID": "42"}
    files = run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, environ=environ)
    # An offline preview's counts are an empty account's: no MR widget (issue 14, item 3).
    assert not files.gitlab_report.exists()
    summary = files.summary.read_text()
    assert "**1 to create, 0 to update, 0 to replace, 0 to delete.**" in summary
    assert "**OFFLINE PREVIEW**" in summary and "no MR widget" in summary
    meta = PlanMeta.read(files.meta)
    assert (meta.environment, meta.commit, meta.pipeline_id) == ("staging", "a" * 40, "42")
    assert meta.offline and meta.commit_source == "CI_COMMIT_SHA"
    assert meta.plan_sha256 == sha256_of(files.binary)
    assert files.directory == Path(tiny.root, "build", "staging")


def test_destroy_guard_in_the_plan_stage_keeps_reports_drops_the_plan(tiny, monkeypatch):
    monkeypatch.setitem(report.STATEFUL_TYPES, "terraform_data", "test data store")
    monkeypatch.setattr(report, "classify", lambda actions: "replace")
    (tiny.build_dir("staging")).mkdir(parents=True)
    (tiny.build_dir("staging") / "cost.json").write_text("{}")  # stale analysis goes too
    with pytest.raises(StageFailed, match="set ALLOW_DESTROY=TRUE"):
        run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, environ={})
    build = tiny.build_dir("staging")
    assert not (build / "plan.bin").exists(), "a refused plan must not be appliable"
    assert not (build / "plan-meta.json").exists()
    assert not (build / "cost.json").exists()
    assert "DANGER" in (build / "summary.md").read_text()
    # ALLOW_DESTROY=TRUE (any case) lets the same plan through.
    files = run_plan(
        tiny, "staging", OFFLINE, echo=lambda _: None, environ={"ALLOW_DESTROY": "true"}
    )
    assert files.binary.is_file()


def test_app_name_must_match_project_name(tiny):
    message = "APP_NAME is 'shop' but the plan's project_name is 'carcierge'"
    with pytest.raises(UserError, match=message):
        run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, app_name="shop", environ={})
    assert not (tiny.build_dir("staging") / "plan.bin").exists()
