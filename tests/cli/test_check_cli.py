"""`check`, `sign --acknowledge` and `amend --acknowledge` (cli.md, clinical-rules.md 6),
in-process on SQLite and PostgreSQL: the findings printed, the signature refused until
each discordant finding is acknowledged, the codes stored with the version, exported and
audited, and `audit verify` still sound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marrowpath.bootstrap import App
from tests.cli.test_cli import ACCESSION, as_user, db, imported, write_case
from tests.conftest import example_case

__all__ = ["db"]  # the fixture, used by name

C01 = (
    "C01: the diagnosis says 30% blasts; the differential gives 12.0 % blast equivalents "
    "(60 of 500 cells)"
)
C02 = "C02: the diagnosis says 60% cellularity; the core biopsy records 80 %"
C10 = 'C10 review: aspirate quality is adequate, but the aspirate text says "Hemodilute aspirate."'


def discordant_case() -> dict[str, Any]:
    """The example case whose diagnosis line contradicts its own blasts and cellularity
    (two discordant findings) and whose aspirate text says hemodilute (a review one)."""
    data = example_case()
    data["diagnosis"]["lines"][0] = "Hypercellular marrow (60%) with 30% blasts."
    data["aspirate"]["quality"] = "adequate"
    data["aspirate"]["comment"] = "Hemodilute aspirate."
    return data


def exported(db: str) -> dict[str, Any]:
    result = as_user(db, "drpark", "export", ACCESSION, "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def sign_events(app: App) -> list[dict[str, Any]]:
    with app.context.uow(read_only=True) as uow:
        return [e.detail for e in uow.audit.events() if e.action == "sign"]


class TestCheck:
    def test_check_a_stored_case_prints_each_finding_and_changes_nothing(
        self, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path, discordant_case())
        result = as_user(db, "drpark", "check", ACCESSION)
        assert result.code == 0, result.err
        assert f"C01 discordant: {C01[5:]}" in result.lines
        assert f"C02 discordant: {C02[5:]}" in result.lines
        assert C10 in result.lines
        assert all(
            line.startswith("advisory: ") or line[:4] in ("C01 ", "C02 ", "C10 ")
            for line in result.lines
        ), result.lines
        assert exported(db).get("versions") == []

    def test_check_a_file_and_an_invalid_one(self, db: str, tmp_path: Path) -> None:
        clean = as_user(
            db, "drpark", "check", "--file", str(write_case(tmp_path, "a.json", example_case()))
        )
        assert (clean.code, clean.err) == (0, "")
        assert not any(line[:1] == "C" for line in clean.lines)
        broken = discordant_case()
        broken["aspirate"]["differential"]["blasts"] = -3
        path = write_case(tmp_path, "b.json", broken)
        invalid = as_user(db, "drpark", "check", "--file", str(path))
        assert invalid.code == 1
        assert invalid.errors == [
            f"{path}: {ACCESSION}: aspirate.differential.blasts must be a whole number >= 0, got -3"
        ]
        assert f"C02 discordant: {C02[5:]}" in invalid.lines  # judged on what is valid

    def test_check_needs_one_document(self, db: str) -> None:
        both = as_user(db, "drpark", "check", ACCESSION, "--file", "x.json")
        neither = as_user(db, "drpark", "check")
        for result in (both, neither):
            assert result.code == 2
            assert result.errors == ["marrowpath: check: give either ACCESSION or --file FILE"]


class TestSignAcknowledge:
    def test_refused_until_every_discordant_finding_is_acknowledged(
        self, app: App, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path, discordant_case())
        refused = as_user(db, "drpark", "sign", ACCESSION)
        assert (refused.code, refused.out) == (1, "")
        assert refused.errors[-2:] == [f"{ACCESSION}: {C01}", f"{ACCESSION}: {C02}"]
        assert C10 in refused.errors  # a review finding is shown, never blocks
        partly = as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "C01")
        assert partly.code == 1
        assert [e for e in partly.errors if e.startswith(ACCESSION)] == [f"{ACCESSION}: {C02}"]
        assert exported(db)["versions"] == []

        signed = as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "c02, C01")
        assert signed.code == 0, signed.err
        assert signed.lines[0].startswith(f"{ACCESSION}\tversion 1\tfinal\t")
        assert f"C01 acknowledged: {C01[5:]}" in signed.errors
        assert C10 in signed.errors
        versions = exported(db)["versions"]
        assert versions[0]["acknowledged"] == ["C01", "C02"]
        assert sign_events(app)[-1]["acknowledged"] == ["C01", "C02"]
        assert as_user(db, "admin", "audit", "verify").code == 0

    def test_all_stores_the_codes_present_never_the_word(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path, discordant_case())
        signed = as_user(db, "drpark", "sign", ACCESSION, "--preliminary", "--acknowledge", "all")
        assert signed.code == 0, signed.err
        assert exported(db)["versions"][0]["acknowledged"] == ["C01", "C02"]

    def test_an_unknown_code_is_a_usage_error_naming_it(
        self, app: App, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path, discordant_case())
        unknown = as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "C01,C99")
        assert (unknown.code, unknown.out) == (2, "")
        assert unknown.errors == [
            "marrowpath: sign: --acknowledge: unknown finding code C99 "
            "(the codes are C01 to C14, or all)"
        ]
        assert exported(db)["versions"] == []

    def test_a_clean_case_stores_nothing_acknowledged(
        self, app: App, db: str, tmp_path: Path
    ) -> None:
        imported(db, tmp_path)
        signed = as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "C05")
        assert signed.code == 0, signed.err
        assert "acknowledged" not in exported(db)["versions"][0]
        assert "acknowledged" not in sign_events(app)[-1]


class TestAmendAcknowledge:
    def test_findings_of_the_amended_document(self, db: str, tmp_path: Path) -> None:
        imported(db, tmp_path)
        assert as_user(db, "drpark", "sign", ACCESSION).code == 0
        path = str(write_case(tmp_path, "amended.json", discordant_case()))
        reason = ("--reason-category", "interpretation_change", "--reason", "Revised.")
        refused = as_user(db, "drpark", "amend", ACCESSION, path, *reason)
        assert refused.code == 1
        assert refused.errors[-2:] == [f"{ACCESSION}: {C01}", f"{ACCESSION}: {C02}"]
        unknown = as_user(db, "drpark", "amend", ACCESSION, path, *reason, "--acknowledge", "X1")
        assert unknown.code == 2
        assert "unknown finding code X1" in unknown.err
        amended = as_user(
            db, "drpark", "amend", ACCESSION, path, *reason, "--acknowledge", "C01,C02"
        )
        assert amended.code == 0, amended.err
        assert amended.lines[0].startswith(f"{ACCESSION}\tversion 2\tamendment\t")
        versions = exported(db)["versions"]
        assert "acknowledged" not in versions[0]
        assert versions[1]["acknowledged"] == ["C01", "C02"]
        assert as_user(db, "admin", "audit", "verify").code == 0


def test_a_clinician_checks_the_issued_version_only(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path, discordant_case())
    hidden = as_user(db, "clinician", "check", ACCESSION)
    assert (hidden.code, hidden.errors) == (1, [f"{ACCESSION}: no issued report"])
    assert as_user(db, "drpark", "sign", ACCESSION, "--acknowledge", "all").code == 0
    issued = as_user(db, "clinician", "check", ACCESSION)
    assert issued.code == 0, issued.err
    assert f"C02 discordant: {C02[5:]}" in issued.lines
