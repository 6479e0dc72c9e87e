"""Recording a critical-result communication (`bench.md` section 4, `cli.md` communicate).

Why a service of its own: one action, two outcomes by the lifecycle. Before final
sign-out the call joins the working document (stored like an edit and audited as a
change, so it is signed with the report); after it, the issued text is never touched,
so recording the call issues an addendum carrying it, re-authenticated like any
signature. The command line and the editor's dialog both call `record`, so the rules
(who may, not in the future, not on a closed case) are one.

Who may: those who may sign the case (pathologists) - the call is part of the signed
report and after sign-out it is a signature. A refusal names the case and the rule, is
audited, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marrowpath.domain import lifecycle
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.case import Communication
from marrowpath.domain.critical import (
    CommunicationRefused,
    communication_entry,
    communication_text,
)
from marrowpath.domain.errors import (
    AuthenticationFailed,
    ConcurrentChange,
    InvalidCase,
    NotFound,
    Refused,
)
from marrowpath.domain.lifecycle import AFTER_FINAL, Action, Status
from marrowpath.domain.users import Permission, User
from marrowpath.domain.validation import check_draft, parse_case
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.auth import AuthService
from marrowpath.services.cases import CaseService
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import case_write
from marrowpath.services.issued import require_status_follows
from marrowpath.services.ports import CaseRecord, UnitOfWork

ACTION = "record a critical-result communication"
CLOSED = {
    Status.CANCELLED: "cancelled",
    Status.ENTERED_IN_ERROR: "withdrawn (entered in error)",
}


@dataclass(frozen=True)
class Recorded:
    """What recording did: the entry as stored, and either the addendum issued (after
    final sign-out) or the working document's new row version (before it)."""

    entry: Communication
    version: IssuedVersion | None = None
    row_version: int | None = None
    communications: tuple[dict[str, Any], ...] = ()


class CommunicationService:
    def __init__(self, context: ServiceContext, auth: AuthService, cases: CaseService) -> None:
        self._ctx = context
        self._auth = auth
        self._cases = cases

    def record(
        self,
        actor: User,
        accession: str,
        data: dict[str, Any],
        *,
        password: str | None = None,
        expected_row_version: int | None = None,
    ) -> Recorded:
        """Record one communication on the case.

        Args:
            data: the entry's fields (`to`, `method`, `role`, `reached`, `read_back`,
                `note`, `at`; `at` defaults to now; `by` is always the actor).
            password: the actor's password; required when the case was finally signed
                out (the call is then issued as an addendum).
            expected_row_version: the working document's row version the editor holds
                (a draft changed elsewhere meanwhile is refused, not overwritten).

        Raises:
            Refused: one line naming the case and the rule (audited; nothing changes).
        """
        try:
            return self._record(actor, accession, data, password, expected_row_version)
        except AuthenticationFailed:
            raise  # already audited as a failed sign-in
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, ACTION, str(refusal), accession)
            raise

    def _record(
        self,
        actor: User,
        accession: str,
        data: dict[str, Any],
        password: str | None,
        expected_row_version: int | None,
    ) -> Recorded:
        if not actor.can(Permission.SIGN):
            raise CommunicationRefused(
                f"{accession}: {actor.username} ({actor.role.value}) may not {ACTION}: "
                "only those who may sign the case (pathologists) record critical results"
            )
        now = self._ctx.clock.now().replace(microsecond=0)
        fields = {key: value for key, value in data.items() if value is not None}
        fields.setdefault("at", now)
        fields["by"] = actor.username
        entry = communication_entry(accession, fields, now=now)
        with self._ctx.uow(read_only=True) as uow:
            status = self._get(uow, accession).status
        self._require_open_case(accession, status)
        signed_out = status in AFTER_FINAL
        if signed_out:
            if not password:
                raise CommunicationRefused(
                    f"{accession}: the final report was issued, so the communication is "
                    "issued as an addendum: your password is required to sign it"
                )
            self._auth.sign_in(actor.username, password, purpose="signature")
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            require_status_follows(uow, case)
            self._require_open_case(accession, case.status)
            if (case.status in AFTER_FINAL) != signed_out:
                raise ConcurrentChange(
                    f"{accession}: changed by {case.updated_by} meanwhile (now "
                    f"{case.status.value.replace('_', ' ')}); nothing was recorded, try again"
                )
            if signed_out:
                recorded = self._issue_addendum(uow, case, actor, entry)
            else:
                recorded = self._add_to_working(uow, case, actor, entry, expected_row_version)
            uow.commit()
        return recorded

    @staticmethod
    def _require_open_case(accession: str, status: Status) -> None:
        if status in CLOSED:
            raise CommunicationRefused(
                f"{accession}: cannot {ACTION}: the case is {CLOSED[status]} "
                "(a closed case takes no further report)"
            )

    def _get(self, uow: UnitOfWork, accession: str, *, for_update: bool = False) -> CaseRecord:
        case = uow.cases.get(accession, for_update=for_update)
        if case is None:
            raise NotFound(f"{accession}: no such case")
        return case

    def _add_to_working(
        self,
        uow: UnitOfWork,
        case: CaseRecord,
        actor: User,
        entry: Communication,
        expected_row_version: int | None,
    ) -> Recorded:
        """Before final sign-out: the entry joins the working document, stored and
        audited as an edit (the editor's save and this agree on the row version)."""
        lifecycle.require(
            Action.EDIT,
            case.status,
            case.accession,
            amendment_in_progress=case.amendment_in_progress,
        )
        if expected_row_version is not None and case.row_version != expected_row_version:
            when = case.updated_at.strftime("%Y-%m-%d %H:%M UTC")
            raise ConcurrentChange(
                f"{case.accession}: changed by {case.updated_by} at {when}; reload"
            )
        stored = entry.model_dump(mode="json", exclude_none=True)
        before = case.working.get("communications")
        listed = (
            [item for item in before if isinstance(item, dict)] if isinstance(before, list) else []
        )
        data = {**case.working, "communications": [*listed, stored]}
        today = self._ctx.clock.today()
        check = check_draft(data, today=today)
        if check.problems:
            raise InvalidCase(case.accession, check.problems)
        try:
            document = parse_case(data, today=today).findings()
        except InvalidCase:
            document = None  # a draft may be incomplete
        row_version = uow.cases.update_working(
            case,
            case_write(data, case.patient, document),
            user=actor.username,
            at=self._ctx.clock.now(),
        )
        uow.record(
            AuditEntry(
                "change",
                actor.username,
                case.accession,
                {
                    "source": "communicate",
                    "changes": [
                        {
                            "path": f"communications[{len(listed)}]",
                            "before": None,
                            "after": stored,
                        }
                    ],
                },
            )
        )
        return Recorded(entry, row_version=row_version, communications=(*listed, stored))

    def _issue_addendum(
        self, uow: UnitOfWork, case: CaseRecord, actor: User, entry: Communication
    ) -> Recorded:
        """After final sign-out: an addendum whose document is the latest issued one with
        the entry added, and whose text says what was communicated."""
        lifecycle.require(
            Action.ADDENDUM,
            case.status,
            case.accession,
            amendment_in_progress=case.amendment_in_progress,
        )
        latest = uow.versions.list(case.id)[-1].content.document
        listed = list(latest.communications or [])
        document = latest.model_copy(update={"communications": [*listed, entry]})
        text = communication_text(entry, actor.signature_name)
        version = self._cases.issue_addendum(uow, case, actor, document, text)
        return Recorded(
            entry,
            version=version,
            communications=tuple(
                item.model_dump(mode="json", exclude_none=True) for item in [*listed, entry]
            ),
        )
