"""Patient record corrections: which fields change, the rules they must keep, and what an
issued report printed differently.

A correction changes the patient's identity everywhere it is still being written (the
working documents); what was issued stays as signed, so the reports that printed the old
value are listed for an amendment (`misidentification`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from marrowpath.domain.case import Patient
from marrowpath.domain.enums import Sex
from marrowpath.domain.errors import InvalidCase, Problem
from marrowpath.domain.types import nfc
from marrowpath.domain.validation import problems_from

IDENTITY_FIELDS = ("family_name", "given_names", "birth_date", "sex")
FIELD_LABELS = {
    "mrn": "MRN",
    "family_name": "family name",
    "given_names": "given names",
    "birth_date": "birth date",
    "sex": "sex",
}


@dataclass(frozen=True)
class Identity:
    """What a correction may change: name, birth date and sex (the MRN is the key)."""

    family_name: str
    given_names: str
    birth_date: date
    sex: Sex

    def value(self, field: str) -> str:
        value = getattr(self, field)
        if isinstance(value, date):
            return value.isoformat()
        return str(value.value if isinstance(value, Sex) else value)


@dataclass(frozen=True)
class FieldChange:
    field: str
    was: str
    now: str

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


def corrected_identity(
    mrn: str,
    current: Identity,
    *,
    family_name: str | None = None,
    given_names: str | None = None,
    birth_date: str | date | None = None,
    sex: str | None = None,
) -> Identity:
    """The identity after the correction, checked by the rules of the case format's
    `patient` object. Raises `InvalidCase` naming the MRN and each broken rule."""
    values: dict[str, Any] = {
        "mrn": mrn,
        # typed anew: surrounding spaces are dropped, so a blank name is an empty one
        "family_name": current.family_name if family_name is None else family_name.strip(),
        "given_names": current.given_names if given_names is None else given_names.strip(),
        "birth_date": current.birth_date.isoformat() if birth_date is None else str(birth_date),
        "sex": current.sex.value if sex is None else sex,
    }
    try:
        patient = Patient.model_validate(values)
    except ValidationError as error:
        problems = [Problem(f"patient.{p.path}", p.message) for p in problems_from(error)]
        raise InvalidCase(mrn, problems) from None
    return Identity(
        nfc(patient.family_name), nfc(patient.given_names), patient.birth_date, patient.sex
    )


def changes_between(before: Identity, after: Identity) -> list[FieldChange]:
    return [
        FieldChange(field, before.value(field), after.value(field))
        for field in IDENTITY_FIELDS
        if before.value(field) != after.value(field)
    ]


def birth_date_problem(
    mrn: str, birth_date: date, procedures: Iterable[tuple[str, date | None]], today: date
) -> str | None:
    """Why this birth date cannot be the patient's: after today or after a procedure
    (the first such case named), or None."""
    if birth_date > today:
        return f"{mrn}: patient.birth_date {birth_date} is in the future"
    for accession, procedure_date in procedures:
        if procedure_date is not None and birth_date > procedure_date:
            return (
                f"{accession}: patient.birth_date {birth_date} is after the procedure date "
                f"{procedure_date}; the correction of {mrn} is refused"
            )
    return None


def printed_differences(printed: Patient, now: Identity) -> list[FieldChange]:
    """The fields an issued document printed otherwise than the patient's identity now."""
    identity = Identity(printed.family_name, printed.given_names, printed.birth_date, printed.sex)
    return changes_between(identity, now)
