"""Parses kept on disk by content. python-hcl2 takes ~0.1 s per file and every plan, input
check, parity run and test reads the same files again: a parse is computed once per distinct
text and kept as JSON under ``$CARCIERGE_CACHE_DIR`` (default: ``<venv>/share/carcierge-cache``).

The key is the text, the kind of parse, the parser's version and the source of the module that
parses (``owner``): an edit to either parses again. A cache that cannot be written (a read-only
image) costs the parse, never a failure; an entry that does not read back is parsed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

# What a kept parse depends on besides its text and its owner's source.
_PARSERS = ("python-hcl2", "lark")


def cache_dir() -> Path:
    override = os.environ.get("CARCIERGE_CACHE_DIR")
    return Path(override) if override else Path(sys.prefix) / "share" / "carcierge-cache"


@functools.cache
def _code_digest(owner: str) -> str:
    digest = hashlib.sha256()
    digest.update(Path(owner).read_bytes())
    for name in _PARSERS:
        digest.update(f"\0{name}=={metadata.version(name)}".encode())
    return digest.hexdigest()


def kept(kind: str, owner: str, source: str, parse: Callable[[str], Any]) -> Any:
    """``parse(source)`` (JSON-serialisable), kept on disk; ``owner`` is the parsing module's
    ``__file__``. An exception from ``parse`` propagates and keeps nothing."""
    key = hashlib.sha256(f"{kind}\0{_code_digest(owner)}\0{source}".encode()).hexdigest()
    path = cache_dir() / kind / f"{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    value = parse(source)
    text = json.dumps(value)  # before any file exists: a value JSON cannot hold is a bug here
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as partial:
            partial.write(text)
        os.replace(partial.name, path)  # whole or not at all, for a concurrent reader
    except OSError:
        pass  # an unwritable cache: parse again next time
    return value
