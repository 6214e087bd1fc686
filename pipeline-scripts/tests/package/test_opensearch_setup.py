"""`carcierge opensearch setup` against a local stand-in of the OpenSearch REST endpoints it
uses (stdlib http.server on 127.0.0.1, a free port, in memory): the documents it stores, a
second run that changes nothing, a drifted document repaired, and the settings it refuses.

The stand-in answers like the real APIs where the command depends on it: GET of a missing
document is 404; security roles and mappings come back keyed by name with the plugin's own
flags added; an index template comes back inside ``index_templates``; ISM and snapshot
management policies carry ``_seq_no``/``_primary_term``, gain server fields (times, schema
version, retry defaults) and refuse an update without the current ``if_seq_no`` and
``if_primary_term`` (409), as the ISM and SM API pages describe."""

from __future__ import annotations

import copy
import json
import threading
from fnmatch import fnmatch
from urllib.parse import parse_qs, urlparse

import pytest
from botocore.credentials import Credentials
from support import JsonHandler, serving

from carcierge_pipeline import cli
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.opensearch_setup import run_setup

SERVICE_ROLES = {
    "service1": "arn:aws:iam::123456789012:role/staging-carcierge-service1-task",
    "web-app": "arn:aws:iam::123456789012:role/staging-carcierge-web-app-task",
}
DELIVERY_ROLE = "arn:aws:iam::123456789012:role/staging-carcierge-logs-delivery"
SNAPSHOT_ROLE = "arn:aws:iam::123456789012:role/staging-carcierge-opensearch-snapshots"
FAKE_CREDENTIALS = Credentials("AKIAEXAMPLEEXAMPLE00", "not-a-secret")


