"""The rehearsal: the real path (state and OIDC bootstrap, sign-in as the environment's deploy
role through AssumeRoleWithWebIdentity, Terraform's S3 backend with its KMS encryption and
both locks, plan, apply of the saved plan, plan again) run on this machine
against a local AWS emulator (moto's server on 127.0.0.1), with the offline provider standing
in for AWS's resources.

It can never reach an account: the emulator's endpoint must be a loopback address, the
credentials are the rehearsal's own fake ones (every other AWS setting of the environment is
removed for its duration), and a rehearsal plan is refused by a real apply (and a real plan by
the rehearsal's apply; see apply.check_saved_plan).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import os
import socket
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from carcierge_pipeline import accounts, oidc, state
from carcierge_pipeline.backend import DEFAULT_LOCK_TABLE, DEFAULT_REGION, DEFAULT_STATE_KMS_KEY
from carcierge_pipeline.environments import BRANCH_ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.report import PlanReport, analyse
from carcierge_pipeline.stages.apply import run_apply
from carcierge_pipeline.stages.plan import run_plan
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import PlanFiles

MODE = Mode(offline=False, reason="rehearsal against a local AWS emulator", rehearsal=True)


@dataclass(frozen=True)
class RehearsalProject(Project):
    """The project, publishing the rehearsal's plans under build/rehearsal/<env>/ so they never
    replace (or delete, on a failure) a plan that ``carcierge plan`` published for review."""

    def build_dir(self, environment: str) -> Path:
        return self.root / "build" / "rehearsal" / environment


BUCKET = "carcierge-rehearsal-tfstate"
# The GitLab project the rehearsal's deploy roles trust (the emulator checks no token).
PROJECT_PATH = "carcierge/infrastructure"
GITLAB_URL = "https://gitlab.rehearsal.invalid"
# The services the rehearsal's path calls (state bootstrap, OIDC bootstrap, backend, locks).
_SERVICES = ("STS", "S3", "DYNAMODB", "KMS", "IAM")
# The pipeline's own settings that the rehearsal puts in place of the machine's, besides AWS's.
PIPELINE_SETTINGS = (
    oidc.TOKEN_VARIABLE,
    "TF_STATE_BUCKET",
    "TF_LOCK_TABLE",
    "TF_STATE_KMS_KEY",
    "BACKEND_REGION",
    "OFFLINE",
)


def is_aws_setting(name: str) -> bool:
    """Whether the rehearsal puts its own in place of the machine's ``name`` while it runs:
    every setting of the AWS SDKs and CLI (all named AWS_*: credentials, profiles, endpoints,
    region, the metadata service; docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html)
    and ``PIPELINE_SETTINGS``."""
    return name.startswith("AWS_") or name in PIPELINE_SETTINGS


def require_loopback(endpoint: str) -> str:
    """``endpoint`` if it is an emulator on this machine; the rehearsal never leaves it."""
    host = urlparse(endpoint).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UserError(
            f"the rehearsal runs only against an emulator on this machine (127.0.0.1, ::1 or "
            f"localhost); refusing endpoint {endpoint!r}"
        )
    return endpoint


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_MANAGED_POLICIES = "MOTO_IAM_LOAD_MANAGED_POLICIES"


@contextmanager
def emulator() -> Iterator[str]:
    """moto's server on a free loopback port for the duration; yields its endpoint."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:  # moto is a dev dependency
        raise UserError(
            "the rehearsal needs the development tools (moto): run `make setup`"
        ) from error
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The plan role attaches AWS's ReadOnlyAccess, which moto holds only when asked to, in the
    # backends it creates after a reset (moto's state lives in this process).
    saved = os.environ.get(_MANAGED_POLICIES)
    os.environ[_MANAGED_POLICIES] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = require_loopback(f"http://{host}:{port}")
    try:
        request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=30).close()
        yield endpoint
    finally:
        server.stop()
        if saved is None:
            os.environ.pop(_MANAGED_POLICIES, None)
        else:
            os.environ[_MANAGED_POLICIES] = saved


