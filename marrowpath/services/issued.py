"""Fetching issued versions for use: every stored version and PDF is checked against its
signing event before it is printed, exported or sent.

This is the one place where stored issued bytes are read for a user or another system;
whatever is done with them afterwards (an overlay, a message) starts from bytes proven
to be the ones signed. A refusal names the case, the version and what differs, and
says that nothing left the program.
"""

from __future__ import annotations

from marrowpath.domain.audit import AuditEvent
from marrowpath.domain.errors import IntegrityRefused, NotFound
from marrowpath.domain.integrity import (
    ADMIN_HINT,
    SigningRecord,
    content_problem,
    pdf_problem,
    status_follows,
    status_from,
)
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.ports import CaseRecord, UnitOfWork


class SignedVersions:
    """The signing events of one case, to check its stored versions against.

    A signing event counts only when its own hash holds and it links to its neighbours
    in the chain; a version counts only when its content (and, when fetched, its PDF)
    is what its event carries, and every event must still have its version.

    Args:
        done: what would have happened, for the refusal ("printed", "exported", "sent").
    """

    def __init__(self, uow: UnitOfWork, accession: str, *, done: str) -> None:
        self._uow = uow
        self._accession = accession
        self._done = done
        self._records: dict[int, SigningRecord] = {}
        self._broken: dict[int, str] = {}
        events = uow.audit.signing_events(accession)
        links = uow.audit.links({n for e in events for n in (e.seq - 1, e.seq + 1)})
        for event in events:
            record = SigningRecord.of(event)
            if record is None:
                continue
            if record.number in self._records:
                self._broken[record.number] = "more than one signing event names it"
            elif not _chained(event, links):
                self._broken[record.number] = f"its signing event {event.seq} was altered"
            self._records[record.number] = record

    def refuse(self, number: int, problem: str) -> IntegrityRefused:
        return IntegrityRefused(
            f"{self._accession} version {number}: {problem}; it was not {self._done}. {ADMIN_HINT}"
        )

    def check(self, versions: list[IssuedVersion]) -> None:
        """Every signed version is stored and each stored one is what was signed."""
        stored = {version.number for version in versions}
        for number in sorted(self._records):
            if number not in stored:
                raise self.refuse(number, "signed but missing from the database")
        for version in versions:
            self._check_content(version)

    def _check_content(self, version: IssuedVersion) -> SigningRecord:
        number = version.number
        if number in self._broken:
            raise self.refuse(number, self._broken[number])
        record = self._records.get(number)
        if content_problem(version, record) is not None or record is None:
            raise self.refuse(number, "the stored report does not match the one signed")
        return record

    def record(self, number: int) -> SigningRecord:
        """The intact signing record of version `number` (what a queued message is
        compared with)."""
        if number in self._broken:
            raise self.refuse(number, self._broken[number])
        record = self._records.get(number)
        if record is None:
            raise self.refuse(number, "no signing event carries it")
        return record

    def fetch(self, case_id: int, number: int) -> IssuedVersion:
        """Version `number` with its stored PDF, both as signed (the PDF is None when none
        was stored at signing: it is then rendered from the verified version)."""
        version = self._uow.versions.get(case_id, number)
        if version is None:
            raise NotFound(f"{self._accession}: has no version {number}")
        record = self._check_content(version)
        problem = pdf_problem(version, record)
        if problem is not None:
            raise self.refuse(number, problem)
        return version


def _chained(event: AuditEvent, links: dict[int, tuple[str, str]]) -> bool:
    """The event hashes to itself and links to the events before and after it (`links`:
    `prev_hash` and `hash` by event number)."""
    if event.expected_hash() != event.hash:
        return False
    if event.seq > 1 and links.get(event.seq - 1, ("", ""))[1] != event.prev_hash:
        return False
    after = links.get(event.seq + 1)
    return after is None or after[0] == event.hash


def issued_for_use(
    uow: UnitOfWork, case: CaseRecord, number: int | None, *, done: str
) -> tuple[IssuedVersion, ...]:
    """Versions 1 to `number` (the latest when None), the last with its stored PDF, all
    checked against their signing events; empty when nothing was issued.

    Raises:
        NotFound: there is no such version.
        IntegrityRefused: something stored differs from what was signed.
    """
    signed = SignedVersions(uow, case.accession, done=done)
    versions = uow.versions.list(case.id)
    signed.check(versions)
    if not versions:
        return ()
    chosen = number if number is not None else versions[-1].number
    if not 1 <= chosen <= len(versions):
        raise NotFound(f"{case.accession}: has no version {chosen} (versions 1 to {len(versions)})")
    return (*versions[: chosen - 1], signed.fetch(case.id, chosen))


def require_status_follows(uow: UnitOfWork, case: CaseRecord) -> None:
    """Refuse to act on a case whose status does not follow from its issued versions
    (a final case reset to draft by SQL must not be signed "final" a second time)."""
    kinds = uow.versions.kinds(case.id)
    if status_follows(case.status, kinds):
        return
    derived = _words(status_from(kinds, cancelled=False)) if kinds else "none"
    raise IntegrityRefused(
        f"{case.accession}: the case's status ({_words(case.status)}) does not follow from "
        f"its issued versions ({derived}); nothing was changed. {ADMIN_HINT}"
    )


def _words(status: Status) -> str:
    return status.value.replace("_", " ")
