"""``carcierge``: the command line over the pipeline stages. Thin by design: each subcommand
parses its flags and calls one stage function."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from carcierge_pipeline import __version__, ci_variables, environments
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode, resolve_mode


def _environment_from_context(explicit: str | None) -> str:
    if explicit:
        return environments.require_environment(explicit)
    branch = os.environ.get("CI_COMMIT_BRANCH") or os.environ.get(
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
    )
    return environments.resolve_branch(branch).environment


def _cmd_env(args: argparse.Namespace) -> None:
    if args.branch:
        resolution = environments.resolve_branch(args.branch)
        print(f"{resolution.environment}  ({resolution.reason})")
        return
    selection = ci_variables.select_environments(None)
    print(f"{' '.join(selection.environments)}  ({selection.reason})")
    from carcierge_pipeline import oidc

    if args.stage and len(selection.environments) == 1:
        _sign_in(args.stage, selection.environments[0])
    else:
        oidc.use_id_token()
    mode = ci_variables.stage_mode()
    kind = "offline preview" if mode.offline else "real"
    print(f"mode: {kind} ({mode.reason})")
    print(f"credentials: {oidc.describe()}")


# --- pipeline stages: each checks the pipeline's variables first (one line on a bad value) ---


def _roots(variables: ci_variables.PipelineVariables) -> list[Project]:
    """The Terraform roots MODULES selects, each a project of its own (its own build/)."""
    project = Project.find()
    return [
        project if root.path == "." else Project(project.root / root.path)
        for root in variables.roots
    ]


def _cmd_validate(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.validate import run_validate

    variables = ci_variables.load()
    mode = resolve_mode()
    ci_variables.ensure_plugin_cache(mode)
    for project in _roots(variables):
        run_validate(project, mode, tests=variables.terraform_test and not args.skip_tests)


def _sign_in(stage: str, environment: str) -> None:
    """GitLab OIDC: the stage's role of the environment (accounts.py, derived from its file)
    and the job's ID token as the AWS web identity."""
    from carcierge_pipeline import accounts
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.oidc import TOKEN_VARIABLE, use_id_token
    from carcierge_pipeline.state import partition_of

    if os.environ.get(TOKEN_VARIABLE):
        region = os.environ.get("AWS_REGION") or DEFAULT_REGION
        accounts.use_stage_role(
            Project.find().root, environment, stage, partition=partition_of(region)
        )
    use_id_token()


