"""Report requests built from the spec's example case, for the PDF tests and the benchmark.

Versions are made the way signing makes them (`VersionContent` hashed with `sha256()`),
so fingerprints and the "what changed" line come from real domain objects.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.lifecycle import MEANING, VersionKind
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.settings import LabIdentity, LabSettings
from marrowpath.domain.upgrade import upgrade_case
from marrowpath.domain.validation import parse_case
from marrowpath.domain.versions import IssuedVersion, VersionContent

# The repository's copy of the specification's example (tests/fixtures, checked against
# the specification by tests/unit/test_fixtures.py).
EXAMPLE_CASE = Path(__file__).resolve().parents[1] / "fixtures" / "example-case.json"
TODAY = date(2026, 11, 26)
EST = timezone(timedelta(hours=-5))
SIGNED_AT = datetime(2026, 11, 20, 14, 32, tzinfo=EST)
LAB = LabIdentity(
    name="Riverside Hematopathology Laboratory",
    address="1200 Harbor Avenue, Suite 400, Portland, OR 97201",
    phone="(503) 555-0142",
    clia_id="38D0987654",
    director="Elena Marsh, MD",
)
SETTINGS = LabSettings(identity=LAB)
AMENDED_LINE = "Acute myeloid leukemia with myelodysplasia-related changes (AML-MR)."
AMEND_REASON = "Complex karyotype reported after sign-out; classification revised."
ADDENDUM_TEXT = "Karyotype: 46,XY,del(5)(q31q33)[12]/46,XY[8]. Findings support the diagnosis."
WITHDRAW_REASON = "Specimen belongs to another patient (labelling error at collection)."


def example_data() -> dict[str, Any]:
    """The `/1` example as the app holds it, upgraded to `/2`."""
    data: dict[str, Any] = upgrade_case(json.loads(EXAMPLE_CASE.read_text(encoding="utf-8")))
    return data


def example_case(**changes: Any) -> CaseDocument:
    """The example case, with top-level fields replaced (validated like an import)."""
    data = example_data()
    data.update(changes)
    return parse_case(data, today=TODAY)


def version(
    number: int,
    kind: VersionKind,
    document: CaseDocument,
    signed_at: datetime = SIGNED_AT,
    settings: LabSettings = SETTINGS,
    **extra: Any,
) -> IssuedVersion:
    content = VersionContent(
        accession=document.accession,
        number=number,
        kind=kind,
        document=document,
        settings=settings,
        signed_by="akowalski",
        signer_name="Anna Kowalski",
        signer_credentials="MD",
        signed_at=signed_at,
        meaning=MEANING[kind],
        **extra,
    )
    return IssuedVersion(content=content, sha256=content.sha256())


def final_request(document: CaseDocument | None = None, **options: Any) -> ReportRequest:
    document = document or example_case()
    settings = options.pop("settings", SETTINGS)
    v1 = version(1, VersionKind.FINAL, document, settings=settings)
    return ReportRequest(document=document, settings=settings, versions=(v1,), **options)


def amended_versions() -> tuple[IssuedVersion, IssuedVersion]:
    original = example_case()
    lines = [original.diagnosis.lines[0], AMENDED_LINE]
    amended = original.model_copy(
        update={"diagnosis": original.diagnosis.model_copy(update={"lines": lines})}
    )
    v1 = version(1, VersionKind.FINAL, original)
    v2 = version(
        2,
        VersionKind.AMENDMENT,
        amended,
        signed_at=SIGNED_AT + timedelta(days=4),
        reason_category="interpretation_change",
        reason=AMEND_REASON,
    )
    return v1, v2


def amended_request(**options: Any) -> ReportRequest:
    v1, v2 = amended_versions()
    return ReportRequest(
        document=v2.content.document, settings=SETTINGS, versions=(v1, v2), **options
    )


def with_addenda(document: CaseDocument, texts: list[str]) -> ReportRequest:
    """A final version 1 followed by one addendum per text, a day apart."""
    versions = [version(1, VersionKind.FINAL, document)]
    for i, text in enumerate(texts):
        signed_at = SIGNED_AT + timedelta(days=7 + i)
        versions.append(
            version(i + 2, VersionKind.ADDENDUM, document, signed_at, addendum_text=text)
        )
    return ReportRequest(document=document, settings=SETTINGS, versions=tuple(versions))


def addendum_request() -> ReportRequest:
    return with_addenda(example_case(), [ADDENDUM_TEXT])


def preliminary_request(document: CaseDocument | None = None) -> ReportRequest:
    document = document or example_case()
    v1 = version(1, VersionKind.PRELIMINARY, document)
    return ReportRequest(document=document, settings=SETTINGS, versions=(v1,))


def withdrawn_request() -> ReportRequest:
    document = example_case()
    v1 = version(1, VersionKind.FINAL, document)
    v2 = version(
        2,
        VersionKind.WITHDRAWAL,
        document,
        signed_at=SIGNED_AT + timedelta(days=1),
        reason=WITHDRAW_REASON,
    )
    return ReportRequest(document=document, settings=SETTINGS, versions=(v1, v2))


def draft_request(document: CaseDocument | None = None) -> ReportRequest:
    return ReportRequest(
        document=document or example_case(),
        settings=SETTINGS,
        draft=True,
        rendered_at=datetime(2026, 11, 19, 8, 0, tzinfo=EST),
    )


def long_case(comment_lines: int = 60, stains: int = 40) -> CaseDocument:
    """Long comment, many stains: content that must flow over pages without clipping."""
    data = example_data()
    data["diagnosis"]["comment"] = "\n".join(
        f"Comment line {i + 1}: the findings are reviewed with the clinical history and "
        "the peripheral blood smear; correlation with the pending studies is advised."
        for i in range(comment_lines)
    )
    data["stains"] = [
        {
            "name": f"Marker-{i + 1:02d}",
            "result": "positive" if i % 3 else "negative",
            "percent": (i * 7) % 100,
            "pattern": "scattered single cells and small interstitial clusters",
            "comment": "Appropriate controls reacted as expected.",
        }
        for i in range(stains)
    ]
    return parse_case(data, today=TODAY)


def long_request() -> ReportRequest:
    """A 60-line comment, 40 stains and 10 addenda in one report."""
    texts = [
        "\n".join(
            f"Addendum {i + 1}, paragraph {j + 1}: supplementary result received and reviewed."
            for j in range(4)
        )
        for i in range(10)
    ]
    return with_addenda(long_case(), texts)
