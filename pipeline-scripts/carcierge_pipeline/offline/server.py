"""The offline hashicorp/aws provider: a go-plugin compatible gRPC server (protocol 6).

Terraform starts it from the generated filesystem mirror. It serves the real provider schema,
validates nothing beyond what Terraform's core already checks against that schema, plans
creations as in a fresh account, answers data sources with deterministic mocks and refuses to
apply, except in the rehearsal (``carcierge rehearse``), where it "applies" by returning the
planned values with the unknown ones made known, so Terraform writes state and reads it back.
Stdout carries only the go-plugin handshake line; diagnostics go to stderr.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc

from carcierge_pipeline.offline import datasources, protocol, rules, values
from carcierge_pipeline.offline.cache import OfflineCache

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
PROTOCOL_VERSION = "6"
APPLY_REFUSED = (
    "The offline provider only previews plans against a fresh account. "
    "Configure AWS credentials (or set OFFLINE=0) to apply with the real provider."
)
# Set by the rehearsal only (terraform.Terraform.env): the stand-in may then apply.
APPLY_SWITCH = "CARCIERGE_OFFLINE_APPLY"
# Rehearsal tests: while this file exists, applying waits (at most HOLD_SECONDS), so the state
# lock can be observed while an apply holds it.
HOLD_SWITCH = "CARCIERGE_OFFLINE_APPLY_HOLD"
HOLD_SECONDS = 120
# Resource types the real provider replaces rather than updates when any argument other than
# these changes (every other argument is ForceNew). Source: hashicorp/terraform-provider-aws
# internal/service/ecs/task_definition.go, read 2026-12-01: all arguments ForceNew except tags,
# skip_destroy and track_latest; task definitions are immutable revisions in ECS.
UPDATABLE_ONLY = {
    "aws_ecs_task_definition": frozenset(
        {
            "tags",
            "tags_all",
            "skip_destroy",
            "track_latest",
            "arn",
            "arn_without_revision",
            "revision",
            "id",
        }
    ),
}


def _server_certificate() -> tuple[bytes, bytes, bytes]:
    """A short-lived self-signed certificate for ``localhost``: (key PEM, cert PEM, cert DER).

    Terraform's AutoMTLS client certificate uses a P-521 key that Python gRPC cannot verify,
    so the server authenticates itself and does not request a client certificate; the socket
    lives in a 0700 directory instead.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        key_pem,
        cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.DER),
    )


# A fresh certificate costs ~60 ms of CPU (mostly importing cryptography's x509), paid by every
# launch, several per Terraform command. It only guards a unix socket in a 0700 directory, so
# one is kept (0600, in the offline cache) and replaced when it is half-way to expiry.
CERTIFICATE_REUSE_SECONDS = 12 * 3600


def _reused_certificate(cache: OfflineCache) -> tuple[bytes, bytes, bytes]:
    import ssl
    import time

    path = cache.root / "plugin-tls.pem"
    try:
        if time.time() - path.stat().st_mtime < CERTIFICATE_REUSE_SECONDS:
            text = path.read_bytes()
            key_pem, _, cert_pem = text.partition(b"\n\n")
            if key_pem and cert_pem:
                der = ssl.PEM_cert_to_DER_cert(cert_pem.decode())
                return key_pem + b"\n", cert_pem, der
    except (OSError, ValueError):
        pass  # missing, stale or unreadable: make a new one
    key_pem, cert_pem, der = _server_certificate()
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem.strip() + b"\n\n" + cert_pem)
    os.replace(partial, path)  # concurrent launches each see a whole file
    return key_pem, cert_pem, der


# The RPCs with nothing to do offline (no identity schemas, functions, provider or data source
# checks, ephemeral resources to renew or close, nothing to stop): an empty response each.
NOTHING_TO_DO = frozenset(
    {
        "GetResourceIdentitySchemas",
        "GetFunctions",
        "StopProvider",
        "ValidateProviderConfig",
        "ValidateDataResourceConfig",
        "ValidateEphemeralResourceConfig",
        "RenewEphemeralResource",
        "CloseEphemeralResource",
    }
)


