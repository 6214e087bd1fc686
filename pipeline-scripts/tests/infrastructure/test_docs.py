"""Module READMEs carry input/output tables generated from the HCL, and stay in sync; every
repository path the Markdown files and Terraform comments name exists."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from carcierge_pipeline import docs


def test_every_module_readme_is_in_sync(project):
    stale = docs.sync(project.modules, check=True)
    assert stale == [], f"run `make docs`: {stale}"


def test_tables_show_types_defaults_and_required(tmp_path: Path):
    (tmp_path / "variables.tf").write_text(
        'variable "size" {\n  description = "How many | nodes."\n  type = number\n}\n'
        'variable "mode" {\n  description = "NAT mode."\n  type = string\n'
        '  default = "single"\n}\n'
    )
    (tmp_path / "outputs.tf").write_text(
        'output "id" {\n  description = "The id."\n  value = "x"\n}\n'
    )
    tables = docs.render_tables(tmp_path)
    assert '| `mode` | NAT mode. | `string` | `"single"` | no |' in tables
    assert "| `size` | How many \\| nodes. | `number` | n/a | yes |" in tables
    assert "| `id` | The id. |" in tables


def test_generated_section_replaces_only_itself():
    readme = f"# vpc\n\nHand-written.\n\n{docs.BEGIN}\nold\n{docs.END}\n\nFooter.\n"
    updated = docs.updated_readme(readme, "new")
    assert updated == f"# vpc\n\nHand-written.\n\n{docs.BEGIN}\nnew\n{docs.END}\n\nFooter.\n"


def test_heredoc_descriptions_become_one_line(tmp_path: Path):
    (tmp_path / "variables.tf").write_text(
        'variable "services" {\n  description = <<-EOT\n    First line,\n    second line.\n'
        "  EOT\n  type = map(string)\n}\n"
    )
    assert "| `services` | First line, second line. | `map(string)` | n/a | yes |" in (
        docs.render_tables(tmp_path)
    )


# --- every repository path the documentation names exists ------------------------------------

# Directories a repository path starts with (a path under build/ or .venv/ is made, not kept).
REPOSITORY_DIRS = ("modules", "pipeline-scripts", "docs", "environments", "ci", ".ci", "tests")
# Package-relative spellings (`carcierge_pipeline/inputs.py`, `tests/support.py`) resolve here.
PACKAGE_BASE = "pipeline-scripts"
SKIPPED_DIRS = {".venv", ".cache", "build", ".git", ".terraform", "node_modules"}
SKIPPED_DIRS |= {".gitlab-ci-local"}
PATH_TOKEN = re.compile(r"[A-Za-z0-9_.<>*{},/-]+")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _documents(root: Path, suffix: str) -> list[Path]:
    found = []
    for path in root.rglob(f"*{suffix}"):
        parts = path.relative_to(root).parts
        if not SKIPPED_DIRS.intersection(parts) and not any(
            part.endswith(".egg-info") for part in parts
        ):
            found.append(path)
    return sorted(found)


def _expanded(token: str) -> list[str]:
    """Globs for a path as written: `<placeholder>` is any name, `{a,b}` each of a and b."""
    braces = re.search(r"\{([^{}]*)\}", token)
    if braces:
        return [
            globbed
            for choice in braces.group(1).split(",")
            for globbed in _expanded(token[: braces.start()] + choice + token[braces.end() :])
        ]
    return [re.sub(r"<[^<>/]*>", "*", token)]


def _ignored(token: str, root: Path) -> bool:
    """A file the docs tell people to create and git ignores (`modules/rds/teardown_override.tf`
    matches `*_override.tf`)."""
    gitignore = root / ".gitignore"
    patterns = gitignore.read_text().splitlines() if gitignore.exists() else []
    name = token.rstrip("/").rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatch(name, pattern)
        for pattern in patterns
        if pattern and not pattern.startswith("#") and "/" not in pattern.rstrip("/")
    )


def _exists(token: str, document: Path, root: Path) -> bool:
    if _ignored(token, root):
        return True
    bases = (root, document.parent, root / PACKAGE_BASE)
    return all(
        any(
            any(base.glob(pattern.rstrip("/"))) if "*" in pattern else (base / pattern).exists()
            for base in bases
        )
        for pattern in _expanded(token)
    )


def _repository_paths(text: str) -> list[str]:
    """Tokens of ``text`` that name a repository path: a known top-level directory (or the
    package) followed by at least one more segment; `…`-elided ones are left alone."""
    paths = []
    for token in PATH_TOKEN.findall(text):
        token = token.rstrip(".,:")
        first = token.split("/", 1)[0]
        if "/" in token and first in (*REPOSITORY_DIRS, "carcierge_pipeline") and token != first:
            paths.append(token)
    return paths


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    return {
        _slug(line.lstrip("#"))
        for line in document.read_text().splitlines()
        if re.match(r"#{1,6} ", line)
    }


def _missing_paths(root: Path) -> list[str]:
    missing = []
    for document in _documents(root, ".md"):
        text = document.read_text()
        where = document.relative_to(root)
        # Fenced blocks hold commands and examples; their paths are checked by the runbook test.
        prose = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
        for code in re.findall(r"`([^`\n]+)`", prose):
            for token in _repository_paths(code):
                if "…" not in code and not _exists(token, document, root):
                    missing.append(f"{where}: `{token}`")
        for target in LINK.findall(prose):
            if re.match(r"[a-z]+:", target):
                continue  # a URL
            path, _, anchor = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.exists():
                missing.append(f"{where}: link ({target})")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                missing.append(f"{where}: link ({target}): no such heading")
    for document in _documents(root, ".tf"):
        where = document.relative_to(root)
        for number, line in enumerate(document.read_text().splitlines(), 1):
            comment = re.search(r"(?:^|\s)(?:#|//)(.*)$", line)
            if comment:
                for token in _repository_paths(comment.group(1)):
                    if not _exists(token, document, root):
                        missing.append(f"{where}:{number}: {token}")
    return missing


def test_every_repository_path_named_in_the_docs_exists(project):
    """Markdown files and Terraform comments name files that exist (a placeholder such as
    `environments/<env>.tfvars` must match at least one); links, and their anchors, resolve."""
    assert _missing_paths(project.root) == []


def test_the_path_check_catches_a_moved_file(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "modules" / "vpc").mkdir(parents=True)
    (tmp_path / "modules" / "vpc" / "main.tf").write_text(
        "# see docs/gone.md and modules/vpc/main.tf\n"
    )
    (tmp_path / ".gitignore").write_text("# made by hand\n*_override.tf\n")
    (tmp_path / "docs" / "a.md").write_text(
        "# A\n\n## Two words\n\n`modules/vpc/main.tf`, `modules/vpc/x_override.tf`, "
        "`modules/<name>/main.tf`, "
        "`modules/vpc/{main,outputs}.tf`, `pipeline-scripts/x.py`, [b](b.md), [a](#two-words), "
        "[a](#three-words), `modules/…/x.tf`\n"
    )
    assert _missing_paths(tmp_path) == [
        "docs/a.md: `modules/vpc/{main,outputs}.tf`",
        "docs/a.md: `pipeline-scripts/x.py`",
        "docs/a.md: link (b.md)",
        "docs/a.md: link (#three-words): no such heading",
        "modules/vpc/main.tf:1: docs/gone.md",
    ]
