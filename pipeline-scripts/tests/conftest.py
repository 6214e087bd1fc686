"""Shared fixtures: the project, and throw-away Terraform working directories that use the
pinned engine with the offline provider."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import (
    FIXTURES,
    OFFLINE,
    REPLAY,
    EnvironmentPlans,
    TerraformResults,
    copy_project,
    plan_inputs_fingerprint,
    run_folder,
)

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.offline import install
from carcierge_pipeline.offline.cache import OfflineCache
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Terraform

# The tiers of the suite by cost (CARCIERGE_TEST_TIER; `make test` runs them all, unset):
# - fast (`make test-fast`): no Terraform, no local server, nothing marked slow; seconds.
# - plans (`make test-plans`): Terraform (offline plans, `terraform test`) or slow, no server.
# - e2e (`make test-e2e`): a local server (moto's AWS emulator, PostgreSQL): the real path.
# Every test is in exactly one (test_tiers_partition_the_suite). A test using one of these
# fixtures is marked `terraform` (or `server`) here; any other test that starts Terraform, or a
# program that may (the CLI, make, gitlab-ci-local), fails in the fast tier, naming itself: a
# Terraform test cannot land there unnoticed.
TERRAFORM_FIXTURES = {
    "environment_plans", "project_copy", "fixture_workdir", "offline_cache", "terraform_results",
}  # fmt: skip
SERVER_FIXTURES = {"moto_endpoint", "postgres"}  # moto's server, a throw-away PostgreSQL
MAY_RUN_TERRAFORM = {"terraform", "carcierge", "make", "gitlab-ci-local"}
TIERS: dict[str, Callable[[set[str]], bool]] = {
    "fast": lambda marks: not marks & {"terraform", "server", "slow"},
    "plans": lambda marks: "server" not in marks and bool(marks & {"terraform", "slow"}),
    "e2e": lambda marks: "server" in marks,
}
TIER = os.environ.get("CARCIERGE_TEST_TIER") or None
FAST_TIER = TIER == "fast"


def _share_botocore_models() -> None:
    """Every botocore loader of a test process shares one cache of AWS's API models (per set of
    search paths). botocore caches what a loader read in the loader (``Loader._cache``, its
    ``instance_cache``), one per session, and the tests make hundreds of sessions: reading the
    same JSON again cost ~4 s of CPU per run. What a loader returns is the same either way."""
    from botocore import loaders

    shared: dict[tuple[str, ...], dict[Any, Any]] = {}
    made = loaders.Loader.__init__

    def __init__(self: loaders.Loader, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        self._cache = shared.setdefault(tuple(self.search_paths), {})

    loaders.Loader.__init__ = __init__


_share_botocore_models()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "terraform: runs Terraform (directly or through the CLI); not in the fast tier"
    )
    config.addinivalue_line("markers", "server: starts a local server; not in the fast tier")


@pytest.fixture(autouse=True)
def _no_terraform_in_the_fast_tier(request: pytest.FixtureRequest, monkeypatch):
    if not FAST_TIER:
        return
    launch = subprocess.Popen

    class Guarded(launch):  # type: ignore[misc,valid-type]
        def __init__(self, args, *rest, **options) -> None:
            argv = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
            program = Path(os.fsdecode(argv[0]).split()[0]).name if argv else ""
            if program in MAY_RUN_TERRAFORM:
                pytest.fail(
                    f"{request.node.nodeid} starts {program} in the fast tier: mark it "
                    "@pytest.mark.terraform",
                    pytrace=False,
                )
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Guarded)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use a Terraform fixture are marked `terraform`. Slow tests first, longest first,
    so the many short ones fill in around them and both xdist workers finish together. `make
    pytest` hands out tests one at a time (--maxschedchunk 1) after starting each worker with
    two: the longest test is paired with a short one, so the other worker starts on the next
    longest."""

    def expected_seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return float(marker.kwargs.get("seconds", 1)) if marker else 0.0

    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if TERRAFORM_FIXTURES & fixtures:
            item.add_marker(pytest.mark.terraform)
        if SERVER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.server)
    if TIER is not None:
        if TIER not in TIERS:
            raise pytest.UsageError(
                f"CARCIERGE_TEST_TIER={TIER}: not a tier ({', '.join(TIERS)}; unset for all)"
            )
        in_tier = [TIERS[TIER]({m.name for m in item.iter_markers()}) for item in items]
        config.hook.pytest_deselected(
            items=[i for i, keep in zip(items, in_tier, strict=True) if not keep]
        )
        items[:] = [i for i, keep in zip(items, in_tier, strict=True) if keep]
    items.sort(key=expected_seconds, reverse=True)
    slow = sum(1 for item in items if expected_seconds(item))
    if 1 < slow < len(items):
        items.insert(1, items.pop(slow))


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.find(Path(__file__).parent)


