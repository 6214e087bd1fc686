"""Output people read (issue 23): Terraform's stream becomes a progress line of counts and the
summary, the full stream goes to a log file, ``--verbose`` shows every line; errors are always
shown, never preceded by a partial "Plan: N to add"; the CLI has --version, examples and the
environment variables in each command's help, and stays quiet on a closed pipe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import executable

from carcierge_pipeline import cli
from carcierge_pipeline.progress import Progress
from carcierge_pipeline.terraform import Terraform

CARCIERGE = Path(sys.executable).parent / "carcierge"

# A stand-in for `terraform plan -json`: STANDIN_RESOURCES planned changes, then an error
# diagnostic when STANDIN_ERROR is set (Terraform still sends its change summary then).
STAND_IN = """
import json, os, sys
count = int(os.environ["STANDIN_RESOURCES"])
for i in range(count):
    print(json.dumps({"type": "planned_change", "@message": f"aws_thing.r[{i}]: Plan to create"}))
print(json.dumps({"type": "apply_complete", "@message": "data.x: Read complete",
                  "hook": {"action": "read"}}))
if os.environ.get("STANDIN_ERROR"):
    print(json.dumps({"type": "diagnostic", "@message": "Error: Invalid value for variable",
        "diagnostic": {"severity": "error", "summary": "Invalid value for variable",
            "detail": "rds_config.port must be 5432.",
            "range": {"filename": "main.tf", "start": {"line": 3, "column": 9, "byte": 20},
                      "end": {"line": 3, "column": 23, "byte": 34}}}}))
