"""The FHIR R4 Bundle (type `collection`) for one issued version (or a cancellation).

Pure: a `ResultRequest` in, JSON text out. Resources follow `bone-marrow-reporting.md`
5.2: Patient, Practitioner (the signer and the ordering provider), Organization (the
laboratory), ServiceRequest (the placer order, when known), Specimen, Observations for
the discrete values, and the DiagnosticReport with the issued PDF as `presentedForm`.

Entries are linked by `urn:uuid:` full URLs derived from the accession and version, so
the same version always gives the same bundle apart from its timestamp and identifier.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marrowpath.domain.case import CaseDocument, Provider
from marrowpath.domain.derived import (
    SourcedPercent,
    blasts_percent,
    case_cellularity,
    mark,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import label
from marrowpath.domain.interfaces import ResultRequest
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.text import display_name
from marrowpath.reports import interface_codes as codes
from marrowpath.reports import interface_text as text
from marrowpath.reports.hl7 import result_note
from marrowpath.reports.interface_codes import Code

Json = dict[str, Any]

_NAMESPACE = uuid.UUID("5b0c7c4e-8d8a-4e59-9d55-2f6f3c1a7a10")
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CLIA_SYSTEM = "urn:oid:2.16.840.1.113883.4.7"
ACCESSION_SYSTEM = "urn:marrowpath:accession"
USER_SYSTEM = "urn:marrowpath:user"
MESSAGE_SYSTEM = "urn:marrowpath:message"
CLASSIFICATION_SYSTEM = "urn:marrowpath:classification:"

REPORT_STATUS: dict[Status, str] = {
    Status.PRELIMINARY: "preliminary",
    Status.FINAL: "final",
    Status.AMENDED: "amended",
    Status.APPENDED: "appended",
    Status.CANCELLED: "cancelled",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}
# Observations have no "appended": an addendum leaves the values as they were.
OBSERVATION_STATUS: dict[Status, str] = {
    Status.PRELIMINARY: "preliminary",
    Status.FINAL: "final",
    Status.AMENDED: "amended",
    Status.APPENDED: "final",
    Status.CANCELLED: "cancelled",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def build_bundle(request: ResultRequest) -> str:
    """The Bundle as indented JSON text."""
    return json.dumps(bundle(request), ensure_ascii=False, indent=2) + "\n"


def bundle(request: ResultRequest) -> Json:
    content = request.version.content
    document = content.document
    status = request.status
    ids = _Ids(document.accession, content.number)
    entries: list[Json] = []

    def add(kind: str, resource: Json, key: str = "") -> Json:
        full_url = ids.url(kind, key)
        resource = {"resourceType": kind, "id": full_url.removeprefix("urn:uuid:"), **resource}
        entries.append({"fullUrl": full_url, "resource": resource})
        return {"reference": full_url}

    patient = add("Patient", _patient(document, request.patient_mrn))
    lab = add("Organization", _organization(content.settings))
    signer = add("Practitioner", _signer(request))
    orderer = add("Practitioner", _provider(document.ordering_provider), "orderer")
    order = None
    if document.order and document.order.placer_order_number:
        order = add("ServiceRequest", _service_request(document, patient, orderer))
    specimens = [
        add("Specimen", _specimen(document, index, patient), str(index))
        for index in range(len(document.procedure.specimens))
    ]
    results = []
    if status is not Status.CANCELLED:
        for key, observation in _observations(document, content.settings, content.people):
            observation.update(
                status=OBSERVATION_STATUS[status],
                category=[_concept(OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
                subject=patient,
                effectiveDateTime=document.procedure.date.isoformat(),
                performer=[lab],
            )
            results.append(add("Observation", observation, key))
    report: Json = {
        "meta": {"versionId": str(content.number)},
        "identifier": [
            {
                "type": _concept(V2_0203, "FILL", "Filler Identifier"),
                "system": ACCESSION_SYSTEM,
                "value": document.accession,
            }
        ],
        "status": REPORT_STATUS[status],
        "category": [
            _concept(V2_0074, "SP", "Surgical Pathology"),
            _concept(codes.LOINC_SYSTEM, "LP7839-6", "Pathology"),
        ],
        "code": _code(codes.REPORT),
        "subject": patient,
        "effectiveDateTime": document.procedure.date.isoformat(),
        "issued": _instant(request.cancellation.at if request.cancellation else content.signed_at),
        "performer": [lab],
        "resultsInterpreter": [signer],
        "specimen": specimens,
        "result": results,
        "conclusion": _conclusion(request),
    }
    if order:
        report["basedOn"] = [order]
    if document.order and document.order.visit_number:
        report["encounter"] = {"identifier": {"value": document.order.visit_number}}
    if document.diagnosis.classification and status is not Status.CANCELLED:
        report["conclusionCode"] = [
            {
                "coding": [
                    {
                        "system": CLASSIFICATION_SYSTEM + item.system.value,
                        **({"code": item.code} if item.code else {}),
                        "display": item.term,
                    }
                ],
                "text": f"{item.term} ({item.system.value})",
            }
            for item in document.diagnosis.classification
        ]
    pdf = request.version.pdf
    if pdf and status is not Status.CANCELLED:
        report["presentedForm"] = [
            {
                "contentType": "application/pdf",
                "data": base64.b64encode(pdf).decode("ascii"),
                "title": f"{document.accession} version {content.number} ({content.kind.value})",
                "creation": _instant(content.signed_at),
            }
        ]
    add("DiagnosticReport", report)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": MESSAGE_SYSTEM, "value": request.control_id},
        "type": "collection",
        "timestamp": _instant(request.created_at),
        "entry": entries,
    }


class _Ids:
    def __init__(self, accession: str, number: int) -> None:
        self._base = f"{accession}/v{number}"

    def url(self, kind: str, key: str = "") -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self._base}/{kind}/{key}')}"


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _concept(system: str, code: str, display: str) -> Json:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _code(code: Code) -> Json:
    return {**_concept(code.fhir_system, code.code, code.text), "text": code.text}


def _patient(document: CaseDocument, mrn: str | None = None) -> Json:
    p = document.patient
    name: Json = {
        "use": "official",
        "family": p.family_name,
        "text": display_name(p.family_name, p.given_names),
    }
    if p.given_names.strip():
        name["given"] = p.given_names.split()
    return {
        "identifier": [
            {"type": _concept(V2_0203, "MR", "Medical record number"), "value": mrn or p.mrn}
        ],
        "name": [name],
        "gender": GENDER[p.sex.value],
        "birthDate": p.birth_date.isoformat(),
    }


def _organization(settings: LabSettings) -> Json:
    identity = settings.identity
    organization: Json = {"name": identity.name or "Laboratory", "active": True}
    if identity.clia_id:
        organization["identifier"] = [{"system": CLIA_SYSTEM, "value": identity.clia_id}]
    if identity.address:
        organization["address"] = [{"text": identity.address}]
    if identity.phone:
        organization["telecom"] = [{"system": "phone", "value": identity.phone}]
    if identity.director:
        organization["contact"] = [{"name": {"text": identity.director}}]
    return organization


def _signer(request: ResultRequest) -> Json:
    content = request.version.content
    name: Json = {"text": content.signer_name}
    if content.signer_credentials:
        name["suffix"] = [content.signer_credentials]
    return {"identifier": [{"system": USER_SYSTEM, "value": content.signed_by}], "name": [name]}


def _provider(provider: Provider) -> Json:
    name: Json = {"text": provider.name}
    if provider.family_name:
        name["family"] = provider.family_name
    if provider.given_names:
        name["given"] = provider.given_names.split()
    resource: Json = {"name": [name]}
    if provider.id:
        resource["identifier"] = [{"value": provider.id}]
    return resource


def _service_request(document: CaseDocument, patient: Json, orderer: Json) -> Json:
    assert document.order is not None
    return {
        "identifier": [
            {
                "type": _concept(V2_0203, "PLAC", "Placer Identifier"),
                "value": document.order.placer_order_number,
            }
        ],
        "status": "completed",
        "intent": "order",
        "code": _code(codes.REPORT),
        "subject": patient,
        "requester": orderer,
    }


def _specimen(document: CaseDocument, index: int, patient: Json) -> Json:
    procedure = document.procedure
    specimen = procedure.specimens[index]
    resource: Json = {
        "identifier": [{"system": ACCESSION_SYSTEM, "value": f"{document.accession}-{index + 1}"}],
        "type": {
            **_concept(codes.LOCAL_SYSTEM, specimen.value, label(specimen.value)),
            "text": label(specimen.value),
        },
        "subject": patient,
        "collection": {"collectedDateTime": procedure.date.isoformat()},
    }
    if specimen.value != "peripheral_blood_smear":
        resource["collection"]["bodySite"] = {
            **_concept(codes.LOCAL_SYSTEM, procedure.site.value, label(procedure.site.value)),
            "text": f"{label(procedure.site.value)}, {label(procedure.laterality.value).lower()}",
        }
    if document.received_at:
        resource["receivedTime"] = _instant(document.received_at)
    return resource


def _interpretation(value_mark: str) -> list[Json]:
    words = {"H": "High", "L": "Low", "": "Normal"}[value_mark]
    return [_concept(INTERPRETATION_SYSTEM, value_mark or "N", words)]


def _range(settings: LabSettings, key: str, unit: Json | None) -> list[Json] | None:
    interval = settings.interval(key)
    if interval is None:
        return None
    low: Json = {"value": interval.low, **(unit or {})}
    high: Json = {"value": interval.high, **(unit or {})}
    return [{"low": low, "high": high}]


_PERCENT = {"unit": "%", "system": codes.UCUM_SYSTEM, "code": "%"}


def _percent_observation(
    code: Code, value: SourcedPercent, settings: LabSettings, key: str
) -> Json:
    observation: Json = {
        "code": _code(code),
        "valueQuantity": {"value": float(value.value), **_PERCENT},
        "method": {
            **_concept(codes.LOCAL_SYSTEM, value.source, text.source_words(value.source)),
            "text": text.source_words(value.source),
        },
    }
    reference = _range(settings, key, _PERCENT)
    if reference:
        observation["referenceRange"] = reference
        interval = settings.interval(key)
        assert interval is not None
        observation["interpretation"] = _interpretation(
            mark(value.value, (interval.low, interval.high))
        )
    return observation


def _observations(
    document: CaseDocument, settings: LabSettings, names: Mapping[str, str] | None = None
) -> list[tuple[str, Json]]:
    """M:E ratio, blasts, plasma cells, cellularity and fibrosis grade, when recorded."""
    out: list[tuple[str, Json]] = []
    differential = document.aspirate.differential if document.aspirate else None
    if differential is not None:
        summary = summarise_differential(differential, settings)
        if summary.me_ratio is not None:
            observation: Json = {
                "code": _code(codes.ME_RATIO),
                "valueRatio": {
                    "numerator": {"value": float(summary.me_ratio)},
                    "denominator": {"value": 1},
                },
            }
            reference = _range(settings, "me_ratio", None)
            if reference:
                observation["referenceRange"] = reference
                observation["interpretation"] = _interpretation(summary.me_ratio_mark)
            out.append(("me_ratio", observation))
    blasts = blasts_percent(document)
    if blasts is not None:
        out.append(("blasts", _percent_observation(codes.BLASTS, blasts, settings, "blasts")))
    plasma = plasma_cells_percent(document)
    if plasma is not None:
        out.append(
            ("plasma", _percent_observation(codes.PLASMA_CELLS, plasma, settings, "plasma_cells"))
        )
    assessment = case_cellularity(document, settings)
    if assessment is not None and assessment.verdict is not None:
        out.append(
            (
                "cellularity",
                {
                    "code": _code(codes.CELLULARITY),
                    "valueQuantity": {"value": assessment.percent, **_PERCENT},
                    "referenceRange": [
                        {
                            "low": {"value": assessment.lower, **_PERCENT},
                            "high": {"value": assessment.upper, **_PERCENT},
                            "text": f"expected for age ({settings.cellularity_rule})",
                        }
                    ],
                    "interpretation": _interpretation(
                        {"hypocellular": "L", "hypercellular": "H"}.get(assessment.verdict, "")
                    ),
                },
            )
        )
    if document.core is not None:
        grade = document.core.fibrosis_grade.value
        out.append(
            (
                "fibrosis",
                {
                    "code": _code(codes.FIBROSIS),
                    "valueCodeableConcept": {
                        **_concept(codes.LOCAL_SYSTEM, grade, label(grade)),
                        "text": label(grade),
                    },
                },
            )
        )
    # the findings as the report words them, one text observation per section (the HL7
    # FT observations' codes and text)
    for key, section in text.sections(document, settings, names).items():
        out.append((f"text-{key}", {"code": _code(codes.SECTIONS[key]), "valueString": section}))
    return out


def _conclusion(request: ResultRequest) -> str:
    """The diagnosis; for an amendment its first paragraph is the HL7 note ("Amended:
    REASON. Changed: ..."), so a system showing only the conclusion sees what changed."""
    content = request.version.content
    if request.cancellation is not None:
        return f"Cancelled: {request.cancellation.reason}"
    conclusion = text.diagnosis(content.document)
    if request.status is Status.ENTERED_IN_ERROR:
        return f"WITHDRAWN (entered in error): {content.reason or ''}\n{conclusion}"
    note = result_note(request)
    return f"{note}\n\n{conclusion}" if note else conclusion
