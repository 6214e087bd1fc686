"""`.pre-commit-config.yaml`: the conventions checked by tools. Every hook is local and runs a
tool of the venv (offline, the pinned versions), `make lint` runs them all over every file git
tracks, the terraform fmt hook checks exactly the validate stage's fmt targets, and a seeded
yamllint or shellcheck finding fails the run."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from identify import identify
from support import ROOT

from carcierge_pipeline.project import Project
from carcierge_pipeline.stages.validate import _fmt_targets

CONFIG = ROOT / ".pre-commit-config.yaml"
VENV_BIN = ".venv/bin/"
# The suffixes `terraform fmt -recursive` formats ("Only .tf, .tfvars, and .tftest.hcl files can
# be processed with terraform fmt").
TERRAFORM_FMT_SUFFIXES = (".tf", ".tfvars", ".tftest.hcl")


@functools.cache  # read once: the selection tests ask for a hook per tracked file
def _hooks() -> list[dict[str, Any]]:
    config = yaml.safe_load(CONFIG.read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def _hook(hook_id: str) -> dict[str, Any]:
    (hook,) = [hook for hook in _hooks() if hook["id"] == hook_id]
    return hook


def _tracked(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def _selects(hook: dict[str, Any], root: Path, name: str) -> bool:
    """pre-commit's own selection: `files` and `exclude` searched in the path, every one of
    `types` among identify's tags for the file."""
    if not re.search(hook.get("files", ""), name):
        return False
    if re.search(hook.get("exclude", "^$"), name):
        return False
    tags = identify.tags_from_path(str(root / name))
    return set(hook.get("types", ["file"])) <= tags


def test_every_hook_is_local_and_runs_a_tool_of_the_venv() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    venv_bin = Path(sys.prefix) / "bin"
    for hook in _hooks():
        assert hook["language"] == "system", hook["id"]
        program = shlex.split(hook["entry"])[0]
        assert program.startswith(VENV_BIN), f"{hook['id']}: {program} is not the venv's"
        tool = venv_bin / program.removeprefix(VENV_BIN)
        assert os.access(tool, os.X_OK), f"{hook['id']}: the venv has no {tool.name}"


def test_every_hook_checks_some_file_git_tracks() -> None:
    tracked = _tracked(ROOT)
    for hook in _hooks():
        if hook.get("always_run"):
            continue
        assert any(_selects(hook, ROOT, name) for name in tracked), hook["id"]


def test_the_shell_and_yaml_hooks_see_every_script_and_yaml_file() -> None:
    tracked = _tracked(ROOT)
    scripts = {n for n in tracked if "shell" in identify.tags_from_path(str(ROOT / n))}
    assert ".ci/run" in scripts
    assert scripts <= {n for n in tracked if _selects(_hook("shellcheck"), ROOT, n)}
    yaml_files = {n for n in tracked if n.endswith((".yml", ".yaml")) or n == ".yamllint"}
    assert {".gitlab-ci.yml", ".pre-commit-config.yaml", ".yamllint"} <= yaml_files
    assert yaml_files <= {n for n in tracked if _selects(_hook("yamllint"), ROOT, n)}


def test_terraform_fmt_checks_the_validate_stages_fmt_targets(project: Project) -> None:
    targets = _fmt_targets(project)
    expected = {
        name
        for name in _tracked(project.root)
        if name.endswith(TERRAFORM_FMT_SUFFIXES)
        and (name in targets or name.split("/", 1)[0] in targets)
    }
    hook = _hook("terraform-fmt")
    selected = {name for name in _tracked(project.root) if _selects(hook, project.root, name)}
    assert selected == expected
    assert "modules/ecs/tests/alb.tftest.hcl" in selected  # not only .tf files
    assert not any(name.startswith("pipeline-scripts/") for name in selected)  # not fixtures


def test_make_lint_runs_every_hook_on_every_file() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no lint target"
    commands = [line.strip() for line in recipe.group(1).splitlines()]
    assert len(commands) == 1, commands  # nothing checked outside the hooks
    # pre-commit's state in the checkout's .cache/ (`make clean`), not in the user's home.
    assert re.fullmatch(
        r"PRE_COMMIT_HOME=\$\(abspath \.cache/[^)]+\) \$\(BIN\)/pre-commit run --all-files",
        commands[0],
    ), commands[0]


def test_a_yamllint_or_shellcheck_finding_fails_the_hooks(tmp_path: Path) -> None:
    """The project's own configuration over a repository with one finding of each kind."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in (".pre-commit-config.yaml", ".yamllint"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".venv").symlink_to(sys.prefix)
    (repo / ".gitignore").write_text(".venv\n")
    (repo / "ok.yml").write_text("# fine\nenabled: true\nlong: " + "x" * 80 + "\n")
    (repo / "bad.yml").write_text("enabled: yes\n")  # yamllint truthy: a warning, still fatal
    script = repo / "run.sh"
    script.write_text('#!/usr/bin/env bash\nset -eu\ncd $1\necho "$PWD"\n')  # SC2086: $1
    script.chmod(0o755)
    git = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=git)
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=git)

    # The two hooks in one run (pre-commit's SKIP leaves out the others): pre-commit's start-up
    # is most of the cost.
    others = ",".join(
        hook["id"] for hook in _hooks() if hook["id"] not in {"yamllint", "shellcheck"}
    )

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"],
            cwd=repo,
            capture_output=True,
            text=True,
            env={**git, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"), "SKIP": others},
        )

    found = run()
    assert found.returncode == 1, found.stdout + found.stderr
    yamllint, shellcheck = found.stdout.split("\nshellcheck")  # the hooks' sections, in order
    assert re.search(r"^yamllint\.+Failed$", yamllint, re.M), found.stdout
    assert "bad.yml" in yamllint and "truthy" in yamllint, found.stdout
    assert "ok.yml" not in yamllint
    assert re.match(r"\.+Failed$", shellcheck, re.M), found.stdout
    assert "run.sh" in shellcheck and "SC2086" in shellcheck, found.stdout

    (repo / "bad.yml").write_text("enabled: true\n")
    script.write_text('#!/usr/bin/env bash\nset -eu\ncd "$1"\necho "$PWD"\n')
    fixed = run()
    assert fixed.returncode == 0, fixed.stdout
    assert re.search(r"^yamllint\.+Passed$", fixed.stdout, re.M), fixed.stdout
    assert re.search(r"^shellcheck\.+Passed$", fixed.stdout, re.M), fixed.stdout