class OfflineProvider:
    """The RPC implementations; one instance per plugin process."""

    def __init__(self, cache: OfflineCache) -> None:
        self.cache = cache
        self.pb = protocol.load(cache.descriptor_path.read_bytes())
        self.region = "us-west-1"
        self.default_tags: dict[str, str] = {}
        self._schema: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def implementation(self, rpc: str) -> Callable[..., Any] | None:
        """What serves the RPC ``rpc``: the method of that name, an empty response where there
        is nothing to do offline (NOTHING_TO_DO), else None (unimplemented)."""
        method: Callable[..., Any] | None = getattr(self, rpc, None)
        if method is not None or rpc not in NOTHING_TO_DO:
            return method
        response = getattr(self.pb, rpc).Response
        return lambda request, context: response()

    # -- schema ---------------------------------------------------------------------------
    def _provider_schema(self) -> dict[str, Any]:
        with self._lock:
            if self._schema is None:
                self._schema = self.cache.provider_schema()
            return self._schema

    def _block(self, kind: str, type_name: str) -> values.Block:
        block: values.Block = self._provider_schema()[kind][type_name]["block"]
        return block

    def GetProviderSchema(self, request: Any, context: Any) -> bytes:
        # Pre-serialized at set-up: the full AWS schema is large and identical every launch.
        return self.cache.schema_response_path.read_bytes()

    def GetMetadata(self, request: Any, context: Any) -> Any:
        response = self.pb.GetMetadata.Response()
        protocol.set_server_capabilities(response.server_capabilities)
        schema = self._provider_schema()
        response.resources.extend(
            response.ResourceMetadata(type_name=n) for n in schema["resource_schemas"]
        )
        response.data_sources.extend(
            response.DataSourceMetadata(type_name=n) for n in schema["data_source_schemas"]
        )
        response.ephemeral_resources.extend(
            response.EphemeralMetadata(type_name=n)
            for n in schema.get("ephemeral_resource_schemas", {})
        )
        return response

    # -- validation and configuration -----------------------------------------------------
    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        """The real provider's schema validators and cross-argument rules (rules.py)."""
        response = self.pb.ValidateResourceConfig.Response()
        config = values.decode(request.config.msgpack)
        block = self._block("resource_schemas", request.type_name)
        for failure in rules.check_config(request.type_name, config):
            self._attribute_error(response, failure, block)
        return response

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        config = values.decode(request.config.msgpack) or {}
        region = config.get("region")
        if isinstance(region, str):
            self.region = region
        for default_tags in config.get("default_tags") or []:
            tags = default_tags.get("tags") if isinstance(default_tags, dict) else None
            if isinstance(tags, dict) and values.is_wholly_known(tags):
                self.default_tags.update(tags)
        return self.pb.ConfigureProvider.Response()

    # -- resources ------------------------------------------------------------------------
    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        response = self.pb.PlanResourceChange.Response()
        proposed = values.decode(request.proposed_new_state.msgpack)
        prior = values.decode(request.prior_state.msgpack)
        if proposed is None:  # destroy
            response.planned_state.msgpack = values.encode(None)
            return response
        config = values.decode(request.config.msgpack)
        block = self._block("resource_schemas", request.type_name)
        failures = rules.check_plan(request.type_name, config)
        if failures:  # the provider's CustomizeDiff refused the change: no planned state
            for failure in failures:
                self._attribute_error(response, failure, block)
            return response
        planned = (
            values.plan_create(block, proposed)
            if prior is None
            else values.plan_update(block, proposed)
        )
        updatable = UPDATABLE_ONLY.get(request.type_name)
        if prior is not None and updatable is not None:
            for name in values.changed_attributes(prior, planned):
                if name not in updatable:
                    response.requires_replace.add().steps.add().attribute_name = name
        elif prior is not None:  # ForceNew arguments (rules.py) whose value changes
            for path in rules.requires_replace(request.type_name, prior, planned):
                self._set_path(response.requires_replace.add(), path)
        attributes = block.get("attributes", {})
        if attributes.get("tags_all", {}).get("computed"):
            planned["tags_all"] = values.merged_tags(self.default_tags, planned.get("tags"))
        region = attributes.get("region", {})
        if (
            region.get("optional")
            and region.get("computed")
            and values.is_unknown(planned.get("region"))
        ):
            planned["region"] = self.region  # the real provider plans its own region here
        response.planned_state.msgpack = values.encode(planned)
        return response

    def ReadResource(self, request: Any, context: Any) -> Any:
        response = self.pb.ReadResource.Response()
        response.new_state.msgpack = request.current_state.msgpack
        response.private = request.private
        return response

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        response = self.pb.UpgradeResourceState.Response()
        response.upgraded_state.json = request.raw_state.json
        return response

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        response = self.pb.ApplyResourceChange.Response()
        if os.environ.get(APPLY_SWITCH) != "1":
            return self._error(response, APPLY_REFUSED)
        _wait_while_held()
        planned = values.decode(request.planned_state.msgpack)
        if planned is None:  # destroy
            response.new_state.msgpack = values.encode(None)
            return response
        block = self._block("resource_schemas", request.type_name)
        # Ids and ARNs differ per resource and stay the same for the same planned values.
        seed = hashlib.sha256(request.type_name.encode() + request.config.msgpack).hexdigest()[:12]
        # A resource with its own `region` argument (provider 6.x: the backup key in
        # backup_region) lives there, not in the provider's region; an alias's region is
        # already self.region (one plugin process per provider configuration).
        region = planned.get("region")
        own_region = region if isinstance(region, str) and region else self.region
        invented = values.Invented(request.type_name, planned, own_region, seed)
        response.new_state.msgpack = values.encode(values.fill_unknowns(block, planned, invented))
        response.private = request.planned_private
        return response

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        response = self.pb.ReadDataSource.Response()
        config = values.decode(request.config.msgpack) or {}
        block = self._block("data_source_schemas", request.type_name)
        overrides = datasources.overrides_for(request.type_name, config, self.region)
        state = values.fill_computed(block, config, overrides)
        response.state.msgpack = values.encode(state)
        return response

    # -- ephemeral resources ---------------------------------------------------------------
    def OpenEphemeralResource(self, request: Any, context: Any) -> Any:
        """An ephemeral result like a data source's: config kept, unset computed values given
        deterministic placeholders (a generated password is "offline-random_password"). Terraform
        never stores it; the write-only arguments that receive it are dropped from plans."""
        response = self.pb.OpenEphemeralResource.Response()
        config = values.decode(request.config.msgpack) or {}
        block = self._block("ephemeral_resource_schemas", request.type_name)
        overrides = datasources.overrides_for(request.type_name, config, self.region)
        response.result.msgpack = values.encode(values.fill_computed(block, config, overrides))
        return response

    @staticmethod
    def _set_path(attribute_path: Any, path: rules.Path) -> None:
        for step in path:
            if isinstance(step, int):
                attribute_path.steps.add().element_key_int = step
            else:
                attribute_path.steps.add().attribute_name = step

    def _attribute_error(self, response: Any, failure: rules.Failure, block: values.Block) -> None:
        """An error diagnostic on an attribute path, as SDKv2 reports validator failures."""
        diagnostic = response.diagnostics.add()
        diagnostic.severity = self.pb.Diagnostic.Severity.Value("ERROR")
        diagnostic.summary = failure.message
        path = _addressable(block, failure.path)
        if path:
            self._set_path(diagnostic.attribute, path)

    def _error(self, response: Any, summary: str) -> Any:
        diagnostic = response.diagnostics.add()
        diagnostic.severity = self.pb.Diagnostic.Severity.Value("ERROR")
        diagnostic.summary = summary
        return response


