"""What must happen inside OpenSearch after apply (`carcierge opensearch setup -e <env>`).

Terraform creates the domain; the security plugin's roles and mappings, index templates, ISM
and snapshot policies live inside it, behind its VPC endpoint. This command runs as the
operator task `<env>-carcierge-ops` (modules/ecs/ops.tf), signs its requests with SigV4 as the
domain's master role, and brings each document to the wanted state, idempotently: it reads
every document first and writes only what is missing or differs, so a second run prints
`no changes`.

- Security plugin: per service a role `carcierge_svc_<key>` with read/write on the indices
  `<key>-*` only, mapped to the service's task role (backend role = its ARN); the role
  `carcierge_logs_writer` (write `logs-*`) mapped to the log delivery role (the ingestion
  pipeline's), when given.
- An index template `carcierge-logs` for the daily log indices `logs-<source>-YYYY.MM.DD` of
  every source modules/log_delivery writes (the services, `vpc-flow-logs`, `alb`); it types the
  fields the pipeline parses out of ALB access-log entries (`alb.*`) and VPC flow-log records
  (`flow.*`).
- An ISM policy `carcierge-logs-retention` that deletes log indices after the environment's
  log retention, attached to new `logs-*` indices by its ISM template.
- When the snapshot bucket and role are given: the S3 snapshot repository
  `carcierge-snapshots` and the snapshot management policy `carcierge-daily` (a daily snapshot
  of the data indices, deleted after SNAPSHOT_RETENTION_DAYS, default 14).

Settings come from the task's environment (the Terraform output ``ops_task``): OPENSEARCH_ENDPOINT,
OPENSEARCH_SERVICE_ROLES (JSON: service key => task role ARN), OPENSEARCH_ADMIN_ROLE_ARN (the
master role to assume), OPENSEARCH_DELIVERY_ROLE_ARN, OPENSEARCH_SNAPSHOT_BUCKET,
OPENSEARCH_SNAPSHOT_ROLE_ARN (optional; empty = skipped with a line), LOG_RETENTION_DAYS,
SNAPSHOT_RETENTION_DAYS (optional) and AWS_REGION.

APIs (OpenSearch documentation, read 2026-12-01): security plugin "Create or update role
mappings" (PUT replaces the mapping in full) and roles; "Index templates"; ISM API "Create
policy" / "Update policy" (an update needs ``if_seq_no`` and ``if_primary_term``); Snapshot
Management API (create with POST, update with PUT and ``if_seq_no``/``if_primary_term``);
Amazon OpenSearch Service Developer Guide, "Registering a manual snapshot repository" (the
signing role needs ``iam:PassRole`` on the snapshot role and the manage_snapshots permissions,
which the master role's all_access includes).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from carcierge_pipeline.errors import StageFailed, UserError

SERVICE_ROLE_PREFIX = "carcierge_svc_"
LOGS_WRITER_ROLE = "carcierge_logs_writer"
LOG_INDEX_PATTERN = "logs-*"
LOG_TEMPLATE = "carcierge-logs"
ISM_POLICY = "carcierge-logs-retention"
SNAPSHOT_REPOSITORY = "carcierge-snapshots"
SM_POLICY = "carcierge-daily"
DEFAULT_SNAPSHOT_RETENTION_DAYS = 14

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")
_SERVICE_KEY = re.compile(r"^[a-z][a-z0-9-]{0,13}$")
# Index families of no service (modules/conventions: reserved_index_prefixes; modules/ecs's
# services validation refuses such keys first, this repeats it for the operator task's own input).
RESERVED_INDEX_PREFIXES = ("logs", "security-auditlog")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


@dataclass(frozen=True)
class Settings:
    endpoint: str
    region: str
    service_roles: dict[str, str]
    log_retention_days: int
    admin_role_arn: str | None = None
    delivery_role_arn: str | None = None
    snapshot_bucket: str | None = None
    snapshot_role_arn: str | None = None
    snapshot_retention_days: int = DEFAULT_SNAPSHOT_RETENTION_DAYS


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return (env.get(name) or "").strip() or None


def _days(env: Mapping[str, str], name: str, default: int | None = None) -> int:
    text = (env.get(name) or "").strip()
    if not text and default is not None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise UserError(f"{name} must be a whole number of days from 1 to 3650; got {text!r}")
    return int(text)


def _role_arn(name: str, value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise UserError(
            f"{name} must be an IAM role ARN such as arn:aws:iam::123456789012:role/name; "
            f"got {value!r}"
        )
    return value


def settings_from_env(
    environment: str, env: Mapping[str, str] = os.environ, *, allow_insecure_http: bool = False
) -> Settings:
    """The command's settings, checked; the first bad one raises a one-line UserError.

    ``allow_insecure_http`` is for the tests' local stand-in only (no CLI flag or variable sets
    it): a real domain is reached over HTTPS, and an http:// endpoint is refused."""
    endpoint = (env.get("OPENSEARCH_ENDPOINT") or "").strip().rstrip("/")
    if not endpoint:
        raise UserError(
            "OPENSEARCH_ENDPOINT is not set (the operator task sets it; ops_task output)"
        )
    url = urlparse(endpoint)
    if url.scheme != "https" and not (allow_insecure_http and url.scheme == "http"):
        raise UserError(
            "OPENSEARCH_ENDPOINT must be an https:// URL (the domain enforces HTTPS); "
            f"got {endpoint!r}"
        )
    if not url.hostname or url.path not in ("", "/"):
        raise UserError(f"OPENSEARCH_ENDPOINT must be https://<domain endpoint>; got {endpoint!r}")

    region = (env.get("AWS_REGION") or "").strip()
    if not _REGION.match(region):
        raise UserError(f"AWS_REGION must be a region code such as us-west-1; got {region!r}")

    raw_roles = env.get("OPENSEARCH_SERVICE_ROLES") or ""
    try:
        roles = json.loads(raw_roles)
    except ValueError:
        roles = None
    if not isinstance(roles, dict) or not roles:
        raise UserError(
            "OPENSEARCH_SERVICE_ROLES must be a JSON object of service key => task role ARN "
            '(the task_role_arns output), e.g. {"service1": "arn:aws:iam::…:role/…"}'
        )
    for key, arn in roles.items():
        if not _SERVICE_KEY.match(str(key)):
            raise UserError(
                f"OPENSEARCH_SERVICE_ROLES: {key!r} is not a service key (lowercase letters, "
                "digits and hyphens, starting with a letter, at most 14 characters)"
            )
        _role_arn(f"OPENSEARCH_SERVICE_ROLES[{key}]", str(arn))
    for key in map(str, roles):
        reached = [
            other
            for other in (*RESERVED_INDEX_PREFIXES, *map(str, roles))
            if other.startswith(f"{key}-") or (other == key and key in RESERVED_INDEX_PREFIXES)
        ]
        if reached:
            raise UserError(
                f"OPENSEARCH_SERVICE_ROLES: service {key!r} would read and write {key}-*, "
                f"which includes the indices of {', '.join(sorted(reached))}: rename the service"
            )

    admin = _optional(env, "OPENSEARCH_ADMIN_ROLE_ARN")
    delivery = _optional(env, "OPENSEARCH_DELIVERY_ROLE_ARN")
    bucket = _optional(env, "OPENSEARCH_SNAPSHOT_BUCKET")
    snapshot_role = _optional(env, "OPENSEARCH_SNAPSHOT_ROLE_ARN")
    if bool(bucket) != bool(snapshot_role):
        raise UserError(
            "OPENSEARCH_SNAPSHOT_BUCKET and OPENSEARCH_SNAPSHOT_ROLE_ARN go together: set both "
            "(snapshots on) or neither (skipped)"
        )
    if bucket and not _BUCKET.match(bucket):
        raise UserError(f"OPENSEARCH_SNAPSHOT_BUCKET must be an S3 bucket name; got {bucket!r}")
    return Settings(
        endpoint=endpoint,
        region=region,
        service_roles={str(key): str(arn) for key, arn in sorted(roles.items())},
        log_retention_days=_days(env, "LOG_RETENTION_DAYS"),
        admin_role_arn=admin and _role_arn("OPENSEARCH_ADMIN_ROLE_ARN", admin),
        delivery_role_arn=delivery and _role_arn("OPENSEARCH_DELIVERY_ROLE_ARN", delivery),
        snapshot_bucket=bucket,
        snapshot_role_arn=snapshot_role
        and _role_arn("OPENSEARCH_SNAPSHOT_ROLE_ARN", snapshot_role),
        snapshot_retention_days=_days(
            env, "SNAPSHOT_RETENTION_DAYS", default=DEFAULT_SNAPSHOT_RETENTION_DAYS
        ),
    )


