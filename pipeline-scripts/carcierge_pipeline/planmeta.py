"""What a saved plan belongs to: environment, commit, pipeline, mode and the plan file's hash,
recorded at plan time in build/<env>/plan-meta.json and checked before an apply."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Commit:
    sha: str | None
    source: str  # "CI_COMMIT_SHA", "git" or "unknown"
    dirty: bool = False


def current_commit(root: Path, environ: Mapping[str, str] = os.environ) -> Commit:
    """The commit being planned/applied: CI_COMMIT_SHA in CI, else ``git rev-parse HEAD``."""
    if environ.get("CI_COMMIT_SHA"):
        return Commit(environ["CI_COMMIT_SHA"], "CI_COMMIT_SHA")
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=30
        )
        if head.returncode != 0:
            return Commit(None, "unknown")
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return Commit(head.stdout.strip(), "git", dirty=bool(status.stdout.strip()))
    except (OSError, subprocess.SubprocessError):
        return Commit(None, "unknown")


@dataclass(frozen=True)
class PlanMeta:
    environment: str
    commit: str | None
    commit_source: str
    dirty: bool
    offline: bool
    mode_reason: str
    pipeline_id: str | None
    plan_sha256: str
    terraform_version: str
    rehearsal: bool = False  # planned against the local AWS emulator (carcierge rehearse)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> PlanMeta:
        data = json.loads(path.read_text())
        fields = {name: data.get(name) for name in cls.__dataclass_fields__}
        return cls(**{**fields, "rehearsal": bool(fields["rehearsal"])})
