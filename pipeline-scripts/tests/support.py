"""What the tests share: where the project is, its fixtures, the offline mode, a private copy
of the project, and a small editor for environment files (one setting replaced, the rest kept
verbatim)."""

from __future__ import annotations

import copy
import fcntl
import functools
import hashlib
import json
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from carcierge_pipeline.hcl import load_tfvars
from carcierge_pipeline.inputs import RootVariables
from carcierge_pipeline.offline.cache import OfflineCache
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parents[1]  # the project: terraform.tf, modules/, environments/
PACKAGE = ROOT / "pipeline-scripts" / "carcierge_pipeline"
FIXTURES = TESTS / "fixtures"
OFFLINE = Mode(offline=True, reason="tests always run offline")


def executable(path: Path, text: str) -> Path:
    """A script the code under test runs: ``text`` at ``path`` (its folder made), executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


class JsonHandler(BaseHTTPRequestHandler):
    """The request handler of an HTTP stand-in that answers JSON (``serving``); quiet."""

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    def raw_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP stand-in on a free port of 127.0.0.1 while the block runs; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # Polled every 10 ms, so shutdown() returns at once rather than after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def real_plan_job(tmp_path: Path, root: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """``carcierge plan`` of ``root`` run as a real CI job on a push to main (staging) starts it,
    from a CI image by digest, with stand-in AWS credentials and nothing of this machine's
    environment; ``extra`` adds or replaces variables."""
    environ = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARCIERGE_ROOT": str(root),
        "CI_JOB_ID": "1",
        "CI_JOB_IMAGE": f"registry.example.com/carcierge/infra/ci@sha256:{'1' * 64}",
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_REF_PROTECTED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return subprocess.run(
        [str(Path(sys.prefix) / "bin" / "carcierge"), "plan"],
        env=environ | extra,
        capture_output=True,
        text=True,
        timeout=60,
    )


def stand_in_terraform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, version: str = "1.16.4"
) -> Path:
    """Real mode with a stand-in ``terraform`` first on PATH and a state bucket set: it answers
    ``version -json`` with ``version`` and runs the shell ``script`` for every other command.
    Returns the log file the script may write to (``$LOG``)."""
    log = tmp_path / "terraform.log"
    bin_dir = tmp_path / "bin"
    executable(
        bin_dir / "terraform",
        f"#!/bin/sh\nLOG={log}\n"
        f'if [ "$1" = version ]; then echo \'{{"terraform_version": "{version}"}}\'; exit 0; fi\n'
        + script,
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("TF_STATE_BUCKET", "carcierge-state-test")
    return log


class EnvironmentPlans(Protocol):
    """The ``environment_plans`` fixture (conftest.py): an environment's offline plan JSON, and
    ``build_dir(environment)``, the folder of its published files (plan.bin/json/txt, the log)."""

    def __call__(self, environment: str) -> dict[str, Any]: ...

    def build_dir(self, environment: str) -> Path: ...


# What a plan depends on besides the project's Terraform: the package that plans (its stages,
# rules and offline provider, data files included) and the process environment it reads. The
# suite's own switches (CARCIERGE_TEST_TIER, CARCIERGE_TEST_CACHE) change no plan.
_PLANNING_ENVIRONMENT = re.compile(
    r"(CI_|TF_|(?!CARCIERGE_TEST_)CARCIERGE_|AWS_|ALLOW_DESTROY$|APP_NAME$)"
)


# The project's Terraform: root files of these suffixes and these folders (copy_project copies
# them, plan_inputs_fingerprint hashes them).
PROJECT_SUFFIXES = (".tf", ".tfvars")
PROJECT_FOLDERS = ("modules", "environments", "tests")


def _terraform_inputs(root: Path) -> list[Path]:
    """The files Terraform reads in ``root`` (what copy_project copies)."""
    files = [p for p in root.iterdir() if p.suffix in PROJECT_SUFFIXES]
    for folder in PROJECT_FOLDERS:
        files += [
            p for p in (root / folder).rglob("*") if p.is_file() and ".terraform" not in p.parts
        ]
    return sorted(files)


def plan_inputs_fingerprint(project: Project, offline_cache: OfflineCache) -> str:
    """A digest of everything an offline plan of ``project`` depends on: its Terraform files,
    the package's source and data, the engine and offline provider (their set-up stamp), and
    the planning variables of the environment. Equal digests give equal plans."""
    digest = hashlib.sha256(_package_digest().encode())
    for path in _terraform_inputs(project.root):
        digest.update(f"{path.relative_to(project.root)}\0".encode() + path.read_bytes() + b"\0")
    digest.update(offline_cache.stamp_path.read_bytes())
    planning = {k: v for k, v in os.environ.items() if _PLANNING_ENVIRONMENT.match(k)}
    digest.update(json.dumps(planning, sort_keys=True).encode())
    return digest.hexdigest()


@functools.cache
def _package_digest() -> str:
    """The package's source and data, read once per test process (tests do not edit it)."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(f"{path.relative_to(PACKAGE)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- Terraform results kept between runs ---------------------------------------------------