def settings(endpoint: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The process environment of a rehearsal against ``endpoint``."""
    endpoint = require_loopback(endpoint)
    return {
        "AWS_ENDPOINT_URL": endpoint,
        # Named per service as well: the SDK's web-identity credential provider inside
        # Terraform's S3 backend ignores AWS_ENDPOINT_URL and would ask AWS's own STS.
        **{f"AWS_ENDPOINT_URL_{service}": endpoint for service in _SERVICES},
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "TF_STATE_BUCKET": BUCKET,
        "BACKEND_REGION": region,
    }


@contextmanager
def aws_environment(
    endpoint: str, environ: dict[str, str] | os._Environ[str] = os.environ
) -> Iterator[None]:
    """Replace every AWS setting of ``environ`` by the rehearsal's own, restored afterwards."""
    saved = {name: value for name, value in environ.items() if is_aws_setting(name)}
    _clear_aws_settings(environ)
    environ.update(settings(endpoint))
    try:
        yield
    finally:
        _clear_aws_settings(environ)
        environ.update(saved)


def _clear_aws_settings(environ: dict[str, str] | os._Environ[str]) -> None:
    for name in [name for name in environ if is_aws_setting(name)]:
        del environ[name]


def bootstrap_backend(endpoint: str) -> state.BootstrapResult:
    """The state bucket, its KMS key and the lock table, created in the emulator by the same
    bootstrap a real account gets. The bucket's TLS-only policy is then removed: moto does not
    evaluate policy conditions and would read it as "deny everything" over its plain-HTTP
    endpoint (the policy itself is tested in test_state.py)."""
    result = state.bootstrap(
        BUCKET, DEFAULT_LOCK_TABLE, DEFAULT_REGION, endpoint_url=require_loopback(endpoint)
    )
    state.AwsClients(DEFAULT_REGION, endpoint).s3.delete_bucket_policy(Bucket=BUCKET)
    return result


def bootstrap_deploy_roles(endpoint: str, environment: str, root: Path) -> None:
    """The GitLab OIDC provider and the environment's plan and deploy roles, as `carcierge oidc
    bootstrap --environment` creates them, in the emulator's account (the rehearsal stands in
    for the environment file's account). The bucket-policy isolation is removed afterwards like
    the TLS policy (moto reads conditional denies as unconditional); the roles' own policies
    stay."""
    clients = state.AwsClients(DEFAULT_REGION, require_loopback(endpoint))
    oidc.bootstrap(
        environment,
        PROJECT_PATH,
        BUCKET,
        DEFAULT_LOCK_TABLE,
        DEFAULT_REGION,
        account_id=str(clients.sts.get_caller_identity()["Account"]),
        root=root,
        gitlab_url=GITLAB_URL,
        kms_key=DEFAULT_STATE_KMS_KEY,
        clients=clients,
    )
    clients.s3.delete_bucket_policy(Bucket=BUCKET)


def _id_token(environment: str) -> str:
    """A token shaped like the job's GitLab ID token for the environment's branch (unsigned:
    the emulator does not verify it; AWS would, against the GitLab instance's keys)."""
    branch = next(b for b, env in BRANCH_ENVIRONMENTS.items() if env == environment)
    claims = {"aud": GITLAB_URL, "sub": oidc.subject(PROJECT_PATH, branch), "iss": GITLAB_URL}
    parts = [json.dumps({"alg": "RS256", "typ": "JWT"}), json.dumps(claims), "rehearsal"]
    return ".".join(base64.urlsafe_b64encode(part.encode()).decode().rstrip("=") for part in parts)


def use_deploy_role(
    endpoint: str, environment: str, environ: dict[str, str] | os._Environ[str] = os.environ
) -> str:
    """From here on, no static keys: Terraform's S3 backend and boto3 sign in as the
    environment's deploy role through ``AssumeRoleWithWebIdentity``, with the ID token the CI
    job would have. Returns the role's ARN."""
    iam = state.AwsClients(DEFAULT_REGION, require_loopback(endpoint)).iam
    name = accounts.role_name(environment, accounts.DEPLOY)
    role_arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        environ.pop(name, None)
    environ["AWS_ROLE_ARN"] = role_arn
    environ[oidc.TOKEN_VARIABLE] = _id_token(environment)
    oidc.use_id_token(environ)
    return role_arn


@dataclass(frozen=True)
class Rehearsal:
    environment: str
    first: PlanReport
    second: PlanReport


def rehearse(
    project: Project,
    environment: str,
    *,
    echo: Callable[[str], None] = print,
    environ: Mapping[str, str] | None = None,
    verbose: bool = False,
) -> Rehearsal:
    """bootstrap -> plan -> apply -> plan again, in an emulator started for the purpose. The
    configuration must be stable under its own state: the second plan must change nothing.

    The plans record ``environ``'s CI_COMMIT_SHA and CI_PIPELINE_ID (by default a rehearsal
    marker: a rehearsal plans the working tree as it is, committed or not). Its plan files
    go to build/rehearsal/<env>/: a plan of the same environment made for review stays as it
    was. Terraform's output of the three runs goes to one log (every line on the terminal too
    when ``verbose``)."""
    project = RehearsalProject(project.root)
    identity = environ or {
        "CI_COMMIT_SHA": "rehearsal-working-tree",
        "CI_PIPELINE_ID": f"rehearsal-{os.getpid()}",
    }
    with emulator() as endpoint, aws_environment(endpoint):
        echo(f"REHEARSAL: AWS emulator at {endpoint}; no account is reachable from here")
        result = bootstrap_backend(endpoint)
        echo(
            f"state backend: s3://{result.bucket} (key {result.kms_key_arn}), table {result.table}"
        )
        bootstrap_deploy_roles(endpoint, environment, project.root)
        role = use_deploy_role(endpoint, environment)
        echo(f"signed in as {role} through AssumeRoleWithWebIdentity (GitLab OIDC)")
        PlanFiles(project.build_dir(environment)).output_log.unlink(missing_ok=True)
        files = run_plan(project, environment, MODE, echo=echo, environ=identity, verbose=verbose)
        first = analyse(json.loads(files.json.read_text()), environment)
        run_apply(project, environment, MODE, echo=echo, environ=identity, verbose=verbose)
        files = run_plan(project, environment, MODE, echo=echo, environ=identity, verbose=verbose)
        second = analyse(json.loads(files.json.read_text()), environment)
    if any(second.counts.values()):
        raise StageFailed(
            f"the second {environment} plan is not empty ({second.headline}): the configuration "
            "is not stable under its own state"
        )
    echo(
        f"rehearsal of {environment} passed: applied {first.headline}; the plan after it "
        f"changes nothing ({project.build_dir(environment).relative_to(project.root)}/)"
    )
    return Rehearsal(environment, first, second)