def _addressable(block: values.Block, path: rules.Path) -> rules.Path:
    """``path`` up to its first set: set elements have no index in Terraform's paths."""
    kept: list[str | int] = []
    current: Any = block
    for step in path:
        if isinstance(step, int):
            kept.append(step)
            continue
        if current is None:
            break
        nested = current.get("block_types", {}).get(step)
        attribute = current.get("attributes", {}).get(step)
        kept.append(step)
        if nested is not None:
            if nested["nesting_mode"] == "set":
                break
            current = nested["block"]
        elif attribute is not None:
            type_ = attribute.get("type")
            if isinstance(type_, list) and type_[0] == "set":
                break
            current = None
        else:
            break
    return tuple(kept)


def _wait_while_held() -> None:
    hold = os.environ.get(HOLD_SWITCH)
    deadline = time.monotonic() + HOLD_SECONDS
    while hold and Path(hold).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _handlers(provider: OfflineProvider, shutdown: threading.Event) -> list[Any]:
    pb = provider.pb
    methods: dict[str, grpc.RpcMethodHandler] = {}
    for method in pb.service.methods:
        implementation = provider.implementation(method.name)
        if implementation is None or method.server_streaming or method.client_streaming:
            continue  # grpc answers UNIMPLEMENTED, which Terraform tolerates for these
        request_cls = getattr(pb, method.input_type.full_name.split(".")[1])
        request_type = getattr(request_cls, method.input_type.name, request_cls)
        response_cls = getattr(pb, method.output_type.full_name.split(".")[1])
        response_type = getattr(response_cls, method.output_type.name, response_cls)
        serializer = (
            bytes if method.name == "GetProviderSchema" else response_type.SerializeToString
        )
        methods[method.name] = grpc.unary_unary_rpc_method_handler(
            implementation,
            request_deserializer=request_type.FromString,
            response_serializer=serializer,
        )

    def controller_shutdown(request: bytes, context: Any) -> bytes:
        shutdown.set()
        return b""

    controller = {
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            controller_shutdown, request_deserializer=bytes, response_serializer=bytes
        )
    }
    return [
        grpc.method_handlers_generic_handler(pb.service.full_name, methods),
        # go-plugin asks its controller to shut the plugin down; answering promptly spares
        # Terraform a two-second grace wait per provider instance.
        grpc.method_handlers_generic_handler("plugin.GRPCController", controller),
    ]


