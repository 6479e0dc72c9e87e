"""The consistency findings refuse a signature in the SERVICE (`clinical-rules.md` 6), so
the app and the command line obey one rule; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.acknowledgement import FindingsNotAcknowledged
from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.versions import VersionContent
from tests.cli.test_check_cli import discordant_case
from tests.conftest import PASSWORD, example_case
from tests.db.test_cases import ACCESSION, Team, events, signed_final, status


def test_refused_and_audited_until_acknowledged(app: App, team: Team) -> None:
    drpark = team["drpark"]
    app.cases.import_case(drpark, discordant_case())
    with pytest.raises(FindingsNotAcknowledged) as refused:
        app.cases.sign(drpark, ACCESSION, PASSWORD, acknowledge=["C02"])
    assert [f.code for f in refused.value.unacknowledged] == ["C01"]
    assert [f.code for f in refused.value.findings] == ["C01", "C02", "C10"]
    assert refused.value.flags  # the advisories come with it, to be shown beside
    assert str(refused.value).startswith(f"{ACCESSION}: C01: the diagnosis says 30% blasts")
    refusal = events(app)[-1]
    assert (refusal.action, refusal.accession) == ("refused", ACCESSION)
    assert "C01" in str(refusal.detail)
    assert status(app, team) is Status.DRAFT
    assert app.cases.versions(drpark, ACCESSION) == []

    version = app.cases.sign(drpark, ACCESSION, PASSWORD, acknowledge=["C01", "C02", "C10"])
    # a review finding needs no acknowledgement and is not stored as one
    assert version.content.acknowledged == ("C01", "C02")
    assert app.cases.versions(drpark, ACCESSION)[0].intact()


def test_unknown_code_refused_before_anything(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], discordant_case())
    with pytest.raises(Refused, match="unknown finding code C15"):
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD, acknowledge=["all", "C15"])
    assert status(app, team) is Status.DRAFT


def test_amendment_in_progress_is_judged_as_amended(app: App, team: Team) -> None:
    signed_final(app, team)
    drpark = team["drpark"]
    record = app.cases.start_amendment(drpark, ACCESSION)
    app.cases.save(drpark, ACCESSION, discordant_case(), expected_row_version=record.row_version)
    reason = {"reason_category": "report_defect", "reason": "Wording."}
    with pytest.raises(FindingsNotAcknowledged):
        app.cases.sign_amendment(drpark, ACCESSION, PASSWORD, **reason)  # type: ignore[arg-type]
    version = app.cases.sign_amendment(drpark, ACCESSION, PASSWORD, acknowledge=["all"], **reason)  # type: ignore[arg-type]
    assert version.content.acknowledged == ("C01", "C02")


def test_versions_without_acknowledgement_keep_their_hash() -> None:
    """Versions signed before the checks have no `acknowledged`: their canonical JSON (and
    so their hash and `audit verify`) is unchanged; new ones are covered by the hash."""
    from datetime import UTC, datetime

    from marrowpath.domain.lifecycle import VersionKind
    from marrowpath.domain.settings import LabSettings
    from marrowpath.domain.validation import parse_case

    content = VersionContent(
        accession=ACCESSION,
        number=1,
        kind=VersionKind.FINAL,
        document=parse_case(example_case(), today=datetime.now(UTC).date()),
        settings=LabSettings(),
        signed_by="drpark",
        signer_name="Dana Park",
        signed_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
        meaning="final diagnosis",
    )
    assert b"acknowledged" not in content.canonical()
    acknowledged = content.model_copy(update={"acknowledged": ("C01",)})
    assert b'"acknowledged":["C01"]' in acknowledged.canonical()
    assert acknowledged.sha256() != content.sha256()
