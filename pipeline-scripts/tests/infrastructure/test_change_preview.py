"""The change preview (`carcierge preview`) on real edits of a copy of the project: the base is
the copy as committed, the change an edit of its qa environment file, as a merge request would
make. Expectations are derived from the environment file (its first and last service), so the
tests follow the files."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import (
    REPLAY,
    TerraformResults,
    copy_project,
    edit_environment,
    environment_file,
    environment_values,
    run_folder,
    services_of,
    with_setting,
)

from carcierge_pipeline.change import ResourceChange
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.hcl import load_tfvars
from carcierge_pipeline.preview import ProtectedDestroy, base_state, preview, resolve_base
from carcierge_pipeline.project import Project
from carcierge_pipeline.workdir import PlanFiles

ENVIRONMENT = "qa"
REVISION = "aws_ecs_task_definition"  # immutable: a changed one is a new revision (replace)
GIT = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_AUTHOR_DATE": "2026-12-07T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-12-07T00:00:00Z",
}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT},
    ).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory, project, offline_cache) -> Project:
    """A copy of the project committed as the base (`main`); each test edits and restores.

    The commit is reproducible (fixed author, dates and message), so the preview's own base
    cache (``.cache/preview/``, keyed by commit and offline provider) is shared by the xdist
    workers and kept between runs in the project's ``.cache/tests/preview/``: the base is
    applied once per change to the project, as a developer's second preview reuses it. The
    cold path (plan and apply of a base) runs whenever the project changed, and
    test_a_base_that_does_not_plan_is_one_line_naming_it always takes it."""
    copy = copy_project(project, tmp_path_factory.mktemp("preview") / "project")
    _git(copy.root, "init", "-q", "-b", "main")
    _git(copy.root, "add", "-A")
    _git(copy.root, "commit", "-q", "-m", "base")
    commit = _git(copy.root, "rev-parse", "HEAD")
    if REPLAY:
        shared = project.root / ".cache" / "tests" / "preview"
    else:  # CARCIERGE_TEST_CACHE=off: this run's own bases, shared by its xdist workers
        shared = run_folder(tmp_path_factory, "preview-bases") / "preview"
    shared.mkdir(parents=True, exist_ok=True)
    (copy.root / ".cache").mkdir(exist_ok=True)
    (copy.root / ".cache" / "preview").symlink_to(shared, target_is_directory=True)
    with (shared.parent / "preview.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in shared.iterdir():  # bases of earlier versions of the project
            if commit not in stale.name:
                stale.unlink()
        base_state(copy, ENVIRONMENT, resolve_base(copy.root, "main"), echo=lambda _line: None)
    return copy


@pytest.fixture
def work(repo: Project):
    yield repo
    _git(repo.root, "checkout", "-q", "--", ".")
    _git(repo.root, "clean", "-qfd", "--", "environments")


def _services(project: Project) -> dict:
    return environment_values(project.root, ENVIRONMENT)["services"]


@dataclass(frozen=True)
class Previewed:
    """What a preview of ``work`` against ``main`` gave: its changes, or the protected
    resources it refused on; the comment it wrote (and posted), the files it left."""

    changes: list[ResourceChange]
    comment: str
    files: set[str]
    refused: list[str] | None  # ProtectedDestroy's addresses
    message: str
    posted: list[str]


def _preview(work: Project, results: TerraformResults, *, allow_destroy: bool = False) -> Previewed:
    """``preview`` of the working tree against ``main``, kept between runs while the edited
    copy, the base commit (the project as committed), the package and the engine are unchanged
    (``terraform_results``)."""

    def run() -> Previewed:
        posted: list[str] = []
        try:
            result = preview(
                work,
                ENVIRONMENT,
                "main",
                allow_destroy=allow_destroy,
                echo=lambda _line: None,
                post=posted.append,
            )
        except ProtectedDestroy as refused:
            comment = PlanFiles(work.build_dir(ENVIRONMENT)).change.comment.read_text()
            return Previewed([], comment, set(), refused.addresses, str(refused), posted)
        files = {p.name for p in result.files.directory.iterdir()}
        return Previewed(result.changes, result.files.comment.read_text(), files, None, "", posted)

    base = _git(work.root, "rev-parse", "main")
    return results(f"change preview allow_destroy={allow_destroy}", work, run, base)


def _changes(result: Previewed) -> dict[str, str]:
    return {c.address: c.action for c in result.changes}


def _of(key: str, addresses) -> set[str]:
    return {a for a in addresses if f'["{key}"]' in a}


@pytest.mark.slow(seconds=25)
def test_an_image_change_shows_exactly_its_task_definition_and_service(work, terraform_results):
    services = _services(work)
    key = next(iter(services))
    services[key]["container_image"] += "-next"
    edit_environment(work.root, ENVIRONMENT, "services", services)
    result = _preview(work, terraform_results)
    assert _changes(result) == {
        f'module.ecs.aws_ecs_task_definition.service["{key}"]': "replace",
        f'module.ecs.aws_ecs_service.service["{key}"]': "update",
    }
    task = next(c for c in result.changes if c.action == "replace")
    image = [a for a in task.attributes if a.path.endswith(".image")]
    assert [(a.before, a.after) for a in image] == [
        (services[key]["container_image"].removesuffix("-next"), services[key]["container_image"])
    ]
    assert f"### {ENVIRONMENT}: 0 to create, 1 to update, 1 to replace, 0 to delete" in (
        result.comment
    )
    assert "-next" in result.comment
    assert result.files == {
        "plan.json",
        "plan-from-empty.json",
        "summary.md",
        "comment.md",
    }


@pytest.mark.slow(seconds=20)
def test_scaling_a_service_touches_only_that_service(work, terraform_results):
    services = _services(work)
    key = next(iter(services))
    # An override in the service's own entry, above the environment's service_defaults.
    services[key]["max_capacity"] = (
        int(services_of(work.root, ENVIRONMENT)[key]["max_capacity"]) + 2
    )
    edit_environment(work.root, ENVIRONMENT, "services", services)
    result = _preview(work, terraform_results)
    changed = _changes(result)
    assert changed, "scaling changed nothing"
    assert set(changed) == _of(key, changed), "a change outside the scaled service"
    assert set(changed.values()) == {"update"}
    [target] = [c for c in result.changes if c.resource.type == "aws_appautoscaling_target"]
    assert [(a.path, a.after) for a in target.attributes] == [
        ("max_capacity", services[key]["max_capacity"])
    ]


@pytest.mark.slow(seconds=20)
def test_a_new_service_is_created_and_nothing_is_destroyed(work, terraform_results):
    running = services_of(work.root, ENVIRONMENT)
    template = next(iter(running.values()))
    # As docs/runbooks/add-service.md writes it: a catalog entry with its own port, paths and
    # priority, and one line in the environment file.
    shared = work.root / "terraform.tfvars"
    catalog = load_tfvars(shared)["service_catalog"]
    catalog["brandnew"] = {
        "container_port": max(int(s["container_port"]) for s in running.values()) + 1,
        "cpu": template["cpu"],
        "memory": template["memory"],
        "path_patterns": ["/brand-new", "/brand-new/*"],
        "priority": 990,
    }
    shared.write_text(with_setting(shared.read_text(), "service_catalog", catalog))
    services = _services(work)
    image = template["container_image"].rsplit(":", 1)[0] + ":9.9.9"
    services["brandnew"] = {"container_image": image}
    edit_environment(work.root, ENVIRONMENT, "services", services)
    result = _preview(work, terraform_results)
    changed = _changes(result)
    created = {a for a, action in changed.items() if action == "create"}
    for address in (
        'module.ecs.aws_ecs_task_definition.service["brandnew"]',
        'module.ecs.aws_ecs_service.service["brandnew"]',
        'module.ecs.aws_lb_target_group.service["brandnew"]',
    ):
        assert address in created
    assert not {a for a, action in changed.items() if action == "delete"}
    # A replacement here can only be a new task definition revision (the operator task's lists
    # every service's database role) and the apply's database-role step, which runs again for
    # the new service's role (terraform_data.ops_setup); never anything holding data.
    assert {c.resource.type for c in result.changes if c.action == "replace"} <= {
        REVISION,
        "terraform_data",
    }
    assert not result.comment.count("Destructive")


@pytest.mark.slow(seconds=20)
def test_a_removed_service_is_refused_while_its_data_is_protected(work, terraform_results):
    # Removing a service deletes what holds its data (its Redis password secret carries
    # prevent_destroy, like every secret): Terraform refuses the plan, and the preview names
    # exactly that service's protected resources, first, in one line and in the comment.
    services = _services(work)
    key = list(services)[-1]
    del services[key]
    edit_environment(work.root, ENVIRONMENT, "services", services)
    result = _preview(work, terraform_results)
    assert result.refused and all(f'["{key}"]' in a for a in result.refused)
    assert "\n" not in result.message
    assert result.posted == [result.comment]
    assert result.comment.index("Destructive") < result.comment.index(key)


@pytest.mark.slow(seconds=20)
def test_replacing_a_protected_stateful_resource_is_shown_first_and_refused(
    work, terraform_results
):
    # The database name forces a new instance (ForceNew in the provider); the instance holds
    # data and prevent_destroy guards it: Terraform refuses, the comment shows it first.
    rds = environment_values(work.root, ENVIRONMENT)["rds_config"]
    rds["database_name"] = rds["database_name"] + "renamed"
    edit_environment(work.root, ENVIRONMENT, "rds_config", rds)
    result = _preview(work, terraform_results)
    assert result.refused is not None
    assert "module.rds.aws_db_instance.this" in result.refused
    assert re.search(r"module\.rds\.aws_db_instance\.this", result.message)
    assert "\n" not in result.message
    assert result.posted == [result.comment]
    comment = result.comment
    assert comment.index("Destructive") < comment.index("`module.rds.aws_db_instance.this`")
    assert "prevent_destroy" in comment
    # Allowing destroys does not lift prevent_destroy (it takes the module's teardown override).
    assert _preview(work, terraform_results, allow_destroy=True).refused


def test_a_base_that_is_not_a_commit_is_one_line_and_leaves_nothing(work):
    change = PlanFiles(work.build_dir(ENVIRONMENT)).change.directory
    change.mkdir(parents=True, exist_ok=True)
    (change / "comment.md").write_text("stale")
    with pytest.raises(UserError, match=r"base 'no-such-branch' is not a commit") as raised:
        preview(work, ENVIRONMENT, "no-such-branch", echo=lambda _line: None)
    assert "\n" not in str(raised.value)
    assert not change.exists()


@pytest.mark.slow(seconds=10)
def test_a_base_that_does_not_plan_is_one_line_naming_it(work):
    path = environment_file(work.root, ENVIRONMENT)
    good = path.read_text()
    path.write_text(good.replace("services = {", "services = {\n  broken = 1\n", 1))
    _git(work.root, "commit", "-q", "-am", "a broken base")
    broken = _git(work.root, "rev-parse", "HEAD")
    _git(work.root, "reset", "-q", "--hard", "HEAD~1")
    with pytest.raises(UserError, match=rf"base {broken[:7]}.*does not plan for qa") as raised:
        preview(work, ENVIRONMENT, broken, echo=lambda _line: None)
    assert "\n" not in str(raised.value)
    assert not PlanFiles(work.build_dir(ENVIRONMENT)).change.directory.exists()