def serve() -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is the Carcierge offline AWS provider, a Terraform plugin: Terraform starts "
            "it, people do not.",
            file=sys.stderr,
        )
        return 1
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", PROTOCOL_VERSION).split(",")
    if PROTOCOL_VERSION not in offered:
        print(
            f"Terraform offers plugin protocols {offered}; this provider speaks only "
            f"{PROTOCOL_VERSION}.",
            file=sys.stderr,
        )
        return 1

    cache = OfflineCache.default()
    provider = OfflineProvider(cache)
    shutdown = threading.Event()
    socket_dir = tempfile.mkdtemp(prefix="carcierge-offline-aws-")  # mode 0700
    socket_path = Path(socket_dir) / "plugin.sock"
    key_pem, cert_pem, cert_der = _reused_certificate(cache)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers(_handlers(provider, shutdown))
    server.add_secure_port(
        f"unix:{socket_path}", grpc.ssl_server_credentials([(key_pem, cert_pem)])
    )
    server.start()
    certificate = base64.b64encode(cert_der).decode().rstrip("=")  # go-plugin: no padding
    print(f"1|{PROTOCOL_VERSION}|unix|{socket_path}|grpc|{certificate}", flush=True)
    try:
        shutdown.wait()
    finally:
        server.stop(grace=0.5).wait()
        shutil.rmtree(socket_dir, ignore_errors=True)
    return 0


def main() -> None:
    sys.exit(serve())


if __name__ == "__main__":
    main()
