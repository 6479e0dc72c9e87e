"""Every row of the banner table of `report-states.md`, read back from the PDF with pypdf.

Each state is rendered once per module. For every row: the first page carries the
banner and its words, every page the state, and the watermark (found as the one rotated
text on the page) is on every page where the table names one and nowhere else. A
version that is now superseded or withdrawn is its issued PDF with an overlay: the
issued bytes come first, unchanged, and each page's original text still extracts.
"""

from __future__ import annotations

import io
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from pypdf import PageObject, PdfReader

from marrowpath.domain.interfaces import Cancellation
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.redline import first_page, redline
from marrowpath.domain.reporting import ReportRequest, ReportState
from marrowpath.domain.validation import parse_case
from marrowpath.domain.versions import IssuedVersion, ProviderNotice
from marrowpath.reports.patient_summary import summary_blocks
from marrowpath.reports.pdf import render_report
from marrowpath.reports.stamp import stamp_report
from tests.reports import builders as b

LATER = b.SIGNED_AT + timedelta(days=4)
CANCEL_REASON = "Slides referred to the treating cancer center; the final report is issued there."


def _superseded() -> ReportRequest:
    v1, v2 = b.amended_versions()
    return ReportRequest(
        document=v1.content.document, settings=b.SETTINGS, versions=(v1,), later=(v2,)
    )


def _withdrawn_earlier() -> ReportRequest:
    withdrawn = b.withdrawn_request()
    return ReportRequest(
        document=withdrawn.document,
        settings=b.SETTINGS,
        versions=withdrawn.versions[:1],
        later=withdrawn.versions[1:],
    )


def _cancelled() -> ReportRequest:
    preliminary = b.preliminary_request()
    return ReportRequest(
        document=preliminary.document,
        settings=b.SETTINGS,
        versions=preliminary.versions,
        cancellation=Cancellation(
            CANCEL_REASON, b.SIGNED_AT + timedelta(days=2), "Anna Kowalski, MD"
        ),
    )


def _amended_with_addendum() -> ReportRequest:
    v1, v2 = b.amended_versions()
    v3 = b.version(
        3,
        VersionKind.ADDENDUM,
        v2.content.document,
        signed_at=LATER + timedelta(days=2),
        addendum_text=b.ADDENDUM_TEXT,
    )
    return ReportRequest(document=v3.content.document, settings=b.SETTINGS, versions=(v1, v2, v3))


REQUESTS = {
    "draft": b.draft_request,
    "preliminary": b.preliminary_request,
    "final": b.final_request,
    "amended": b.amended_request,
    "addendum": b.addendum_request,
    "amended_addendum": _amended_with_addendum,
    "superseded": _superseded,
    "cancelled": _cancelled,
    "withdrawn": b.withdrawn_request,
    "withdrawn_earlier": _withdrawn_earlier,
}
# name: (first-page words, state on every page, watermark or None)
ROWS: dict[str, tuple[list[str], str, str | None]] = {
    "draft": (["DRAFT - NOT A REPORT", "Not signed."], "DRAFT", "DRAFT"),
    "preliminary": (
        ["PRELIMINARY REPORT", "Results may change; a final report will follow."],
        "PRELIMINARY",
        None,
    ),
    "final": (
        ["FINAL REPORT", "Signed 2026-11-20 14:32 UTC-05:00 by Anna Kowalski, MD"],
        "FINAL",
        None,
    ),
    "amended": (
        [
            "AMENDED REPORT",
            "Amended 2026-11-24 14:32 UTC-05:00 by Anna Kowalski, MD (version 2, superseding "
            "version 1).",
            f"Reason: Interpretation change: {b.AMEND_REASON}",
            "What changed Was Now Diagnosis, line 2",
        ],
        "AMENDED",
        None,
    ),
    "addendum": (
        ["FINAL REPORT WITH ADDENDUM", f"(version 2): {b.ADDENDUM_TEXT}"],
        "ADDENDUM",
        None,
    ),
    "amended_addendum": (
        [
            "AMENDED REPORT WITH ADDENDUM",
            f"(version 3): {b.ADDENDUM_TEXT}",
            "Amended 2026-11-24 14:32 UTC-05:00 by Anna Kowalski, MD (version 2).",
            f"Reason: Interpretation change: {b.AMEND_REASON}",
        ],
        "ADDENDUM",
        None,
    ),
    "superseded": (
        [
            "SUPERSEDED - version 1 of 2",
            "The current report is version 2 (amended report), issued 2026-11-24 14:32 "
            "UTC-05:00. Do not use this version for care.",
        ],
        "SUPERSEDED",
        "SUPERSEDED",
    ),
    "cancelled": (
        [
            "CANCELLED",
            "Cancelled 2026-11-22 14:32 UTC-05:00 by Anna Kowalski, MD.",
            f"Reason: {CANCEL_REASON}",
            "No final report will follow for this accession.",
        ],
        "CANCELLED",
        "CANCELLED",
    ),
    "withdrawn": (
        [
            "WITHDRAWN - ENTERED IN ERROR",
            "Withdrawn 2026-11-21 14:32 UTC-05:00 by Anna Kowalski, MD (version 2).",
            f"Reason: {b.WITHDRAW_REASON}",
            "Do not use this report.",
        ],
        "WITHDRAWN",
        "WITHDRAWN",
    ),
    "withdrawn_earlier": (
        [
            "WITHDRAWN - ENTERED IN ERROR",
            "Withdrawn 2026-11-21 14:32 UTC-05:00 by Anna Kowalski, MD (version 2). Do not "
            "use this report.",
            f"WITHDRAWN. Reason: {b.WITHDRAW_REASON}",
        ],
        "WITHDRAWN",
        "WITHDRAWN",
    ),
}


