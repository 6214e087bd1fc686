"""``carcierge``: the command line over the pipeline stages and the operator commands. Thin by
design: each subcommand is a module of ``carcierge_pipeline.commands`` that owns its parser and
calls one stage or domain function; this file only lists them and handles what every command
shares (usage errors, exit codes, a closed pipe, --version)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, cast

from carcierge_pipeline import __version__
from carcierge_pipeline.commands import (
    CommandModule,
    Subcommands,
    analyse,
    apply,
    comment,
    db_roles,
    docs,
    doctor,
    drift,
    env,
    epilog,
    offline_setup,
    oidc_bootstrap,
    opensearch_setup,
    ops_run,
    parity,
    plan,
    preview,
    register,
    rehearse,
    state_bootstrap,
    state_lock,
    validate,
)
from carcierge_pipeline.errors import StageFailed, UserError

# The registry, in the order `carcierge --help` lists the commands (a group where its first
# action stands).
COMMANDS: tuple[CommandModule, ...] = (
    env,
    validate,
    plan,
    analyse,
    apply,
    drift,
    docs,
    offline_setup,
    state_bootstrap,
    state_lock,
    rehearse,
    db_roles,
    opensearch_setup,
    ops_run,
    oidc_bootstrap,
    preview,
    comment,
    doctor,
    parity,
)
DESCRIPTION = (
    "``carcierge``: the command line over the pipeline stages. Thin by design: each subcommand\n"
    "parses its flags and calls one stage function."
)
EXAMPLES = ("carcierge plan -e staging", "carcierge rehearse -e prod", "carcierge plan --help")
VARIABLES = ("CARCIERGE_ROOT (the project; default: the working directory or a parent)",)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported like every other user error: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="carcierge",
        description=DESCRIPTION,
        epilog=epilog(EXAMPLES, VARIABLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Its subparsers are _Parsers too (argparse makes them of the parent's class); the command
    # modules see them as the ArgumentParsers they are.
    top = cast(
        "Subcommands", parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    )
    register(top, (module.COMMAND for module in COMMANDS))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:  # --help and --version exit through here too
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`carcierge ... | head -1`): stop quietly, as a shell tool does.
        # Python flushes stdout again at exit and would print a traceback: point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # killed by SIGPIPE, in the shell's words


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return UserError.exit_code
    except StageFailed as error:
        print(f"failed: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
