"""Canonical JSON and its SHA-256: the bytes an issued version's and an audit event's
hash cover (`case-format.md`).

A module of its own, on the standard library only, so that the audit chain (written by
every command, a sign-in included) does not import the document models of
`domain/versions.py` to hash an event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not ASCII-escaped): the bytes that are hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
