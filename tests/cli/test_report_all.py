"""`marrowpath report --all`: every issued case, in worker processes, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App
from tests.cli.test_cli import as_user
from tests.conftest import PASSWORD
from tests.db.test_cases import variant

Team = dict[str, Any]
ISSUED = [f"BM26-0007{n}" for n in range(5)]
DRAFT = "BM26-00079"


@pytest.fixture
def issued(app: App, team: Team) -> list[str]:
    """Five signed cases (one amended: its latest version is printed) and a draft."""
    for number, accession in enumerate([*ISSUED, DRAFT]):
        app.cases.import_case(team["drpark"], variant(accession, mrn=f"MRN-7{number}"))
    for accession in ISSUED:
        app.cases.sign(team["drpark"], accession, PASSWORD)
    return ISSUED


def printed_events(app: App) -> list[str]:
    with app.context.uow(read_only=True) as uow:
        return sorted(e.accession or "" for e in uow.audit.events() if e.action == "print")


def first_page(path: Path) -> str:
    return PdfReader(path).pages[0].extract_text()


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_issued_case_then_only_the_missing_ones(
    app: App, issued: list[str], tmp_path: Path, jobs: str
) -> None:
    out = tmp_path / "reports"
    result = as_user(app.url, "drpark", "report", "--all", "--out-dir", str(out), "--jobs", jobs)
    assert result.code == 0, result.err
    assert result.lines == [f"5 reports written to {out}"]
    assert "Writing reports" in result.err and "5/5" in result.err  # progress on stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{a}.pdf" for a in issued]
    for accession in issued:
        assert accession in first_page(out / f"{accession}.pdf")
    assert printed_events(app) == issued

    # an interrupted run: two files missing; the others are kept as they are
    for accession in issued[:2]:
        (out / f"{accession}.pdf").unlink()
    kept = out / f"{issued[2]}.pdf"
    kept.write_bytes(b"left alone")
    result = as_user(
        app.url,
        "drpark",
        "report",
        "--all",
        "--out-dir",
        str(out),
        "--jobs",
        jobs,
        "--skip-existing",
    )
    assert result.code == 0, result.err
    assert result.lines == [f"2 reports written to {out}; 3 already there, skipped"]
    assert kept.read_bytes() == b"left alone"
    for accession in issued[:2]:
        assert accession in first_page(out / f"{accession}.pdf")
    assert printed_events(app) == sorted([*issued, *issued[:2]])

    # without --skip-existing every file is written again
    result = as_user(app.url, "drpark", "report", "--all", "--out-dir", str(out), "--jobs", jobs)
    assert result.lines == [f"5 reports written to {out}"]
    assert issued[2] in first_page(kept)


@pytest.mark.slow
def test_nothing_to_write_says_so(app: App, issued: list[str], tmp_path: Path) -> None:
    out = tmp_path / "reports"
    as_user(app.url, "drpark", "report", "--all", "--out-dir", str(out))
    result = as_user(
        app.url,
        "drpark",
        "report",
        "--all",
        "--out-dir",
        str(out),
        "--jobs",
        "2",
        "--skip-existing",
    )
    assert result.code == 0
    assert result.lines == [f"0 reports written to {out}; 5 already there, skipped"]
