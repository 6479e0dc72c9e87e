"""The one place that wires settings -> engine -> unit of work -> services.

Nothing else builds engines or services; the command line and the desktop app each ask
for an `App` here and pass its services on. There is no global application object.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from marrowpath.adapters.passwords import Argon2Hasher
from marrowpath.db import migrate
from marrowpath.db.engine import describe, is_sqlite, make_engine, resolve_url
from marrowpath.db.roles import AppRole
from marrowpath.db.uow import SqlUnitOfWorkFactory
from marrowpath.services.auth import AuthService
from marrowpath.services.case_search import CaseSearch
from marrowpath.services.context import Clock, ServiceContext
from marrowpath.services.ports import (
    InterfaceBuilders,
    PasswordHasher,
    ReportRenderer,
    ReportStamper,
    UnitOfWorkFactory,
)

if TYPE_CHECKING:
    from marrowpath.demo.loader import DemoService
    from marrowpath.domain.interfaces import ResearchRow, ResultRequest
    from marrowpath.domain.reporting import ReportRequest
    from marrowpath.services.audit import AuditService
    from marrowpath.services.bench import BenchService
    from marrowpath.services.cases import CaseService
    from marrowpath.services.communications import CommunicationService
    from marrowpath.services.counter import CounterService
    from marrowpath.services.interfaces import InterfaceService
    from marrowpath.services.lab import LabService
    from marrowpath.services.orders import OrderService
    from marrowpath.services.outbox import OutboxService
    from marrowpath.services.patients import PatientService
    from marrowpath.services.providers import ProviderService
    from marrowpath.services.quality import QualityService
    from marrowpath.services.templates import TemplateService
    from marrowpath.services.timeline import TimelineService


@dataclass(frozen=True)
class App:
    """The services of one running program, over one database.

    Only the sign-in (`auth`) and the searches (`case_search`) are built with the app;
    every other service is built, and its module imported, on first use. A command
    uses one or two of them, and `marrowpath search` is run often by scripts: importing
    every service (the document models, the checks, HL7 and the order intake with them)
    for each run cost it most of a second. The desktop app takes them all at start
    (`launcher`), each built once and kept.
    """

    engine: Engine
    url: str
    context: ServiceContext
    auth: AuthService
    case_search: CaseSearch

    @cached_property
    def cases(self) -> CaseService:
        from marrowpath.services.cases import CaseService

        return CaseService(self.context, self.auth)

    @cached_property
    def lab(self) -> LabService:
        from marrowpath.services.lab import LabService

        return LabService(self.context)

    @cached_property
    def audit(self) -> AuditService:
        from marrowpath.services.audit import AuditService

        return AuditService(self.context)

    @cached_property
    def outbox(self) -> OutboxService:
        from marrowpath.adapters.mllp import MllpClient
        from marrowpath.services.outbox import OutboxService

        return OutboxService(self.context, client=MllpClient())

    @cached_property
    def patients(self) -> PatientService:
        from marrowpath.services.patients import PatientService

        return PatientService(self.context)

    @cached_property
    def timeline(self) -> TimelineService:
        from marrowpath.services.timeline import TimelineService

        return TimelineService(self.context)

    @cached_property
    def counter(self) -> CounterService:
        from marrowpath.services.counter import CounterService

        return CounterService(self.context)

    @cached_property
    def templates(self) -> TemplateService:
        from marrowpath.services.templates import TemplateService

        return TemplateService(self.context)

    @cached_property
    def providers(self) -> ProviderService:
        from marrowpath.services.providers import ProviderService

        return ProviderService(self.context)

    @cached_property
    def bench(self) -> BenchService:
        from marrowpath.services.bench import BenchService

        return BenchService(self.context)

    @cached_property
    def quality(self) -> QualityService:
        from marrowpath.services.quality import QualityService

        return QualityService(self.context)

    # HL7 and the order intake are imported only by the commands that need them.
    @cached_property
    def interfaces(self) -> InterfaceService:
        from marrowpath.services.interfaces import InterfaceService

        return InterfaceService(self.context)

    @cached_property
    def communications(self) -> CommunicationService:
        """Critical-result communications (the editor's dialog and `communicate`)."""
        from marrowpath.services.communications import CommunicationService

        return CommunicationService(self.context, self.auth, self.cases)

    @cached_property
    def orders(self) -> OrderService:
        from marrowpath.services.orders import OrderService

        return OrderService(self.context)

    @property
    def demo(self) -> DemoService:
        """The demo loader (imported on demand: it carries the demo case texts)."""
        from marrowpath.demo.loader import DemoService

        return DemoService(self.context, self.auth, self.cases, self.lab)

    @property
    def database_label(self) -> str:
        return describe(self.url)

    def close(self) -> None:
        self.engine.dispose()


def workstation_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build(
    database: str | None = None,
    *,
    migrate_schema: bool | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    with_renderer: bool = True,
) -> App:
    """Open the database (creating and migrating an embedded SQLite file) and wire services.

    Args:
        database: `--db` / `MARROWPATH_DB`: a SQLAlchemy URL, a file path, or None for the
            embedded database in the user data directory.
        migrate_schema: upgrade the schema automatically; default: yes for SQLite only.
        hasher: the password hasher; production Argon2 parameters unless a test hands
            in a cheap one (decision 8). No setting or variable can lower the cost.
    """
    url = resolve_url(database if database is not None else os.environ.get("MARROWPATH_DB"))
    engine = make_engine(url)
    try:
        migrate.check_schema(
            engine, auto_upgrade=is_sqlite(url) if migrate_schema is None else migrate_schema
        )
    except Exception:
        engine.dispose()
        raise
    uow: UnitOfWorkFactory = SqlUnitOfWorkFactory(
        engine, workstation=workstation_name(), now=(clock or Clock()).now
    )
    context = ServiceContext(
        uow=uow,
        hasher=hasher or Argon2Hasher(),
        clock=clock or Clock(),
        renderer=_renderer() if with_renderer else None,
        stamper=_stamper(),
        interfaces=_interface_builders(),
    )
    return App(
        engine=engine,
        url=url,
        context=context,
        auth=AuthService(context),
        case_search=CaseSearch(context),
    )


def _renderer() -> ReportRenderer:
    """The PDF renderer. ReportLab is imported with the first report, not at start-up:
    most commands (a search, a sign-in) never print."""

    def render(request: ReportRequest) -> bytes:
        from marrowpath.reports.pdf import render_report

        return render_report(request)

    return render


def _stamper() -> ReportStamper:
    """Stamps issued PDFs that are now superseded or withdrawn; pypdf is imported on the
    first stamp, not at start-up."""

    def stamp(pdf: bytes, request: object) -> bytes:
        from marrowpath.reports.stamp import stamp_report

        return stamp_report(pdf, request)  # type: ignore[arg-type]

    return stamp


def _interface_builders() -> InterfaceBuilders:
    """The HL7, FHIR and research CSV builders of `marrowpath.reports` (pure functions),
    each imported on its first use."""

    def hl7_result(request: ResultRequest) -> str:
        from marrowpath.reports.hl7 import build_oru

        return build_oru(request)

    def fhir_bundle(request: ResultRequest) -> str:
        from marrowpath.reports.fhir import build_bundle

        return build_bundle(request)

    def research_csv(rows: Iterable[ResearchRow]) -> str:
        from marrowpath.reports.research_csv import research_csv

        return research_csv(rows)

    return InterfaceBuilders(
        hl7_result=hl7_result, fhir_bundle=fhir_bundle, research_csv=research_csv
    )


@dataclass(frozen=True)
class Upgrade:
    """What `db upgrade` did: the database (as shown to people) and the application role."""

    label: str
    app_role: AppRole | None = None


def upgrade_database(database: str | None, *, app_role: str | None = None) -> Upgrade:
    """`db upgrade`: create or migrate the schema of any database.

    Args:
        app_role: PostgreSQL: the workstations' role, created if missing and granted
            SELECT and INSERT only on issued versions and audit events (`db/roles.py`).
    """
    url = resolve_url(database if database is not None else os.environ.get("MARROWPATH_DB"))
    if app_role is not None:
        migrate.refuse_roles_unless_postgresql(make_url(url).get_backend_name())
    engine = make_engine(url)
    try:
        role = migrate.upgrade(engine, app_role=app_role)
    finally:
        engine.dispose()
    return Upgrade(describe(url), role)


def backup_database(database: str | None, target: Path) -> Path:
    """`db backup FILE` for the embedded database (or the SQLite file named by --db)."""
    from marrowpath.db.backup import backup_sqlite

    url = resolve_url(database if database is not None else os.environ.get("MARROWPATH_DB"))
    return backup_sqlite(url, target)
