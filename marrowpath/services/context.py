"""What every service is built with: storage, a clock, the password hasher, a renderer and
the interface message builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.text import visible
from marrowpath.services.ports import (
    InterfaceBuilders,
    PasswordHasher,
    ReportRenderer,
    ReportStamper,
    UnitOfWorkFactory,
)


@dataclass(frozen=True)
class Clock:
    """UTC time for records; the workstation's local date for "not in the future"."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    today: Callable[[], date] = date.today


@dataclass(frozen=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock = Clock()
    renderer: ReportRenderer | None = None
    stamper: ReportStamper | None = None
    interfaces: InterfaceBuilders | None = None

    def record_refusal(
        self, username: str, action: str, reason: str, accession: str | None = None
    ) -> None:
        """Refusals are audited too, in their own transaction (the action rolled back).
        Control characters in the reason are written out: the refusal of a NUL must not
        itself fail to be stored."""
        with self.uow() as uow:
            uow.record(
                AuditEntry(
                    "refused", username, accession, {"action": action, "reason": visible(reason)}
                )
            )
            uow.commit()
