"""The sign-out bench: who else has a case open, and a resident's draft sent for review.

Why here: the wording ("Open by NAME on WORKSTATION since TIME") and the rule that a
presence nobody refreshes expires are the contract of `bench.md` section 3; storage and
Qt only carry them. Presence is advisory: the optimistic row-version check still decides
whose save wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marrowpath.domain.redline import ChangeRow

# An open editor refreshes its presence this often ...
PRESENCE_HEARTBEAT = timedelta(seconds=30)
# ... and a presence not refreshed for this long has expired: the workstation crashed,
# lost the network or was switched off without closing the case.
PRESENCE_EXPIRES = timedelta(minutes=2)


@dataclass(frozen=True)
class Presence:
    """A case open for editing on a workstation, as stored."""

    username: str
    full_name: str
    workstation: str
    since: datetime
    seen_at: datetime

    def fresh(self, now: datetime) -> bool:
        """Whether the editor that holds it has refreshed it recently enough to count."""
        return now - self.seen_at < PRESENCE_EXPIRES


def presence_text(presence: Presence, time: str) -> str:
    """`bench.md`'s banner words; `time` is `since` as the workstation shows times."""
    return f"Open by {presence.full_name} on {presence.workstation} since {time}"


@dataclass(frozen=True)
class ReviewRequest:
    """A resident's draft sent to an attending: the text as the resident sent it is kept,
    so that the attending's changes to it can be shown before signing and audited."""

    resident: str
    resident_name: str
    attending: str
    sent_at: datetime
    text: dict[str, Any]


@dataclass(frozen=True)
class ReviewChanges:
    """What the attending changed in the resident's text, in the report's own words (the
    rows of an amendment's changes table, `redline.py`)."""

    request: ReviewRequest
    rows: list[ChangeRow]


def review_changes(request: ReviewRequest, working: dict[str, Any]) -> ReviewChanges:
    # imported here: the review's rows and presence are read by every unit of work's
    # repositories, which need not import the changes table and the document models
    from marrowpath.domain.redline import redline

    return ReviewChanges(request, redline(request.text, working))
