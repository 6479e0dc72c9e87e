"""Several workstations at once: one winner per signing, unique accessions, one audit chain,
and nothing lost when an import is killed."""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marrowpath.bootstrap import App, build
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from tests.cli_process import CHEAP_MARROWPATH
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

# the command line in a child process, with the tests' cheap hasher (tests/cli_process.py)
MARROWPATH = list(CHEAP_MARROWPATH)
REPOSITORY = Path(__file__).resolve().parents[2]


def _at_once(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run callables in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int, work: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as error:  # collected and asserted by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_workstations_signing_at_once_issue_exactly_one_version(
    database_url: str, pathologist: User
) -> None:
    setup = build(database_url, with_renderer=False, hasher=TEST_HASHER)
    setup.cases.import_case(pathologist, example_case())
    setup.close()
    stations = [build(database_url, with_renderer=False, hasher=TEST_HASHER) for _ in range(2)]
    try:
        results = _at_once(
            [
                functools.partial(app.cases.sign, pathologist, "BM26-00042", PASSWORD)
                for app in stations
            ]
        )
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1
        assert len(losers) == 1 and isinstance(losers[0], Refused), losers
        assert "final" in str(losers[0]) or "reload" in str(losers[0])
        versions = stations[0].cases.versions(pathologist, "BM26-00042")
        assert [v.number for v in versions] == [1]
        assert stations[0].audit.verify(pathologist).intact
    finally:
        for app in stations:
            app.close()


def _ten_accessions(app: App, pathologist: User) -> list[str]:
    return [app.cases.next_accession(pathologist) for _ in range(10)]


def test_accession_numbers_are_never_handed_out_twice(database_url: str, pathologist: User) -> None:
    stations = [build(database_url, with_renderer=False, hasher=TEST_HASHER) for _ in range(3)]
    try:
        results = _at_once(
            [functools.partial(_ten_accessions, app, pathologist) for app in stations]
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        numbers = [n for batch in results for n in batch]
        assert len(numbers) == 30 and len(set(numbers)) == 30
        verification = stations[0].audit.verify(pathologist)
        assert verification.intact, verification.problems
    finally:
        for app in stations:
            app.close()


@pytest.mark.slow
def test_two_sign_commands_at_the_same_moment(
    database_url: str, pathologist: User, tmp_path: Path
) -> None:
    setup = build(database_url, with_renderer=False, hasher=TEST_HASHER)
    setup.cases.import_case(pathologist, example_case())
    setup.close()
    command = [
        *MARROWPATH,
        "--db",
        database_url,
        "sign",
        "BM26-00042",
        "--user",
        "drpark",
        "--password-stdin",
    ]
    processes = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPOSITORY,
        )
        for _ in range(2)
    ]
    outcomes = [p.communicate(PASSWORD + "\n", timeout=120) for p in processes]
    codes = sorted(p.returncode for p in processes)
    assert codes == [0, 1], outcomes
    assert all("Traceback" not in err for _out, err in outcomes)
    check = build(database_url, with_renderer=False, hasher=TEST_HASHER)
    try:
        assert len(check.cases.versions(pathologist, "BM26-00042")) == 1
    finally:
        check.close()


def _case_files(folder: Path, count: int) -> list[Path]:
    paths = []
    for number in range(count):
        case = example_case()
        case["accession"] = f"BM26-{10000 + number:05d}"
        case["patient"]["mrn"] = f"KILL{number:05d}"
        path = folder / f"{number:04d}.json"
        path.write_text(json.dumps(case), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.slow
def test_killing_a_bulk_import_loses_no_printed_case(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "kill.db"
    database.write_bytes(sqlite_template.read_bytes())
    first = subprocess.run(
        [
            *MARROWPATH,
            "--db",
            str(database),
            "user",
            "add",
            "drpark",
            "--full-name",
            "Dana Park",
            "--role",
            "pathologist",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=REPOSITORY,
        check=True,
    )
    assert "added" in first.stdout
    files = _case_files(tmp_path, 300)
    process = subprocess.Popen(
        [
            *MARROWPATH,
            "--db",
            str(database),
            "import",
            *map(str, files),
            "--user",
            "drpark",
            "--password-stdin",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
    )
    assert process.stdin and process.stdout
    process.stdin.write(PASSWORD + "\n")
    process.stdin.close()
    printed = [process.stdout.readline().strip() for _ in range(40)]
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in connection.execute("SELECT accession FROM cases")}
    assert set(printed) <= stored
    assert len(stored) < 300  # it really was interrupted
    app = build(str(database), with_renderer=False, hasher=TEST_HASHER)
    try:
        user = app.auth.sign_in("drpark", PASSWORD)
        verification = app.audit.verify(user)
        assert verification.intact, verification.problems
    finally:
        app.close()
