"""The example cases the suite reads are the specification's, copied into the repository.

The suite runs from a clean clone, so it reads `tests/fixtures/`; where the specification
folder is beside the repository (`../shared/spec`), the copies must equal it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CASE, EXAMPLE_CASE_V2

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec"


@pytest.mark.parametrize("copy", [EXAMPLE_CASE, EXAMPLE_CASE_V2], ids=lambda path: path.name)
def test_fixture_copies_equal_the_specification(copy: Path) -> None:
    original = SPEC / copy.name
    if not original.is_file():
        pytest.skip(f"no specification folder beside the repository ({SPEC})")
    assert copy.read_bytes() == original.read_bytes(), (
        f"{copy} differs from {original}: copy the specification's file again"
    )
