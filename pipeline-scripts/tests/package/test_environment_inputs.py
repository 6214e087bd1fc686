"""A plan is built only from the environment's own, well-formed inputs.

Each mistake below is refused by the plan stage before Terraform runs, in every environment,
offline and in real mode: exit 1, one line naming the file (and line or key), and none of the
plan's files left behind, not even those of an earlier good plan. The guard behind it, that the
stage decides on Terraform's diagnostics and never on its exit code alone, is tested with the
pinned engine itself and with a stand-in that fails either way.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, OFFLINE, copy_project, executable

from carcierge_pipeline import cli
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.stages import plan
from carcierge_pipeline.stages.plan import run_plan
from carcierge_pipeline.terraform import Mode, Terraform
from carcierge_pipeline.workdir import PlanFiles

REAL = Mode(offline=False, reason="test: real mode with a stand-in terraform")
PUBLISHED: tuple[str, ...] = ("plan.bin", "plan.json", "plan.txt", "plan-meta.json", "summary.md")
PUBLISHED += ("gitlab-report.json",)


def _replace(text: str, pattern: str, replacement: str) -> str:
    edited, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
    assert count == 1, f"the seeded mistake did not apply: {pattern!r}"
    return edited


def _in_first_service(text: str, setting: str) -> str:
    """``setting`` added to the first entry of ``services`` (one line or several), on a line of
    its own marked ``# seeded``."""
    head, services = text.split("\nservices = {\n", 1)
    entry = re.match(r"^(\s+)([\w-]+) = \{ (.*) \}$|^(\s+)([\w-]+) = \{$", services, re.M)
    assert entry, "no service entry to seed"
    if entry[1]:  # one line: written out over several
        indent = entry[1]
        opened = f"{indent}{entry[2]} = {{\n{indent}  {entry[3]}"
        seeded = f"{opened}\n{indent}  {setting} # seeded\n{indent}}}"
    else:
        seeded = f"{entry[0]}\n{entry[4]}  {setting} # seeded"
    return f"{head}\nservices = {{\n{services.replace(entry[0], seeded, 1)}"


def _other(environment: str) -> str:
    return next(other for other in ENVIRONMENTS if other != environment)


