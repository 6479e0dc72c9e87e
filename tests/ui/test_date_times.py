"""Date-times are shown to a person in the workstation's local time, "2026-11-18 15:20",
never as a raw ISO timestamp; the document keeps its ISO value with the offset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.versions import IssuedVersion
from marrowpath.ui.editor.fields import DateTimeField
from marrowpath.ui.editor.versions_list import VersionList
from marrowpath.ui.when import local_time
from tests.reports import builders as b

pytestmark = pytest.mark.ui


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The workstation's zone: US Eastern (UTC-05:00 in November)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_received_at_is_shown_and_typed_in_local_time(qtbot: QtBot, new_york: None) -> None:
    field = DateTimeField("received_at")
    qtbot.addWidget(field.container)
    stored = "2026-11-18T20:20:00+00:00"  # recorded in UTC elsewhere
    field.set_value(stored)
    assert field.edit.text() == "2026-11-18 15:20"
    assert "T" not in field.edit.text()
    assert field.zone.text() == "local time (UTC-05:00)"
    assert field.value() == stored  # left as shown: saved exactly as stored
    field.edit.setText("2026-11-19 08:05")
    assert field.value() == "2026-11-19T08:05:00-05:00"
    field.edit.setText("2026-11-19T08:05:00+01:00")  # an ISO time keeps its own offset
    assert field.value() == "2026-11-19T08:05:00+01:00"
    field.edit.setText("yesterday")  # handed to validation, which names the rule
    assert field.value() == "yesterday"
    field.set_value(None)
    assert field.edit.text() == "" and field.value() is None


def test_the_editors_version_list_shows_local_time_and_words(qtbot: QtBot, new_york: None) -> None:
    version = b.version(1, VersionKind.AMENDMENT, b.example_case())
    signed = version.content.signed_at
    assert signed.utcoffset() is not None
    listed = VersionList()
    qtbot.addWidget(listed)
    listed.set_versions([version])
    item = listed.list.item(0)
    assert item is not None
    assert item.text() == f"1: Amendment by Anna Kowalski, {local_time(signed)}"
    assert item.text().endswith("2026-11-20 14:32 (UTC-05:00)")
    assert local_time(datetime(2026, 11, 20, 15, 5, tzinfo=UTC)) == "2026-11-20 10:05 (UTC-05:00)"
    assert isinstance(version, IssuedVersion)
