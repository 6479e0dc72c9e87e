"""What the desktop app is given: the services of one database (built by bootstrap)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from marrowpath.services.audit import AuditService
from marrowpath.services.auth import AuthService
from marrowpath.services.bench import BenchService
from marrowpath.services.cases import CaseService
from marrowpath.services.communications import CommunicationService
from marrowpath.services.counter import CounterService
from marrowpath.services.lab import LabService
from marrowpath.services.outbox import OutboxService
from marrowpath.services.patients import PatientService
from marrowpath.services.providers import ProviderService
from marrowpath.services.templates import TemplateService
from marrowpath.services.timeline import TimelineService


@dataclass(frozen=True)
class Services:
    """Everything the windows call; passed down through constructors, never global.

    Attributes:
        database_label -- "SQLite /path/file.db" or "PostgreSQL user@host/db" for the
            status bar.
        data_dir -- where recovery files of unsaved editor work are written.
        today -- the workstation's local date (a test may fix it).
        outbox -- deliveries to the hospital (None where no interface is configured).
        timeline, patients -- a patient's marrows; corrections and merges of records.
        counter -- each user's differential counter keymap.
        templates -- the lab's text templates (expansion, picker, administration).
        providers -- the lab's provider directory (type-ahead, administration).
        bench -- the sign-out queue, resident review and presence.
        workstation -- this computer's name, as others see it in "Open by ... on ...".
        communications -- critical-result communications (the editor's dialog).
    """

    auth: AuthService
    cases: CaseService
    lab: LabService
    audit: AuditService
    database_label: str
    data_dir: str
    today: Callable[[], date] = date.today
    outbox: OutboxService | None = None
    timeline: TimelineService | None = None
    patients: PatientService | None = None
    counter: CounterService | None = None
    templates: TemplateService | None = None
    providers: ProviderService | None = None
    bench: BenchService | None = None
    workstation: str = field(default_factory=socket.gethostname)
    communications: CommunicationService | None = None