def _cmd_plan(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.plan import run_plan

    variables = ci_variables.load()
    selection = ci_variables.select_environments(args.environment, variables=variables)
    if len(selection.environments) == 1:  # a real plan is always of one environment
        _sign_in("plan", selection.environments[0])
    mode = ci_variables.stage_mode()
    _check_ci_image(mode)
    ci_variables.ensure_plugin_cache(mode)
    projects = _roots(variables)
    for project in projects:  # APP_NAME before any Terraform work, for every root
        ci_variables.check_app_name(project.root, variables.app_name)
    for environment in selection.environments:  # uat and prod: no request bodies in logs
        ci_variables.refuse_verbose_logs(environment, mode)
    if not args.environment:
        print(f"planning {', '.join(selection.environments)}: {selection.reason}")
    for project in projects:
        if len(projects) > 1:
            print(f"root {project.root}")
        for environment in selection.environments:
            run_plan(
                project,
                environment,
                mode,
                allow_destroy=args.allow_destroy or variables.allow_destroy,
                app_name=variables.app_name,
                preflight=None if mode.offline else _preflight(project),
                terraform_variables=ci_variables.terraform_variables(variables),
                aws_validators=None if mode.offline or mode.rehearsal else _aws_validators(),
                verbose=args.verbose,
            )


def _cmd_drift(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.drift import run_drift

    variables = ci_variables.load()
    environment = args.environment or os.environ.get("DRIFT_ENVIRONMENT")
    if not environment:
        raise UserError("drift needs --environment (in CI: DRIFT_ENVIRONMENT, from the schedule)")
    environments.require_environment(environment)
    _sign_in("drift", environment)
    mode = ci_variables.stage_mode()
    _check_ci_image(mode)
    ci_variables.refuse_verbose_logs(environment, mode)
    ci_variables.ensure_plugin_cache(mode)
    for project in _roots(variables):
        run_drift(
            project,
            environment,
            mode,
            terraform_variables=ci_variables.terraform_variables(variables),
        )


def _check_ci_image(mode: Mode) -> None:
    """A real job runs the CI image by digest, with this commit's locked dependencies."""
    from carcierge_pipeline import ci_image

    ci_image.check_job(Project.find().root, mode)


def _preflight(project: Project) -> Callable[[str], None]:
    """Real mode: refuse placeholders, a fresh account's gaps and images whose repository
    tags can be moved, before Terraform starts."""
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION, backend_settings
    from carcierge_pipeline.preflight import run_preflight

    clients = state.AwsClients(os.environ.get("AWS_REGION") or DEFAULT_REGION)

    def check(environment: str) -> None:
        backend_settings(environment)  # the pipeline's own settings first: no AWS call needed
        with state.aws_errors("the pre-flight check of the account"):
            run_preflight(
                project.root,
                environment,
                clients.iam,
                rds_in=lambda region: clients.in_region(region).rds,
                ecr_in=lambda region: clients.in_region(region).ecr,
            )

    return check


def _aws_validators() -> Callable[[Path], str]:
    """Real mode: AWS's own validators over the plan before it is published (preflight.py)."""
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.preflight import validate_plan

    clients = state.AwsClients(os.environ.get("AWS_REGION") or DEFAULT_REGION)

    def check(plan_json: Path) -> str:
        with state.aws_errors("AWS's validators (pre-flight)"):
            findings = validate_plan(
                plan_json, lambda region, service: clients.in_region(region).client(service)
            )
        return findings.markdown()

    return check


def _cmd_analyse(args: argparse.Namespace) -> None:
    variables = ci_variables.load()
    selection = ci_variables.select_environments(args.environment, variables=variables)
    project = Project.find()
    failures: list[str] = []
    for environment in selection.environments:
        try:
            if args.analysis == "security":
                from carcierge_pipeline.stages.analyse.security import run_security

                run_security(project, environment)
            else:
                from carcierge_pipeline.stages.analyse.cost import run_cost

                run_cost(project.build_dir(environment), environment)
        except StageFailed as error:
            if len(selection.environments) == 1:
                raise
            print(f"failed: {error}", file=sys.stderr)  # report every environment, then fail
            failures.append(environment)
    if failures:
        raise StageFailed(f"{args.analysis} analysis failed for {', '.join(failures)}")


def _cmd_apply(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.apply import run_apply

    variables = ci_variables.load()
    environment = ci_variables.deploy_environment(args.environment)
    _sign_in("apply", environment)
    mode = ci_variables.stage_mode()
    _check_ci_image(mode)
    ci_variables.refuse_verbose_logs(environment, mode)
    ci_variables.ensure_plugin_cache(mode)
    for project in _roots(variables):
        run_apply(
            project,
            environment,
            mode,
            allow_destroy=args.allow_destroy or variables.allow_destroy,
            verbose=args.verbose,
        )


def _cmd_docs(args: argparse.Namespace) -> None:
    from carcierge_pipeline.docs import sync

    project = Project.find()
    stale = sync(project.modules, check=args.check)
    names = ", ".join(str(path.relative_to(project.root)) for path in stale)
    if stale and args.check:
        raise StageFailed(f"module READMEs out of date (run `make docs`): {names}")
    print(f"updated {names}" if stale else "module READMEs are up to date")


def _cmd_state_bootstrap(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION

    bucket = args.bucket or os.environ.get("TF_STATE_BUCKET")
    if not bucket:
        raise UserError("no state bucket: pass --bucket or set TF_STATE_BUCKET")
    result = state.bootstrap(
        bucket,
        args.table or os.environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE,
        args.region or os.environ.get("BACKEND_REGION") or DEFAULT_REGION,
        args.kms_key_alias,
        noncurrent_days=args.noncurrent_days,
        lock_days=args.lock_days,
        replica_region=args.replica_region,
        replica_bucket=args.replica_bucket,
        replica_kms_key_alias=args.replica_kms_key_alias,
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n".join(state.render_bootstrap(result)))


def _cmd_oidc_bootstrap(args: argparse.Namespace) -> None:
    from carcierge_pipeline import accounts, oidc, state
    from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION, DEFAULT_STATE_KMS_KEY

    variables = ci_variables.load()
    environment = environments.require_environment(args.environment)
    project = Project.find()
    account = accounts.account_id(project.root, environment)  # before any AWS call
    bucket = args.bucket or os.environ.get("TF_STATE_BUCKET")
    if not bucket:
        raise UserError("no state bucket: pass --bucket or set TF_STATE_BUCKET")
    items = oidc.bootstrap(
        environment,
        args.project_path,
        bucket,
        args.table or os.environ.get("TF_LOCK_TABLE") or DEFAULT_LOCK_TABLE,
        args.region or os.environ.get("BACKEND_REGION") or DEFAULT_REGION,
        account_id=account,
        root=project.root,
        gitlab_url=args.gitlab_url,
        audience=args.audience,
        kms_key=os.environ.get("TF_STATE_KMS_KEY") or DEFAULT_STATE_KMS_KEY,
        app_name=variables.app_name,
        protected_buckets=tuple(args.protected_bucket or ()),
    )
    if args.json:
        print(json.dumps([item.__dict__ for item in items], indent=2))
        return
    width = max(len(item.name) for item in items)
    for item in items:
        print(f"  {item.status:<9}  {item.name:<{width}}  {item.detail}")
    changed = sum(item.status != state.UNCHANGED for item in items)
    print(f"{changed} of {len(items)} items changed" if changed else "nothing changed")


def _cmd_doctor(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state
    from carcierge_pipeline.backend import DEFAULT_REGION
    from carcierge_pipeline.doctor import render, run_doctor

    environment = environments.require_environment(args.environment)
    project = Project.find()
    region = os.environ.get("AWS_REGION") or DEFAULT_REGION
    checks = run_doctor(
        project.root,
        environment,
        state.AwsClients(region),
        project_path=args.project_path or os.environ.get("CI_PROJECT_PATH"),
    )
    print(f"doctor: {environment}")
    print("\n".join(render(checks)))
    missed = sum(not check.ok for check in checks)
    if missed:
        raise StageFailed(f"doctor: {missed} check(s) missed for {environment}; fixes above")


def _cmd_state_lock(args: argparse.Namespace) -> None:
    from carcierge_pipeline import state

    state.lock_status(_environment_from_context(args.environment))


def _cmd_db_roles(args: argparse.Namespace) -> None:
    from carcierge_pipeline.database import run_roles

    run_roles(environments.require_environment(args.environment))


def _cmd_opensearch_setup(args: argparse.Namespace) -> None:
    import logging

    from carcierge_pipeline.opensearch_setup import run_setup

    # opensearch-py logs every 404 as a warning; a missing document is what the command looks
    # for, and it reports what it changed itself.
    logging.getLogger("opensearch").setLevel(logging.ERROR)
    run_setup(environments.require_environment(args.environment))


def _cmd_ops_run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.ops_run import run

    run()


def _cmd_parity(args: argparse.Namespace) -> None:
    from carcierge_pipeline.stages.analyse.parity import run_parity
    from carcierge_pipeline.stages.plan import run_plan

    run_parity(Project.find(), reuse_plans=args.reuse_plans, planner=run_plan)


def _cmd_rehearse(args: argparse.Namespace) -> None:
    from carcierge_pipeline.rehearsal import rehearse

    rehearse(
        Project.find(), environments.require_environment(args.environment), verbose=args.verbose
    )


def _cmd_preview(args: argparse.Namespace) -> None:
    from carcierge_pipeline import mr_note
    from carcierge_pipeline.preview import preview

    environment = _environment_from_context(args.environment or os.environ.get("PLAN_ENVIRONMENT"))
    base = (
        args.base
        or os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
        or os.environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    )
    if not base:
        raise UserError("preview needs --base <git ref> (in a merge request: its target branch)")
    post = (lambda body: mr_note.upsert(environment, body)) if args.post else None
    allow = args.allow_destroy or ci_variables.flag("ALLOW_DESTROY", os.environ)
    preview(
        Project.find(),
        environment,
        base,
        allow_destroy=allow,
        post=post,
        security=args.security,
        # In a merge request pipeline: the target branch holds the merge base.
        fetch_branch=os.environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    )


def _cmd_comment(args: argparse.Namespace) -> None:
    from carcierge_pipeline import mr_note
    from carcierge_pipeline.preview import plan_comment

    environment = _environment_from_context(args.environment)
    body = plan_comment(Project.find(), environment, applied=args.applied)
    mr_note.upsert(environment, body)


def _cmd_offline_setup(args: argparse.Namespace) -> None:
    from carcierge_pipeline.offline import install

    print(f"offline provider ready: {install.ensure().root}")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported like every other user error: one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="carcierge",
        description=__doc__,
        epilog=EPILOGS[""],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    env = commands.add_parser("env", help="print the environment(s) a pipeline plans here, and why")
    env.add_argument("--branch", help="the environment this branch deploys (default: CI context)")
    env.add_argument(
        "--stage",
        choices=("plan", "drift", "apply"),
        help="also sign in as that stage would (its role of the environment)",
    )
    env.set_defaults(handler=_cmd_env)

    validate = commands.add_parser("validate", help="fmt, init, validate and terraform test")
    validate.add_argument("--skip-tests", action="store_true", help="skip terraform test")
    validate.set_defaults(handler=_cmd_validate)

    plan = commands.add_parser("plan", help="plan the environment(s) into build/<env>/")
    plan.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    plan.add_argument(
        "--allow-destroy",
        action="store_true",
        help="accept deleting or replacing stateful resources (or ALLOW_DESTROY=TRUE)",
    )
    plan.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    plan.set_defaults(handler=_cmd_plan)

    analyse = commands.add_parser("analyse", help="security scan or cost estimate of a plan")
    kinds = analyse.add_subparsers(dest="analysis", required=True, metavar="KIND")
    for kind, text in (
        ("security", "checkov on the code (with the environment's variables) and on plan.json"),
        ("cost", "monthly cost: infracost if configured, else the built-in price table"),
    ):
        sub = kinds.add_parser(kind, help=text)
        sub.add_argument("--environment", "-e", help="staging, qa, uat or prod (default: as plan)")
        sub.set_defaults(handler=_cmd_analyse)

    apply = commands.add_parser("apply", help="apply the saved plan of one environment")
    apply.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (in CI: from the branch)"
    )
    apply.add_argument(
        "--allow-destroy",
        action="store_true",
        help="accept deleting or replacing stateful resources (or ALLOW_DESTROY=TRUE)",
    )
    apply.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    apply.set_defaults(handler=_cmd_apply)

    drift = commands.add_parser(
        "drift", help="scheduled drift check: plan -detailed-exitcode, exit 3 on drift"
    )
    drift.add_argument("--environment", "-e", help="default: $DRIFT_ENVIRONMENT")
    drift.set_defaults(handler=_cmd_drift)

    docs = commands.add_parser("docs", help="regenerate module README input/output tables")
    docs.add_argument("--check", action="store_true", help="fail instead of writing")
    docs.set_defaults(handler=_cmd_docs)

    offline = commands.add_parser("offline-setup", help="build the offline provider cache")
    offline.set_defaults(handler=_cmd_offline_setup)

    state_cmd = commands.add_parser("state", help="remote state: bootstrap, lock inspection")
    state_commands = state_cmd.add_subparsers(dest="state_command", required=True, metavar="ACTION")
    bootstrap = state_commands.add_parser(
        "bootstrap", help="create the S3 state bucket, KMS key and lock table (idempotent)"
    )
    bootstrap.add_argument("--bucket", help="default: $TF_STATE_BUCKET")
    bootstrap.add_argument("--table", help="default: $TF_LOCK_TABLE or carcierge-terraform-locks")
    bootstrap.add_argument("--region", help="default: $BACKEND_REGION or us-west-1")
    bootstrap.add_argument(
        "--kms-key-alias",
        default=None,
        help="customer-managed key alias, created if missing (default: "
        "alias/carcierge-terraform-state)",
    )
    bootstrap.add_argument(
        "--noncurrent-days",
        type=int,
        default=90,
        help="days old state versions are kept (default: 90)",
    )
    bootstrap.add_argument(
        "--lock-days",
        type=int,
        default=30,
        help="S3 Object Lock retention of every state version, GOVERNANCE mode, at most "
        "--noncurrent-days (default: 30)",
    )
    bootstrap.add_argument(
        "--replica-region",
        help="also replicate the state bucket to this region (another region than the state's, "
        "e.g. us-west-2): a KMS key, a replica bucket, a replication role and the replication "
        "configuration, all idempotent",
    )
    bootstrap.add_argument(
        "--replica-bucket", help="replica bucket name (default: <bucket>-replica-<region>)"
    )
    bootstrap.add_argument(
        "--replica-kms-key-alias",
        help="customer-managed key alias in the replica region, created if missing (default: "
        "alias/carcierge-terraform-state-replica)",
    )
    bootstrap.add_argument("--json", action="store_true", help="print the result as JSON")
    bootstrap.set_defaults(handler=_cmd_state_bootstrap)
    lock = state_commands.add_parser(
        "lock", help="show who holds an environment's state lock and how to release it"
    )
    lock.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    lock.set_defaults(handler=_cmd_state_lock)

    rehearse = commands.add_parser(
        "rehearse",
        help="bootstrap, plan, apply and plan again against a local AWS emulator (no account)",
    )
    rehearse.add_argument(
        "--environment", "-e", default="staging", help="staging, qa, uat or prod (default staging)"
    )
    rehearse.add_argument("--verbose", "-v", action="store_true", help=VERBOSE_HELP)
    rehearse.set_defaults(handler=_cmd_rehearse)

    db = commands.add_parser("db", help="the services' database roles (run inside the VPC)")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    roles = db_commands.add_parser(
        "roles",
        help="create each service's PostgreSQL role, IAM login and schema (idempotent); "
        "settings from DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES",
    )
    roles.add_argument("--environment", "-e", required=True, help="staging, qa, uat or prod")
    roles.set_defaults(handler=_cmd_db_roles)

    opensearch = commands.add_parser(
        "opensearch", help="what OpenSearch needs after apply (run inside the VPC)"
    )
    opensearch_actions = opensearch.add_subparsers(
        dest="opensearch_command", required=True, metavar="ACTION"
    )
    opensearch_setup = opensearch_actions.add_parser(
        "setup",
        help="service roles and mappings, log index template, ISM retention, snapshot repository "
        "and policy (idempotent); settings from OPENSEARCH_*, LOG_RETENTION_DAYS, AWS_REGION",
    )
    opensearch_setup.add_argument(
        "--environment", "-e", required=True, help="staging, qa, uat or prod"
    )
    opensearch_setup.set_defaults(handler=_cmd_opensearch_setup)

    ops = commands.add_parser("ops", help="the operator task <env>-carcierge-ops")
    ops_actions = ops.add_subparsers(dest="ops_command", required=True, metavar="ACTION")
    ops_run = ops_actions.add_parser(
        "run",
        help="start the operator task once per command and wait for it to stop (run by "
        "terraform apply, modules/ecs/ops.tf); settings from OPS_CLUSTER, OPS_TASK_DEFINITION, "
        "OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS, OPS_COMMANDS, OPS_TIMEOUT_SECONDS",
    )
    ops_run.set_defaults(handler=_cmd_ops_run)

    oidc_cmd = commands.add_parser("oidc", help="GitLab OIDC: identity provider, deploy roles")
    oidc_actions = oidc_cmd.add_subparsers(dest="oidc_command", required=True, metavar="ACTION")
    oidc_bootstrap = oidc_actions.add_parser(
        "bootstrap",
        help="in the environment's own account: the OIDC provider, its plan and deploy roles "
        "and their boundary (idempotent)",
    )
    oidc_bootstrap.add_argument(
        "--environment", "-e", required=True, help="staging, qa, uat or prod"
    )
    oidc_bootstrap.add_argument("--project-path", required=True, help="<group>/<project>")
    oidc_bootstrap.add_argument("--gitlab-url", default="https://gitlab.com")
    oidc_bootstrap.add_argument("--audience", help="the id_tokens aud (default: --gitlab-url)")
    oidc_bootstrap.add_argument(
        "--protected-bucket",
        action="append",
        help="a backup bucket whose policy, versioning and lifecycle the deploy role may never "
        "change (repeatable; the state bucket always is)",
    )
    oidc_bootstrap.add_argument("--bucket", help="default: $TF_STATE_BUCKET")
    oidc_bootstrap.add_argument("--table", help="default: $TF_LOCK_TABLE")
    oidc_bootstrap.add_argument("--region", help="default: $BACKEND_REGION or us-west-1")
    oidc_bootstrap.add_argument("--json", action="store_true", help="print the result as JSON")
    oidc_bootstrap.set_defaults(handler=_cmd_oidc_bootstrap)

    preview_cmd = commands.add_parser(
        "preview",
        help="what the working tree changes in an environment relative to a git ref, offline "
        "(build/<env>/change/)",
    )
    preview_cmd.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    preview_cmd.add_argument(
        "--base",
        help="git ref to compare with (default in a merge request: "
        "$CI_MERGE_REQUEST_DIFF_BASE_SHA, else $CI_MERGE_REQUEST_TARGET_BRANCH_NAME)",
    )
    preview_cmd.add_argument(
        "--allow-destroy",
        action="store_true",
        help="accept deleting or replacing stateful resources (or ALLOW_DESTROY=TRUE)",
    )
    preview_cmd.add_argument(
        "--post",
        action="store_true",
        help="create or update the environment's merge-request comment ($CARCIERGE_GITLAB_TOKEN)",
    )
    preview_cmd.add_argument(
        "--security",
        action="store_true",
        help="also scan the base's and the change's plans with checkov and show new and fixed "
        "findings (make checkov)",
    )
    preview_cmd.set_defaults(handler=_cmd_preview)

    comment_cmd = commands.add_parser(
        "comment",
        help="post the environment's change comment from build/<env>/plan.json (a real plan, "
        "or with --applied what was applied) on the merge request or commit",
    )
    comment_cmd.add_argument(
        "--environment", "-e", help="staging, qa, uat or prod (default: from the branch)"
    )
    comment_cmd.add_argument("--applied", action="store_true", help="after apply")
    comment_cmd.set_defaults(handler=_cmd_comment)

    doctor = commands.add_parser(
        "doctor",
        help="check what a first real pipeline of an environment needs in its account, "
        "with the fix of each miss",
    )
    doctor.add_argument("--environment", "-e", required=True, help="staging, qa, uat or prod")
    doctor.add_argument(
        "--project-path", help="<group>/<project> the roles must trust (default: CI_PROJECT_PATH)"
    )
    doctor.set_defaults(handler=_cmd_doctor)

    parity = commands.add_parser(
        "parity", help="compare the environments' planned settings; fail if prod < uat"
    )
    parity.add_argument(
        "--reuse-plans",
        action="store_true",
        help="read build/<env>/plan.json instead of planning each environment offline",
    )
    parity.set_defaults(handler=_cmd_parity)
    _add_epilogs(parser)
    return parser


VERBOSE_HELP = (
    "show Terraform's every line (default: a progress line of counts; the full output is "
    "always in build/<env>/terraform-output.log)"
)
_PIPELINE = (
    "the pipeline's variables ENVIRONMENTS, MODULES, APP_NAME, TYPE, BACKEND_REGION, "
    "RUN_SECURITY_SCAN, RUN_COST_SCAN, TF_LOG, ALLOW_DESTROY, TERRAFORM_TEST, ALERT_EMAILS"
)
_CREDENTIALS = (
    "AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, ~/.aws; in CI "
    "the job's GitLab ID token and AWS_ROLE_ARN); OFFLINE=1 forces the offline preview, "
    "OFFLINE=0 real mode"
)
_BACKEND = "TF_STATE_BUCKET, TF_LOCK_TABLE, TF_STATE_KMS_KEY, BACKEND_REGION (real mode)"
_BRANCH = "CI_COMMIT_BRANCH, CI_MERGE_REQUEST_* (which environment, when -e is not given)"
# (example commands, environment variables read) per command path ("" is carcierge itself).
EPILOGS_BY_COMMAND: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "": (
        ("carcierge plan -e staging", "carcierge rehearse -e prod", "carcierge plan --help"),
        ("CARCIERGE_ROOT (the project; default: the working directory or a parent)",),
    ),
    "env": (("carcierge env --branch qa",), (_BRANCH, "ENVIRONMENTS", "OFFLINE, AWS credentials")),
    "validate": (
        ("carcierge validate", "carcierge validate --skip-tests"),
        (_PIPELINE, "OFFLINE", "TF_PLUGIN_CACHE_DIR"),
    ),
    "plan": (
        ("carcierge plan -e staging", "OFFLINE=1 carcierge plan -e prod --verbose"),
        (_PIPELINE, _CREDENTIALS, _BACKEND, _BRANCH, "CI_COMMIT_SHA, CI_PIPELINE_ID (provenance)"),
    ),
    "analyse": (
        ("carcierge analyse cost -e prod", "carcierge analyse security -e prod"),
        (_PIPELINE, "CHECKOV, INFRACOST, INFRACOST_API_KEY"),
    ),
    "analyse security": (
        ("carcierge analyse security -e prod",),
        (_PIPELINE, "CHECKOV (the checkov executable)"),
    ),
    "analyse cost": (
        ("carcierge analyse cost -e prod",),
        (_PIPELINE, "INFRACOST, INFRACOST_API_KEY (else the built-in price table)"),
    ),
    "apply": (
        ("carcierge plan -e staging && carcierge apply -e staging",),
        (_PIPELINE, _CREDENTIALS, _BACKEND, _BRANCH, "CI_COMMIT_SHA, CI_PIPELINE_ID"),
    ),
    "drift": (
        ("carcierge drift -e prod",),
        ("DRIFT_ENVIRONMENT", _PIPELINE, _CREDENTIALS, _BACKEND),
    ),
    "docs": (("carcierge docs", "carcierge docs --check"), ("CARCIERGE_ROOT",)),
    "offline-setup": (
        ("carcierge offline-setup",),
        ("CARCIERGE_OFFLINE_CACHE (where the offline provider's cache is built)",),
    ),
    "state": (("carcierge state lock -e prod",), (_BACKEND, "AWS credentials")),
    "state bootstrap": (
        ("carcierge state bootstrap --bucket acme-carcierge-tfstate --replica-region us-west-2",),
        (_BACKEND, "AWS credentials"),
    ),
    "state lock": (("carcierge state lock -e prod",), (_BACKEND, _BRANCH, "AWS credentials")),
    "rehearse": (
        ("carcierge rehearse -e staging", "carcierge rehearse -e prod --verbose"),
        ("none of the machine's AWS settings: they are replaced by the emulator's for the run",),
    ),
    "db": (("carcierge db roles -e prod",), ("DB_* (see `carcierge db roles --help`)",)),
    "db roles": (
        ("carcierge db roles -e prod",),
        ("DB_HOST, DB_PORT, DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES, AWS_REGION",),
    ),
    "opensearch": (
        ("carcierge opensearch setup -e prod",),
        ("OPENSEARCH_* (see `carcierge opensearch setup --help`)",),
    ),
    "opensearch setup": (
        ("carcierge opensearch setup -e prod",),
        (
            "OPENSEARCH_ENDPOINT, OPENSEARCH_ADMIN_ROLE_ARN, OPENSEARCH_SERVICE_ROLES, "
            "OPENSEARCH_DELIVERY_ROLE_ARN, OPENSEARCH_SNAPSHOT_ROLE_ARN, "
            "OPENSEARCH_SNAPSHOT_BUCKET, LOG_RETENTION_DAYS, AWS_REGION",
        ),
    ),
    "oidc": (
        ("carcierge oidc bootstrap --project-path acme/carcierge-infrastructure",),
        (_BACKEND, "AWS credentials"),
    ),
    "oidc bootstrap": (
        ("carcierge oidc bootstrap --environment qa --project-path acme/carcierge-infrastructure",),
        (_BACKEND, "APP_NAME", "AWS credentials (an administrator of the environment's account)"),
    ),
    "doctor": (
        ("carcierge doctor -e staging --project-path acme/carcierge-infrastructure",),
        ("CI_PROJECT_PATH (default --project-path)", _BACKEND, "AWS credentials"),
    ),
    "ops": (
        ("carcierge ops run",),
        ("OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS",),
    ),
    "ops run": (
        ("carcierge ops run  # as terraform apply runs it (terraform_data.ops_setup, ops.tf)",),
        (
            "OPS_CLUSTER, OPS_TASK_DEFINITION, OPS_CONTAINER, OPS_SUBNETS, OPS_SECURITY_GROUPS, "
            "OPS_COMMANDS, OPS_TIMEOUT_SECONDS",
            "CARCIERGE_OFFLINE_APPLY (the rehearsal: a labelled stand-in, no AWS call)",
            "AWS credentials",
        ),
    ),
    "parity": (("carcierge parity", "carcierge parity --reuse-plans"), ("CARCIERGE_ROOT",)),
    "preview": (
        (
            "carcierge preview -e staging --base main",
            "carcierge preview -e prod --base prod --post",
        ),
        (
            "PLAN_ENVIRONMENT, " + _BRANCH,
            "CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_MERGE_REQUEST_TARGET_BRANCH_NAME (default --base)",
            "ALLOW_DESTROY",
            "CARCIERGE_GITLAB_TOKEN, CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (--post)",
        ),
    ),
    "comment": (
        ("carcierge comment -e prod", "carcierge comment -e prod --applied"),
        (
            _BRANCH,
            "CARCIERGE_GITLAB_TOKEN, CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, "
            "CI_COMMIT_SHA, CI_JOB_URL",
        ),
    ),
}


def _epilog(examples: tuple[str, ...], variables: tuple[str, ...]) -> str:
    lines = ["Examples:" if len(examples) > 1 else "Example:"]
    lines += [f"  {example}" for example in examples]
    lines += ["", "Environment variables:"]
    lines += [
        textwrap.fill(variable, 88, initial_indent="  ", subsequent_indent="    ")
        for variable in variables
    ]
    return "\n".join(lines)


EPILOGS = {command: _epilog(*entry) for command, entry in EPILOGS_BY_COMMAND.items()}


def _add_epilogs(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Each subcommand's help ends with an example and the environment variables it reads."""
    # argparse keeps its subcommands in a private action class; read-only use here.
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            command = f"{path} {name}".strip()
            if command in EPILOGS:
                sub.epilog = EPILOGS[command]
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
            _add_epilogs(sub, command)


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
