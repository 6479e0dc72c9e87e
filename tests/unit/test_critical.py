"""Critical results in the domain (`bench.md` 4): which cases call for a call, the entry's
rules, and how a recorded call reads in an addendum."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from marrowpath.domain.critical import (
    NO_CALL_CODE,
    CommunicationRefused,
    call_reason,
    communication_entry,
    communication_text,
    no_call_flags,
)
from tests.conftest import example_case

NOW = datetime(2026, 11, 18, 21, 0, tzinfo=UTC)


def _case(lines: list[str], **differential: int) -> dict[str, Any]:
    case = example_case()
    case["diagnosis"]["lines"] = lines
    case["diagnosis"].pop("classification", None)
    case["aspirate"]["differential"].update(differential)
    return case


def test_the_example_mds_needs_no_call() -> None:
    case = example_case()  # 12 % blasts, MDS-IB2 (and ICC "MDS/AML", which is not AML)
    assert call_reason(case) is None
    assert no_call_flags(case) == []


@pytest.mark.parametrize(
    ("lines", "differential", "reason"),
    [
        (["Acute myeloid leukemia with maturation."], {}, "the diagnosis names an acute leukemia"),
        (
            ["Acute promyelocytic leukemia with PML::RARA."],
            {},
            "the diagnosis names promyelocytic leukemia (acute promyelocytic leukemia)",
        ),
        (["APL, hypergranular variant."], {}, "the diagnosis names APL"),
        (
            ["Hypercellular marrow; see comment."],
            {"blasts": 100, "polychromatic_normoblasts": 70},
            "blast equivalents are 20.0 %",
        ),
    ],
)
def test_an_acute_leukemia_or_apl_calls_for_a_call(
    lines: list[str], differential: dict[str, int], reason: str
) -> None:
    case = _case(lines, **differential)
    found = call_reason(case)
    assert found is not None and found.startswith(reason)
    (flag,) = no_call_flags(case)
    assert flag.code == NO_CALL_CODE and flag.severity == "advisory"
    assert flag.message.startswith("No critical-result communication recorded: ")
    case["communications"] = [
        {"at": "2026-11-18T15:20:00Z", "to": "Dr Ortiz", "method": "phone", "by": "drpark"}
    ]
    assert no_call_flags(case) == []


def test_a_negated_leukemia_needs_no_call() -> None:
    assert call_reason(_case(["No evidence of acute leukemia."])) is None
    assert call_reason(_case(["Aplastic anemia."])) is None  # "apl" inside a word


def test_the_entry_is_checked_by_the_case_model_and_never_in_the_future() -> None:
    entry = communication_entry(
        "BM26-00042",
        {"at": "2026-11-18T15:20:00-05:00", "to": "Dr Ortiz", "method": "page", "by": "drpark"},
        now=NOW,
    )
    assert entry.reached is True and entry.read_back is None
    with pytest.raises(CommunicationRefused) as future:
        communication_entry(
            "BM26-00042",
            {"at": "2026-11-18T21:01:00Z", "to": "Dr Ortiz", "method": "page", "by": "drpark"},
            now=NOW,
        )
    assert str(future.value) == (
        "BM26-00042: communications.at 2026-11-18 21:01 UTC is in the future "
        "(now 2026-11-18 21:00 UTC); record a call once it was made"
    )
    with pytest.raises(CommunicationRefused, match=r"^BM26-00042: communications\.to is required$"):
        communication_entry("BM26-00042", {"at": NOW, "method": "page", "by": "x"}, now=NOW)


def test_the_addendum_text_says_what_was_communicated() -> None:
    reached = communication_entry(
        "BM26-00042",
        {
            "at": "2026-11-18T15:20:00-05:00",
            "to": "Dr Lena Ortiz",
            "role": "hematology",
            "method": "phone",
            "read_back": True,
            "by": "drpark",
        },
        now=NOW,
    )
    assert communication_text(reached, "Dana Park, MD") == (
        "Critical result communicated to Dr Lena Ortiz (hematology) by phone on 2026-11-18 "
        "at 15:20 UTC-05:00 by Dana Park, MD; read back."
    )
    missed = reached.model_copy(update={"reached": False, "read_back": None, "note": "Paged."})
    assert communication_text(missed) == (
        "Attempted to communicate the critical result to Dr Lena Ortiz (hematology) by phone "
        "on 2026-11-18 at 15:20 UTC-05:00 by drpark; not reached. Note: Paged."
    )
