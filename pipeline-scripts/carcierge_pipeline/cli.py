"""``carcierge``: the command line over the pipeline stages. Thin by design: each subcommand
parses its flags and calls one stage function."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from carcierge_pipeline import environments
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import resolve_mode


def _environment_from_context(explicit: str | None) -> str:
    if explicit:
        return environments.require_environment(explicit)
    branch = os.environ.get("CI_COMMIT_BRANCH") or os.environ.get(
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
    )
    return environments.resolve_branch(branch).environment


def _cmd_env(args: argparse.Namespace) -> None:
    branch = args.branch or os.environ.get("CI_COMMIT_BRANCH")
    resolution = environments.resolve_branch(branch)
    print(f"{resolution.environment}  ({resolution.reason})")


def _cmd_validate(args: argparse.Namespace) -> None:
    from carcierge_pipeline.validate import run_validate

    run_validate(Project.find(), resolve_mode(), tests=not args.skip_tests)


def _cmd_plan(args: argparse.Namespace) -> None:
    from carcierge_pipeline.plan import run_plan

    run_plan(Project.find(), _environment_from_context(args.environment), resolve_mode())


def _cmd_docs(args: argparse.Namespace) -> None:
    from carcierge_pipeline.docs import sync

    project = Project.find()
    stale = sync(project.modules, check=args.check)
    names = ", ".join(str(path.relative_to(project.root)) for path in stale)
    if stale and args.check:
        raise StageFailed(f"module READMEs out of date (run `make docs`): {names}")
    print(f"updated {names}" if stale else "module READMEs are up to date")


def _cmd_offline_setup(args: argparse.Namespace) -> None:
    from carcierge_pipeline.offline import install

    print(f"offline provider ready: {install.ensure().root}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carcierge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    env = commands.add_parser("env", help="print the environment a branch deploys")
    env.add_argument("--branch", help="branch name (default: $CI_COMMIT_BRANCH)")
    env.set_defaults(handler=_cmd_env)

    validate = commands.add_parser("validate", help="fmt, init, validate and terraform test")
    validate.add_argument("--skip-tests", action="store_true", help="skip terraform test")
    validate.set_defaults(handler=_cmd_validate)

    plan = commands.add_parser("plan", help="plan one environment into build/<env>/")
    plan.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    plan.set_defaults(handler=_cmd_plan)

    docs = commands.add_parser("docs", help="regenerate module README input/output tables")
    docs.add_argument("--check", action="store_true", help="fail instead of writing")
    docs.set_defaults(handler=_cmd_docs)

    offline = commands.add_parser("offline-setup", help="build the offline provider cache")
    offline.set_defaults(handler=_cmd_offline_setup)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return UserError.exit_code
    except StageFailed as error:
        print(f"failed: {error}", file=sys.stderr)
        return StageFailed.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