@pytest.fixture(scope="session")
def offline_cache() -> OfflineCache:
    return install.ensure(quiet=True)


@pytest.fixture
def fixture_workdir(tmp_path: Path, offline_cache: OfflineCache):
    """Copy a fixture configuration, with the provider setup every fixture shares
    (fixtures/providers.tf), to a temp dir; return an initialised offline Terraform."""

    def make(name: str, edit=None) -> Terraform:
        workdir = tmp_path / name
        shutil.copytree(FIXTURES / name, workdir)
        shutil.copy(FIXTURES / "providers.tf", workdir)
        if edit:
            main = workdir / "main.tf"
            original = main.read_text()
            edited = edit(original)
            assert edited != original, "the seeded mistake did not change the fixture"
            main.write_text(edited)
        terraform = Terraform.for_mode(workdir, OFFLINE)
        terraform.run(["init", "-input=false", "-no-color", "-backend=false"], capture=True)
        return terraform

    return make


@pytest.fixture
def project_copy(tmp_path: Path, project: Project, offline_cache) -> Project:
    """A private copy of the Terraform project, so stages can write build/ freely."""
    return copy_project(project, tmp_path / "project")


@dataclass(frozen=True)
class _SharedPlans:
    """What ``environment_plans`` gives a test (support.EnvironmentPlans)."""

    plan_of: Callable[[str], dict[str, Any]]
    # The published files (plan.bin/json/txt) of an environment planned through plan_of.
    build_dir: Callable[[str], Path]

    def __call__(self, environment: str) -> dict[str, Any]:
        return self.plan_of(environment)


@pytest.fixture(scope="session")
def environment_plans(project: Project, offline_cache: OfflineCache) -> EnvironmentPlans:
    """Offline plan JSON of each environment, planned on demand, once per set of inputs.

    Per-environment assertions read planned values from these, never the tfvars text. Under
    pytest-xdist the workers share one copy through a lock, so each environment plans once.
    The copy lives in the project's ``.cache/tests/`` and is kept between runs while
    ``plan_inputs_fingerprint`` (every file Terraform reads, the package that plans, the engine
    and the offline provider) is unchanged: an edit to any of them plans again, an edit to a test
    does not. ``make clean`` drops it.
    """
    from carcierge_pipeline.stages.plan import run_plan

    shared = project.root / ".cache" / "tests" / "environment-plans"
    shared.mkdir(parents=True, exist_ok=True)
    plans: dict[str, dict[str, Any]] = {}
    copy = Project(shared / "project")
    fingerprint = plan_inputs_fingerprint(project, offline_cache)

    def planned(environment: str) -> Path:
        return copy.build_dir(environment) / "plan.json"

    def plan_unless_planned(environment: str, *, wait: bool) -> bool:
        """Plan ``environment`` under its lock; False if another worker holds it and not wait."""
        with (shared / f"{environment}.lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            if not planned(environment).exists():
                run_plan(copy, environment, OFFLINE, echo=lambda _: None)
            return True

    with (shared / "copy.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = shared / "fingerprint"
        if not REPLAY:  # plan again in every run, once for all its xdist workers
            fingerprint += os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
        if not stamp.is_file() or stamp.read_text() != fingerprint:
            shutil.rmtree(copy.root, ignore_errors=True)
            copy_project(project, copy.root)
            stamp.write_text(fingerprint)

    def plan_of(environment: str) -> dict[str, Any]:
        if environment not in plans:
            if not plan_unless_planned(environment, wait=False):
                # Another worker is planning it: plan one nobody has started rather than idle
                # (the tests read every environment), then wait for this one.
                for other in ENVIRONMENTS:
                    if not planned(other).exists() and plan_unless_planned(other, wait=False):
                        break
                plan_unless_planned(environment, wait=True)
            plans[environment] = json.loads(planned(environment).read_text())
        return plans[environment]

    return _SharedPlans(plan_of, copy.build_dir)


@pytest.fixture(scope="session")
def terraform_results(
    project: Project, offline_cache: OfflineCache, tmp_path_factory: pytest.TempPathFactory
) -> TerraformResults:
    """Results of Terraform work kept between runs while their inputs are unchanged
    (support.TerraformResults); ``make test-cold`` and a fresh clone compute them all."""
    if REPLAY:
        folder = project.root / ".cache" / "tests" / "results"
    else:  # this run's alone, shared by its xdist workers
        folder = run_folder(tmp_path_factory, "results")
    folder.mkdir(parents=True, exist_ok=True)
    results = TerraformResults(folder, offline_cache)
    results.prune()
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's server on 127.0.0.1: S3, DynamoDB, KMS, IAM, STS as boto3 and Terraform see AWS."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
