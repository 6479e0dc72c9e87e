"""The sign-out bench (`bench.md` section 3): the queue of cases awaiting a pathologist's
signature, a resident's draft sent for review, and who has a case open where.

Each public method is one user action and one unit of work. Presence is advisory and
never audited (an editor refreshes it twice a minute); sending for review is audited,
and so are the attending's changes to the resident's text when the case is signed.
"""

from __future__ import annotations

from datetime import datetime

from marrowpath.domain import lifecycle
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.bench import (
    PRESENCE_EXPIRES,
    Presence,
    ReviewChanges,
    review_changes,
)
from marrowpath.domain.errors import ConcurrentChange, NotFound, Refused
from marrowpath.domain.lifecycle import Action
from marrowpath.domain.users import Permission, Role, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import (
    CaseQuery,
    CaseRecord,
    CaseSummary,
    SortKey,
    UnitOfWork,
)

# the queue is a day's work, not the archive: a generous bound on one read
QUEUE_LIMIT = 1_000


class BenchService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # ---------------------------------------------------------------- the queue

    def queue(
        self, actor: User, *, sort: SortKey = "procedure_date", descending: bool = False
    ) -> list[CaseSummary]:
        """Cases awaiting the actor's signature, oldest procedure first by default (the
        longest waiting); the worklist's filter "Awaiting my signature" is the same query."""
        actor.require(Permission.SIGN)
        with self._ctx.uow(read_only=True) as uow:
            return uow.cases.search(
                CaseQuery(
                    awaiting_signature_of=actor.username,
                    sort=sort,
                    descending=descending,
                    limit=QUEUE_LIMIT,
                )
            )

    def next_in_queue(
        self,
        actor: User,
        current: str | None,
        *,
        sort: SortKey = "procedure_date",
        descending: bool = False,
    ) -> str | None:
        """The case after `current` in the queue (from the top again after the last; the
        first when `current` is not in it); None when no other case awaits her."""
        accessions = [
            case.accession for case in self.queue(actor, sort=sort, descending=descending)
        ]
        if current in accessions:
            following = accessions[accessions.index(current) + 1 :] + accessions
            return next((a for a in following if a != current), None)
        return accessions[0] if accessions else None

    # ---------------------------------------------------------------- resident review

    def attendings(self, actor: User) -> list[User]:
        """Who a draft may be sent to: the active users who sign."""
        actor.require(Permission.SEE_WORKING)
        with self._ctx.uow(read_only=True) as uow:
            return [user for user in uow.users.list() if user.active and user.can(Permission.SIGN)]

    def send_for_review(
        self,
        actor: User,
        accession: str,
        attending: str,
        *,
        expected_row_version: int | None = None,
    ) -> int:
        """A resident's draft goes to an attending's queue: the case is assigned to her,
        the text as sent is kept for the diff, and the step is audited. Returns the case's
        new row version (the editor carries on from it)."""
        try:
            return self._send_for_review(actor, accession, attending, expected_row_version)
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, "send for review", str(refusal), accession)
            raise

    def _send_for_review(
        self, actor: User, accession: str, attending: str, expected: int | None
    ) -> int:
        actor.require(Permission.EDIT)
        if actor.role is not Role.RESIDENT:
            raise Refused(
                f"{accession}: only a resident sends a draft for review; "
                f"a {actor.role.value} signs or edits it"
            )
        with self._ctx.uow() as uow:
            record = uow.users.get(attending)
            if record is None or not record.user.active or not record.user.can(Permission.SIGN):
                raise Refused(
                    f"{accession}: the attending must be an active pathologist who signs; "
                    f"{attending!r} is not"
                )
            case = _case(uow, accession, for_update=True)
            lifecycle.require(
                Action.EDIT,
                case.status,
                accession,
                amendment_in_progress=case.amendment_in_progress,
            )
            if expected is not None and case.row_version != expected:
                raise ConcurrentChange(
                    f"{accession}: changed by {case.updated_by} since you opened it; reload"
                )
            now = self._ctx.clock.now()
            row_version = uow.cases.assign(
                case, pathologist=attending, resident=actor.username, user=actor.username, at=now
            )
            uow.reviews.put(
                case.id, resident=actor.username, attending=attending, at=now, text=case.working
            )
            uow.record(
                AuditEntry(
                    "send for review",
                    actor.username,
                    accession,
                    {"to": attending, "row_version": case.row_version},
                )
            )
            uow.commit()
        return row_version

    def review(self, actor: User, accession: str) -> ReviewChanges | None:
        """The draft's review request and the changes made to the resident's text since
        it was sent (None when it was not sent for review)."""
        actor.require(Permission.SEE_WORKING)
        with self._ctx.uow(read_only=True) as uow:
            return review_of(uow, _case(uow, accession))

    # ---------------------------------------------------------------- presence

    def enter(self, actor: User, accession: str, workstation: str) -> list[Presence]:
        """The actor has the case open for editing here (first time, or still): her
        presence is refreshed, expired ones are swept, and the others are returned."""
        actor.require(Permission.EDIT)
        now = self._ctx.clock.now()
        with self._ctx.uow() as uow:
            case = _case(uow, accession)
            uow.presence.expire(now - PRESENCE_EXPIRES)
            uow.presence.touch(case.id, actor.username, workstation, at=now)
            others = [
                presence
                for presence in uow.presence.of_case(case.id)
                if (presence.username, presence.workstation) != (actor.username, workstation)
                and presence.fresh(now)
            ]
            uow.commit()
        return others

    def leave(self, actor: User, accession: str, workstation: str) -> None:
        """The case's editor closed here: the presence goes at once, not when it expires."""
        with self._ctx.uow() as uow:
            case = uow.cases.get(accession)
            if case is not None:
                uow.presence.release(case.id, actor.username, workstation)
                uow.commit()


def review_of(uow: UnitOfWork, case: CaseRecord) -> ReviewChanges | None:
    request = uow.reviews.get(case.id)
    return review_changes(request, case.working) if request is not None else None


def close_review(uow: UnitOfWork, case: CaseRecord, signer: str, at: datetime) -> None:
    """At signing: the attending's changes to the resident's text go into the audit
    trail, and the review request is done."""
    review = review_of(uow, case)
    if review is None:
        return
    uow.record(
        AuditEntry(
            "review signed",
            signer,
            case.accession,
            {
                "resident": review.request.resident,
                "sent_at": review.request.sent_at.isoformat(),
                "signed_at": at.isoformat(),
                "changes": [row.line() for row in review.rows],
            },
        )
    )
    uow.reviews.remove(case.id)


def _case(uow: UnitOfWork, accession: str, *, for_update: bool = False) -> CaseRecord:
    case = uow.cases.get(accession, for_update=for_update)
    if case is None:
        raise NotFound(f"{accession}: no such case")
    return case
