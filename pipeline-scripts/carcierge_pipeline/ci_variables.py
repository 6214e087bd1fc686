"""The GitLab pipeline's variables: parsed and checked in one place.

The product spec names them (with its defaults): ``ENVIRONMENTS=staging``, ``MODULES=app``,
``APP_NAME=carcierge``, ``TYPE=app``, ``BACKEND_REGION=us-west-1``, ``RUN_SECURITY_SCAN=FALSE``,
``RUN_COST_SCAN=FALSE``, ``TF_LOG=""``; the pipeline adds ``ALLOW_DESTROY=FALSE``,
``TERRAFORM_TEST=TRUE`` (FALSE: validate skips ``terraform test``, for a quick run) and
``ALERT_EMAILS`` (the on-call addresses subscribed to the alert topic, which no committed file
may hold; handed to the plan as ``TF_VAR_alert_emails``). Every
pipeline command checks all of them first, so a typo (``RUN_COST_SCAN=maybe``) fails the
pipeline with one line instead of silently skipping a stage.

Which environment a job works on:

- ``--environment`` on the command line wins;
- on one of the four environment branches (main, qa, uat, prod) the branch decides, and
  ``ENVIRONMENTS`` is ignored (a branch never plans or applies another environment);
- a merge request plans the environment its *target* branch deploys (that is where the change
  lands), or ``ENVIRONMENTS`` when the target is not an environment branch;
- any other branch plans ``ENVIRONMENTS`` (default staging) and never applies.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from carcierge_pipeline import environments
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.terraform import Mode, has_aws_credentials, resolve_mode


@dataclass(frozen=True)
class Root:
    """A Terraform root configuration the pipeline can run (selected by ``MODULES``)."""

    name: str
    path: str  # relative to the project root
    type: str
    label: str
    description: str


# MODULES values. One root today; a new root (e.g. shared DNS) is one entry here.
ROOTS: dict[str, Root] = {
    "app": Root(
        "app",
        ".",
        "app",
        "the platform root",
        "main.tf and modules/: VPC, security groups, ECS services and ALB, Redis, "
        "OpenSearch, RDS, monitoring",
    ),
}


@dataclass(frozen=True)
class RootType:
    """A TYPE value: what kind of root, which fixes where its state lives."""

    description: str
    state_key: str  # a template of {app} (APP_NAME) and {environment}


# TYPE values: what kind of root, which fixes how it is planned and where its state lives.
TYPES: dict[str, RootType] = {
    "app": RootType(
        "one state per environment (<APP_NAME>/<env>/terraform.tfstate), variables from "
        "environments/<env>.tfvars",
        "{app}/{environment}/terraform.tfstate",
    ),
}

TF_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "JSON")
# Terraform's log switches (TF_LOG_CORE and TF_LOG_PROVIDER enable logging on their own) and the
# levels at which the AWS provider logs request and response bodies (JSON is TRACE as JSON).
LOG_VARIABLES = ("TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_CORE")
VERBOSE_LOG_LEVELS = ("TRACE", "DEBUG", "JSON")
DEFAULTS: dict[str, str] = {
    "ENVIRONMENTS": "staging",
    "MODULES": "app",
    "APP_NAME": "carcierge",
    "TYPE": "app",
    "BACKEND_REGION": "us-west-1",
    "RUN_SECURITY_SCAN": "FALSE",
    "RUN_COST_SCAN": "FALSE",
    "ALLOW_DESTROY": "FALSE",
    "TERRAFORM_TEST": "TRUE",
    "TF_LOG": "",
    "ALERT_EMAILS": "",
}
# The same check as the root variable alert_emails (variables.tf), so that a bad address fails
# the job before Terraform starts.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_APP_NAME = re.compile(r"^[a-z][a-z0-9]{1,14}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


def _raw(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    return value if value else DEFAULTS[name]


def _list(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value) if item]


def parse_flag(name: str, value: str | None) -> bool:
    """TRUE or FALSE (any case); unset or empty means the default."""
    text = (value or "").strip() or DEFAULTS.get(name, "FALSE")
    if text.upper() == "TRUE":
        return True
    if text.upper() == "FALSE":
        return False
    raise UserError(f"{name} must be TRUE or FALSE; got {text!r}")


def flag(name: str, environ: Mapping[str, str] = os.environ) -> bool:
    return parse_flag(name, environ.get(name))


@dataclass(frozen=True)
class PipelineVariables:
    environments: tuple[str, ...]
    modules: tuple[str, ...]
    app_name: str
    type: str
    backend_region: str
    run_security_scan: bool
    run_cost_scan: bool
    allow_destroy: bool
    terraform_test: bool
    tf_log: str
    alert_emails: tuple[str, ...] = ()

    @property
    def roots(self) -> list[Root]:
        return [ROOTS[name] for name in self.modules]

    def state_key(self, environment: str) -> str:
        """Where ``environment``'s state lives: the TYPE's layout, named by APP_NAME."""
        return TYPES[self.type].state_key.format(
            app=self.app_name, environment=environments.require_environment(environment)
        )


def check_app_name(root: Path, app_name: str) -> None:
    """APP_NAME must be the configuration's project_name (terraform.tfvars), checked before
    Terraform starts; the plan stage checks the planned value again (an environment file may
    still set it, which the input checks refuse)."""
    from carcierge_pipeline import hcl

    shared = root / "terraform.tfvars"
    project_name = (
        hcl.plain(hcl.load_tfvars(shared)).get("project_name") if shared.is_file() else None
    )
    # An ill-formed project_name is left to Terraform's own validation message.
    if isinstance(project_name, str) and _APP_NAME.match(project_name) and project_name != app_name:
        raise UserError(
            f"APP_NAME is {app_name!r} but project_name in terraform.tfvars is "
            f"{project_name!r}; they must match (APP_NAME also names the state key)"
        )


def load(environ: Mapping[str, str] = os.environ) -> PipelineVariables:
    """All pipeline variables, checked; the first bad one raises a one-line UserError."""
    allowed = ", ".join(environments.ENVIRONMENTS)
    envs = _list(_raw(environ, "ENVIRONMENTS"))
    for name in envs:
        if name not in environments.ENVIRONMENTS:
            raise UserError(f"ENVIRONMENTS must list environments out of {allowed}; got {name!r}")

    modules = _list(_raw(environ, "MODULES"))
    for name in modules:
        if name not in ROOTS:
            known = ", ".join(f"{key} ({root.label})" for key, root in ROOTS.items())
            raise UserError(f"MODULES must list roots out of {known}; got {name!r}")

    root_type = _raw(environ, "TYPE")
    if root_type not in TYPES:
        raise UserError(f"TYPE must be one of {', '.join(TYPES)}; got {root_type!r}")
    for name in modules:
        if ROOTS[name].type != root_type:
            raise UserError(
                f"MODULES {name!r} is a {ROOTS[name].type!r} root but TYPE is {root_type!r}"
            )

    app_name = _raw(environ, "APP_NAME")
    if not _APP_NAME.match(app_name):
        raise UserError(
            "APP_NAME must be 2-15 lowercase letters or digits starting with a letter "
            f"(it is project_name in every resource name); got {app_name!r}"
        )
    region = _raw(environ, "BACKEND_REGION")
    if not _REGION.match(region):
        raise UserError(
            f"BACKEND_REGION must be an AWS region code such as us-west-1; got {region!r}"
        )

    tf_log = environ.get("TF_LOG", "").strip()
    if tf_log and tf_log.upper() not in TF_LOG_LEVELS:
        raise UserError(
            f"TF_LOG must be empty or one of {', '.join(TF_LOG_LEVELS)}; got {tf_log!r}"
        )

    alert_emails = parse_alert_emails(environ.get("ALERT_EMAILS", ""))
    if environ.get("TF_VAR_alert_emails") is not None:
        raise UserError(
            "TF_VAR_alert_emails is set: give the on-call addresses as ALERT_EMAILS "
            "(comma-separated), which the plan hands to Terraform; unset TF_VAR_alert_emails"
        )

    return PipelineVariables(
        environments=tuple(dict.fromkeys(envs)),
        modules=tuple(dict.fromkeys(modules)),
        app_name=app_name,
        type=root_type,
        backend_region=region,
        run_security_scan=flag("RUN_SECURITY_SCAN", environ),
        run_cost_scan=flag("RUN_COST_SCAN", environ),
        allow_destroy=flag("ALLOW_DESTROY", environ),
        terraform_test=flag("TERRAFORM_TEST", environ),
        tf_log=tf_log,
        alert_emails=alert_emails,
    )


def parse_alert_emails(value: str) -> tuple[str, ...]:
    """ALERT_EMAILS: e-mail addresses separated by commas (spaces around them are ignored).
    A bad entry is named by its position, never echoed: the value stays out of job logs."""
    if not value.strip():
        return ()
    entries = [entry.strip() for entry in value.split(",")]
    for position, entry in enumerate(entries, 1):
        if not _EMAIL.match(entry):
            what = "is empty" if not entry else "is not an e-mail address"
            raise UserError(
                f"ALERT_EMAILS entry {position} of {len(entries)} {what}: give comma-separated "
                "addresses such as oncall@example.com,platform@example.com"
            )
    return tuple(sorted(set(entries)))


def terraform_variables(variables: PipelineVariables) -> dict[str, str]:
    """What a plan passes to Terraform from the pipeline's variables, as TF_VAR_* in its
    environment only: never in a tfvars file, an argument or the job log. Without ALERT_EMAILS
    the root's default (no subscription) applies."""
    if not variables.alert_emails:
        return {}
    return {"TF_VAR_alert_emails": json.dumps(list(variables.alert_emails))}