# (id, edit of environments/<env>.tfvars, expected message with {env} and {line})
MISTAKES = [
    (
        "syntax-error",
        lambda text, env: _replace(text, r"^az_count\s*=\s*2", "az_count = = 2"),
        r"environments/{env}\.tfvars:{line}:12: syntax error: found '= 2' where HCL expects "
        r"a value",
    ),
    (
        "undeclared-key",
        lambda text, env: _replace(text, r"^log_retention_days(\s*=)", r"log_retension_days\1"),
        r"environments/{env}\.tfvars:{line}:1: log_retension_days is not a variable of this "
        r"configuration \(did you mean log_retention_days\?\)",
    ),
    (
        "other-environment",
        lambda text, env: _replace(text, r"^environment\s*=.*$", f'environment = "{_other(env)}"'),
        r"environments/{env}\.tfvars:{line}:1: environment = '{other}' in the file of {env}; "
        r"it must be '{env}'",
    ),
    (
        "missing-key",
        lambda text, env: _replace(text, r"^nat_gateway_mode\s*=.*\n", ""),
        r"environments/{env}\.tfvars: does not set nat_gateway_mode; each environment sets its "
        r"own",
    ),
    # Below the top level: Terraform drops an attribute its object type does not declare, so
    # each of these planned green before (issue 23); the type is read from variables.tf.
    (
        "misspelt-service-attribute",
        lambda text, env: _in_first_service(text, "max_capacty = 8"),
        r"environments/{env}\.tfvars:{line}:{column}: services\.{service}\.max_capacty is not an "
        r"attribute of services\.{service} \(did you mean max_capacity\?\)",
    ),
    (
        "misspelt-service-default",
        lambda text, env: _replace(text, r"^(\s+)max_capacity(\s*=).*$", r"\1max_capacty\2 8"),
        r"environments/{env}\.tfvars:{line}:{column}: service_defaults\.max_capacty is not an "
        r"attribute of service_defaults \(did you mean max_capacity\?\)",
    ),
    (
        "misspelt-rds-multi-az",
        lambda text, env: (
            _replace(text, r"^(\s+)multi_az(\s*=)", r"\1mutli_az\2")
            if re.search(r"^\s+multi_az\s*=", text, re.M)
            else _replace(text, r"^(rds_config\s*=\s*\{)$", "\\1\n  mutli_az = true")
        ),
        r"environments/{env}\.tfvars:{line}:{column}: rds_config\.mutli_az is not an attribute of "
        r"rds_config \(did you mean multi_az\?\)",
    ),
    (
        "string-for-a-number",
        lambda text, env: _replace(text, r"^az_count\s*=.*$", 'az_count = "two"'),
        r'environments/{env}\.tfvars:{line}:1: az_count must be a number, not the string "two"',
    ),
    (
        "object-in-a-list-of-strings",
        lambda text, env: _replace(
            text, r"^alb_ingress_cidrs\s*=.*$", 'alb_ingress_cidrs = [{ cidr = "0.0.0.0/0" }]'
        ),
        r"environments/{env}\.tfvars:{line}:22: alb_ingress_cidrs\[0\] must be a string, not an "
        r"object",
    ),
    (
        "list-for-a-map-in-a-service",
        lambda text, env: _in_first_service(text, 'environment = ["DEBUG=1"]'),
        r"environments/{env}\.tfvars:{line}:{column}: services\.{service}\.environment must be a "
        r"map, not a list",
    ),
]


def _seeded(root: Path, environment: str, edit) -> tuple[str, str]:
    """Seed the mistake; return the line it is on (the mistake's marker) and the column where
    that line's text starts, for the message."""
    path = root / "environments" / f"{environment}.tfvars"
    original = path.read_text()
    edited = edit(original, environment)
    path.write_text(edited)
    changed = next(
        (n for n, text in enumerate(edited.splitlines(), 1) if text.endswith("# seeded")),
        next(
            (
                n
                for n, (a, b) in enumerate(
                    zip(original.splitlines(), edited.splitlines(), strict=False), 1
                )
                if a != b
            ),
            None,
        ),
    )
    assert changed is not None
    text = edited.splitlines()[changed - 1]
    return str(changed), str(len(text) - len(text.lstrip()) + 1)


def _first_service(root: Path, environment: str, line: str) -> str:
    """The service whose block holds ``line`` of the environment file (its key precedes it)."""
    lines = (root / "environments" / f"{environment}.tfvars").read_text().splitlines()
    keys = [re.match(r"^\s+([\w-]+)\s*=\s*\{", text) for text in lines[: int(line) - 1]]
    return next((match.group(1) for match in reversed(keys) if match), "")


def _stale_plan(project: Project, environment: str) -> PlanFiles:
    """Files of an earlier plan: a refused plan must remove them, as they could be applied."""
    files = PlanFiles(project.build_dir(environment))
    files.directory.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED:
        (files.directory / name).write_text("from an earlier plan")
    return files


def _left(files: PlanFiles) -> list[str]:
    """What a refused plan left behind, but for Terraform's output log (kept to read why)."""
    return sorted(p.name for p in files.directory.iterdir() if p != files.output_log)