print(json.dumps({"type": "change_summary", "@message": f"Plan: {count} to add."}))
"""


@pytest.fixture
def stand_in(tmp_path) -> Terraform:
    script = executable(tmp_path / "terraform", f"#!{sys.executable}\n{STAND_IN}")
    return Terraform(tmp_path, offline=False, executable=script)


def _plan(stand_in, monkeypatch, tmp_path, resources, *, verbose=False, error=False, locate=None):
    monkeypatch.setenv("STANDIN_RESOURCES", str(resources))
    if error:
        monkeypatch.setenv("STANDIN_ERROR", "1")
    out: list[str] = []
    errors: list[str] = []
    log = tmp_path / f"out-{resources}-{verbose}.log"
    progress = Progress("terraform plan qa", log, verbose=verbose, echo=out.append)
    run = stand_in.run_json(
        ["plan"], echo=out.append, echo_error=errors.append, progress=progress, locate=locate
    )
    return run, out, errors, log.read_text()


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_the_terminal_gets_counts_and_the_summary_the_log_every_line(
    stand_in, monkeypatch, tmp_path
):
    _, few, _, _ = _plan(stand_in, monkeypatch, tmp_path, 3)
    _, many, _, log = _plan(stand_in, monkeypatch, tmp_path, 400)
    assert len(many) == len(few) == 2, many  # the count line and Terraform's summary
    assert many[0].startswith("terraform plan qa: 400 planned, 1 read (")
    assert many[0].endswith(f"full output in {tmp_path / 'out-400-False.log'}")
    assert many[1] == "Plan: 400 to add."
    assert sum("Plan to create" in line for line in log.splitlines()) == 400
    assert "Plan: 400 to add." in log


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_verbose_shows_every_line(stand_in, monkeypatch, tmp_path):
    _, out, _, log = _plan(stand_in, monkeypatch, tmp_path, 50, verbose=True)
    assert sum("Plan to create" in line for line in out) == 50
    assert sum("Plan to create" in line for line in log.splitlines()) == 50


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_no_partial_summary_before_an_error_and_the_error_names_its_origin(
    stand_in, monkeypatch, tmp_path
):
    run, out, errors, log = _plan(
        stand_in,
        monkeypatch,
        tmp_path,
        7,
        error=True,
        locate=lambda d: "environments/qa.tfvars:120:3: rds_config.port",
    )
    assert not any(line.startswith("Plan:") for line in out), out
    assert len(errors) == 1
    assert "  set at environments/qa.tfvars:120:3: rds_config.port\n" in errors[0]
    assert run.failure() == (
        "Terraform reported an error: Invalid value for variable "
        "(environments/qa.tfvars:120:3: rds_config.port)"
    )
    assert "set at environments/qa.tfvars:120:3" in log  # the log has the errors too


class _Clock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_log_that_is_not_a_terminal_gets_a_count_line_every_interval(tmp_path):
    lines: list[str] = []
    progress = Progress(
        "terraform apply prod", tmp_path / "log", echo=lines.append, interval=15, clock=_Clock(1)
    )
    for _ in range(60):  # one message a second for a minute
        progress.message("apply_start", "x: Creating...")
        progress.message("apply_complete", "x: Creation complete")
    progress.close()
    assert 4 <= len(lines) <= 9, lines
    assert lines[-1].startswith("terraform apply prod: 60 done (")
    assert any(", 1 in progress (" in line for line in lines[:-1]), lines


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_redrawn_in_place(tmp_path, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    progress = Progress("terraform plan uat", tmp_path / "log", clock=_Clock(0.2))
    for _ in range(30):
        progress.message("planned_change", "x: Plan to create")
    progress.close()
    shown = terminal.getvalue()
    assert shown.count("\n") == 1, "one line, redrawn with carriage returns"
    assert shown.count("\r") > 10
    assert shown.rstrip("\n").rsplit("\r\033[K", 1)[-1].startswith("terraform plan uat: 30 ")


# --- the command line --------------------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    from carcierge_pipeline import __version__

    assert capsys.readouterr().out == f"carcierge {__version__}\n"


def _commands(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


@pytest.mark.parametrize(
    "command", [" ".join(c) for c, _ in _commands(cli.build_parser())], ids=str
)
def test_each_command_help_has_an_example_and_its_environment_variables(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([*command.split(), "--help"])
    shown = capsys.readouterr().out
    assert "\nExample" in shown and f"carcierge {command.split()[0]}" in shown, shown
    assert "\nEnvironment variables:\n  " in shown, shown


def test_every_action_runs_a_handler():
    # The registry sets each command's handler from its record: an action the parser accepts
    # but that runs nothing would exit 0 having done nothing.
    import argparse

    def is_action(parser):
        return not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)

    actions = {" ".join(c): sub for c, sub in _commands(cli.build_parser()) if is_action(sub)}
    assert len(actions) > 10
    missing = sorted(
        name for name, sub in actions.items() if not callable(sub.get_default("handler"))
    )
    assert missing == [], f"commands without a handler: {missing}"


def test_plan_help_names_what_plan_reads(capsys):
    with pytest.raises(SystemExit):
        cli.main(["plan", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for variable in ("OFFLINE=1", "TF_STATE_BUCKET", "ENVIRONMENTS", "ALLOW_DESTROY", "--verbose"):
        assert variable in shown, variable


@pytest.mark.parametrize("verbose", [False, True])
def test_verbose_reaches_the_plan_stage(monkeypatch, verbose):
    from carcierge_pipeline.stages import plan

    seen: dict = {}
    monkeypatch.setenv("OFFLINE", "1")
    monkeypatch.setattr(plan, "run_plan", lambda *args, **kwargs: seen.update(kwargs))
    assert cli.main(["plan", "-e", "qa", *(["--verbose"] if verbose else [])]) == 0
    assert seen["verbose"] is verbose


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
@pytest.mark.parametrize("command", [["--help"], ["env", "--branch", "qa"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(command):
    """`carcierge ... | head -1`: the reader is gone before carcierge writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [str(CARCIERGE), *command], stdout=write, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(write)
    assert done.stderr == b"", done.stderr.decode()
    # argparse ignores a failed write of its help (exit 0); a command stops as SIGPIPE would.
    assert done.returncode == (0 if command == ["--help"] else 141)


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_make_help_lists_the_targets():
    root = Path(__file__).resolve().parents[3]
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    documented = {line.split()[1] for line in shown.splitlines() if line.startswith("  make ")}
    assert {"plan", "test", "rehearse", "parity", "lint", "help"} <= documented, shown
    makefile = (root / "Makefile").read_text()
    phony = {
        t for line in makefile.splitlines() if line.startswith(".PHONY:") for t in line.split()[1:]
    }
    assert phony - {"apt-tools"} <= documented, phony - documented
