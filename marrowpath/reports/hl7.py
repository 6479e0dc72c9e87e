"""The HL7 v2.5.1 ORU^R01 result message for one issued version (or a cancellation).

Pure: a `ResultRequest` in, the message text out (segments separated by CR). Every user
text passes through `marrowpath.domain.hl7v2.escape`, so delimiters and line breaks in
findings read back unchanged. The structure follows `bone-marrow-reporting.md` 5.1:

    MSH PID [PV1] ORC OBR {OBX} {SPM}

The whole report is sent each time: a corrected report (amendment, addendum, withdrawal)
replaces the earlier one at the receiver, with the same filler order number (OBR-3).
"""

from __future__ import annotations

import base64

from marrowpath.domain import hl7v2
from marrowpath.domain.case import CaseDocument, Provider
from marrowpath.domain.derived import (
    blasts_percent,
    case_cellularity,
    mark,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import Sex, Specimen, label
from marrowpath.domain.hl7v2 import Encoded, components, segment, subcomponents
from marrowpath.domain.interfaces import ResultRequest
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.redline import amendment_note
from marrowpath.domain.settings import LabIdentity, LabSettings
from marrowpath.reports import interface_codes as codes
from marrowpath.reports import interface_text as text
from marrowpath.reports.interface_codes import Code
from marrowpath.reports.status import reason_text, version_changes

SENDING_APPLICATION = "MARROWPATH"
CLIA_OID = "2.16.840.1.113883.4.7"

# OBR-25 (HL7 table 0123) for each case status: C for any change after the final
# report (amendment, addendum, withdrawal), X for a cancelled case.
RESULT_STATUS: dict[Status, str] = {
    Status.PRELIMINARY: "P",
    Status.FINAL: "F",
    Status.AMENDED: "C",
    Status.APPENDED: "C",
    Status.ENTERED_IN_ERROR: "C",
    Status.CANCELLED: "X",
}
# OBX-11 (HL7 table 0085): as the report, but W (posted as wrong) for a withdrawal.
OBSERVATION_STATUS: dict[Status, str] = {
    Status.PRELIMINARY: "P",
    Status.FINAL: "F",
    Status.AMENDED: "C",
    Status.APPENDED: "C",
    Status.ENTERED_IN_ERROR: "W",
    Status.CANCELLED: "X",
}
SEX_CODES = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "O", Sex.UNKNOWN: "U"}


def build_oru(request: ResultRequest) -> str:
    """The ORU^R01 message for the request's version and status."""
    content = request.version.content
    document = content.document
    status = request.status
    identity = content.settings.identity
    segments = [
        _msh(request, identity),
        _pid(document, request.patient_mrn),
    ]
    if document.order and document.order.visit_number:
        segments.append(
            segment("PV1", {1: "1", 2: "U", 19: components(document.order.visit_number)})
        )
    segments.append(_orc(document, status))
    segments.append(_obr(request))
    note = result_note(request)
    if note:
        segments.append(
            segment("NTE", {1: "1", 2: "L", 3: Encoded(hl7v2.escape(note, formatted=True))})
        )
    observations = _observations(request)
    trailer = _performing_lab(identity)
    result_status = OBSERVATION_STATUS[status]
    for number, (code, sub_id, value_type, value, extra) in enumerate(observations, start=1):
        fields: dict[int, str | None] = {
            1: str(number),
            2: value_type,
            3: components(code.code, code.text, code.system),
            4: str(sub_id),
            5: value,
            11: result_status,
            14: hl7v2.format_date(document.procedure.date),
            **trailer,
            **extra,
        }
        segments.append(segment("OBX", fields))
    segments += _specimens(document)
    return hl7v2.message(segments)


def result_note(request: ResultRequest) -> str:
    """The note after the OBR: for an amendment "Amended: REASON. Changed: label: was ->
    now; ..." (the changes table), for a cancellation its reason (`report-states.md`)."""
    if request.cancellation is not None:
        cancelled = request.cancellation
        return f"Cancelled: {cancelled.reason}. No final report will follow for this accession."
    version = request.version
    if version.kind is not VersionKind.AMENDMENT:
        return ""
    return amendment_note(reason_text(version), version_changes(request.versions, version))


# ---------------------------------------------------------------------- header, patient, order


def _msh(request: ResultRequest, identity: LabIdentity) -> str:
    destination = request.destination
    return segment(
        "MSH",
        {
            3: SENDING_APPLICATION,
            4: components(
                identity.name or None,
                identity.clia_id or None,
                "CLIA" if identity.clia_id else None,
            ),
            5: destination.application if destination and destination.application else None,
            6: destination.facility if destination and destination.facility else None,
            7: hl7v2.format_datetime(request.created_at),
            9: components("ORU", "R01", "ORU_R01"),
            10: request.control_id,
            11: "P",
            12: "2.5.1",
            18: "UNICODE UTF-8",
        },
    )


