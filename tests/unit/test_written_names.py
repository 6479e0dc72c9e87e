"""Names that are written one way only keep it wherever a value becomes words (issue 12,
item 9): the report, the editor's choices and the interface text all use `label`."""

from __future__ import annotations

import pytest

from marrowpath.domain.enums import AncillaryKind, label


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("fish", "FISH"),
        (AncillaryKind.FISH, "FISH"),
        ("p53", "p53"),
        ("cd34_ihc", "CD34 IHC"),
        ("cd138_ihc", "CD138 IHC"),
        ("flow_cytometry", "Flow cytometry"),
        ("posterior_iliac_crest", "Posterior iliac crest"),
        ("MF-1", "MF-1"),
        ("WHO-HAEM5", "WHO-HAEM5"),
        ("mast_cells", "Mast cells"),
    ],
)
def test_names_are_written_as_they_are_written(value: str, words: str) -> None:
    assert label(value) == words
