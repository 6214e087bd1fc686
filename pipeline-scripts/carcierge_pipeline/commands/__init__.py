"""The ``carcierge`` subcommands, one module each. A command module states its facts in one
``Command`` record, ``COMMAND`` (name, group, help, the examples and environment variables of
its epilog, arguments, handler), and a thin ``run`` that calls the plain functions of its domain
module or stage; ``cli.py`` only lists the modules (its registry) and ``register`` turns their
records into argparse parsers. What several commands share (the environment from the branch, the
stage's sign-in, the epilog's wording, the common arguments) lives in ``context.py`` and here.

The layering (``test_architecture.py``): the command modules are entry points and may compose
stages; nothing but ``cli.py`` imports them."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

# argparse's subcommand action (a private class argparse documents through add_subparsers).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace], None]


@dataclass(frozen=True)
class Argument:
    """One ``add_argument`` call: the flags and argparse's options, as written."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


def argument(*flags: str, **options: Any) -> Argument:
    return Argument(flags, options)


@dataclass(frozen=True)
class Command:
    """A subcommand as a command module states it; ``register`` builds its parser."""

    name: str
    help: str
    examples: tuple[str, ...]
    variables: tuple[str, ...]
    arguments: tuple[Argument, ...] = ()
    handler: Handler | None = None
    # The command group it is an action of (``state``, ``db``..., from GROUPS), or None.
    group: str | None = None
    # A command of actions (a group, ``analyse``): where argparse puts the chosen one, its
    # metavar in the usage line, and those the command itself states.
    actions_dest: str | None = None
    actions_metavar: str = "ACTION"
    actions: tuple[Command, ...] = ()


class CommandModule(Protocol):
    """What a command module provides (the modules of cli.COMMANDS are checked by mypy)."""

    @property
    def COMMAND(self) -> Command:
        """The command's record."""


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


def add(commands: Subcommands, command: Command) -> Subcommands | None:
    """The command's subparser in ``commands``, with its arguments and ``handler``, and the
    subparsers of its actions (returned, for a group's actions stated by other modules)."""
    parser = commands.add_parser(
        command.name,
        help=command.help,
        epilog=epilog(command.examples, command.variables),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for each in command.arguments:
        parser.add_argument(*each.flags, **each.options)
    if command.handler is not None:
        parser.set_defaults(handler=command.handler)
    if command.actions_dest is None:
        return None
    actions = parser.add_subparsers(
        dest=command.actions_dest, required=True, metavar=command.actions_metavar
    )
    for action in command.actions:
        add(actions, action)
    return actions


def register(top: Subcommands, commands: Iterable[Command]) -> None:
    """Every command's parser, in order; an action under its group's parser, which stands
    where the group's first action does."""
    groups: dict[str, Subcommands] = {}
    for command in commands:
        if command.group is not None and command.group not in groups:
            actions = add(top, GROUPS[command.group])
            assert actions is not None  # a group is a command of actions
            groups[command.group] = actions
        add(top if command.group is None else groups[command.group], command)


def group(name: str, help: str, example: str, variables: tuple[str, ...]) -> Command:
    """A command that only groups actions (``carcierge state lock``, ``carcierge db roles``)."""
    return Command(name, help, (example,), variables, actions_dest=f"{name}_command")


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
# What a stage on an environment's state reads (plan, apply, drift).
STAGE = (PIPELINE, CREDENTIALS, BACKEND)

# The arguments several commands take, worded once.
ENVIRONMENT = argument("--environment", "-e", required=True, help="staging, qa, uat or prod")
ENVIRONMENT_FROM_BRANCH = argument(
    "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
)
ALLOW_DESTROY = argument(
    "--allow-destroy",
    action="store_true",
    help="accept deleting or replacing stateful resources (or ALLOW_DESTROY=TRUE)",
)
VERBOSE = argument(
    "--verbose",
    "-v",
    action="store_true",
    help="show Terraform's every line (default: a progress line of counts; the full output is "
    "always in build/<env>/terraform-output.log)",
)
JSON = argument("--json", action="store_true", help="print the result as JSON")

# The command groups, in the order of their first action in cli.COMMANDS.
GROUPS: dict[str, Command] = {
    command.name: command
    for command in (
        group(
            "state",
            "remote state: bootstrap, lock inspection",
            "carcierge state lock -e prod",
            (BACKEND, "AWS credentials"),
        ),
        group(
            "db",
            "the services' database roles (run inside the VPC)",
            "carcierge db roles -e prod",
            ("DB_* (see `carcierge db roles --help`)",),
        ),
        group(
            "opensearch",
            "what OpenSearch needs after apply (run inside the VPC)",
            "carcierge opensearch setup -e prod",
            ("OPENSEARCH_* (see `carcierge opensearch setup --help`)",),
        ),
        group(
            "ops",
            "the operator task <env>-carcierge-ops",
            "carcierge ops run",
            ("OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS",),
        ),
        group(
            "oidc",
            "GitLab OIDC: identity provider, deploy roles",
            "carcierge oidc bootstrap --project-path acme/carcierge-infrastructure",
            (BACKEND, "AWS credentials"),
        ),
    )
}
