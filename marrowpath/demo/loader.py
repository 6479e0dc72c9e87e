"""`marrowpath demo`: users, the lab, and cases in every state, through the real services.

The showcase cases go through the same calls a pathologist makes (import, sign, amend,
addendum, withdraw, cancel), so their versions, PDFs and audit events are genuine. The
generated bulk cases (`--cases N`, for performance work up to a million) are written in
batches by a lean path (decisions 7 and 44): the same documents, versions, hashes, search
keys and signing events, in a few statements per batch, and PDFs rendered on demand
rather than at load time.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from multiprocessing import get_context

from marrowpath.demo.bulk import bulk_cases
from marrowpath.demo.model import DemoCase, DemoStep
from marrowpath.demo.people import DEMO_LAB, DEMO_PROVIDERS, DEMO_USERS
from marrowpath.demo.replay import Replayed, replay_batch
from marrowpath.demo.showcase import showcase_cases
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import Refused
from marrowpath.domain.providers import provider_from
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Role, User
from marrowpath.services.auth import AuthService
from marrowpath.services.cases import CaseService
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import (
    resolve_patients,
)
from marrowpath.services.lab import LabService
from marrowpath.services.ports import NewCase, NewVersion, PatientRecord, UnitOfWork
from marrowpath.services.providers import ProviderService

BATCH = 500
DEMO_TEMPLATES = "templates.json"


class DemoService:
    def __init__(
        self, context: ServiceContext, auth: AuthService, cases: CaseService, lab: LabService
    ) -> None:
        self._ctx = context
        self._auth = auth
        self._cases = cases
        self._lab = lab

    def ensure_users_and_lab(self) -> tuple[dict[str, User], bool]:
        """The demo users and whether the database was empty (so the showcase may load).

        An empty database gets the demo users and lab. On a database that has users the
        demo never signs anyone in and never adds or changes a user (running it again
        must not count failed sign-ins against a real account): it finds its users by
        name, or refuses when they are not there.
        """
        specs = [
            (
                User(
                    username=spec["username"],
                    full_name=spec["full_name"],
                    role=Role(spec["role"]),
                    credentials=spec.get("credentials"),
                    provider_id=spec.get("provider_id"),
                ),
                spec["password"],
            )
            for spec in DEMO_USERS
        ]
        if self._auth.needs_first_user():
            self._auth.add_initial_users(specs, source="demo")
            users = {user.username: user for user, _password in specs}
            admin = next(user for user in users.values() if user.role == Role.ADMIN)
            if self._lab.settings().identity.missing_for_signing():
                self._lab.set_identity(admin, **DEMO_LAB)
            return users, True
        found = {user.username: self._auth.user(user.username) for user, _password in specs}
        missing = sorted(name for name, user in found.items() if user is None)
        if missing:
            raise Refused(
                f"demo: this database already has users and not the demo's "
                f"({', '.join(missing)} missing); run the demo on an empty database"
            )
        return {name: user for name, user in found.items() if user is not None}, False

    def load_templates(self, users: dict[str, User]) -> int:
        """The demo's text templates (`demo/templates.json`), when the lab has none yet:
        added by the demo admin through the service, so they are audited like any."""
        from importlib.resources import files

        from marrowpath.services.templates import TemplateService

        service = TemplateService(self._ctx)
        admin = next(user for user in users.values() if user.role == Role.ADMIN)
        if service.all(admin):
            return 0
        data = json.loads(files("marrowpath.demo").joinpath(DEMO_TEMPLATES).read_text("utf-8"))
        return len(service.import_many(admin, data, DEMO_TEMPLATES))

    def load_providers(self, users: dict[str, User]) -> int:
        """The demo's ordering providers into the directory (those not there yet, by id),
        so that the editor's type-ahead offers the people the demo cases name."""
        admin = next(user for user in users.values() if user.role == Role.ADMIN)
        directory = ProviderService(self._ctx)
        present = {p.id for p in directory.directory(admin, include_inactive=True)}
        added = 0
        for number, fields in enumerate(DEMO_PROVIDERS):
            if fields["id"] in present:
                continue
            # area code 555 is not in service (as the demo lab's number): no real telephone rings
            provider = provider_from({**fields, "phone": f"(555) 014-23{number + 10:02d}"})
            directory.add(admin, provider)
            added += 1
        return added

    def load_showcase(self, users: dict[str, User], today: date) -> int:
        """The hand-written cases, each through the services; existing ones are skipped."""
        added = 0
        for demo in showcase_cases(today):
            accession = str(demo.document["accession"])
            with self._ctx.uow(read_only=True) as uow:
                if uow.cases.get(accession) is not None:
                    continue
            author = users[demo.resident] if demo.resident else users[demo.assigned_pathologist]
            self._cases.import_case(author, demo.document)
            self._cases.assign(
                author, accession, pathologist=demo.assigned_pathologist, resident=demo.resident
            )
            for step in demo.steps:
                self._apply(users, demo, step)
            added += 1
        return added

    def _apply(self, users: dict[str, User], demo: DemoCase, step: DemoStep) -> None:
        accession = str(demo.document["accession"])
        signer_name = step.signer or demo.assigned_pathologist
        signer = users[signer_name]
        password = _password(signer_name)
        cases = self._cases
        if step.action in ("sign_preliminary", "sign_final"):
            cases.sign(
                signer,
                accession,
                password,
                preliminary=step.action == "sign_preliminary",
                acknowledge=step.acknowledge,
            )
        elif step.action == "amend":
            cases.amend(
                signer,
                accession,
                step.document,
                password,
                reason_category=step.reason_category or "other",
                reason=step.reason or "Corrected.",
                acknowledge=step.acknowledge,
            )
        elif step.action == "addendum":
            cases.addendum(
                signer, accession, password, text=step.text or "", ancillary=step.ancillary
            )
        elif step.action == "withdraw":
            cases.withdraw(signer, accession, password, reason=step.reason or "Entered in error.")
        elif step.action == "cancel":
            cases.cancel(signer, accession, reason=step.reason or "Cancelled.")

    def load_bulk(
        self,
        users: dict[str, User],
        count: int,
        today: date,
        progress: Callable[[int], None] = lambda _n: None,
        workers: int | None = None,
    ) -> int:
        """Generated cases for performance work, `BATCH` per transaction.

        Replaying a case (validating its documents, hashing its versions) is most of the
        work, so for many cases it runs in `workers` processes (default: one per CPU, up
        to 4) while this one writes; the batches are written in order, so the database is
        the same as with one process."""
        with self._ctx.uow(read_only=True) as uow:
            settings = uow.settings.load()
        jobs = workers if workers is not None else _workers_for(count)
        batches = _batches(bulk_cases(count, today=today))
        added = 0
        for replayed in self._replayed(batches, users, settings, today, jobs):
            added += self._write_batch(replayed)
            progress(added)
        return added

    def _replayed(
        self,
        batches: Iterator[list[DemoCase]],
        users: dict[str, User],
        settings: LabSettings,
        today: date,
        jobs: int,
    ) -> Iterator[list[Replayed]]:
        """The batches replayed, in order; at most two per worker ahead of the writer."""
        if jobs <= 1:
            for batch in batches:
                yield replay_batch(batch, users, settings, self._ctx.clock.now(), today)
            return
        # spawned, not forked: this process may hold database connections and threads
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            pending: deque[Future[list[Replayed]]] = deque()
            for batch in batches:
                now = self._ctx.clock.now()
                pending.append(pool.submit(replay_batch, batch, users, settings, now, today))
                if len(pending) > 2 * jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _write_batch(self, cases: list[Replayed]) -> int:
        """One transaction: each case inserted once in its final state, with the rows and
        audit events the real paths would have left, in a few batched statements. Cases
        already in the database (a second run) are left alone."""
        with self._ctx.uow() as uow:
            taken = uow.cases.existing([c.accession for c in cases])
            cases = [c for c in cases if c.accession not in taken]
            patients = resolve_patients(uow, [(c.accession, c.working) for c in cases])
            ids = uow.cases.add_many(
                [
                    NewCase(
                        accession=c.accession,
                        write=replace(c.write, patient_id=_id(patients.get(c.mrn))),
                        user=c.assigned_pathologist,
                        at=c.at,
                        assigned_pathologist=c.assigned_pathologist,
                        resident=c.resident,
                        status=c.status,
                        issued_count=len(c.issued),
                        issued=c.issued_write,
                    )
                    for c in cases
                ]
            )
            versions: list[tuple[int, NewVersion]] = []
            for case_id, case in zip(ids, cases, strict=True):
                versions += [(case_id, version) for version in case.issued]
                self._record_history(uow, case)
            uow.versions.add_many(versions)
            for prefix, number in _highest_numbers(c.accession for c in cases).items():
                uow.accessions.at_least(prefix, number)
            uow.record(
                AuditEntry("create", "demo", None, {"source": "demo bulk load", "cases": len(ids)})
            )
            uow.commit()
        return len(ids)

    @staticmethod
    def _record_history(uow: UnitOfWork, case: Replayed) -> None:
        """The audit records `audit verify` checks a case against: one signing event per
        version (no PDF stored: rendered on demand), and the cancellation."""
        for version in case.issued:
            uow.record(
                AuditEntry(
                    "sign",
                    version.signed_by,
                    case.accession,
                    {
                        "version": version.number,
                        "kind": version.kind.value,
                        "sha256": version.sha256,
                        "pdf_sha256": None,
                        "source": "demo bulk load",
                    },
                )
            )
        if case.cancel_reason is not None:
            uow.record(
                AuditEntry(
                    "cancel",
                    case.assigned_pathologist,
                    case.accession,
                    {"reason": case.cancel_reason, "source": "demo bulk load"},
                )
            )


def _password(username: str) -> str:
    return next(str(u["password"]) for u in DEMO_USERS if u["username"] == username)


def _id(patient: PatientRecord | None) -> int | None:
    return patient.id if patient else None


def _workers_for(count: int) -> int:
    """Worker processes for `count` cases: none for a few thousand (starting them costs
    more than they save), else one per CPU, up to 4."""
    if count < 20_000:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _batches(cases: Iterable[DemoCase]) -> Iterator[list[DemoCase]]:
    batch: list[DemoCase] = []
    for case in cases:
        batch.append(case)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _highest_numbers(accessions: Iterable[str]) -> dict[str, int]:
    """The highest number under each prefix ("BM26-": 100417) of generated accessions,
    which are PREFIX + digits (`bulk.bulk_cases`)."""
    highest: dict[str, int] = {}
    for accession in accessions:
        prefix, _dash, digits = accession.rpartition("-")
        if digits.isdigit():
            key = prefix + "-"
            highest[key] = max(highest.get(key, 0), int(digits))
    return highest
