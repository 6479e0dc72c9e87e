"""`audit verify` hashes each stored version as stored and reads it in full only when that
hash differs from the recorded one (`StoredVersion.as_signed`): an intact version must come
out exactly as the full reading gives it, and any change must send it to the full reading."""

from __future__ import annotations

import json
from typing import Any

import pytest

from marrowpath.domain.canonical import canonical_json, sha256_hex
from marrowpath.domain.integrity import StoredVersion, content_problem
from marrowpath.domain.lifecycle import VersionKind
from tests.reports.builders import example_case, version


def _stored(kind: VersionKind = VersionKind.FINAL, number: int = 1) -> tuple[Any, dict[str, Any]]:
    issued = version(number, kind, example_case())
    # what the database gives back: the stored JSON, read again
    return issued, json.loads(json.dumps(issued.content.stored()))


@pytest.mark.parametrize(
    ("kind", "number"),
    [(VersionKind.FINAL, 1), (VersionKind.AMENDMENT, 2), (VersionKind.ADDENDUM, 3)],
)
def test_an_intact_version_reads_as_the_full_reading_does(kind: VersionKind, number: int) -> None:
    issued, stored = _stored(kind, number)
    fast = StoredVersion.as_signed(stored, issued.sha256, b"%PDF", "abc")
    full = StoredVersion.of(issued.model_copy(update={"pdf": b"%PDF", "pdf_sha256": "abc"}))
    assert fast == full
    assert content_problem(fast, None) == "no signing event carries its hash"


def test_any_change_to_the_stored_content_goes_to_the_full_reading() -> None:
    issued, stored = _stored()
    altered = json.loads(json.dumps(stored))
    altered["document"]["diagnosis"]["lines"][0] += " "
    assert StoredVersion.as_signed(altered, issued.sha256, None, None) is None
    renumbered = {**stored, "number": 2}
    assert StoredVersion.as_signed(renumbered, issued.sha256, None, None) is None


def test_content_that_hashes_but_names_no_valid_kind_goes_to_the_full_reading() -> None:
    """The recorded hash rewritten to match a content without a valid kind: read in full,
    where the model refuses it (and `audit verify` names it)."""
    _issued, stored = _stored()
    for broken in ({**stored, "kind": "draft"}, {k: v for k, v in stored.items() if k != "kind"}):
        rewritten = sha256_hex(canonical_json(broken))
        assert StoredVersion.as_signed(broken, rewritten, None, None) is None