Result = TypeVar("Result")

# CARCIERGE_TEST_CACHE=off (`make test-cold`): nothing is kept between runs; everything is
# computed again, as in a fresh clone (CI), and shared by the xdist workers of the run only.
REPLAY = os.environ.get("CARCIERGE_TEST_CACHE", "on") != "off"
_KEPT_FOR = 7 * 24 * 3600  # a result nobody read for a week belongs to an old version: dropped


@dataclass(frozen=True)
class TerraformResults:
    """The ``terraform_results`` fixture (conftest.py): what a test computes from Terraform's
    work on a project, kept in ``folder`` (``.cache/tests/results/``) and replayed while
    everything it depends on is unchanged.

    The key is the computation's name, ``plan_inputs_fingerprint`` of the project it ran on
    (every file Terraform reads there, the package, the engine and the offline provider, the
    planning environment) and whatever else the caller names in ``also`` (files outside the
    Terraform, a base commit). A test's assertions always run, on the kept value; an edit to any
    input computes it again; a computation that raises keeps nothing. One lock per key: xdist
    workers asking for the same result compute it once.
    """

    folder: Path
    offline_cache: OfflineCache

    def __call__(
        self, name: str, inputs: Project, compute: Callable[[], Result], *also: str | bytes
    ) -> Result:
        fingerprint = plan_inputs_fingerprint(inputs, self.offline_cache)
        digest = hashlib.sha256(f"{name}\0{fingerprint}".encode())
        for part in also:
            digest.update(b"\0" + (part.encode() if isinstance(part, str) else part))
        kept = self.folder / f"{digest.hexdigest()}.pickle"
        with kept.with_suffix(".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if kept.is_file():
                os.utime(kept)
                # Written by this class alone, in the project's own .cache/ (or the run's tmp).
                return pickle.loads(kept.read_bytes())
            value = compute()
            partial = kept.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(pickle.dumps(value))
            partial.replace(kept)
            return value

    def prune(self) -> None:
        """Drop results (and their locks) unread for a week."""
        cutoff = time.time() - _KEPT_FOR
        for path in self.folder.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def run_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of this test run that its xdist workers share (each worker's base temporary
    folder is its own; their parent is the run's)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def plan_alone(workdir: Path, var_file: str) -> dict[str, Any]:
    """The offline plan JSON of the configuration in ``workdir`` planned on its own (a module
    with placeholder inputs): init, plan with ``var_file``, show."""
    from carcierge_pipeline.terraform import Terraform

    terraform = Terraform.for_mode(workdir, OFFLINE)
    terraform.run(["init", "-input=false", "-no-color", "-backend=false"], capture=True)
    terraform.run(
        ["plan", "-input=false", "-no-color", f"-var-file={var_file}", "-out=plan.bin"],
        capture=True,
    )
    shown: dict[str, Any] = json.loads(
        terraform.run(["show", "-json", "plan.bin"], capture=True).stdout
    )
    return shown


def module_planned_alone(
    results: TerraformResults,
    project: Project,
    folder: Path,
    modules: tuple[str, ...],
    placeholders: str,
    *,
    region: str = "",
) -> dict[str, Any]:
    """The offline plan JSON of the module ``modules[0]`` planned on its own, with
    ``placeholders`` as its inputs (and ``region``, a provider block, where it needs one), the
    other ``modules`` (what it calls) copied beside it into ``folder``. Kept between runs while
    the project's modules and these inputs are unchanged."""
    for name in modules:
        shutil.copytree(
            project.root / "modules" / name,
            folder / name,
            ignore=shutil.ignore_patterns(".terraform*", "tests"),
        )
    workdir = folder / modules[0]
    (workdir / "placeholders.tfvars").write_text(placeholders)
    if region:
        (workdir / "region.tf").write_text(region)
    return results(
        f"{modules[0]} planned alone",
        project,
        lambda: plan_alone(workdir, "placeholders.tfvars"),
        placeholders,
        region,
    )


def copy_project(project: Project, root: Path, *, tests: bool = True) -> Project:
    """A private copy of the Terraform project, so stages can write build/ freely.

    ``tests=False``: the configuration only, without its `terraform test` files and module
    READMEs (a third of the files), for tests that plan but never validate: they copy faster."""
    root.mkdir(parents=True)
    left_out = (".terraform*",) if tests else (".terraform*", "tests", "*.md")
    for entry in project.root.iterdir():
        if entry.suffix in PROJECT_SUFFIXES:
            shutil.copy2(entry, root / entry.name)
        elif entry.name in PROJECT_FOLDERS and (tests or entry.name != "tests"):
            shutil.copytree(entry, root / entry.name, ignore=shutil.ignore_patterns(*left_out))
    return Project(root)


# --- environment files: change one setting, keep the rest verbatim ---------------------------


def _name(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else json.dumps(key)


def hcl(value: Any, indent: str = "") -> str:
    """A Python value as an HCL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(hcl(item, indent) for item in value) + "]"
    inner = indent + "  "
    body = "".join(f"{inner}{_name(k)} = {hcl(v, inner)}\n" for k, v in value.items())
    return "{\n" + body + indent + "}"


def _depth_change(line: str) -> int:
    """Brackets opened minus closed on one line, outside strings and comments."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or line.startswith("//", index):
            break
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
    return depth


def without_setting(text: str, name: str) -> str:
    """``text`` with the top-level definition of ``name`` (all its lines) removed."""
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if re.match(rf"{re.escape(name)}\s*=", line):
            end, depth = start, _depth_change(line)
            while depth > 0:
                end += 1
                depth += _depth_change(lines[end])
            return "".join(lines[:start] + lines[end + 1 :])
    return text


def with_setting(text: str, name: str, value: Any) -> str:
    """``text`` with the top-level setting ``name`` set to ``value`` (appended when new)."""
    return without_setting(text, name).rstrip("\n") + f"\n{name} = {hcl(value)}\n"


# --- what the environment files say: tests derive their expectations from these --------------


def environment_file(root: Path, environment: str) -> Path:
    return root / "environments" / f"{environment}.tfvars"


def environment_values(root: Path, environment: str) -> dict[str, Any]:
    """The settings of ``environments/<environment>.tfvars``, read with the package's HCL
    reader (the one the plan stage's input check uses)."""
    return load_tfvars(environment_file(root, environment))


def edit_environment(root: Path, environment: str, name: str, change: Any) -> None:
    """Set ``name`` in an environment file to ``change(current value)`` (a callable) or to
    ``change`` itself; every other setting stays verbatim."""
    path = environment_file(root, environment)
    current = load_tfvars(path).get(name)
    value = change(copy.deepcopy(current)) if callable(change) else change
    path.write_text(with_setting(path.read_text(), name, value))


def services_of(root: Path, environment: str) -> dict[str, dict[str, Any]]:
    """The services an environment runs, each as the root merges it (main.tf local.services:
    the shared catalog, the environment's service_defaults, the entry in its services),
    before modules/ecs applies its defaults; read with the input check's own reading of the
    merge (inputs.Merge)."""
    values = {**load_tfvars(root / "terraform.tfvars"), **environment_values(root, environment)}
    merges = [merge for merge, _ in RootVariables.of(root).merges if merge.entries == "services"]
    assert len(merges) == 1, "the root merges its services once"
    return merges[0].merged(values)


def task_counts(service: dict[str, Any]) -> tuple[int, int, int]:
    """(min, desired, max) of a service entry, with the defaults of modules/ecs (min defaults to
    desired, max to twice desired)."""
    desired = service["desired_count"]
    minimum = service.get("min_capacity")
    maximum = service.get("max_capacity")
    return (
        desired if minimum is None else minimum,
        desired,
        max(desired * 2, 1) if maximum is None else maximum,
    )
