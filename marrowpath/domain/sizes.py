"""Sizes as people read them, in limits that messages and files must keep to."""

from __future__ import annotations


def size_words(size: int) -> str:
    """'10 MB', '64 kB', '1000 bytes': a limit as people read it."""
    for unit, scale in (("MB", 1024 * 1024), ("kB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
