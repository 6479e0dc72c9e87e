"""Case format /2 in storage, on SQLite and PostgreSQL: a version signed in `/1` before the
change renders, exports and verifies exactly as signed; migration 0017 moves working
documents to `/2` and leaves issued versions alone."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from marrowpath.bootstrap import App, build
from marrowpath.db import migrate
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import User
from marrowpath.domain.versions import IssuedVersion, VersionContent
from marrowpath.services.documents import case_write
from tests.conftest import EXAMPLE_CASE, PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.tamper import as_json, tampering

ACCESSION = "BM26-00042"
Team = dict[str, User]


def format_1() -> dict[str, Any]:
    """The `/1` example exactly as written, with two patterns' worth of wording kept /1."""
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text(encoding="utf-8"))
    return data


def canonical_sha(value: Any) -> str:
    """The hash `case-format.md` defines, computed here without the application's code."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def sign_in_format_1(app: App, dr: User) -> dict[str, Any]:
    """Store a final version 1 whose document is `/1`, as the release before /2 signed it:
    the version row, the case's status and the `sign` event (no PDF stored, like the
    generated demo versions). Returns the stored content as the database holds it."""
    app.cases.import_case(dr, {**example_case(), "accession": ACCESSION})
    signed = format_1()
    with app.context.uow() as uow:
        case = uow.cases.get(ACCESSION)
        assert case is not None
        content = VersionContent.model_validate(
            {
                "accession": ACCESSION,
                "number": 1,
                "kind": "final",
                "document": signed,
                "settings": LabSettings().model_dump(mode="json", exclude_none=True),
                "signed_by": dr.username,
                "signer_name": dr.full_name,
                "signed_at": "2026-11-20T10:00:00+00:00",
                "meaning": "final diagnosis",
            }
        )
        version = IssuedVersion(content=content, sha256=content.sha256())
        uow.versions.add(case.id, version)
        uow.cases.set_status(
            case,
            Status.FINAL,
            user=dr.username,
            at=content.signed_at,
            issued_count=1,
            issued=case_write(case.working, case.patient, content.document),
        )
        uow.record(
            AuditEntry(
                "sign",
                dr.username,
                ACCESSION,
                {"version": 1, "kind": "final", "sha256": version.sha256, "pdf_sha256": None},
            )
        )
        uow.commit()
    with app.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT content, sha256 FROM report_versions WHERE number = 1")
        ).one()
    content_json = stored[0] if isinstance(stored[0], dict) else json.loads(stored[0])
    assert content_json["document"] == signed  # stored exactly as signed: /1, `pattern`
    assert stored[1] == canonical_sha(content_json)
    return dict(content_json)


@pytest.fixture
def printing(app: App, team: Team) -> Iterator[App]:
    application = build(app.url, hasher=TEST_HASHER)
    yield application
    application.close()


def pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_a_version_signed_in_format_1_renders_exports_and_verifies_as_signed(
    printing: App, team: Team
) -> None:
    app = printing
    stored = sign_in_format_1(app, team["drpark"])

    verification = app.audit.verify(team["admin"])
    assert verification.problems == [] and verification.versions == 1

    [version] = app.cases.versions(team["drpark"], ACCESSION)
    assert version.intact()
    # read as /2 in memory, signed as /1
    assert version.content.document.format == "marrowpath.case/2"
    infiltrate = version.content.document.core.infiltrate  # type: ignore[union-attr]
    assert infiltrate is not None and [p.value for p in infiltrate.patterns] == ["interstitial"]
    assert version.content.signed_document() == format_1()
    assert version.content.stored() == stored

    # rendered on demand (no PDF was stored) from the upgraded reading
    text_ = pdf_text(app.cases.report_pdf(team["drpark"], ACCESSION, version=1))
    assert "Interstitial, 10.0 % of the marrow space" in text_

    # a clinician's export is the issued document exactly as signed
    exported = app.cases.export_json(team["clinician"], ACCESSION)
    versions = exported.pop("versions")
    assert exported == format_1()
    assert versions[0]["sha256"] == stored_sha(app)


def stored_sha(app: App) -> str:
    with app.engine.connect() as connection:
        sha: str = connection.execute(
            text("SELECT sha256 FROM report_versions WHERE number = 1")
        ).scalar_one()
    return sha


def test_migration_0017_upgrades_working_documents_and_never_issued_versions(
    app: App, team: Team
) -> None:
    """The database as the release before /2 left it (working documents in /1, a version
    signed in /1), then `upgrade` to head: 0017 alone runs."""
    dr = team["drpark"]
    stored = sign_in_format_1(app, dr)
    draft = {**format_1(), "accession": "BM26-00043"}
    draft["core"]["infiltrate"]["pattern"] = "nodular"
    app.cases.import_case(dr, draft)
    engine = app.engine
    with tampering(engine) as connection:
        for accession, document in ((ACCESSION, format_1()), ("BM26-00043", draft)):
            connection.execute(
                text(
                    f"UPDATE cases SET working = {as_json(engine, 'doc')} "
                    "WHERE accession = :accession"
                ),
                {"doc": json.dumps(document, ensure_ascii=False), "accession": accession},
            )
        connection.execute(text("UPDATE alembic_version SET version_num = '0016'"))

    owner = create_engine(app.url)
    try:
        migrate.upgrade(owner, revision="0017")
    finally:
        owner.dispose()
    with tampering(engine) as connection:  # the later migrations have already run
        connection.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": migrate.alembic_head()},
        )

    with engine.connect() as connection:
        rows: dict[str, Any] = {
            row[0]: row[1]
            for row in connection.execute(text("SELECT accession, working FROM cases"))
        }
        content = connection.execute(text("SELECT content FROM report_versions")).scalar_one()
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    working = {k: v if isinstance(v, dict) else json.loads(v) for k, v in rows.items()}
    content = content if isinstance(content, dict) else json.loads(content)
    assert revision == migrate.alembic_head()
    expected = copy.deepcopy(draft)
    expected["format"] = "marrowpath.case/2"
    expected["core"]["infiltrate"] = {
        "patterns": ["nodular"],
        "percent": 10,
        "description": "Scattered CD34-positive blasts, no clusters.",
    }
    assert working["BM26-00043"] == expected
    assert working[ACCESSION]["format"] == "marrowpath.case/2"
    assert working[ACCESSION]["core"]["infiltrate"]["patterns"] == ["interstitial"]
    assert content == stored  # the issued version is untouched
    assert app.audit.verify(team["admin"]).problems == []
    # the upgraded draft is what the editor and `sign` read
    app.cases.sign(dr, "BM26-00043", PASSWORD, acknowledge=("all",))