# --- the wanted documents -------------------------------------------------------------------


def service_role(key: str) -> dict[str, Any]:
    """Read and write on the service's own indices only, plus the bulk/multi-get APIs."""
    return {
        "description": f"carcierge service {key}: read/write on {key}-* (opensearch setup)",
        "cluster_permissions": ["cluster_composite_ops"],
        "index_permissions": [
            {
                "index_patterns": [f"{key}-*"],
                "allowed_actions": ["crud", "create_index", "indices:admin/mapping/put"],
            }
        ],
    }


def logs_writer_role() -> dict[str, Any]:
    """The log delivery role: create and write the daily log indices, nothing else."""
    return {
        "description": "log delivery (Firehose): write logs-* (carcierge opensearch setup)",
        "cluster_permissions": ["cluster_composite_ops", "cluster_monitor"],
        "index_permissions": [
            {
                "index_patterns": [LOG_INDEX_PATTERN],
                "allowed_actions": [
                    "crud",
                    "create_index",
                    "indices:admin/get",
                    "indices:admin/mapping/put",
                ],
            }
        ],
    }


def role_mapping(role_arn: str) -> dict[str, Any]:
    return {"backend_roles": [role_arn], "hosts": [], "users": []}


def _by_type(**names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """An index mapping's properties from the field names of each type."""
    return {name: {"type": kind} for kind, fields in names.items() for name in fields}


# The fields the log delivery pipeline parses out of an ALB access-log entry (grok into alb.*,
# modules/log_delivery/pipeline.tf) that need a type of their own: grok captures strings, which
# dynamic mapping would index as text. The rest (type, elb, request, user agent, TLS, ARNs,
# trace and classification fields) stay dynamic (text with a keyword sub-field). Field meanings:
# Elastic Load Balancing User Guide for Application Load Balancers, "Access log entries" (read
# 2026-12-01); -1 in a processing time means it was not measured.
ALB_FIELD_TYPES = _by_type(
    date=("time", "request_creation_time"),
    ip=("client_ip", "target_ip"),
    integer=("client_port", "target_port"),
    double=("request_processing_time", "target_processing_time", "response_processing_time"),
    short=("elb_status_code", "target_status_code"),
    long=("received_bytes", "sent_bytes"),
    keyword=("http_method",),
)


# The fields the pipeline parses out of a VPC flow-log record (grok into flow.*, default format
# version 2; Amazon VPC User Guide, "Flow log records", read 2026-12-01). start and end are
# epoch seconds; a NODATA/SKIPDATA record leaves out the address, port and count fields.
FLOW_FIELD_TYPES = _by_type(
    short=("version", "protocol"),
    keyword=("account_id", "interface_id", "action", "log_status"),
    ip=("srcaddr", "dstaddr"),
    integer=("srcport", "dstport"),
    long=("packets", "bytes"),
) | {name: {"type": "date", "format": "epoch_second"} for name in ("start", "end")}


def log_template() -> dict[str, Any]:
    return {
        "index_patterns": [LOG_INDEX_PATTERN],
        "priority": 100,
        "template": {
            "settings": {"index": {"number_of_shards": "1"}},
            "mappings": {
                "properties": {
                    "@timestamp": {"type": "date"},
                    "message": {"type": "text"},
                    "source": {"type": "keyword"},
                    "environment": {"type": "keyword"},
                    "service": {"type": "keyword"},
                    "level": {"type": "keyword"},
                    "alb": {"properties": ALB_FIELD_TYPES},
                    "flow": {"properties": FLOW_FIELD_TYPES},
                }
            },
        },
    }


def ism_policy(retention_days: int) -> dict[str, Any]:
    return {
        "policy": {
            "description": f"carcierge: delete log indices after {retention_days} days",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {
                            "state_name": "delete",
                            "conditions": {"min_index_age": f"{retention_days}d"},
                        }
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [LOG_INDEX_PATTERN], "priority": 100}],
        }
    }


