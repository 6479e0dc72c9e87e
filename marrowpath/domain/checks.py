"""Everything a pathologist is told about a document before signing it: the rules it
breaks, the advisory flags and the consistency findings (`check`, the editor's panel).

Why one function for complete and incomplete documents: `check` on a draft and the
editor while typing must say what the sign-out will say as far as it can be judged. A
complete document is judged exactly as at sign-out; an incomplete one from its
`DraftDocument` (every part valid on its own, nothing made up for what is missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.draft import parse_draft
from marrowpath.domain.errors import InvalidCase, Problem
from marrowpath.domain.findings import Finding, findings
from marrowpath.domain.flags import Flag, advisory_flags, name_flags
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.validation import parse_case


@dataclass(frozen=True)
class CheckReport:
    """`problems` make the document invalid (rules broken, required fields missing)."""

    accession: str | None
    problems: tuple[Problem, ...]
    flags: tuple[Flag, ...]
    findings: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """What `check` prints: `advisory: TEXT`, then `CODE discordant|review: TEXT`."""
        return [f"advisory: {flag.message}" for flag in self.flags] + [
            f"{f.code} {f.severity}: {f.message}" for f in self.findings
        ]


def judged_document(data: dict[str, Any], *, today: date) -> CaseDocument | None:
    """The complete document, or None while it is not one."""
    try:
        return parse_case(data, today=today)
    except InvalidCase:
        return None


def check_document(
    data: object, settings: LabSettings, *, today: date, final_sign_out: bool = True
) -> CheckReport:
    """Problems, advisory flags and findings of a document as typed or read from a file."""
    accession = data.get("accession") if isinstance(data, dict) else None
    accession = accession if isinstance(accession, str) else None
    try:
        document = parse_case(data, today=today)
    except InvalidCase as error:  # the rules the sign-out would name
        if not isinstance(data, dict):
            return CheckReport(accession, tuple(error.problems), (), ())
        return CheckReport(
            accession,
            tuple(error.problems),
            tuple(draft_flags(data, final_sign_out=final_sign_out)),
            tuple(draft_findings(data, settings)),
        )
    return CheckReport(
        accession,
        (),
        tuple(advisory_flags(document, final_sign_out=final_sign_out)),
        tuple(findings(document, settings)),
    )


def draft_flags(data: dict[str, Any], *, final_sign_out: bool) -> list[Flag]:
    """The advisory flags of an incomplete document; the name flag reads the names as
    typed, even while they break a rule."""
    patient = data.get("patient")
    names = patient if isinstance(patient, dict) else {}
    draft = parse_draft(data).model_copy(update={"patient": None})
    return name_flags(names.get("family_name"), names.get("given_names")) + advisory_flags(
        draft, final_sign_out=final_sign_out
    )


def draft_findings(data: dict[str, Any], settings: LabSettings) -> list[Finding]:
    """The findings of an incomplete document, from its valid parts (the rules read the
    JSON form, so a part that is absent is simply not judged)."""
    return findings(parse_draft(data), settings)


def live_findings(data: dict[str, Any], settings: LabSettings, *, today: date) -> list[Finding]:
    """The findings while typing: as at sign-out once the document is complete."""
    document = judged_document(data, today=today)
    return findings(document if document is not None else parse_draft(data), settings)
