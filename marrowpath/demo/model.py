"""What a demo case is: a case document and the steps that happen to it afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from marrowpath.domain.lifecycle import AmendmentReason, Status

Json = dict[str, Any]
StepAction = Literal["sign_preliminary", "sign_final", "amend", "addendum", "withdraw", "cancel"]


@dataclass(frozen=True)
class DemoStep:
    """One thing that happens to a demo case after it is created as a draft."""

    action: StepAction
    document: Json | None = None  # "amend": the full corrected case document
    reason_category: str | None = None  # "amend": an AmendmentReason value
    reason: str | None = None  # amend, withdraw, cancel
    text: str | None = None  # addendum text
    ancillary: list[Json] | None = None  # addendum: results replacing pending studies
    signer: str | None = None  # username of the pathologist who signs this step
    # sign, amend: the discordant findings the pathologist acknowledged (clinical-rules 6)
    acknowledge: tuple[str, ...] = ()


_STATUS_AFTER: dict[str, Status] = {
    "sign_preliminary": Status.PRELIMINARY,
    "sign_final": Status.FINAL,
    "amend": Status.AMENDED,
    "addendum": Status.APPENDED,
    "withdraw": Status.ENTERED_IN_ERROR,
    "cancel": Status.CANCELLED,
}


@dataclass(frozen=True)
class DemoCase:
    """A case document and its history, ready to be replayed into a database."""

    document: Json
    steps: tuple[DemoStep, ...]
    assigned_pathologist: str
    resident: str | None = None

    @property
    def status(self) -> Status:
        """The status the case ends in once every step is replayed."""
        return _STATUS_AFTER[self.steps[-1].action] if self.steps else Status.DRAFT


# --- People and the laboratory ---------------------------------------------------------


def final_step(signer: str) -> DemoStep:
    return DemoStep("sign_final", signer=signer)


def preliminary_step(signer: str) -> DemoStep:
    return DemoStep("sign_preliminary", signer=signer)


def addendum_step(signer: str, text: str, results: list[Json]) -> DemoStep:
    return DemoStep("addendum", text=text, ancillary=results or None, signer=signer)


def amend_step(signer: str, document: Json, category: AmendmentReason, reason: str) -> DemoStep:
    return DemoStep(
        "amend", document=document, reason_category=category.value, reason=reason, signer=signer
    )