def snapshot_repository(settings: Settings, environment: str) -> dict[str, Any]:
    return {
        "type": "s3",
        "settings": {
            "bucket": settings.snapshot_bucket,
            "base_path": environment,
            "region": settings.region,
            "role_arn": settings.snapshot_role_arn,
        },
    }


def sm_policy(retention_days: int) -> dict[str, Any]:
    return {
        "description": f"carcierge: daily snapshot of the data indices, kept {retention_days} days",
        "creation": {"schedule": {"cron": {"expression": "0 3 * * *", "timezone": "UTC"}}},
        "deletion": {
            "schedule": {"cron": {"expression": "0 4 * * *", "timezone": "UTC"}},
            "condition": {"max_age": f"{retention_days}d", "min_count": 1},
        },
        "snapshot_config": {
            "repository": SNAPSHOT_REPOSITORY,
            # Data indices only: the dot-indices are the plugins' own (security, ISM, …).
            "indices": "*,-.*",
            "include_global_state": False,
            "timezone": "UTC",
        },
    }


# --- comparing what the domain holds with what is wanted ----------------------------------


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _scalar(value: Any) -> str:
    # The APIs echo settings as strings ("1", "false"): compare in that form.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def differs(wanted: Any, actual: Any) -> bool:
    """True when ``actual`` does not hold ``wanted``. Keys the service adds (versions, times,
    reserved flags, retry defaults) are ignored; a key it leaves out counts as empty; lists must
    match item by item, so an extra backend role or index permission is a difference."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return not (_empty(actual) and all(_empty(value) for value in wanted.values()))
        return any(
            differs(value, actual.get(key)) if key in actual else not _empty(value)
            for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        if actual is None:
            return bool(wanted)
        if not isinstance(actual, list) or len(actual) != len(wanted):
            return True
        if all(not isinstance(item, dict | list) for item in wanted + actual):
            return sorted(map(_scalar, wanted)) != sorted(map(_scalar, actual))
        return any(differs(w, a) for w, a in zip(wanted, actual, strict=True))
    if actual is None:
        return not _empty(wanted)
    return _scalar(wanted) != _scalar(actual)


# --- talking to the domain ------------------------------------------------------------------


class Domain:
    """The few REST calls the command makes, through opensearch-py's transport."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str) -> dict[str, Any] | None:
        from opensearchpy.exceptions import NotFoundError

        try:
            found: dict[str, Any] = self.client.transport.perform_request("GET", path)
            return found
        except NotFoundError:
            return None

    def send(
        self, method: str, path: str, body: dict[str, Any], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.transport.perform_request(
            method, path, params=params, body=body
        )
        return answer


def connect(settings: Settings, credentials: Any = None) -> Any:
    """An opensearch-py client for the endpoint; with ``credentials`` (botocore credentials)
    every request is signed with SigV4 for the ``es`` service."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    url = urlparse(settings.endpoint)
    secure = url.scheme == "https"
    return OpenSearch(
        hosts=[{"host": url.hostname, "port": url.port or (443 if secure else 80)}],
        http_auth=AWSV4SignerAuth(credentials, settings.region, "es") if credentials else None,
        use_ssl=secure,
        verify_certs=secure,
        connection_class=RequestsHttpConnection,
        timeout=30,
        max_retries=2,
        retry_on_timeout=True,
    )


def admin_credentials(settings: Settings) -> Any:
    """The task role's credentials, or the master role's when OPENSEARCH_ADMIN_ROLE_ARN is set."""
    import boto3

    if not settings.admin_role_arn:
        return boto3.Session(region_name=settings.region).get_credentials()
    sts = boto3.client("sts", region_name=settings.region)
    answer = sts.assume_role(
        RoleArn=settings.admin_role_arn, RoleSessionName="carcierge-opensearch-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
        region_name=settings.region,
    ).get_credentials()


@dataclass
class SetupReport:
    changes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (list(self.changes) or ["no changes"]) + [f"skipped: {s}" for s in self.skipped]


def _put(
    domain: Domain,
    report: SetupReport,
    what: str,
    path: str,
    wanted: dict[str, Any],
    read: Callable[[dict[str, Any]], Any],
    *,
    versioned: str | None = None,
) -> None:
    """A document brought to ``wanted`` where ``read`` of the current one differs: PUT creates
    or replaces it (roles, mappings, templates, repositories). A ``versioned`` one (ISM and
    snapshot management policies, created with that method) is updated only with the
    ``if_seq_no``/``if_primary_term`` of the version read: a concurrent change fails instead of
    being lost."""
    current = domain.get(path)
    if current is not None and not differs(wanted, read(current)):
        return
    if current is None:
        domain.send(versioned or "PUT", path, wanted)
    elif versioned:
        params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
        domain.send("PUT", path, wanted, params)
    else:
        domain.send("PUT", path, wanted)
    report.changes.append(f"{'created' if current is None else 'updated'} {what}")


def sync(domain: Domain, settings: Settings, environment: str) -> SetupReport:
    """Bring every document to the wanted state; the report says what changed."""
    report = SetupReport()
    security = "_plugins/_security/api"

    def mapping_of(name: str) -> Callable[[dict[str, Any]], Any]:
        return lambda body: body.get(name)

    wanted_roles = {
        f"{SERVICE_ROLE_PREFIX}{key.replace('-', '_')}": (service_role(key), arn, f"service {key}")
        for key, arn in settings.service_roles.items()
    }
    if settings.delivery_role_arn:
        wanted_roles[LOGS_WRITER_ROLE] = (
            logs_writer_role(),
            settings.delivery_role_arn,
            "log delivery",
        )
    else:
        report.skipped.append(
            f"role {LOGS_WRITER_ROLE}: OPENSEARCH_DELIVERY_ROLE_ARN is not set (no log delivery)"
        )
    for name, (role, arn, purpose) in wanted_roles.items():
        _put(
            domain,
            report,
            f"role {name} ({purpose})",
            f"/{security}/roles/{name}",
            role,
            mapping_of(name),
        )
        _put(
            domain,
            report,
            f"role mapping {name} -> {arn}",
            f"/{security}/rolesmapping/{name}",
            role_mapping(arn),
            mapping_of(name),
        )

    def template_of(body: dict[str, Any]) -> Any:
        templates = body.get("index_templates") or []
        return templates[0].get("index_template") if templates else None

    _put(
        domain,
        report,
        f"index template {LOG_TEMPLATE} ({LOG_INDEX_PATTERN})",
        f"/_index_template/{LOG_TEMPLATE}",
        log_template(),
        template_of,
    )
    _put(
        domain,
        report,
        f"ISM policy {ISM_POLICY} (delete after {settings.log_retention_days} days)",
        f"/_plugins/_ism/policies/{ISM_POLICY}",
        ism_policy(settings.log_retention_days),
        lambda body: {"policy": body.get("policy")},
        versioned="PUT",
    )

    if settings.snapshot_bucket:
        _put(
            domain,
            report,
            f"snapshot repository {SNAPSHOT_REPOSITORY} (s3://{settings.snapshot_bucket}/{environment})",
            f"/_snapshot/{SNAPSHOT_REPOSITORY}",
            snapshot_repository(settings, environment),
            mapping_of(SNAPSHOT_REPOSITORY),
        )
        _put(
            domain,
            report,
            f"snapshot policy {SM_POLICY} (daily, kept {settings.snapshot_retention_days} days)",
            f"/_plugins/_sm/policies/{SM_POLICY}",
            sm_policy(settings.snapshot_retention_days),
            lambda body: body.get("sm_policy"),
            versioned="POST",
        )
    else:
        report.skipped.append(
            f"snapshot repository {SNAPSHOT_REPOSITORY} and policy {SM_POLICY}: "
            "OPENSEARCH_SNAPSHOT_BUCKET is not set"
        )
    return report


def run_setup(
    environment: str,
    *,
    env: Mapping[str, str] = os.environ,
    echo: Callable[[str], None] = print,
    allow_insecure_http: bool = False,
    credentials: Any = None,
) -> SetupReport:
    """`carcierge opensearch setup -e <env>`: settings from the environment, then sync."""
    from opensearchpy.exceptions import OpenSearchException, TransportError

    settings = settings_from_env(environment, env, allow_insecure_http=allow_insecure_http)
    if credentials is None:
        credentials = admin_credentials(settings)
    domain = Domain(connect(settings, credentials))
    try:
        report = sync(domain, settings, environment)
    except TransportError as error:
        raise StageFailed(
            f"OpenSearch refused a request ({error.status_code}): {error.error} {error.info}"
        ) from error
    except OpenSearchException as error:
        raise StageFailed(f"OpenSearch at {settings.endpoint} failed: {error}") from error
    for line in report.lines():
        echo(line)
    return report
