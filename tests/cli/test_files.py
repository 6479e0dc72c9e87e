"""Files with patient data (issue 10, attack 10): private modes on POSIX, and writes that
leave nothing behind when the disk is full (a small tmpfs, mounted as root)."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from marrowpath.bootstrap import App, build
from marrowpath.cli import main
from marrowpath.db.engine import resolve_url
from marrowpath.domain.users import Role, User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

ACCESSION = "BM26-00042"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cli(db: str, *argv: str, user: str | None = "drpark") -> tuple[int, str, str]:
    login = ["--user", user, "--password-stdin"] if user else []
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, *login, *argv],
        stdin=io.StringIO(f"{PASSWORD}\n"),
        stdout=out,
        stderr=err,
        hasher=TEST_HASHER,
    )
    assert "Traceback" not in err.getvalue() and "unexpected error" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (files 0644, folders 0755): the modes must come from the program."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def signed(app: App, team: dict[str, User]) -> str:
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    return app.url


# ------------------------------------------------------------------ modes


@posix_only
def test_a_new_database_and_its_folder_are_private(tmp_path: Path, loose_umask: None) -> None:
    folder = tmp_path / "lab" / "data"
    app = build(str(folder / "marrowpath.db"), with_renderer=False, hasher=TEST_HASHER)
    try:
        app.auth.add_first_user(
            "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
        )
        database = folder / "marrowpath.db"
        assert mode(folder) == 0o700
        assert mode(database) == 0o600
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()  # open while the engine is
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
    finally:
        app.close()


@posix_only
def test_the_default_data_folder_is_made_private(
    tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    existing = tmp_path / "share" / "MarrowPath"
    existing.mkdir(parents=True, mode=0o755)
    url = resolve_url(None)
    assert url == f"sqlite:///{existing / 'marrowpath.db'}"
    assert mode(existing) == 0o700


@posix_only
@sqlite_only
def test_backups_reports_and_exports_are_private(
    signed: str, tmp_path: Path, loose_umask: None
) -> None:
    out = tmp_path / "out"
    backup = out / "backup.db"
    assert cli(signed, "db", "backup", str(backup), user=None)[0] == 0
    pdf = out / "report.pdf"
    assert cli(signed, "report", ACCESSION, "-o", str(pdf))[0] == 0
    exported = out / "case.json"
    assert cli(signed, "export", ACCESSION, "--format", "json", "-o", str(exported))[0] == 0
    hl7 = out / "case.hl7"
    assert cli(signed, "export", ACCESSION, "--format", "hl7", "-o", str(hl7))[0] == 0
    assert {p.name: mode(p) for p in out.iterdir()} == {
        "backup.db": 0o600,
        "report.pdf": 0o600,
        "case.json": 0o600,
        "case.hl7": 0o600,
    }
    assert mode(out) == 0o700  # a folder the program made for them


# ------------------------------------------------------------------ a full disk


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs filled to the last byte; skipped where it cannot be mounted."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mount_point = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        with open(mount_point / "filler", "wb", buffering=0) as stream:
            try:
                while True:
                    stream.write(b"\0" * 4096)
            except OSError:  # full: not one more byte fits
                pass
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


@sqlite_only
def test_a_full_disk_leaves_no_partial_report_backup_or_export(
    signed: str, full_disk: Path
) -> None:
    before = sorted(p.name for p in full_disk.iterdir())
    for argv, target, what in (
        (["report", ACCESSION, "-o", str(full_disk / "report.pdf")], "report.pdf", "report"),
        (["db", "backup", str(full_disk / "backup.db")], "backup.db", "db backup"),
        (
            ["export", ACCESSION, "--format", "json", "-o", str(full_disk / "case.json")],
            "case.json",
            "export",
        ),
    ):
        code, out, err = cli(signed, *argv, user=None if argv[0] == "db" else "drpark")
        assert code == 1, (argv, out, err)
        assert err.startswith(f"{what}: cannot write {full_disk / target} ("), err
        assert err.rstrip().endswith("nothing was written"), err
        assert len(err.splitlines()) == 1
        assert sorted(p.name for p in full_disk.iterdir()) == before  # nothing left behind


@sqlite_only
def test_a_report_replaces_an_older_file_only_when_complete(signed: str, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report.pdf"
    target.parent.mkdir()
    target.write_bytes(b"the previous report")
    assert cli(signed, "report", ACCESSION, "-o", str(target))[0] == 0
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in target.parent.iterdir()] == ["report.pdf"]
