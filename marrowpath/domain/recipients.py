"""Who a report is for: the provider ids a case document names.

A clinician's "My patients" are the cases whose latest issued version names her provider
id (linked to her user in Administration) as ordering provider or as a copy recipient.
"""

from __future__ import annotations

from typing import Any


def provider_ids(document: dict[str, Any]) -> list[str]:
    """The distinct, stripped provider ids of the ordering provider and the copy-to list,
    in that order (providers without an id are nobody's patients here)."""
    providers: list[Any] = [document.get("ordering_provider")]
    copies = document.get("copy_to")
    if isinstance(copies, list):
        providers.extend(copies)
    ids: list[str] = []
    for provider in providers:
        value = provider.get("id") if isinstance(provider, dict) else None
        if isinstance(value, str) and value.strip() and value.strip() not in ids:
            ids.append(value.strip()[:64])
    return ids
