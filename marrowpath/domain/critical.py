"""Critical results (`bench.md` section 4): which diagnoses need a call, how a recorded
call reads, and the entry itself, judged before anything is stored.

Why in the domain: the command line, the editor's dialog and the sign-out advisory all
ask the same questions (is this entry valid, does this case call for a call, what does
the addendum say), and none of the answers needs storage or Qt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from marrowpath.domain.case import Communication
from marrowpath.domain.enums import CommunicationMethod
from marrowpath.domain.errors import Refused
from marrowpath.domain.findings import diagnosis_texts, names_acute_leukemia
from marrowpath.domain.flags import Flag
from marrowpath.domain.measures import Doc, as_dict, blast_equivalents, blood_blasts, items
from marrowpath.domain.mentions import first_named
from marrowpath.domain.thresholds import percent_text
from marrowpath.domain.wording import datetime_text

ACUTE_LEUKEMIA_BLASTS_PCT = 20
# Acute promyelocytic leukemia: a medical emergency (DIC), called whatever the count.
APL_TERMS = (
    "promyelocytic leukemia",
    "promyelocytic leukaemia",
    "PML::RARA",
    "PML-RARA",
    "t(15;17)",
)
APL_ABBREVIATION = "APL"  # in capitals only
NO_CALL_CODE = "critical_result_not_communicated"
METHOD_WORDS = {
    CommunicationMethod.PHONE: "by phone",
    CommunicationMethod.IN_PERSON: "in person",
    CommunicationMethod.SECURE_MESSAGE: "by secure message",
    CommunicationMethod.PAGE: "by pager",
    CommunicationMethod.OTHER: "by other means",
}


class CommunicationRefused(Refused):
    """A communication that cannot be recorded: the case, the field and the rule."""


def communication_entry(accession: str, data: dict[str, Any], *, now: datetime) -> Communication:
    """The entry as the case model accepts it, and never in the future.

    Raises:
        CommunicationRefused: one line naming the case, the first field and its rule
            (`BM26-00042: communications.method must be one of ...`).
    """
    try:
        entry = Communication.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CommunicationRefused(f"{accession}: communications.{where} {_rule(first)}") from None
    if entry.at > now:
        raise CommunicationRefused(
            f"{accession}: communications.at {datetime_text(entry.at)} is in the future "
            f"(now {datetime_text(now)}); record a call once it was made"
        )
    return entry


def _rule(error: Any) -> str:
    """The pydantic message as a rule ("must be one of phone, in_person, ...")."""
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "is required"
    if kind == "enum":
        return f"must be one of {', '.join(m.value for m in CommunicationMethod)}, got {error['input']!r}"
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    return message if message.startswith("must") else f"is not valid: {message}"


def communication_text(entry: Communication, by_name: str | None = None) -> str:
    """What was communicated, in the report's words: "Critical result communicated to
    Dr X (hematology) by phone on 2026-12-07 at 14:05 UTC by NAME; read back." An
    attempt that did not reach the clinician says so."""
    to = f"{entry.to} ({entry.role})" if entry.role else entry.to
    when = datetime_text(entry.at)
    day, _, time = when.partition(" ")
    how = METHOD_WORDS[entry.method]
    who = by_name or entry.by
    if entry.reached:
        text = f"Critical result communicated to {to} {how} on {day} at {time} by {who}"
        if entry.read_back:
            text += "; read back"
    else:
        text = f"Attempted to communicate the critical result to {to} {how} on {day} at {time} by {who}; not reached"
    text += "."
    if entry.note:
        text += f" Note: {entry.note}"
    return text


def call_reason(document: Any) -> str | None:
    """Why this diagnosis calls for a critical-result communication (a new acute
    leukemia or APL), or None. Blast equivalents of 20 % or more in the marrow or the
    blood, an acute leukemia named, or APL named in the diagnosis or a final result."""
    data: Doc = as_dict(document)
    texts = diagnosis_texts(data)
    apl = first_named(texts + _final_results(data), APL_TERMS) or first_named(
        texts, (APL_ABBREVIATION,), case_sensitive=True
    )
    if apl:
        return f"the diagnosis names {apl} (acute promyelocytic leukemia)"
    if names_acute_leukemia(texts):
        return "the diagnosis names an acute leukemia"
    found = blast_equivalents(data)
    marrow = found[0] if found else None
    if marrow is not None and marrow >= ACUTE_LEUKEMIA_BLASTS_PCT:
        return f"blast equivalents are {percent_text(marrow, 'blast_equivalents')} (20 % or more)"
    blood = blood_blasts(data)
    if blood is not None and blood >= ACUTE_LEUKEMIA_BLASTS_PCT:
        return f"blood blasts are {percent_text(blood, 'pb_blasts')} (20 % or more)"
    return None


def _final_results(document: Doc) -> list[str]:
    return [
        str(study.get("result") or "")
        for study in items(document, "ancillary")
        if isinstance(study, dict) and study.get("status") == "final"
    ]


def no_call_flags(document: Any) -> list[Flag]:
    """The sign-out advisory when the case calls for a call and none is recorded (it
    informs; signing is never refused for it)."""
    reason = call_reason(document)
    if reason is None or items(as_dict(document), "communications"):
        return []
    return [
        Flag(
            NO_CALL_CODE,
            "advisory",
            f"No critical-result communication recorded: {reason}. Record the call once "
            "the clinician is told (Critical results in the editor, or `marrowpath "
            "communicate`).",
        )
    ]
