"""From a working document to what is stored beside it: search key, columns, patient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from marrowpath.domain.case import Ancillary, CaseDocument
from marrowpath.domain.enums import Sex
from marrowpath.domain.errors import InvalidCase, Problem, Refused
from marrowpath.domain.identity import mrn_key
from marrowpath.domain.search_key import search_key as build_search_key
from marrowpath.domain.text import display_name, fold
from marrowpath.domain.types import control_character_problem, lenient_date, nfc
from marrowpath.domain.validation import problems_from
from marrowpath.services.ports import CaseWrite, NewPatient, PatientRecord, UnitOfWork


def _get(data: dict[str, Any], *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def first_diagnosis_line(data: dict[str, Any]) -> str:
    lines = _get(data, "diagnosis", "lines")
    if isinstance(lines, list):
        for line in lines:
            if isinstance(line, str) and line.strip():
                return line.strip()
    return ""


def search_key(data: dict[str, Any]) -> str:
    """Folded text that `search` matches: names (also in Latin), MRN, accession, diagnosis
    (`domain/search_key.py`)."""
    identifiers = [_text(data, "accession"), _text(data, "patient", "mrn")]
    names = [_text(data, "patient", "family_name"), _text(data, "patient", "given_names")]
    names.append(patient_name_of(data))  # as printed: "李雪" has no space to split on
    parts = [*identifiers, *names]
    lines = _get(data, "diagnosis", "lines")
    if isinstance(lines, list):
        parts += [line for line in lines if isinstance(line, str)]
    for item in _get(data, "diagnosis", "classification") or []:
        if isinstance(item, dict) and isinstance(item.get("term"), str):
            parts.append(item["term"])
    return build_search_key(
        identifiers=[value for value in identifiers if value],
        names=[value for value in names if value],
        text=[part for part in parts if part],
    )


def _text(data: dict[str, Any], *path: str) -> str:
    value = _get(data, *path)
    return value if isinstance(value, str) else ""


def patient_block(patient: PatientRecord) -> dict[str, Any]:
    """The `patient` object of a case document for a stored patient."""
    return {
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_names": patient.given_names,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex.value,
    }


def with_patient(data: dict[str, Any], patient: PatientRecord | None) -> dict[str, Any]:
    """The document with the stored patient's identity (after a correction or a merge);
    unchanged when it already has it, or when the case has no stored patient."""
    if patient is None or data.get("patient") == patient_block(patient):
        return data
    return {**data, "patient": patient_block(patient)}


def case_search_key(data: dict[str, Any], patient: PatientRecord | None) -> str:
    """The search key of a document, widened by the MRNs merged into its patient, so that
    search by either MRN of a merged patient finds the case."""
    key = search_key(data)
    if patient is None or not patient.former_mrns:
        return key
    return " | ".join([key, *(search_key({"patient": {"mrn": m}}) for m in patient.former_mrns)])


def patient_name_of(data: dict[str, Any]) -> str:
    family = _get(data, "patient", "family_name")
    given = _get(data, "patient", "given_names")
    if not isinstance(family, str):
        return ""
    return display_name(family, given if isinstance(given, str) else "")


def case_write(
    data: dict[str, Any], patient: PatientRecord | None, document: CaseDocument | None
) -> CaseWrite:
    """The columns stored with a working document (extracted values need a valid document)."""
    procedure_date = _get(data, "procedure", "date")
    provider = _get(data, "ordering_provider", "name")
    return CaseWrite(
        working=data,
        search_key=case_search_key(data, patient),
        patient_id=patient.id if patient else None,
        procedure_date=lenient_date(procedure_date),
        diagnosis=first_diagnosis_line(data),
        ordering_provider=provider if isinstance(provider, str) else "",
        extra={
            "patient_name": patient_name_of(data),
            "mrn": str(_get(data, "patient", "mrn") or ""),
        },
        signable=document is not None,
    )


def _same(a: str, b: str) -> bool:
    return nfc(a).casefold() == nfc(b).casefold()


def resolve_patient(uow: UnitOfWork, data: dict[str, Any], accession: str) -> PatientRecord | None:
    """The patient with this MRN; created when new; refused when the MRN's details differ.

    Patients are never merged or overwritten by an import or a draft save: a different
    name, birth date or sex under an existing MRN is refused, naming both records.
    """
    new = _new_patient(data)
    if new is None:
        return None
    existing = uow.patients.by_mrn(new.mrn)
    if existing is None:
        _refuse_lookalike(uow, new.mrn, accession)
        return uow.patients.add(
            mrn=new.mrn,
            family_name=new.family_name,
            given_names=new.given_names,
            birth_date=new.birth_date,
            sex=new.sex,
            search_key=new.search_key,
        )
    return _same_patient(uow, existing, data["patient"], accession)


def resolve_patients(
    uow: UnitOfWork, cases: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, PatientRecord]:
    """The patients of many (accession, document) pairs by MRN, as `resolve_patient` finds
    or creates them one by one, in a few statements (bulk loading): the MRNs and look-alike
    keys are looked up together and new patients inserted together. An MRN that is stored
    already, or looks like a stored or another new one, goes through `resolve_patient`, so
    its rules and refusals are the same."""
    first: dict[str, tuple[str, dict[str, Any], NewPatient]] = {}
    for accession, data in cases:
        new = _new_patient(data)
        if new is not None and new.mrn not in first:
            first[new.mrn] = (accession, data, new)
    found = uow.patients.by_mrns(list(first))
    keys: dict[str, list[str]] = {}
    for mrn in first:
        if mrn not in found:
            keys.setdefault(mrn_key(mrn), []).append(mrn)
    taken = uow.patients.taken_mrn_keys(list(keys))
    plain = [first[mrns[0]][2] for key, mrns in keys.items() if len(mrns) == 1 and key not in taken]
    resolved = {p.mrn: p for p in uow.patients.add_many(plain)}
    for mrn, (accession, data, _new) in first.items():
        if mrn in found:
            resolved[mrn] = _same_patient(uow, found[mrn], data["patient"], accession)
        elif mrn not in resolved:
            patient = resolve_patient(uow, data, accession)
            if patient is not None:
                resolved[mrn] = patient
    for accession, data in cases:  # a patient's later cases must name the same person
        new = _new_patient(data)
        if new is not None and first[new.mrn][0] != accession:
            _same_patient(uow, resolved[new.mrn], data["patient"], accession)
    return resolved


def _new_patient(data: dict[str, Any]) -> NewPatient | None:
    """The patient a document names, when it names one completely."""
    patient = data.get("patient")
    if not isinstance(patient, dict):
        return None
    mrn = patient.get("mrn")
    family, given = patient.get("family_name"), patient.get("given_names")
    birth, sex = lenient_date(patient.get("birth_date")), patient.get("sex")
    if not (
        isinstance(mrn, str)
        and mrn
        and isinstance(family, str)
        and isinstance(given, str)
        and birth
        and sex in {s.value for s in Sex}
    ):
        return None
    return NewPatient(
        mrn=mrn,
        family_name=nfc(family),
        given_names=nfc(given),
        birth_date=birth,
        sex=Sex(sex),
        search_key=fold(f"{family} {given} {mrn}"),
    )


def _same_patient(
    uow: UnitOfWork, existing: PatientRecord, patient: dict[str, Any], accession: str
) -> PatientRecord:
    """The stored patient, when the document names the same person; refused otherwise,
    and refused when that MRN was merged into another (the surviving MRN is named)."""
    if existing.merged_into_id is not None:
        survivor = uow.patients.get(existing.merged_into_id)
        raise InvalidCase(
            accession,
            [
                Problem(
                    "patient.mrn",
                    f"{existing.mrn} was merged into "
                    f"{survivor.mrn if survivor else 'another MRN'}; use the surviving MRN",
                )
            ],
        )
    mrn, family, given = patient["mrn"], patient["family_name"], patient["given_names"]
    birth, sex = lenient_date(patient.get("birth_date")), patient["sex"]
    if (
        _same(existing.family_name, family)
        and _same(existing.given_names, given)
        and existing.birth_date == birth
        and existing.sex.value == sex
    ):
        return existing
    theirs = (
        f"{display_name(existing.family_name, existing.given_names)} (born "
        f"{existing.birth_date}, {existing.sex.value})"
    )
    ours = f"{display_name(family, given)} (born {birth}, {sex})"
    raise InvalidCase(
        accession,
        [
            Problem(
                "patient.mrn",
                f"{mrn} belongs to {theirs} in the database, but this case has {ours}; "
                "patients are never merged or overwritten",
            )
        ],
    )


def _refuse_lookalike(uow: UnitOfWork, mrn: str, accession: str) -> None:
    """A new MRN that a reader could not tell from an existing one ("MRN0O12345" beside
    "MRN0012345", a Cyrillic "М") would show a second patient exactly like the first."""
    similar = [p.mrn for p in uow.patients.by_mrn_key(mrn_key(mrn)) if p.mrn != mrn]
    if similar:
        raise InvalidCase(
            accession,
            [
                Problem(
                    "patient.mrn",
                    f"{mrn} differs from the existing MRN {similar[0]} only by case or "
                    "look-alike characters; use the existing MRN, or correct the new one",
                )
            ],
        )


_ANCILLARY_LIST = TypeAdapter(list[Ancillary], config=ConfigDict(defer_build=True))


def parse_ancillary(items: Any, accession: str) -> list[Ancillary]:
    """An addendum's ancillary results, validated with paths like `ancillary[0].status`."""
    if not isinstance(items, list):
        raise InvalidCase(accession, [Problem("ancillary", "must be a JSON list of studies")])
    try:
        studies = _ANCILLARY_LIST.validate_python(items)
    except ValidationError as error:
        problems = [
            Problem(f"ancillary{p.path}" if p.path.startswith("[") else p.path, p.message)
            for p in problems_from(error)
        ]
        raise InvalidCase(accession, problems) from None
    for index, study in enumerate(studies):
        if study.status.value == "final" and not (study.result or "").strip():
            raise InvalidCase(
                accession,
                [Problem(f"ancillary[{index}].result", "is required when the status is final")],
            )
    return studies


def merge_ancillary(document: CaseDocument, studies: list[Ancillary]) -> CaseDocument:
    """Each study replaces the first pending study of the same kind, or is added."""
    merged = list(document.ancillary or [])
    for study in studies:
        for index, existing in enumerate(merged):
            if existing.kind == study.kind and existing.status.value == "pending":
                merged[index] = study
                break
        else:
            merged.append(study)
    return document.model_copy(update={"ancillary": merged})


def require_text(value: str | None, what: str, accession: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Refused(f"{accession}: {what} must not be empty")
    if len(text) > 20_000:
        raise Refused(f"{accession}: {what} is too long ({len(text)} characters, at most 20000)")
    problem = control_character_problem(text, long_text=True)
    if problem:
        raise Refused(f"{accession}: {what} {problem}")
    return nfc(text)
