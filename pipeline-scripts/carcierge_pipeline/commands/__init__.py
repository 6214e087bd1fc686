"""The ``carcierge`` subcommands, one module each. A command module owns its argparse
subparser (arguments, help, the examples and environment variables of its epilog) and a thin
``run`` that calls the plain functions of its domain module or stage; ``cli.py`` only lists the
modules (its registry) and assembles them. What several commands share (the environment from
the branch, the stage's sign-in, the epilog's wording) lives in ``context.py`` and here.

The layering (``test_architecture.py``): the command modules are entry points and may compose
stages; nothing but ``cli.py`` imports them."""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass
from typing import Protocol, TypeAlias

# argparse's subcommand action (a private class argparse documents through add_subparsers).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Command(Protocol):
    """What a command module provides (modules are checked against this by mypy)."""

    @property
    def GROUP(self) -> str | None:
        """The command group it is an action of (``state``, ``db``...), or None (top level)."""

    def register(self, commands: Subcommands) -> None:
        """Add the command's subparser to ``commands`` with ``handler`` set to its ``run``."""


def epilog(examples: tuple[str, ...], variables: tuple[str, ...]) -> str:
    """A help page's end: an example or more, then the environment variables read."""
    lines = ["Examples:" if len(examples) > 1 else "Example:"]
    lines += [f"  {example}" for example in examples]
    lines += ["", "Environment variables:"]
    lines += [
        textwrap.fill(variable, 88, initial_indent="  ", subsequent_indent="    ")
        for variable in variables
    ]
    return "\n".join(lines)


def add_command(
    commands: Subcommands,
    name: str,
    *,
    help: str,
    examples: tuple[str, ...],
    variables: tuple[str, ...],
) -> argparse.ArgumentParser:
    """A subparser whose help ends with its examples and the environment variables it reads."""
    return commands.add_parser(
        name,
        help=help,
        epilog=epilog(examples, variables),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


@dataclass(frozen=True)
class Group:
    """A command that only groups actions (``carcierge state lock``, ``carcierge db roles``)."""

    help: str
    examples: tuple[str, ...]
    variables: tuple[str, ...]


VERBOSE_HELP = (
    "show Terraform's every line (default: a progress line of counts; the full output is "
    "always in build/<env>/terraform-output.log)"
)
PIPELINE = (
    "the pipeline's variables ENVIRONMENTS, MODULES, APP_NAME, TYPE, BACKEND_REGION, "
    "RUN_SECURITY_SCAN, RUN_COST_SCAN, TF_LOG, ALLOW_DESTROY, TERRAFORM_TEST, ALERT_EMAILS"
)
CREDENTIALS = (
    "AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, ~/.aws; in CI "
    "the job's GitLab ID token and AWS_ROLE_ARN); OFFLINE=1 forces the offline preview, "
    "OFFLINE=0 real mode"
)
BACKEND = "TF_STATE_BUCKET, TF_LOCK_TABLE, TF_STATE_KMS_KEY, BACKEND_REGION (real mode)"
BRANCH = "CI_COMMIT_BRANCH, CI_MERGE_REQUEST_* (which environment, when -e is not given)"

# The command groups, in the order of their first action in cli.COMMANDS.
GROUPS: dict[str, Group] = {
    "state": Group(
        "remote state: bootstrap, lock inspection",
        ("carcierge state lock -e prod",),
        (BACKEND, "AWS credentials"),
    ),
    "db": Group(
        "the services' database roles (run inside the VPC)",
        ("carcierge db roles -e prod",),
        ("DB_* (see `carcierge db roles --help`)",),
    ),
    "opensearch": Group(
        "what OpenSearch needs after apply (run inside the VPC)",
        ("carcierge opensearch setup -e prod",),
        ("OPENSEARCH_* (see `carcierge opensearch setup --help`)",),
    ),
    "ops": Group(
        "the operator task <env>-carcierge-ops",
        ("carcierge ops run",),
        ("OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS",),
    ),
    "oidc": Group(
        "GitLab OIDC: identity provider, deploy roles",
        ("carcierge oidc bootstrap --project-path acme/carcierge-infrastructure",),
        (BACKEND, "AWS credentials"),
    ),
}


def add_group(commands: Subcommands, name: str) -> Subcommands:
    """The group's subparser (from GROUPS) and the subparsers its actions register into."""
    group = GROUPS[name]
    parser = add_command(
        commands, name, help=group.help, examples=group.examples, variables=group.variables
    )
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