def _pid(document: CaseDocument, mrn: str | None = None) -> str:
    """The patient as the version printed it, under the MRN the patient has now."""
    patient = document.patient
    return segment(
        "PID",
        {
            1: "1",
            3: components(mrn or patient.mrn, None, None, None, "MR"),
            5: components(
                patient.family_name, patient.given_names or None, None, None, None, None, "L"
            ),
            7: hl7v2.format_date(patient.birth_date),
            8: SEX_CODES[patient.sex],
        },
    )


def provider_xcn(provider: Provider) -> Encoded:
    """XCN: id^family^given; the printed name as family name when it has no parts."""
    family = provider.family_name or provider.name
    return components(provider.id, family, provider.given_names)


def _filler(document: CaseDocument) -> Encoded:
    return components(document.accession, SENDING_APPLICATION)


def _placer(document: CaseDocument) -> Encoded | None:
    number = document.order.placer_order_number if document.order else None
    return components(number) if number else None


def _orc(document: CaseDocument, status: Status) -> str:
    return segment(
        "ORC",
        {
            1: "RE",
            2: _placer(document),
            3: _filler(document),
            5: "CA" if status is Status.CANCELLED else "CM",
            12: provider_xcn(document.ordering_provider),
        },
    )


def _obr(request: ResultRequest) -> str:
    content = request.version.content
    document = content.document
    reported = request.cancellation.at if request.cancellation else content.signed_at
    signer = subcomponents(
        content.signed_by, content.signer_name, None, None, None, None, content.signer_credentials
    )
    return segment(
        "OBR",
        {
            1: "1",
            2: _placer(document),
            3: _filler(document),
            4: components(codes.REPORT.code, codes.REPORT.text, codes.REPORT.system),
            7: hl7v2.format_date(document.procedure.date),
            14: hl7v2.format_datetime(document.received_at) if document.received_at else None,
            16: provider_xcn(document.ordering_provider),
            22: hl7v2.format_datetime(reported),
            24: "SP",
            25: RESULT_STATUS[request.status],
            32: components(signer),
        },
    )


def _performing_lab(identity: LabIdentity) -> dict[int, str | None]:
    """OBX-23/24/25: the performing laboratory (CLIA 493.1291(c)) on every observation."""
    return {
        23: components(
            identity.name,
            None,
            None,
            None,
            None,
            subcomponents("CLIA", CLIA_OID, "ISO") if identity.clia_id else None,
            "XX" if identity.clia_id else None,
            None,
            None,
            identity.clia_id or None,
        ),
        24: components(subcomponents(identity.address)) if identity.address else None,
        25: components(None, identity.director) if identity.director else None,
    }


# ---------------------------------------------------------------------- observations

Observation = tuple[Code, int, str, str, dict[int, str | None]]


def _ft(code: Code, value: str, sub_id: int = 1) -> Observation:
    return (code, sub_id, "FT", Encoded(hl7v2.escape(value, formatted=True)), {})


def _interval(settings: LabSettings, key: str) -> tuple[float, float] | None:
    interval = settings.interval(key)
    return (interval.low, interval.high) if interval else None


def _range(interval: tuple[float, float] | None) -> str | None:
    return f"{interval[0]:g}-{interval[1]:g}" if interval else None


def _flag(value_mark: str) -> str:
    return value_mark or "N"


def _observations(request: ResultRequest) -> list[Observation]:
    content = request.version.content
    document = content.document
    if request.cancellation is not None:
        cancelled = request.cancellation
        return [
            _ft(
                codes.CANCELLATION,
                f"Cancelled on {cancelled.at.isoformat()} by {cancelled.by}: {cancelled.reason}",
            )
        ]
    observations: list[Observation] = [_ft(codes.DIAGNOSIS, text.diagnosis(document))]
    for index, item in enumerate(document.diagnosis.classification or [], start=1):
        observations.append(
            (
                codes.CLASSIFICATION,
                index,
                "CWE",
                components(item.code, item.term, item.system.value),
                {},
            )
        )
    if document.diagnosis.comment:
        observations.append(_ft(codes.DIAGNOSIS_COMMENT, document.diagnosis.comment))
    if document.diagnosis.recommendations:
        observations.append(_ft(codes.RECOMMENDATIONS, document.diagnosis.recommendations))
    observations += _numeric(document, content.settings)
    for key, section in text.sections(document, content.settings, content.people).items():
        observations.append(_ft(codes.SECTIONS[key], section))
    observations += _history(request)
    observations.append(_ft(codes.SIGNATURE, text.signature(request.version)))
    pdf = request.version.pdf
    if pdf:
        data = base64.b64encode(pdf).decode("ascii")
        observations.append((codes.PDF, 1, "ED", components(None, "AP", "PDF", "Base64", data), {}))
    return observations