@pytest.fixture
def stand_in_terraform(tmp_path, monkeypatch) -> Path:
    """Real mode with a stand-in ``terraform`` first on PATH; returns its log of commands."""
    log = tmp_path / "terraform.log"
    bin_dir = tmp_path / "bin"
    executable(
        bin_dir / "terraform", f"#!{sys.executable}\n" + STAND_IN.replace("LOG", repr(str(log)))
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("TF_STATE_BUCKET", "carcierge-state-test")
    return log


# A stand-in for real mode: `plan -json` prints what STANDIN_PLAN_OUTPUT holds (a finished plan
# by default) and exits STANDIN_PLAN_EXIT; `show -json` reports STANDIN_PLANNED_ENVIRONMENT.
STAND_IN = """
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print(json.dumps({"terraform_version": "1.16.4"}))
    sys.exit(0)
with open(LOG, "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:1] == ["plan"]:
    out = next(a.split("=", 1)[1] for a in args if a.startswith("-out="))
    open(out, "w").write("plan")
    finished = json.dumps({"type": "change_summary", "@message": "Plan: 1 to add."})
    print(os.environ.get("STANDIN_PLAN_OUTPUT", finished))
    sys.exit(int(os.environ.get("STANDIN_PLAN_EXIT", "0")))
if args[:2] == ["show", "-json"]:
    environment = os.environ["STANDIN_PLANNED_ENVIRONMENT"]
    print(json.dumps({
        "format_version": "1.2", "terraform_version": "1.15.5",
        "variables": {"environment": {"value": environment},
                      "project_name": {"value": "carcierge"}},
        "resource_changes": [],
    }))
"""


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize(("case", "edit", "message"), MISTAKES, ids=[m[0] for m in MISTAKES])
@pytest.mark.parametrize("real", [False, True], ids=["offline", "real"])
def test_mistakes_in_an_environment_file_are_refused_before_terraform(
    project, tmp_path, monkeypatch, capsys, request, environment, case, edit, message, real
):
    copy = copy_project(project, tmp_path / "project", tests=False)
    line, column = _seeded(copy.root, environment, edit)
    files = _stale_plan(copy, environment)
    monkeypatch.setenv("CARCIERGE_ROOT", str(copy.root))
    if real:
        log = request.getfixturevalue("stand_in_terraform")
        monkeypatch.setenv("OFFLINE", "0")
    else:
        monkeypatch.setenv("OFFLINE", "1")

    assert cli.main(["plan", "--environment", environment]) == StageFailed.exit_code
    stderr = capsys.readouterr().err
    expected = message.format(
        env=environment,
        line=line,
        column=column,
        other=_other(environment),
        service=_first_service(copy.root, environment, line),
    )
    assert re.fullmatch(rf"failed: {expected}.*\n", stderr), stderr
    assert stderr.count("\n") == 1, "one line"
    assert sorted(p.name for p in files.directory.iterdir()) == [], "nothing left to apply"
    if real:
        assert not log.exists(), "Terraform must not run on a refused environment file"


def test_the_shared_file_never_supplies_an_environment_value(project_copy):
    shared = project_copy.root / "terraform.tfvars"
    line = len(shared.read_text().splitlines()) + 1
    shared.write_text(shared.read_text() + 'nat_gateway_mode = "single"\n')
    with pytest.raises(StageFailed) as refused:
        run_plan(project_copy, "prod", OFFLINE, echo=lambda _: None)
    assert str(refused.value).startswith(
        f"terraform.tfvars:{line}:1: nat_gateway_mode belongs to each environment: set it in "
        "environments/<env>.tfvars, not in terraform.tfvars"
    )


def test_a_shared_setting_is_not_repeated_per_environment(project_copy):
    env_file = project_copy.root / "environments" / "qa.tfvars"
    env_file.write_text(env_file.read_text() + 'project_name = "carcierge"\n')
    with pytest.raises(StageFailed, match="project_name is shared by every environment"):
        run_plan(project_copy, "qa", OFFLINE, echo=lambda _: None)


# --- the guard: Terraform's diagnostics decide, whatever its exit code -------------------------


@pytest.fixture
def tiny(tmp_path) -> Project:
    import shutil

    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny-project", root)
    return Project(root)


def test_the_pinned_engine_error_is_caught_whatever_its_exit_code(tiny, offline_cache, monkeypatch):
    """The pinned engine's plan prints a var-file error and carries on (hashicorp/terraform
    #38685): with the input check bypassed, the diagnostics alone must refuse the plan. When
    the pin moves to an engine that exits 1, the same assertion holds."""
    monkeypatch.setattr(plan, "check_environment_inputs", lambda root, env: {})
    env_file = tiny.root / "environments" / "staging.tfvars"
    env_file.write_text('environment = "staging"\nextra = = 1\n')
    files = _stale_plan(tiny, "staging")
    errors: list[str] = []
    monkeypatch.setattr(Terraform, "run_json", _capturing(Terraform.run_json, errors))
    with pytest.raises(StageFailed) as refused:
        run_plan(tiny, "staging", OFFLINE, echo=lambda _: None)
    assert str(refused.value).startswith(
        "terraform plan failed for staging: Terraform reported an error: Invalid expression "
        "(environments/staging.tfvars:2)"
    ), (refused.value, errors)
    assert any("on environments/staging.tfvars line 2:" in e for e in errors), errors
    assert _left(files) == []


def _capturing(run_json, sink: list[str]):
    def wrapper(self, args, *, echo=print, echo_error=None, **options):
        return run_json(self, args, echo=echo, echo_error=sink.append, **options)

    return wrapper


ERROR = json.dumps(
    {
        "type": "diagnostic",
        "@message": "Error: Invalid expression",
        "diagnostic": {
            "severity": "error",
            "summary": "Invalid expression",
            "range": {"filename": "environments/prod.tfvars", "start": {"line": 14}},
        },
    }
)


@pytest.mark.parametrize("exit_code", [0, 1], ids=["engine-exits-0", "engine-exits-1"])
def test_real_mode_plan_refused_on_an_error_diagnostic(
    project_copy, stand_in_terraform, monkeypatch, exit_code
):
    monkeypatch.setenv("STANDIN_PLAN_OUTPUT", ERROR)
    monkeypatch.setenv("STANDIN_PLAN_EXIT", str(exit_code))
    files = _stale_plan(project_copy, "prod")
    with pytest.raises(StageFailed, match=r"Invalid expression \(environments/prod.tfvars:14\)"):
        run_plan(project_copy, "prod", REAL, echo=lambda _: None)
    assert _left(files) == []
    assert "plan -json -input=false -var-file=environments/prod.tfvars" in (
        stand_in_terraform.read_text()
    )


def test_real_mode_plan_of_another_environment_is_refused(
    project_copy, stand_in_terraform, monkeypatch
):
    monkeypatch.setenv("STANDIN_PLANNED_ENVIRONMENT", "staging")
    files = _stale_plan(project_copy, "prod")
    with pytest.raises(StageFailed, match="the plan made for prod has environment = 'staging'"):
        run_plan(project_copy, "prod", REAL, echo=lambda _: None)
    assert _left(files) == []


def test_a_tfvars_read_is_parsed_once_and_each_reader_gets_its_own_values(tmp_path, monkeypatch):
    import hcl2  # the parser carcierge_pipeline.hcl calls

    from carcierge_pipeline import hcl

    parses: list[str] = []
    parse = hcl2.parses_to_tree

    def counted(text: str) -> Any:
        parses.append(text)
        return parse(text)

    monkeypatch.setattr(hcl2, "parses_to_tree", counted)
    monkeypatch.setenv("CARCIERGE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "x.tfvars"
    path.write_text("services = {\n  api = { desired_count = 2 }\n}\n")
    first = hcl.read_tfvars(path)
    first.values["services"]["api"]["desired_count"] = 9  # a caller editing what it read
    again = hcl.read_tfvars(path)
    assert again.values["services"]["api"]["desired_count"] == 2
    assert again.position(("services", "api", "desired_count")) == (2, 11)
    assert len(parses) == 1
    # Another process (here: an empty in-process cache) reads the parse kept on disk.
    hcl._read_tfvars_text.cache_clear()
    kept = hcl.read_tfvars(path)
    assert (kept.values, kept.positions) == (again.values, again.positions)
    assert len(parses) == 1
    path.write_text("services = {\n  api = { desired_count = 3 }\n}\n")  # new text: parsed again
    assert hcl.read_tfvars(path).values["services"]["api"]["desired_count"] == 3
    assert len(parses) == 2


def test_kept_parses_follow_the_parser_code_and_survive_an_unwritable_cache(tmp_path, monkeypatch):
    from carcierge_pipeline import parsecache

    runs: list[str] = []

    def parse(text: str) -> dict[str, int]:
        runs.append(text)
        return {"length": len(text)}

    owner = tmp_path / "parser.py"
    owner.write_text("# version 1\n")
    monkeypatch.setenv("CARCIERGE_CACHE_DIR", str(tmp_path / "cache"))
    assert parsecache.kept("demo", str(owner), "abc", parse) == {"length": 3}
    assert parsecache.kept("demo", str(owner), "abc", parse) == {"length": 3}
    assert runs == ["abc"]
    owner.write_text("# version 2\n")  # the parsing code changed: parsed again
    parsecache._code_digest.cache_clear()
    assert parsecache.kept("demo", str(owner), "abc", parse) == {"length": 3}
    assert runs == ["abc", "abc"]
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("CARCIERGE_CACHE_DIR", str(blocked))  # cannot hold a folder
    assert parsecache.kept("demo", str(owner), "abcd", parse) == {"length": 4}


def _seeded_refusal(
    project: Project, file: str, pattern: str, replacement: str, environment: str
) -> str:
    """``pattern``'s first match in the project's ``file`` replaced; the plan's refusal,
    prefixed with the match's line and the key of the block above it (``<line> <key>: …``)."""
    path = project.root / file
    text = path.read_text()
    found = re.search(pattern, text, re.M)
    assert found, f"nothing to seed: {pattern!r}"
    path.write_text(text.replace(found[0], replacement.format(*found.groups()), 1))
    line = text[: found.start()].count("\n") + 1
    key = ([*re.findall(r"^  ([\w-]+) = \{", text[: found.end()], re.M)] or [""])[-1]
    with pytest.raises(StageFailed) as refused:
        run_plan(project, environment, OFFLINE, echo=lambda _: None)
    return f"{line} {key}: {refused.value}"


# A mistake in one part of a merged service: (file, seeded pattern, its replacement, the
# environment planned, the refusal with the seeded {line} and the {key} of the block above it).
MERGED_SERVICE_MISTAKES = [
    (  # an attribute modules/ecs requires that no part sets: named at the entry
        "environments/qa.tfvars",
        r"^  ([\w-]+) = \{ container_image = .* \}$",
        "  {} = {{}}",
        "qa",
        "environments/qa.tfvars:{line}:3: services.{key} has no container_image: set it there, "
        "or in service_catalog or service_defaults",
    ),
    (  # a mistake in the shared catalog: named at its line in the shared file
        "terraform.tfvars",
        r"^    container_port = \d+$",
        '    container_port = "http"',
        "uat",
        "terraform.tfvars:{line}:5: service_catalog.{key}.container_port must be a number, not the "
        'string "http"',
    ),
]


@pytest.mark.parametrize(
    ("file", "pattern", "replacement", "environment", "message"),
    MERGED_SERVICE_MISTAKES,
    ids=["incomplete-entry", "catalog-mistype"],
)
def test_a_merged_services_mistake_is_refused_where_it_is_written(
    project_copy, file, pattern, replacement, environment, message
):
    refusal = _seeded_refusal(project_copy, file, pattern, replacement, environment)
    line, key = refusal.split(":")[0].split()
    assert refusal == f"{line} {key}: " + message.format(line=line, key=key)