@dataclass(frozen=True)
class Selection:
    environments: tuple[str, ...]
    reason: str


def select_environments(
    explicit: str | None,
    environ: Mapping[str, str] = os.environ,
    variables: PipelineVariables | None = None,
) -> Selection:
    """The environments a plan/analyse job works on, and why (see the module docstring)."""
    if explicit:
        return Selection((environments.require_environment(explicit),), "--environment")
    variables = variables or load(environ)
    merge_request_target = environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    if merge_request_target:
        target = environments.resolve_branch(merge_request_target)
        if target.deployable:
            return Selection(
                (target.environment,),
                f"merge request into {merge_request_target!r}, which deploys {target.environment}",
            )
        return Selection(
            variables.environments,
            f"merge request into {merge_request_target!r} (not an environment branch): "
            f"ENVIRONMENTS={','.join(variables.environments)}",
        )
    branch = environ.get("CI_COMMIT_BRANCH")
    resolution = environments.resolve_branch(branch)
    if resolution.deployable:
        return Selection((resolution.environment,), resolution.reason)
    chosen = f"ENVIRONMENTS={','.join(variables.environments)}"
    if branch:
        return Selection(
            variables.environments, f"branch {branch!r} is not an environment branch: {chosen}"
        )
    return Selection(variables.environments, f"no CI branch: {chosen}")