@cache
def rendered(name: str) -> bytes:
    return render_report(REQUESTS[name]())


@cache
def pages(name: str) -> tuple[PageObject, ...]:
    return tuple(PdfReader(io.BytesIO(rendered(name))).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def read(page: PageObject) -> tuple[str, list[str]]:
    """The page's text, and the text drawn at an angle on it (the watermark, nothing else),
    in one pass."""
    found: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        b_ = tm[0] * cm[1] + tm[1] * cm[3]
        if text.strip() and abs(b_) > 1e-3:
            found.append(text.strip())

    return page.extract_text(visitor_text=visit), found


@pytest.mark.parametrize("name", list(ROWS))
def test_banner_on_every_page_and_watermark_where_stated(name: str) -> None:
    first_words, running, watermark = ROWS[name]
    read_back = [read(page) for page in pages(name)]
    assert len(read_back) > 1, "a report of several pages"
    first = flat(read_back[0][0])
    for words in first_words:
        assert words in first, (name, words)
    for number, (text, rotated) in enumerate(read_back, start=1):
        assert running in text, (name, number)
        assert rotated == ([watermark] if watermark else []), (name, number)


def test_the_state_comes_from_the_whole_version_list() -> None:
    states = {name: REQUESTS[name]().state for name in ROWS}
    assert states == {
        "draft": ReportState.DRAFT,
        "preliminary": ReportState.PRELIMINARY,
        "final": ReportState.FINAL,
        "amended": ReportState.AMENDED,
        "addendum": ReportState.ADDENDUM,
        "amended_addendum": ReportState.ADDENDUM,
        "superseded": ReportState.SUPERSEDED,
        "cancelled": ReportState.CANCELLED,
        "withdrawn": ReportState.WITHDRAWN,
        "withdrawn_earlier": ReportState.WITHDRAWN,
    }
    stamped = {name for name in ROWS if REQUESTS[name]().stamped}
    assert stamped == {"superseded", "withdrawn_earlier"}


def test_cancelled_prints_the_findings_anew_without_promising_a_final_report() -> None:
    whole = flat(" ".join(p.extract_text() for p in pages("cancelled")))
    assert "a final report will follow" not in whole.lower()
    assert "PRELIMINARY REPORT" not in whole and "to be followed by a final report" not in whole
    assert b.example_case().diagnosis.lines[0] in whole  # the findings, printed anew
    assert f"Cancelled 2026-11-22 14:32 UTC-05:00 Anna Kowalski, MD {CANCEL_REASON}" in whole


def test_amended_with_addendum_does_not_claim_the_text_is_unchanged() -> None:
    whole = flat(" ".join(p.extract_text() for p in pages("amended_addendum")))
    assert "unchanged as originally signed" not in whole
    assert "AMENDED DIAGNOSIS" in whole


def test_a_superseded_version_is_its_issued_pdf_under_an_overlay() -> None:
    """Printed after it was superseded, version 1 keeps the issued bytes as a prefix and
    each page's issued text, with SUPERSEDED over it; rendering on demand gives the same."""
    request = _superseded()
    issued = render_report(request.as_issued())
    stamped = stamp_report(issued, request)
    assert stamped.startswith(issued) and len(stamped) > len(issued)
    before = PdfReader(io.BytesIO(issued)).pages
    after = PdfReader(io.BytesIO(stamped)).pages
    assert len(before) == len(after)
    for original, overlaid in zip(before, after, strict=True):
        text = original.extract_text()
        assert "FINAL REPORT" in before[0].extract_text()
        assert overlaid.extract_text().startswith(text)
        assert "SUPERSEDED - version 1 of 2" in overlaid.extract_text()
    assert rendered("superseded") == stamped


def test_diagnosis_heading_says_amended_only_while_the_diagnosis_differs() -> None:
    original = b.example_case()
    data = b.example_data()
    data["procedure"]["laterality"] = "left"
    moved = parse_case(data, today=b.TODAY)
    v1 = b.version(1, VersionKind.FINAL, original)
    v2 = b.version(
        2,
        VersionKind.AMENDMENT,
        moved,
        signed_at=LATER,
        reason_category="report_defect",
        reason="Side.",
    )
    text = flat(
        PdfReader(
            io.BytesIO(
                render_report(ReportRequest(document=moved, settings=b.SETTINGS, versions=(v1, v2)))
            )
        )
        .pages[0]
        .extract_text()
    )
    assert "FINAL DIAGNOSIS" in text and "AMENDED DIAGNOSIS" not in text
    assert "What changed Was Now Laterality Right Left" in text
    assert "AMENDED DIAGNOSIS" in flat(pages("amended")[0].extract_text())


def test_provider_notice_prints_under_the_amended_banner() -> None:
    v1, v2 = b.amended_versions()
    notice = ProviderNotice(told="Priya Raman, MD", method="telephone", at=LATER)
    v2 = _resigned(v2, provider_notice=notice)
    text = flat(
        PdfReader(
            io.BytesIO(
                render_report(
                    ReportRequest(
                        document=v2.content.document, settings=b.SETTINGS, versions=(v1, v2)
                    )
                )
            )
        )
        .pages[0]
        .extract_text()
    )
    assert "Ordering provider told: Priya Raman, MD, telephone, 2026-11-24 14:32 UTC-05:00." in text


def _resigned(version: IssuedVersion, **changes: Any) -> IssuedVersion:
    content = version.content.model_copy(update=changes)
    return IssuedVersion(content=content, sha256=content.sha256())


@pytest.mark.slow
def test_long_changes_print_in_full_wrapped_and_page_one_counts_the_rest() -> None:
    """A 10,000-character text in every script, 40 stains changed: page 1 shows the
    diagnosis rows and others up to 12, then "and K more"; the version history has all."""
    data = b.example_data()
    words = [f"Łukasiewicz Петрова 李雪 w{i:04d}" for i in range(600)]
    long_text = " ".join(words)[:10_000]
    kept = [w for w in words if w in long_text]
    data["diagnosis"]["comment"] = long_text
    data["diagnosis"]["lines"][1] = "Acute myeloid leukemia (Петрова 李雪 Łukasiewicz)."
    data["stains"] = [{"name": f"M-{i:02d}", "result": "positive", "percent": i} for i in range(40)]
    v1 = b.version(1, VersionKind.FINAL, b.long_case(comment_lines=1, stains=40))
    changed = parse_case(data, today=b.TODAY)
    v2 = b.version(
        2, VersionKind.AMENDMENT, changed, signed_at=LATER, reason_category="other", reason="x"
    )
    pdf = render_report(ReportRequest(document=changed, settings=b.SETTINGS, versions=(v1, v2)))
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    rows = redline(v1.content.document.to_json_dict(), changed.to_json_dict())
    shown, more = first_page(rows)
    assert len(shown) == 12 and more == len(rows) - 12 > 40
    whole = flat(" ".join(texts))
    front, history = whole.split("VERSION HISTORY", 1)
    assert front.index("AMENDED REPORT") < front.index("Diagnosis, line 2")
    assert f"and {more} more changes: see Version history" in front
    assert front.index(f"and {more} more") < front.index("AMENDED DIAGNOSIS")
    assert "(in full in the Version history)" in front
    for i in range(40):
        assert (
            f"Stain M-{i:02d} (added)" in history
            and f"Stain Marker-{i + 1:02d} (removed)" in history
        )
    joined = " ".join(texts)
    for word in kept:  # the 10,000 characters in every script, all there, in order
        assert word in joined, word
    assert joined.index(kept[0]) < joined.index(kept[-1])
    assert "Łukasiewicz Петрова 李雪" in history


def test_patient_summary_by_state() -> None:
    def titles(request: ReportRequest) -> list[str]:
        return [block.text for block in summary_blocks(request) if block.kind == "title"]

    def text(request: ReportRequest) -> str:
        return " ".join(f"{block.text} {block.detail}" for block in summary_blocks(request))

    draft = b.draft_request()
    assert titles(draft)[0] == "Draft - not yet signed"
    assert "the pathologist signed" not in text(draft)
    assert titles(b.preliminary_request())[0] == "Preliminary - results may change"
    amended = text(b.amended_request())
    assert "Your report was updated on November 24, 2026: Diagnosis, line 2 was changed." in amended
    superseded = _superseded()
    assert titles(superseded)[0] == "Replaced by a newer report"
    pdf = render_report(ReportRequest(**{**superseded.__dict__, "patient_summary": True}))
    summary_pages = [
        p
        for p in PdfReader(io.BytesIO(pdf)).pages
        if "What did the tests find?" in p.extract_text()
    ]
    assert summary_pages and all(
        "SUPERSEDED - version 1 of 2" in p.extract_text() for p in summary_pages
    )
