"""The CI image, checked when a real job starts: the job runs it by digest, and its Python
dependencies are exactly those of this commit's hashed lock.

Real jobs (plan, drift and apply in .gitlab-ci.yml) run the checkout's own carcierge_pipeline
on the interpreter of the image's venv (ci/Dockerfile). That venv was installed from the
``ci/requirements.lock`` of the commit the image was built from. If this commit's lock says
otherwise, its code would run against libraries it was never tested with, so the job stops
before any AWS call and asks for a rebuilt image. The image must be named by digest, because
any job with registry credentials can push a tag again (review 2026-12-07-security H2).
Build, digest and lock refresh: docs/ci-image.md.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from carcierge_pipeline.errors import UserError
from carcierge_pipeline.terraform import Mode

LOCK = Path("ci") / "requirements.lock"
DOC = "docs/ci-image.md"
# In the image's venv but not from the lock: its installer, and the image's own copy of the
# package (for the operator task); a real job imports the checkout's copy instead.
NOT_LOCKED = frozenset({"pip", "carcierge-pipeline"})
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def read_lock(path: Path) -> dict[str, str]:
    """Name -> version of each distribution in a hashed requirements lock (`make ci-lock`):
    every requirement pinned with ``==`` and followed by its ``--hash`` options."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UserError(
            f"{path}: not found; real jobs check the CI image's dependencies against it ({DOC})"
        ) from None
    pins: dict[str, str] = {}
    for line, entry in _logical_lines(text):
        where = f"{path}:{line}"
        requirement_text, _, options = entry.partition(" --")
        if entry.startswith("-"):
            raise UserError(f"{where}: {entry.split()[0]}: only pinned requirements belong here")
        try:
            requirement = Requirement(requirement_text.strip())
        except InvalidRequirement as error:
            raise UserError(f"{where}: not a requirement ({error})") from None
        name = canonicalize_name(requirement.name)
        specifiers = list(requirement.specifier)
        pinned = len(specifiers) == 1 and specifiers[0].operator == "=="
        if not pinned or "*" in specifiers[0].version or "hash=" not in options:
            raise UserError(
                f"{where}: {requirement.name}: every requirement is pinned with == and "
                "--hash (regenerate it: make ci-lock)"
            )
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # not for this interpreter or platform
        if name in pins:
            raise UserError(f"{where}: {requirement.name}: listed twice")
        pins[name] = specifiers[0].version
    return pins


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first line number, text) of each requirement: comments dropped, ``\\`` continuations
    joined (pip's requirements-file syntax)."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not parts:
            start = number
        continued = line.endswith("\\")
        parts.append(line.removesuffix("\\").strip())
        if continued:
            continue
        joined = " ".join(part for part in parts if part)
        parts = []
        if joined:
            yield start, joined
    if parts and any(parts):
        yield start, " ".join(part for part in parts if part)


def installed(paths: list[str] | None = None) -> dict[str, str]:
    """Name -> version of the distributions this interpreter imports from (the first one on
    ``sys.path`` of each name, as the import system picks it)."""
    found: dict[str, str] = {}
    for distribution in importlib.metadata.distributions(path=paths or sys.path):
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), distribution.version)
    return found


def _same(version: str, other: str) -> bool:
    try:
        return Version(version) == Version(other)
    except InvalidVersion:
        return version == other


def differences(locked: Mapping[str, str], present: Mapping[str, str]) -> list[str]:
    """What differs between the lock and the installed distributions, one phrase each."""
    found = []
    for name in sorted((locked.keys() | present.keys()) - NOT_LOCKED):
        want, have = locked.get(name), present.get(name)
        if want is not None and have is not None and _same(want, have):
            continue
        if have is None:
            found.append(f"{name} {want} is not installed")
        elif want is None:
            found.append(f"{name} {have} is installed but not locked")
        else:
            found.append(f"{name} {have} is installed, the lock has {want}")
    return found


def check_job(
    root: Path,
    mode: Mode,
    environ: Mapping[str, str] = os.environ,
    present: Mapping[str, str] | None = None,
) -> None:
    """At the start of a real plan, drift or apply in a GitLab job: refuse an image named by a
    tag, or one whose dependencies are not ``root``'s lock. Offline, in the rehearsal and
    outside CI there is nothing to check."""
    if mode.offline or mode.rehearsal or not environ.get("CI_JOB_ID"):
        return
    image = environ.get("CI_JOB_IMAGE", "")
    if not DIGEST.search(image):
        raise UserError(
            f"real jobs run the CI image by digest, and this job runs {image or 'no image'!r}: "
            f"set CARCIERGE_CI_IMAGE to $CI_REGISTRY_IMAGE/ci@sha256:<digest> ({DOC})"
        )
    locked = read_lock(root / LOCK)
    found = differences(locked, installed() if present is None else present)
    if found:
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        raise UserError(
            f"the CI image's Python dependencies are not those of {LOCK} "
            f"({'; '.join(found[:3])}{more}): rebuild the CI image and set CARCIERGE_CI_IMAGE "
            f"to its digest ({DOC})"
        )
    print(f"CI image: by digest; its {len(locked)} Python distributions are those of {LOCK}")
