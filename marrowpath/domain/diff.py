"""Field-level differences between two case documents (audit before/after, amendments)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One field that differs: its path and the JSON values before and after (None = absent)."""

    path: str
    before: Any
    after: Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": [1]}} -> {"a.b[0]": 1}; empty objects and lists disappear."""
    flat: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
    elif value is not None:
        flat[prefix] = value
    return flat


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Every leaf that was added, removed or changed, in a stable order."""
    old, new = flatten(before or {}), flatten(after or {})
    paths = list(old) + [path for path in new if path not in old]
    return [
        Change(path, old.get(path), new.get(path))
        for path in paths
        if old.get(path) != new.get(path)
    ]