def _numeric(document: CaseDocument, settings: LabSettings) -> list[Observation]:
    """Blasts, plasma cells, M:E ratio, cells counted, cellularity, fibrosis grade."""
    out: list[Observation] = []
    percent_units = components("%", "percent", "UCUM")
    for code, value, key in (
        (codes.BLASTS, blasts_percent(document), "blasts"),
        (codes.PLASMA_CELLS, plasma_cells_percent(document), "plasma_cells"),
    ):
        if value is None:
            continue
        interval = _interval(settings, key)
        extra = {
            6: percent_units,
            7: _range(interval),
            8: _flag(mark(value.value, interval)) if interval else None,
            17: components(value.source, text.source_words(value.source), codes.LOCAL),
        }
        out.append((code, 1, "NM", str(value.value), extra))
    differential = document.aspirate.differential if document.aspirate else None
    if differential is not None:
        summary = summarise_differential(differential, settings)
        if summary.me_ratio is not None:
            ratio = components(None, str(summary.me_ratio), ":", "1")
            interval = _interval(settings, "me_ratio")
            shown = f"{interval[0]:.1f}-{interval[1]:.1f}" if interval else None
            extra = {7: shown, 8: _flag(summary.me_ratio_mark) if interval else None}
            out.append((codes.ME_RATIO, 1, "SN", ratio, extra))
        out.append(
            (
                codes.CELLS_COUNTED,
                1,
                "NM",
                str(summary.cells_counted),
                {6: components("{cells}", "cells", "UCUM")},
            )
        )
    assessment = case_cellularity(document, settings)
    if assessment is not None and assessment.verdict is not None:
        verdict = {"hypocellular": "L", "hypercellular": "H"}.get(assessment.verdict, "N")
        extra = {6: percent_units, 7: f"{assessment.lower}-{assessment.upper}", 8: verdict}
        out.append((codes.CELLULARITY, 1, "NM", str(assessment.percent), extra))
    if document.core is not None:
        grade = document.core.fibrosis_grade.value
        out.append((codes.FIBROSIS, 1, "CWE", components(grade, label(grade), codes.LOCAL), {}))
    return out


def _history(request: ResultRequest) -> list[Observation]:
    """Addenda, amendment reasons and the withdrawal reason of versions 1..N."""
    out: list[Observation] = []
    counters = {codes.ADDENDUM: 0, codes.AMENDMENT: 0}
    for version in request.versions:
        c = version.content
        when = f"Version {c.number}, {c.signed_at.isoformat()}, {c.signer_name}"
        if c.kind is VersionKind.ADDENDUM and c.addendum_text:
            counters[codes.ADDENDUM] += 1
            out.append(_ft(codes.ADDENDUM, f"{when}:\n{c.addendum_text}", counters[codes.ADDENDUM]))
        elif c.kind is VersionKind.AMENDMENT:
            counters[codes.AMENDMENT] += 1
            reason = (
                f"{label(c.reason_category)}: {c.reason}" if c.reason_category else (c.reason or "")
            )
            out.append(_ft(codes.AMENDMENT, f"{when}:\n{reason}", counters[codes.AMENDMENT]))
        elif c.kind is VersionKind.WITHDRAWAL:
            out.append(_ft(codes.WITHDRAWAL, f"{when}:\n{c.reason or ''}"))
    return out


# ---------------------------------------------------------------------- specimens


def _specimens(document: CaseDocument) -> list[str]:
    procedure = document.procedure
    received = hl7v2.format_datetime(document.received_at) if document.received_at else None
    site = components(procedure.site.value, label(procedure.site.value), codes.LOCAL)
    side = components(procedure.laterality.value, label(procedure.laterality.value), codes.LOCAL)
    out = []
    for number, specimen in enumerate(procedure.specimens, start=1):
        from_marrow = specimen is not Specimen.PERIPHERAL_BLOOD_SMEAR
        out.append(
            segment(
                "SPM",
                {
                    1: str(number),
                    2: components(
                        None, subcomponents(f"{document.accession}-{number}", SENDING_APPLICATION)
                    ),
                    4: components(specimen.value, label(specimen.value), codes.LOCAL),
                    8: site if from_marrow else None,
                    9: side if from_marrow else None,
                    17: components(hl7v2.format_date(procedure.date)),
                    18: received,
                },
            )
        )
    return out
