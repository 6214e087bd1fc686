"""Where the offline provider's generated artefacts live (inside the venv, never committed)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "6.69.1"
SCHEMA_PACKAGE = "cdktn-provider-aws==25.8.1"  # prebuilt bindings generated from aws 6.69.1


@dataclass(frozen=True)
class OfflineCache:
    root: Path

    @classmethod
    def default(cls) -> OfflineCache:
        override = os.environ.get("CARCIERGE_OFFLINE_CACHE")
        return cls(Path(override) if override else Path(sys.prefix) / "share" / "carcierge-offline")

    @property
    def descriptor_path(self) -> Path:
        return self.root / "tfplugin6.descriptor.pb"

    @property
    def schema_json_path(self) -> Path:
        return self.root / "aws-provider-schema.json"

    @property
    def schema_response_path(self) -> Path:
        return self.root / "aws-provider-schema.response.pb"

    @property
    def mirror_dir(self) -> Path:
        return self.root / "mirror"

    @property
    def cli_config_path(self) -> Path:
        return self.root / "terraform.offline.tfrc"

    @property
    def stamp_path(self) -> Path:
        return self.root / "stamp.json"

    @cached_property
    def _schema_document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.schema_json_path.read_text())
        return document

    def provider_schema(self) -> dict[str, Any]:
        """The aws entry of ``terraform providers schema -json``."""
        schema: dict[str, Any] = self._schema_document["provider_schemas"][PROVIDER_SOURCE]
        return schema
