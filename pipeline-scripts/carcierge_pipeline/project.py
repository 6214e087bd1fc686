"""Locating the Terraform project and its generated directories."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline.errors import UserError

_MARKER = "terraform.tf"


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project containing ``start`` (default: $CARCIERGE_ROOT or the working dir)."""
        origin = (start or Path(os.environ.get("CARCIERGE_ROOT", Path.cwd()))).resolve()
        for candidate in (origin, *origin.parents):
            if (candidate / _MARKER).is_file() and (candidate / "modules").is_dir():
                return cls(candidate)
        raise UserError(f"no Terraform project (terraform.tf and modules/) at or above {origin}")

    @property
    def modules(self) -> list[Path]:
        return sorted(p for p in (self.root / "modules").iterdir() if (p / "main.tf").is_file())

    def build_dir(self, environment: str) -> Path:
        """Published results of one environment's stages (plan, reports)."""
        return self.root / "build" / environment

    def work_dir(self, name: str) -> Path:
        """Scratch Terraform working directories; hidden so scanners skip the copies."""
        return self.root / ".cache" / "work" / name

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Serialise runs that share a scratch directory (parallel jobs, editors, tests)."""
        lock = self.root / ".cache" / "work" / f"{name}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with lock.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
