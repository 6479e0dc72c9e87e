"""Finding cases: the worklist's pages and counts, and `marrowpath search`.

Read-only, and apart from `CaseService` (which inherits these methods) so that a search
imports neither the document models nor the checks and rules of the other actions: `marrowpath search`
is run often by scripts, and each run would otherwise import all of them at start-up.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marrowpath.domain.lifecycle import Status
from marrowpath.domain.text import search_words
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import CaseQuery, CaseSummary, SortKey, UnitOfWork


class CaseSearch:
    """Cases as a user may see them: clinicians find issued reports only."""

    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def search(
        self,
        actor: User,
        text: str = "",
        *,
        statuses: tuple[Status, ...] = (),
        date_from: date | None = None,
        date_to: date | None = None,
        mine: bool = False,
        my_patients: bool = False,
        unread_only: bool = False,
        awaiting_signature: bool = False,
        sort: SortKey = "procedure_date",
        descending: bool = True,
        offset: int = 0,
        limit: int | None = None,
        after: tuple[Any, int] | None = None,
    ) -> list[CaseSummary]:
        """Cases matching every word (case and accents ignored), newest procedure first.

        Args:
            my_patients: only the reports that name the actor's linked provider id as
                ordering provider or copy recipient (none while she is not linked).
            unread_only: only the reports marked New or Amended for the actor.
            awaiting_signature: the actor's sign-out queue ("Awaiting my signature").
            after: keyset paging: the `position` of the last row of the previous page.
        """
        with self._ctx.uow(lookup=True) as uow:
            query = self._query(
                uow,
                actor,
                text,
                mine,
                my_patients,
                statuses=statuses,
                date_from=date_from,
                date_to=date_to,
                unread_only=unread_only,
                awaiting_signature_of=actor.username if awaiting_signature else None,
                sort=sort,
                descending=descending,
                offset=offset,
                limit=limit,
                after=after,
            )
            return uow.cases.search(query)

    def count(
        self,
        actor: User,
        text: str = "",
        *,
        statuses: tuple[Status, ...] = (),
        date_from: date | None = None,
        date_to: date | None = None,
        mine: bool = False,
        my_patients: bool = False,
        unread_only: bool = False,
        awaiting_signature: bool = False,
    ) -> int:
        with self._ctx.uow(lookup=True) as uow:
            query = self._query(
                uow,
                actor,
                text,
                mine,
                my_patients,
                statuses=statuses,
                date_from=date_from,
                date_to=date_to,
                unread_only=unread_only,
                awaiting_signature_of=actor.username if awaiting_signature else None,
            )
            return uow.cases.count(query)

    def provider_link(self, actor: User) -> str | None:
        """The provider id an admin linked to the actor (read afresh: a link made after
        she signed in counts at once)."""
        with self._ctx.uow(lookup=True) as uow:
            record = uow.users.get(actor.username)
            return record.user.provider_id if record else None

    def _query(
        self,
        uow: UnitOfWork,
        actor: User,
        text: str,
        mine: bool,
        my_patients: bool,
        **filters: Any,
    ) -> CaseQuery:
        """The query as this user may run it: clinicians see issued reports only, with
        their own New and Amended marks."""
        actor.require(Permission.SEE_ISSUED)
        issued_only = not actor.can(Permission.SEE_WORKING)
        recipient = None
        if my_patients:
            record = uow.users.get(actor.username)
            # "" names no case: an unlinked user has no patients (rather than everyone's)
            recipient = (record.user.provider_id if record else None) or ""
        return CaseQuery(
            words=tuple(search_words(text)),
            issued_only=issued_only,
            assigned_to=actor.username if mine else None,
            recipient=recipient,
            reader=actor.username if issued_only else None,
            **filters,
        )
