"""The report lifecycle as one state machine: which action each status allows.

draft -> preliminary -> final -> amended / appended; any issued report -> entered in
error; draft or preliminary -> cancelled. The case status is the kind of its latest
issued version (or draft, or cancelled). Every service asks `require` before acting, so a
final report cannot be changed by any path but amend, addendum and withdraw.
"""

from __future__ import annotations

from enum import StrEnum

from marrowpath.domain.errors import LifecycleRefused


class Status(StrEnum):
    DRAFT = "draft"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDED = "amended"
    APPENDED = "appended"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered_in_error"


class VersionKind(StrEnum):
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDMENT = "amendment"
    ADDENDUM = "addendum"
    WITHDRAWAL = "withdrawal"


class Action(StrEnum):
    EDIT = "edit the working document"
    SIGN_PRELIMINARY = "sign a preliminary report"
    SIGN_FINAL = "sign the final report"
    START_AMENDMENT = "amend"
    SIGN_AMENDMENT = "sign the amendment"
    DISCARD_AMENDMENT = "discard the amendment in progress"
    ADDENDUM = "add an addendum"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"


class AmendmentReason(StrEnum):
    MISIDENTIFICATION = "misidentification"
    SPECIMEN_PROBLEM = "specimen_problem"
    INTERPRETATION_CHANGE = "interpretation_change"
    REPORT_DEFECT = "report_defect"
    OTHER = "other"


ISSUED = frozenset({Status.PRELIMINARY, Status.FINAL, Status.AMENDED, Status.APPENDED})
AFTER_FINAL = frozenset({Status.FINAL, Status.AMENDED, Status.APPENDED})
OPEN = frozenset({Status.DRAFT, Status.PRELIMINARY})

STATUS_AFTER: dict[VersionKind, Status] = {
    VersionKind.PRELIMINARY: Status.PRELIMINARY,
    VersionKind.FINAL: Status.FINAL,
    VersionKind.AMENDMENT: Status.AMENDED,
    VersionKind.ADDENDUM: Status.APPENDED,
    VersionKind.WITHDRAWAL: Status.ENTERED_IN_ERROR,
}

MEANING: dict[VersionKind, str] = {
    VersionKind.PRELIMINARY: "preliminary diagnosis, to be followed by a final report",
    VersionKind.FINAL: "final diagnosis",
    VersionKind.AMENDMENT: "amended diagnosis, superseding earlier versions",
    VersionKind.ADDENDUM: "addendum; earlier text unchanged",
    VersionKind.WITHDRAWAL: "withdrawal: the report was entered in error",
}


def allowed(action: Action, status: Status, *, amendment_in_progress: bool = False) -> bool:
    """Whether a case in `status` allows `action`."""
    if action is Action.EDIT:
        return status in OPEN or (status in AFTER_FINAL and amendment_in_progress)
    if action in (Action.SIGN_PRELIMINARY, Action.SIGN_FINAL, Action.CANCEL):
        return status in OPEN
    if action is Action.START_AMENDMENT:
        return status in AFTER_FINAL
    if action in (Action.SIGN_AMENDMENT, Action.DISCARD_AMENDMENT):
        return status in AFTER_FINAL and amendment_in_progress
    if action is Action.ADDENDUM:
        return status in AFTER_FINAL and not amendment_in_progress
    if action is Action.WITHDRAW:
        return status in ISSUED
    return False


def require(
    action: Action, status: Status, accession: str, *, amendment_in_progress: bool = False
) -> None:
    """Raise `LifecycleRefused` with the reason when the status does not allow the action."""
    if allowed(action, status, amendment_in_progress=amendment_in_progress):
        return
    words = status.value.replace("_", " ")
    if action is Action.EDIT and status in AFTER_FINAL:
        hint = "an issued report is changed only by amend, addendum or withdraw"
    elif action in (Action.SIGN_AMENDMENT, Action.DISCARD_AMENDMENT):
        hint = "no amendment is in progress"
    elif action is Action.ADDENDUM and amendment_in_progress:
        hint = "an amendment is in progress; sign or discard it first"
    elif status in AFTER_FINAL:
        hint = "the final report was already issued"
    elif status in OPEN:
        hint = "no final report was issued yet"
    else:
        hint = "the case is closed"
    raise LifecycleRefused(f"{accession}: cannot {action.value}: the case is {words} ({hint})")
