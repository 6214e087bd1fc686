"""The runbooks (docs/runbooks/*.md) hold exact commands, so every command in their fenced
``bash`` blocks is checked against what it names:

- ``carcierge …``: parsed by the real CLI parser (no unknown subcommand or flag), environments
  checked;
- ``make …``: the targets exist in the Makefile;
- ``terraform …``: known subcommands; ``state rm|show`` and ``import`` addresses exist in the
  prod plan, ``output`` names in outputs.tf, ``init`` passes exactly the backend settings of
  carcierge_pipeline/backend.py, ``-var-file`` files exist;
- ``aws <service> <command>``: a real operation (or waiter) of botocore's service model, and
  every ``--flag`` a member of its input or a global option of the AWS CLI;
- ``$(…)`` substitutions are checked as commands of their own; ``--cli-input-json
  "$(terraform output -raw <output>)"`` names an output whose JSON keys are members of the
  operation's input, and the ``carcierge`` command of an ``aws ecs run-task --overrides`` is parsed
  like any other;
- no ``eval``: a runbook never runs text that a state output or a lock holder wrote as shell
  syntax (review 2026-12-07 L7).

Plus: the README links the runbooks, every page is listed in the index, and the alarm page covers
every alarm the monitoring module creates.

Every fenced ``hcl`` block is an example change of an environment file, opening with a comment
that names the file (``# environments/prod.tfvars``, or ``environments/<env>.tfvars`` for all
four; ``# terraform.tfvars`` for the shared file, whose change every environment plans): the
examples are applied to a copy of the project, each environment is planned offline, and the plan
must show the change and hold the project's policy (``carcierge_pipeline.policy``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import hcl2
import pytest
from botocore import xform_name
from support import OFFLINE, edit_environment, with_setting

from carcierge_pipeline import cli, environments, policy
from carcierge_pipeline.backend import backend_settings
from carcierge_pipeline.hcl import declarations, load_tfvars, plain, text
from carcierge_pipeline.project import Project

RUNBOOKS = Project.find(Path(__file__).parent).root / "docs" / "runbooks"
# Tools the runbooks use that name nothing this project owns.
PLAIN_TOOLS = {"git", "jq", "export"}
TERRAFORM_SUBCOMMANDS = {"init", "output", "state", "import", "plan", "apply", "show"}
TERRAFORM_SUBCOMMANDS |= {"force-unlock"}
# AWS CLI commands that are not API operations (CLI customizations).
AWS_CUSTOMIZATIONS = {("logs", "tail"), ("ecr", "get-login-password"), ("s3", "sync")}
# The CLI's own service names where botocore's differ.
AWS_SERVICE_NAMES = {"s3api": "s3"}
AWS_GLOBAL_OPTIONS = {
    "query", "output", "region", "profile", "endpoint-url", "no-cli-pager", "debug",
    "max-items", "page-size", "starting-token", "no-paginate", "cli-input-json",
}  # fmt: skip


def _fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, lines) of every fenced block, list-indented or not."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    language = ""
    for line in text.splitlines():
        fence = line.strip()
        if current is None and fence.startswith("```"):
            language, current = fence[3:].strip(), []
        elif current is not None and fence == "```":
            blocks.append((language, current))
            current = None
        elif current is not None:
            current.append(line.strip())
    assert current is None, "an unclosed code fence"
    return blocks


def _commands(lines: list[str]) -> list[str]:
    """Shell command lines, backslash continuations joined, comments and blanks dropped."""
    joined, out = "", []
    for line in lines:
        if line.endswith("\\"):
            joined += line[:-1] + " "
            continue
        joined += line
        if joined.strip() and not joined.strip().startswith("#"):
            out.append(joined.strip())
        joined = ""
    return out


def _substitutions(text: str) -> tuple[str, list[str]]:
    """``text`` with each top-level ``$(…)`` replaced by SUBSTn, and the inner commands."""
    inner: list[str] = []
    out, index, quote = [], 0, None
    while index < len(text):
        char = text[index]
        if quote == "'" and char != "'":
            out.append(char)
        elif char == "'" and quote in (None, "'"):
            quote = None if quote == "'" else "'"
            out.append(char)
        elif text.startswith("$(", index):
            depth, start, index = 1, index + 2, index + 2
            in_single = False
            while depth:
                assert index < len(text), f"unbalanced $( in {text!r}"
                if text[index] == "'":
                    in_single = not in_single
                elif not in_single and text[index] == "(":
                    depth += 1
                elif not in_single and text[index] == ")":
                    depth -= 1
                index += 1
            inner.append(text[start : index - 1])
            out.append(f"SUBST{len(inner) - 1}")
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out), inner


class Checker:
    def __init__(self, project: Project, prod_plan: dict) -> None:
        self.root = project.root
        self.addresses = {rc["address"] for rc in prod_plan["resource_changes"]}
        self.outputs = set(
            re.findall(r'^output "([^"]+)"', (self.root / "outputs.tf").read_text(), re.M)
        )
        self.make_targets = set(
            re.findall(r"^([A-Za-z0-9_.-]+):", (self.root / "Makefile").read_text(), re.M)
        )
        self.parser = cli.build_parser()
        self.aws = botocore.session.get_session()
        self.aws_services = set(self.aws.get_available_services())

    # -- one command line ------------------------------------------------------------------

    def check(self, line: str) -> None:
        text, inner = _substitutions(line)
        for command in inner:
            self.check(command.split(" | ")[0])  # only the first command of a pipeline
        words = shlex.split(text, comments=True)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]  # NAME=value prefixes (and plain assignments)
        if not words:
            return
        for operator in ("|", "&&", ";", "||"):
            assert operator not in words, f"one command per line: {line!r}"
        tool = words[0].rsplit("/", 1)[-1]
        assert tool != "eval", f"no eval in a runbook (run the command itself): {line!r}"
        if tool == "carcierge":
            self._carcierge(words[1:], line)
        elif tool == "make":
            self._make(words[1:], line)
        elif tool == "terraform":
            self._terraform(words[1:], line)
        elif tool == "aws":
            self._aws(words[1:], line, inner=inner)
        else:
            assert tool in PLAIN_TOOLS, f"unknown command {tool!r} in {line!r}"

    def _carcierge(self, args: list[str], line: str) -> None:
        try:
            parsed = self.parser.parse_args(args)
        except SystemExit as error:
            pytest.fail(f"carcierge rejects {line!r} (exit {error.code})")
        environment = getattr(parsed, "environment", None)
        assert environment in (None, *environments.ENVIRONMENTS), line

    def _make(self, args: list[str], line: str) -> None:
        targets = [arg for arg in args if "=" not in arg and not arg.startswith("-")]
        assert targets, line
        for target in targets:
            assert target in self.make_targets, f"no make target {target!r}: {line!r}"

    def _terraform(self, args: list[str], line: str) -> None:
        subcommand, rest = args[0], args[1:]
        assert subcommand in TERRAFORM_SUBCOMMANDS, f"terraform {subcommand}? {line!r}"
        positional = [arg for arg in rest if not arg.startswith("-")]
        for arg in rest:
            if arg.startswith("-var-file="):
                assert (self.root / arg.split("=", 1)[1]).is_file(), line
        if subcommand == "output":
            assert len(positional) == 1 and positional[0] in self.outputs, line
        elif subcommand == "state":
            action, addresses = positional[0], positional[1:]
            assert action in ("rm", "show", "list"), line
            for address in addresses:
                assert address in self.addresses, f"{address} is in no prod plan: {line!r}"
        elif subcommand == "import":
            assert positional[0] in self.addresses, f"{positional[0]} is in no plan: {line!r}"
            assert len(positional) == 2, line
        elif subcommand == "init":
            configured = {
                arg.split("=", 2)[1] for arg in rest if arg.startswith("-backend-config=")
            }
            wanted = set(backend_settings("prod", {"TF_STATE_BUCKET": "bucket"}))
            assert configured == wanted, f"backend settings {sorted(configured ^ wanted)}: {line!r}"

    def _aws(self, args: list[str], line: str, *, inner: list[str] | None = None) -> None:
        service, command = args[0], args[1]
        if (service, command) in AWS_CUSTOMIZATIONS:
            return
        name = AWS_SERVICE_NAMES.get(service, service)
        assert name in self.aws_services, f"no AWS service {service!r}: {line!r}"
        model = self.aws.get_service_model(name)
        rest = args[2:]
        if command == "wait":
            waiters = self.aws.get_waiter_model(name)
            by_cli_name = {xform_name(waiter, "-"): waiter for waiter in waiters.waiter_names}
            assert rest and rest[0] in by_cli_name, f"no waiter {rest[:1]}: {line!r}"
            operation = waiters.get_waiter(by_cli_name[rest[0]]).operation
            rest = rest[1:]
        else:
            by_cli_name = {xform_name(op, "-"): op for op in model.operation_names}
            assert command in by_cli_name, f"no operation aws {service} {command}: {line!r}"
            operation = by_cli_name[command]
        members = {
            xform_name(member, "-")
            for member in model.operation_model(operation).input_shape.members
        }
        allowed = members | {f"no-{member}" for member in members} | AWS_GLOBAL_OPTIONS
        for arg in rest:
            if arg.startswith("--"):
                flag = arg[2:].split("=", 1)[0]
                assert flag in allowed, f"aws {service} {command} has no --{flag}: {line!r}"
        if "--cli-input-json" in rest:
            value = rest[rest.index("--cli-input-json") + 1]
            source = re.fullmatch(r"SUBST(\d+)", value)
            assert source, f"--cli-input-json of what? {line!r}"
            given = (inner or [])[int(source.group(1))]
            output = re.fullmatch(r"terraform output -raw (\w+)", given)
            assert output and output.group(1) in self.outputs, f"no such output: {line!r}"
            block = (self.root / "outputs.tf").read_text().split(f'output "{output.group(1)}"')[1]
            block = block.split("\noutput ", 1)[0]
            assert "jsonencode({" in block, f"{output.group(1)} is not a JSON object: {line!r}"
            body = block.split("jsonencode({", 1)[1].split("\n  })", 1)[0]
            keys = set(re.findall(r"^    (\w+)\s+=", body, re.M))
            input_members = set(model.operation_model(operation).input_shape.members)
            assert keys and keys <= input_members, f"{sorted(keys - input_members)}: {line!r}"
        if (service, command) == ("ecs", "run-task") and "--overrides" in rest:
            overrides = rest[rest.index("--overrides") + 1]
            ops = re.fullmatch(
                r"containerOverrides=\[\{name=ops,command=\[([^\]]+)\]\}\]", overrides
            )
            assert ops, f"overrides of the ops container: {line!r}"
            args = ops.group(1).split(",")
            assert args[0] == "carcierge", line
            self._carcierge(args[1:], line)


@pytest.fixture(scope="module")
def checker(project, environment_plans) -> Checker:
    return Checker(project, environment_plans("prod"))


def _pages() -> list[Path]:
    return sorted(RUNBOOKS.glob("*.md"))


def test_there_are_runbooks_and_the_readme_links_them(project):
    pages = {page.name for page in _pages()}
    assert {
        "change-image.md", "change-environment-value.md", "scale.md", "add-service.md",
        "post-apply.md", "rotate-redis-token.md", "alarms.md", "unlock-state.md",
        "restore-rds.md", "teardown-qa.md",
    } <= pages  # fmt: skip
    index = (RUNBOOKS / "README.md").read_text()
    for page in pages - {"README.md"}:
        assert f"]({page})" in index, f"docs/runbooks/README.md does not list {page}"
    readme = (project.root / "README.md").read_text()
    assert "](docs/runbooks/README.md)" in readme


@pytest.mark.parametrize("page", [page.name for page in _pages()])
def test_every_command_names_real_things(checker, page):
    text = (RUNBOOKS / page).read_text()
    checked = 0
    for language, lines in _fenced_blocks(text):
        assert language in ("bash", "hcl"), f"{page}: a {language or 'bare'} block is not checked"
        if language != "bash":
            continue
        for line in _commands(lines):
            checker.check(line)
            checked += 1
    assert checked, f"{page} has no command"


def test_the_checker_catches_mistakes(checker):
    """The checks can fail: each of these is one typo in an otherwise real command."""
    for wrong in (
        ".venv/bin/carcierge state unlock -e prod",
        ".venv/bin/carcierge db roles --enviroment prod",
        ".venv/bin/carcierge db roles -e production",
        "make deploy ENV=prod",
        "terraform state rm module.rds.aws_db_instance.main",
        "terraform output -raw rds_endpoint",
        "terraform init -backend-config=bucket=x -backend-config=key=y",
        "aws ecs update-services --cluster c --service s",
        "aws ecs update-service --cluster c --service s --force-redeploy",
        "aws rds wait instance-available --db-instance-identifier x",
        "terrafrom output -raw kms_key_arn",
        "TASK=$(terraform output -raw ops_task_arn)",
        'aws ecs run-task --cli-input-json "$(terraform output -raw ops_run_task_input)" '
        "--overrides 'containerOverrides=[{name=ops,command=[carcierge,opensearch,init,-e,prod]}]'",
        'aws ecs run-task --cli-input-json "$(terraform output -raw ops_task)" --overrides '
        "'containerOverrides=[{name=ops,command=[carcierge,db,roles,-e,prod]}]'",
        'eval "$(terraform output -raw ops_run_task)"',
    ):
        try:
            checker.check(wrong)
        except (AssertionError, pytest.fail.Exception):
            continue
        pytest.fail(f"the checker let through {wrong!r}")


def test_the_alarm_page_covers_every_alarm(environment_plans):
    """Every alarm of the prod plan, with service keys and Redis member numbers generalised,
    has its section in alarms.md."""
    plan = environment_plans("prod")
    services = sorted(plan["variables"]["services"]["value"], key=len, reverse=True)
    text = (RUNBOOKS / "alarms.md").read_text()
    names = {
        rc["change"]["after"]["alarm_name"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_cloudwatch_metric_alarm"
    }
    assert names
    for name in names:
        alarm = name.removeprefix("prod-carcierge-")
        for service in services:
            alarm = re.sub(rf"^(ecs|alb)-{re.escape(service)}-", r"\1-<service>-", alarm)
        alarm = re.sub(r"^redis-node\d{3}-", "redis-node<n>-", alarm)
        assert f"`{alarm}`" in text, f"alarms.md has no section for {alarm} ({name})"


# --- the example changes: applied to a copy of the project, planned, held to the policy -------

EXAMPLE_FILE = re.compile(r"^#\s*(?:environments/(<env>|[a-z]+)|(terraform))\.tfvars\b")
# An example of entries of a map variable: "# <file>, inside services = { … }".
INSIDE = re.compile(r"\binside (\w+) = \{")
SHARED_FILE = "terraform.tfvars"


@dataclass
class Example:
    page: str
    environments: tuple[str, ...]
    shared: bool = False  # an example of terraform.tfvars, planned in every environment
    settings: dict[str, Any] = field(default_factory=dict)  # root variables (objects merged)
    # Entries merged into or added to a map variable (services, service_catalog), by variable.
    entries: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def _examples(root: Path) -> list[Example]:
    variables = {name for name, _ in declarations(root)["variable"]}
    found = []
    for page in _pages():
        for language, lines in _fenced_blocks((RUNBOOKS / page).read_text()):
            if language != "hcl":
                continue
            named = EXAMPLE_FILE.match(lines[0])
            assert named, f"{page}: an hcl example opens with the file it goes in: {lines[0]!r}"
            where, inside = named.group(1), INSIDE.search(lines[0])
            example = Example(
                page.name,
                environments.ENVIRONMENTS if where in ("<env>", None) else (where,),
                shared=where is None,
            )
            for key, value in hcl2.loads("\n".join(lines)).items():
                if key.startswith("__"):
                    continue
                if text(key) in variables and not inside:
                    example.settings[text(key)] = plain(value)
                else:  # an entry of a map (the runbook says "inside services = { … }")
                    assert inside and inside[1] in variables, f"{page}: {key} is not a variable"
                    example.entries.setdefault(inside[1], {})[text(key)] = plain(value)
            found.append(example)
    return found


def _merged(current: Any, change: Any) -> Any:
    """A partial object (`# …` in the runbook: the other attributes stay) over the current."""
    if isinstance(current, dict) and isinstance(change, dict):
        return current | change
    return change


def _with_entries(now: dict[str, Any], new: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return now | {key: _merged(now.get(key, {}), entry) for key, entry in new.items()}


def _apply(root: Path, environment: str, examples: list[Example]) -> None:
    for example in examples:
        if environment not in example.environments:
            continue
        if example.shared:
            path = root / SHARED_FILE
            for name, entries in example.entries.items():
                now = load_tfvars(path).get(name) or {}
                path.write_text(with_setting(path.read_text(), name, _with_entries(now, entries)))
            continue
        for name, value in example.settings.items():
            edit_environment(root, environment, name, lambda now, v=value: _merged(now, v))
        for name, entries in example.entries.items():
            edit_environment(
                root, environment, name, lambda now, new=entries: _with_entries(now, new)
            )


def _contains(planned: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(planned, dict) and all(
            _contains(planned.get(k), v) for k, v in wanted.items()
        )
    return bool(planned == wanted)


EXAMPLES = _examples(RUNBOOKS.parents[1])
EXAMPLE_ENVIRONMENTS = sorted(
    {e for example in EXAMPLES if len(example.environments) == 1 for e in example.environments},
    key=environments.ENVIRONMENTS.index,
)


def test_the_runbooks_have_their_examples():
    """add a service, change an image, scale, change retention, turn log delivery off in qa."""
    pages = {example.page for example in EXAMPLES}
    assert {"add-service.md", "change-image.md", "scale.md", "change-environment-value.md"} <= pages
    settings = {name for example in EXAMPLES for name in example.settings}
    assert {"log_retention_days", "enable_log_delivery"} <= settings
    # A new service: its catalog entry (shared) and its line in every environment.
    added = {(e.page, name, e.shared) for e in EXAMPLES for name in e.entries}
    assert {
        ("add-service.md", "service_catalog", True),
        ("add-service.md", "services", False),
    } <= added


@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize("environment", EXAMPLE_ENVIRONMENTS)
def test_runbook_examples_plan_and_keep_the_policy(project_copy, terraform_results, environment):
    """Every example for ``environment`` applied to a copy of the project at once: the plan
    passes the plan stage's checks, shows each change, and holds the policy. (The plan is kept
    between runs while the edited copy, the package and the engine are unchanged.)"""
    from carcierge_pipeline.stages.plan import run_plan

    def plan_examples() -> dict[str, Any]:
        run_plan(project_copy, environment, OFFLINE, echo=lambda _: None)
        return json.loads((project_copy.build_dir(environment) / "plan.json").read_text())

    _apply(project_copy.root, environment, EXAMPLES)
    plan = terraform_results(f"runbook examples in {environment}", project_copy, plan_examples)
    planned = {name: variable.get("value") for name, variable in plan["variables"].items()}
    services = {
        rc["index"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_ecs_service" and rc["name"] == "service"
    }
    for example in EXAMPLES:
        if environment not in example.environments:
            continue
        for name, value in example.settings.items():
            assert _contains(planned[name], value), (example.page, name, planned[name])
        for name, entries in example.entries.items():
            for key, entry in entries.items():
                assert _contains(planned[name].get(key), entry), (example.page, key)
                assert key in services, f"{example.page}: no ECS service {key} in the plan"
    assert policy.violations(plan, environment) == []
