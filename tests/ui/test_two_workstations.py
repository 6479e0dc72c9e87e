"""What the user did (issue 9): two workstations on one SQLite file in the current folder,
the preview's Save PDF dialog opened and cancelled there, a third program opening and
closing the database, then both saving the same case. Exactly one save wins, the other
is refused naming who and when, and nothing is lost.

The desktop workstation is the real app in its own process, on the xcb platform under
Xvfb where Xvfb is installed (CI installs it), offscreen otherwise. Whatever the dialog
reads, the workstation also opens and closes the database's files itself, which drops
its POSIX locks exactly as the dialog's icon guessing did: the test does not depend on
how a dialog is built.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import build
from marrowpath.domain.users import Role
from tests.cli_process import MARROWPATH
from tests.conftest import PASSWORD, example_case

pytestmark = [pytest.mark.slow, pytest.mark.ui]

REPOSITORY = Path(__file__).resolve().parents[2]
ACCESSION = "BM26-00042"


class Station:
    """A workstation process answering one JSON line per command."""

    def __init__(self, kind: str, folder: Path, username: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.workstation", kind, "d.db", username],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid = self._answer(120)["pid"]

    def ask(self, command: str, timeout: float = 120) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self._answer(timeout)
        assert "error" not in answer, f"{command}: {answer['error']}"
        return answer

    def _answer(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.process.kill()
            raise TimeoutError("the workstation did not answer")
        line = self.process.stdout.readline()
        assert line, f"the workstation ended (exit {self.process.wait()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)


@pytest.fixture
def display() -> Iterator[dict[str, str]]:
    """Xvfb and the xcb platform where Xvfb is installed; offscreen otherwise.

    The display number is drawn at random from a high range (and another is tried when
    it is taken): other test runs on the machine start their own servers at :0 upwards.
    """
    if shutil.which("Xvfb") is None:
        yield {"QT_QPA_PLATFORM": "offscreen"}
        return
    for _attempt in range(5):
        number = random.randint(200, 899)
        server = subprocess.Popen(
            ["Xvfb", f":{number}", "-nolisten", "tcp", "-screen", "0", "1600x1000x24"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        socket = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.monotonic() + 10
        while server.poll() is None and not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.poll() is None and socket.exists():
            break
        server.kill()
        server.wait(30)
    else:
        pytest.fail("Xvfb would not start")
    try:
        yield {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}"}
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
def folder(tmp_path: Path, sqlite_template: Path) -> Path:
    """The working folder: d.db with a draft case and two pathologists."""
    shutil.copy(sqlite_template, tmp_path / "d.db")
    app = build(str(tmp_path / "d.db"), with_renderer=False)
    try:
        app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD)
        admin = app.auth.sign_in("admin", PASSWORD)
        for username, name in (("drpark", "Dana Park"), ("drlee", "Lee Chen")):
            app.auth.add_user(
                admin, username, full_name=name, role=Role.PATHOLOGIST, password=PASSWORD
            )
        app.lab.set_identity(
            admin, name="Riverside Lab", address="200 River Road", clia_id="14D0123456"
        )
        app.cases.import_case(app.auth.sign_in("drpark", PASSWORD), example_case())
    finally:
        app.close()
    return tmp_path


def cli(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MARROWPATH, "--db", "d.db", "--user", "admin", "--password-stdin", *arguments],
        cwd=folder,
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_workstations_a_file_dialog_and_a_third_program_lose_nothing(
    folder: Path, display: dict[str, str]
) -> None:
    env = {**os.environ, **display, "PYTHONPATH": str(REPOSITORY)}
    desktop = Station("desktop", folder, "drpark", env)
    services: Station | None = None
    try:
        desktop.ask(f"open {ACCESSION}")
        desktop.ask("edit Comment typed in the desktop app.")
        locks_before = desktop.ask("locks")["locks"]
        dialog = desktop.ask("save-pdf-dialog")
        locks_after_dialog = desktop.ask("locks")["locks"]
        sniffed = desktop.ask("sniff")["touched"]
        locks_after = desktop.ask("locks")["locks"]

        third = cli(folder, "search", "Delgado")  # opens and closes the database
        assert third.returncode == 0, third.stderr
        wal_kept = (folder / "d.db-wal").exists()

        services = Station("services", folder, "drlee", env)
        services.ask(f"open {ACCESSION}")
        services.ask("edit Comment saved through the services.")
        won = services.ask("save")
        lost = desktop.ask("save")
        services.ask("quit")
        desktop.ask("quit")
    finally:
        desktop.stop()
        if services is not None:
            services.stop()

    print(
        f"\ntwo workstations: platform {display['QT_QPA_PLATFORM']}, dialog opened in "
        f"{dialog['dialog_directory']}; POSIX locks of the desktop on the database: "
        f"{locks_before} before the dialog, {locks_after_dialog} after it, {locks_after} after "
        f"it opened and closed {sniffed}; services save: {won}; "
        f"desktop save: {lost['state']!r}: {lost['message']}"
    )
    assert dialog["dialog_directory"] is not None  # the Save PDF dialog really opened
    assert wal_kept  # the third program no longer deleted the WAL it thought unused
    if locks_before > 0:  # /proc/locks exists: the hazard really happened
        assert locks_after == 0
    assert won["saved"] is True
    assert lost["saved"] is False and lost["state"] == "Not saved"
    assert lost["message"].startswith(f"Not saved: {ACCESSION}: changed by drlee at ")
    assert " UTC; reload" in lost["message"]

    check = build(str(folder / "d.db"), with_renderer=False)
    try:
        stored = check.cases.open(check.auth.sign_in("drpark", PASSWORD), ACCESSION).record
        with check.context.uow(read_only=True) as uow:
            trail = list(uow.audit.events())
    finally:
        check.close()
    assert stored.working["diagnosis"]["comment"] == "Comment saved through the services."
    assert stored.updated_by == "drlee"
    actions = [(e.username, e.action) for e in trail]
    assert ("drlee", "change") in actions  # the winner's save, and
    assert ("drpark", "view") in actions  # the desktop's own events, are both in the trail
    assert ("drpark", "refused") in actions
    verified = cli(folder, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.rstrip().endswith("intact")
