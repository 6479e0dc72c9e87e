"""How the app shows a moment to its user: the workstation's local time, with its offset.

Why one place: the editor, the version lists and the preview each showed signing times
their own way ("13:58 UTC", an ISO timestamp, the stored offset called UTC). The printed
report keeps the time as recorded with its offset spelt out (`domain/wording.py`); on
screen a person reads their own clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from marrowpath.domain.wording import offset_text


def local_time(moment: datetime) -> str:
    """`2026-11-26 13:10 (UTC+01:00)`: the workstation's time, with its offset (a naive
    time is taken as UTC, as the database stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M} ({offset_text(local.utcoffset()) or 'UTC'})"