def deploy_environment(explicit: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The one environment an apply may change: never from a merge request or other branch."""
    if environ.get("CI_MERGE_REQUEST_IID") or environ.get("CI_PIPELINE_SOURCE") == (
        "merge_request_event"
    ):
        raise UserError("apply never runs in a merge request pipeline")
    branch = environ.get("CI_COMMIT_BRANCH")
    if branch is None:
        if explicit:
            return environments.require_environment(explicit)
        raise UserError("apply needs --environment outside a CI branch pipeline")
    resolution = environments.resolve_branch(branch)
    if not resolution.deployable:
        raise UserError(
            f"apply runs only on the environment branches "
            f"({', '.join(environments.BRANCH_ENVIRONMENTS)}); {branch!r} is not one"
        )
    if explicit and explicit != resolution.environment:
        raise UserError(f"branch {branch!r} deploys {resolution.environment}, not {explicit!r}")
    return resolution.environment


def ensure_plugin_cache(mode: Mode, environ: MutableMapping[str, str] = os.environ) -> None:
    """Real mode: Terraform needs TF_PLUGIN_CACHE_DIR to exist (the CI cache restores it only
    when warm). Offline mode: no plugin cache, so the offline stand-in never lands in it."""
    if mode.offline:
        environ.pop("TF_PLUGIN_CACHE_DIR", None)
        return
    directory = environ.get("TF_PLUGIN_CACHE_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)


def stage_mode(environ: Mapping[str, str] = os.environ) -> Mode:
    """The mode of a plan or apply job: in GitLab CI, decided by the ref, never by luck.

    - An environment branch (main, qa, uat, prod; not a merge request) plans and applies for
      real: it must be a protected branch and have its environment's credentials, and
      ``OFFLINE=1`` is refused. A missing credential fails the job instead of turning it into
      a preview that apply would refuse.
    - A merge request that promotes (main -> qa, qa -> uat, uat -> prod) plans the target for
      real without taking the state lock, with the target's plan role; it must run in a
      protected pipeline. Every other merge request is an offline preview.
    - Any other unprotected ref (feature branches) is an offline preview, even when
      credentials reach it; ``OFFLINE=0`` is refused.
    - Outside a CI job (no ``CI_JOB_ID``): ``terraform.resolve_mode`` (credentials or
      ``OFFLINE``).
    """
    if not environ.get("CI_JOB_ID"):
        return resolve_mode(environ)
    protected = environ.get("CI_COMMIT_REF_PROTECTED") == "true"
    merge_request = environ.get("CI_PIPELINE_SOURCE") == "merge_request_event"
    branch = environ.get("CI_COMMIT_BRANCH")
    if branch in environments.BRANCH_ENVIRONMENTS and not merge_request:
        environment = environments.BRANCH_ENVIRONMENTS[branch]
        if not protected:
            raise UserError(
                f"branch {branch!r} deploys {environment} but is not a protected branch: "
                "protect it (docs/pipeline.md, Pipeline set-up) so it alone gets the credentials"
            )
        if environ.get("OFFLINE") == "1":
            raise UserError(
                f"OFFLINE=1 on branch {branch!r}: the environment branches plan and apply "
                "for real; preview on a feature branch instead"
            )
        # OFFLINE=0: the runner itself provides them (an instance profile, which no variable
        # shows); otherwise they must be visible.
        if not has_aws_credentials(environ) and environ.get("OFFLINE") != "0":
            raise UserError(
                f"no AWS credentials for {environment} on branch {branch!r}: the job must "
                f"declare environment {environment} and get its role (AWS_ROLE_ARN) or keys "
                "scoped to it (docs/pipeline.md, Pipeline set-up; OFFLINE=0 if the runner has them)"
            )
        return Mode(False, f"branch {branch!r} deploys {environment}")
    if merge_request:
        return _merge_request_mode(environ, protected)
    if not protected:
        ref = environ.get("CI_COMMIT_REF_NAME") or branch or "this ref"
        if environ.get("OFFLINE") == "0":
            raise UserError(f"OFFLINE=0 on {ref!r}: real plans run only on protected refs")
        return Mode(True, f"{ref!r} is not a protected ref")
    return resolve_mode(environ)


def _merge_request_mode(environ: Mapping[str, str], protected: bool) -> Mode:
    """A promotion (main -> qa, qa -> uat, uat -> prod) plans the target for real, read-only,
    with the target's plan role; every other merge request is an offline preview."""
    source = environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
    target = environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    environment = environments.promotion_target(source, target)
    if environment is None:
        if environ.get("OFFLINE") == "0":
            raise UserError(
                f"OFFLINE=0 in a merge request from {source!r} into {target!r}: only promotions "
                f"({', '.join(f'{s} -> {t}' for t, s in environments.PROMOTIONS.items())}) "
                "plan for real"
            )
        return Mode(True, f"merge request from {source!r} into {target!r} is not a promotion")
    what = f"promotion merge request {source!r} -> {target!r}"
    if not protected:
        raise UserError(
            f"{what} runs in an unprotected pipeline: protect both branches and turn on "
            "Settings > CI/CD > General pipelines > protected merge request pipelines "
            "(docs/setup.md), so it plans with the protected variables of " + environment
        )
    if environ.get("OFFLINE") == "1":
        raise UserError(f"OFFLINE=1 in a {what}: promotions plan {environment} for real")
    if not has_aws_credentials(environ) and environ.get("OFFLINE") != "0":
        raise UserError(
            f"no AWS credentials for the {what}: the job needs its GitLab ID token "
            f"(id_tokens) to sign in with {environment}'s plan role"
        )
    return Mode(False, f"{what}: read-only plan of {environment}", state_lock=False)


def verbose_log(environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """The first Terraform log switch set to a level that logs request bodies, if any."""
    for name in LOG_VARIABLES:
        level = environ.get(name, "").strip().upper()
        if level in VERBOSE_LOG_LEVELS:
            return name, level
    return None


def refuse_verbose_logs(
    environment: str, mode: Mode, environ: Mapping[str, str] = os.environ
) -> None:
    """Real jobs of uat and prod never log request bodies (secrets read during refresh land in
    the log artifact): TF_LOG, TF_LOG_PROVIDER, TF_LOG_CORE at DEBUG, TRACE or JSON refused."""
    if mode.offline or environment not in environments.PROTECTED_ENVIRONMENTS:
        return
    found = verbose_log(environ)
    if found:
        name, level = found
        raise UserError(
            f"{name}={level} is refused on every real job of {environment}: at that level the "
            "AWS provider logs request and response bodies, secrets included; use INFO or lower"
        )