class StandIn:
    """In-memory documents by path, and every request seen (method, path, query)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.meta: dict[str, tuple[int, int]] = {}  # versioned docs: (seq_no, primary_term)
        self.requests: list[tuple[str, str, dict]] = []
        self.signed = True
        self.url = ""  # set once the server listens (the stand_in fixture)
        self.seq = 0
        self.lock = threading.Lock()

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _ in self.requests if method != "GET"]

    # -- the endpoints ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: dict | None):
        kind, name = self._route(path)
        if kind is None:
            return 400, {"error": f"stand-in does not serve {method} {path}"}
        if method == "GET":
            return self._get(kind, name, path)
        if kind in ("ism", "sm"):
            return self._put_versioned(kind, method, path, query, body)
        if method != "PUT":
            return 405, {"error": f"{method} not allowed on {path}"}
        if body is None:  # as OpenSearch: "Request body required for this action."
            return 400, {"error": f"{method} {path} without a body"}
        created = path not in self.docs
        self.docs[path] = body
        return (201 if created else 200), {"status": "CREATED" if created else "OK"}

    @staticmethod
    def _route(path: str):
        parts = path.strip("/").split("/")
        security = parts[:3] == ["_plugins", "_security", "api"] and len(parts) == 5
        if security and parts[3] in ("roles", "rolesmapping"):
            return parts[3], parts[4]
        if parts[0] == "_index_template" and len(parts) == 2:
            return "template", parts[1]
        if parts[:2] == ["_plugins", "_ism"] and parts[2:3] == ["policies"] and len(parts) == 4:
            return "ism", parts[3]
        if parts[:2] == ["_plugins", "_sm"] and parts[2:3] == ["policies"] and len(parts) == 4:
            return "sm", parts[3]
        if parts[0] == "_snapshot" and len(parts) == 2:
            return "snapshot", parts[1]
        return None, None

    def _get(self, kind: str, name: str, path: str):
        if path not in self.docs:
            return 404, {"status": "NOT_FOUND", "message": f"{name} not found"}
        doc = copy.deepcopy(self.docs[path])
        if kind in ("roles", "rolesmapping"):
            doc.update({"reserved": False, "hidden": False, "static": False})
            if kind == "roles":
                for permission in doc.get("index_permissions", []):
                    permission.setdefault("fls", [])
                    permission.setdefault("masked_fields", [])
            return 200, {name: doc}
        if kind == "template":
            doc.setdefault("composed_of", [])
            return 200, {"index_templates": [{"name": name, "index_template": doc}]}
        if kind == "snapshot":
            doc["settings"] = {key: str(value) for key, value in doc["settings"].items()}
            return 200, {name: doc}
        seq_no, term = self.meta[path]
        if kind == "ism":
            policy = doc["policy"]
            policy.update({"policy_id": name, "last_updated_time": 1, "schema_version": 21})
            for state in policy["states"]:
                for action in state["actions"]:
                    action["retry"] = {"count": 3, "backoff": "exponential", "delay": "1m"}
            for template in policy.get("ism_template", []):
                template["last_updated_time"] = 1
            return 200, {
                "_id": name,
                "_version": 1,
                "_seq_no": seq_no,
                "_primary_term": term,
                **doc,
            }
        doc.update({"name": name, "schema_version": 21, "enabled": True, "last_updated_time": 1})
        return 200, {
            "_id": f"{name}-sm-policy",
            "_version": 1,
            "_seq_no": seq_no,
            "_primary_term": term,
            "sm_policy": doc,
        }

    def _put_versioned(self, kind, method, path, query, body):
        exists = path in self.docs
        if_seq = query.get("if_seq_no", [None])[0]
        if_term = query.get("if_primary_term", [None])[0]
        create = (kind == "sm" and method == "POST") or (kind == "ism" and method == "PUT")
        if not exists:
            if not create or if_seq is not None:
                return 404, {"error": "no such policy to update"}
        else:
            if if_seq is None or if_term is None:
                return 409, {"error": "version conflict: document already exists"}
            if (int(if_seq), int(if_term)) != self.meta[path] or method != "PUT":
                return 409, {"error": "version conflict"}
        self.seq += 1
        self.docs[path] = body
        self.meta[path] = (self.seq, 1)
        return (200 if exists else 201), {"_id": path.rsplit("/", 1)[-1], "_seq_no": self.seq}


@pytest.fixture
def stand_in():
    state = StandIn()

    class Handler(JsonHandler):
        def _serve(self):
            url = urlparse(self.path)
            raw = self.raw_body()
            with state.lock:
                if not (self.headers.get("Authorization") or "").startswith("AWS4-HMAC-SHA256"):
                    state.signed = False
                query = parse_qs(url.query)
                state.requests.append((self.command, url.path, query))
                status, answer = state.handle(
                    self.command, url.path, query, json.loads(raw) if raw else None
                )
            self.reply(status, answer)

        do_GET = do_PUT = do_POST = _serve

    with serving(Handler) as url:
        state.url = url
        yield state


def _env(url: str, **extra: str) -> dict[str, str]:
    return {
        "OPENSEARCH_ENDPOINT": url,
        "AWS_REGION": "us-west-1",
        "OPENSEARCH_SERVICE_ROLES": json.dumps(SERVICE_ROLES),
        "LOG_RETENTION_DAYS": "14",
        **extra,
    }


def _run(stand_in: StandIn, env: dict[str, str]) -> list[str]:
    lines: list[str] = []
    run_setup(
        "staging",
        env=env,
        echo=lines.append,
        allow_insecure_http=True,
        credentials=FAKE_CREDENTIALS,
    )
    return lines


FULL = {
    "OPENSEARCH_DELIVERY_ROLE_ARN": DELIVERY_ROLE,
    "OPENSEARCH_SNAPSHOT_BUCKET": "staging-carcierge-opensearch-snapshots",
    "OPENSEARCH_SNAPSHOT_ROLE_ARN": SNAPSHOT_ROLE,
}


def test_first_run_creates_every_document(stand_in):
    lines = _run(stand_in, _env(stand_in.url, **FULL))
    docs = stand_in.docs
    security = "/_plugins/_security/api"

    # Each service: a role limited to its own indices, mapped to its task role only.
    role = docs[f"{security}/roles/carcierge_svc_service1"]
    assert role["index_permissions"] == [
        {
            "index_patterns": ["service1-*"],
            "allowed_actions": ["crud", "create_index", "indices:admin/mapping/put"],
        }
    ]
    assert docs[f"{security}/rolesmapping/carcierge_svc_service1"] == {
        "backend_roles": [SERVICE_ROLES["service1"]],
        "hosts": [],
        "users": [],
    }
    assert docs[f"{security}/roles/carcierge_svc_web_app"]["index_permissions"][0][
        "index_patterns"
    ] == ["web-app-*"]
    # Log delivery writes logs-* only.
    writer = docs[f"{security}/roles/carcierge_logs_writer"]
    assert [p["index_patterns"] for p in writer["index_permissions"]] == [["logs-*"]]
    assert docs[f"{security}/rolesmapping/carcierge_logs_writer"]["backend_roles"] == [
        DELIVERY_ROLE
    ]
    # Daily log indices logs-<source>-YYYY.MM.DD: the template and the retention policy.
    template = docs["/_index_template/carcierge-logs"]
    assert template["index_patterns"] == ["logs-*"]
    policy = docs["/_plugins/_ism/policies/carcierge-logs-retention"]["policy"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "14d"}
    assert policy["states"][1]["actions"] == [{"delete": {}}]
    assert policy["ism_template"] == [{"index_patterns": ["logs-*"], "priority": 100}]
    # Every source's indices fall under both: a service's, the VPC flow logs', the ALB's.
    for index in (
        "logs-service1-2026.12.01",
        "logs-vpc-flow-logs-2026.12.01",
        "logs-alb-2026.12.01",
    ):
        assert any(fnmatch(index, p) for p in template["index_patterns"]), index
        assert any(fnmatch(index, p) for p in policy["ism_template"][0]["index_patterns"]), index
    # The ALB fields grok parses (strings) get their types: times, addresses, numbers.
    alb = template["template"]["mappings"]["properties"]["alb"]["properties"]
    assert alb["time"] == alb["request_creation_time"] == {"type": "date"}
    assert alb["client_ip"] == alb["target_ip"] == {"type": "ip"}
    assert alb["elb_status_code"] == alb["target_status_code"] == {"type": "short"}
    assert alb["target_processing_time"] == {"type": "double"}
    assert alb["sent_bytes"] == alb["received_bytes"] == {"type": "long"}
    # The flow-log fields: addresses, ports and counts typed, start/end as epoch seconds.
    flow = template["template"]["mappings"]["properties"]["flow"]["properties"]
    assert flow["srcaddr"] == flow["dstaddr"] == {"type": "ip"}
    assert flow["srcport"] == flow["dstport"] == {"type": "integer"}
    assert flow["bytes"] == flow["packets"] == {"type": "long"}
    assert flow["start"] == flow["end"] == {"type": "date", "format": "epoch_second"}
    assert flow["action"] == {"type": "keyword"}
    # Snapshots: the repository in the environment's prefix, a daily policy kept 14 days.
    assert docs["/_snapshot/carcierge-snapshots"] == {
        "type": "s3",
        "settings": {
            "bucket": "staging-carcierge-opensearch-snapshots",
            "base_path": "staging",
            "region": "us-west-1",
            "role_arn": SNAPSHOT_ROLE,
        },
    }
    sm = docs["/_plugins/_sm/policies/carcierge-daily"]
    assert sm["creation"]["schedule"]["cron"]["expression"] == "0 3 * * *"
    assert sm["deletion"]["condition"]["max_age"] == "14d"
    assert sm["snapshot_config"]["repository"] == "carcierge-snapshots"

    assert len(docs) == 10
    assert len(lines) == 10 and all(line.startswith("created ") for line in lines), lines
    assert stand_in.signed, "every request must carry a SigV4 Authorization header"


def test_second_run_changes_nothing(stand_in):
    _run(stand_in, _env(stand_in.url, **FULL))
    before = len(stand_in.requests)
    lines = _run(stand_in, _env(stand_in.url, **FULL))
    assert lines == ["no changes"]
    second = stand_in.requests[before:]
    assert second and all(method == "GET" for method, _, _ in second), second


def test_drifted_documents_are_repaired(stand_in):
    env = _env(stand_in.url, **FULL)
    _run(stand_in, env)
    security = "/_plugins/_security/api"
    # Someone mapped another role to a service's role, widened its indices, and edited the
    # retention; a changed retention setting must reach the ISM policy too.
    stand_in.docs[f"{security}/rolesmapping/carcierge_svc_service1"]["backend_roles"].append(
        "arn:aws:iam::123456789012:role/intruder"
    )
    stand_in.docs[f"{security}/roles/carcierge_svc_web_app"]["index_permissions"][0][
        "index_patterns"
    ] = ["*"]
    before = len(stand_in.requests)
    lines = _run(stand_in, {**env, "LOG_RETENTION_DAYS": "30"})

    assert lines == [
        f"updated role mapping carcierge_svc_service1 -> {SERVICE_ROLES['service1']}",
        "updated role carcierge_svc_web_app (service web-app)",
        "updated ISM policy carcierge-logs-retention (delete after 30 days)",
    ]
    docs = stand_in.docs
    assert docs[f"{security}/rolesmapping/carcierge_svc_service1"]["backend_roles"] == [
        SERVICE_ROLES["service1"]
    ]
    assert docs[f"{security}/roles/carcierge_svc_web_app"]["index_permissions"][0][
        "index_patterns"
    ] == ["web-app-*"]
    ism = "/_plugins/_ism/policies/carcierge-logs-retention"
    assert docs[ism]["policy"]["states"][0]["transitions"][0]["conditions"] == {
        "min_index_age": "30d"
    }
    # The policy update named the version it read (the stand-in refuses it otherwise).
    update = [q for m, p, q in stand_in.requests[before:] if m == "PUT" and p == ism]
    assert update and "if_seq_no" in update[0] and "if_primary_term" in update[0]


def test_optional_parts_are_skipped_with_a_line(stand_in):
    lines = _run(stand_in, _env(stand_in.url))
    assert "skipped: role carcierge_logs_writer: OPENSEARCH_DELIVERY_ROLE_ARN is not set" in (
        " ".join(lines)
    )
    assert any(line.startswith("skipped: snapshot repository") for line in lines)
    assert not [path for path in stand_in.docs if "logs_writer" in path or "snapshot" in path]
    assert not [path for path in stand_in.docs if path.startswith("/_plugins/_sm/")]


ROLE = "arn:aws:iam::123456789012:role/staging-carcierge-x-task"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"OPENSEARCH_ENDPOINT": "http://vpc-staging-carcierge-opensearch.example"}, "https://"),
        ({"OPENSEARCH_SERVICE_ROLES": "service1"}, "OPENSEARCH_SERVICE_ROLES must be a JSON"),
        (
            {"OPENSEARCH_SERVICE_ROLES": json.dumps({"service1": "role/x"})},
            "OPENSEARCH_SERVICE_ROLES[service1] must be an IAM role ARN",
        ),
        ({"LOG_RETENTION_DAYS": "two weeks"}, "LOG_RETENTION_DAYS must be a whole number"),
        ({"OPENSEARCH_SNAPSHOT_BUCKET": "bucket"}, "go together"),
        # Review 2026-12-07 L1: a service's <key>-* must reach no other index family.
        (
            {"OPENSEARCH_SERVICE_ROLES": json.dumps({"logs": ROLE})},
            "service 'logs' would read and write logs-*, which includes the indices of logs",
        ),
        (
            {"OPENSEARCH_SERVICE_ROLES": json.dumps({"security": ROLE})},
            "service 'security' would read and write security-*, which includes the indices of "
            "security-auditlog",
        ),
        (
            {"OPENSEARCH_SERVICE_ROLES": json.dumps({"api": ROLE, "api-admin": ROLE})},
            "service 'api' would read and write api-*, which includes the indices of api-admin",
        ),
    ],
)
def test_bad_settings_are_refused_in_one_line(override, message):
    env = _env("https://vpc-staging-carcierge-opensearch-abc.us-west-1.es.amazonaws.com")
    with pytest.raises(UserError) as raised:
        run_setup("staging", env={**env, **override}, credentials=FAKE_CREDENTIALS)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_cli_refuses_http_endpoints(monkeypatch, capsys):
    """The real path has no way to turn on the stand-in's plain HTTP."""
    for name, value in _env("http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    assert cli.main(["opensearch", "setup", "-e", "staging"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: OPENSEARCH_ENDPOINT must be an https:// URL")
    assert len(err.splitlines()) == 1
