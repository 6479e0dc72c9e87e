"""The de-identified research export: discrete values, no identifiers, ages 90+ folded,
stable pseudonyms that link serial biopsies of one patient."""

from __future__ import annotations

import csv
import io
import re

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.interfaces.support import import_example, sign

Team = dict[str, User]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_research_export(app: App, team: Team, database_url: str) -> None:
    drpark = team["drpark"]
    import_example(app, team)
    sign(app, team)
    serial = import_example(app, team, accession="BM26-00043")  # the same patient again
    sign(app, team, serial)
    old = example_case()
    old.update(accession="BM26-00044")
    old["patient"] = {**old["patient"], "mrn": "MRN0000090", "birth_date": "1932-05-01"}
    old["patient"]["family_name"] = "Abernathy"
    app.cases.import_case(drpark, old)
    sign(app, team, "BM26-00044")
    withdrawn = import_example(app, team, accession="BM26-00045")
    sign(app, team, withdrawn)
    app.cases.withdraw(drpark, withdrawn, PASSWORD, reason="Wrong patient.")
    cancelled = import_example(app, team, accession="BM26-00046")
    sign(app, team, cancelled, preliminary=True)
    app.cases.cancel(drpark, cancelled, reason="Not performed.")
    import_example(app, team, accession="BM26-00047")  # a draft: nothing issued

    text, count = app.interfaces.export_research_csv(team["clinician"])
    assert count == 3
    table = rows(text)
    assert len(table) == 3
    # A pseudonym is a keyed hex digest: it may hold "1959" by chance (it failed CI once
    # so), and holds nothing of the patient. Everything else is searched for identifiers.
    pseudonyms = {"patient_pseudonym": "P", "case_pseudonym": "C"}
    for column, letter in pseudonyms.items():
        assert all(re.fullmatch(rf"{letter}-[0-9a-f]{{16}}", row[column]) for row in table)
    readable = "\n".join(
        [",".join(table[0])]
        + [",".join(v for k, v in row.items() if k not in pseudonyms) for row in table]
    )
    for identifier in (
        "MRN0012345",
        "MRN0000090",
        "Delgado",
        "Tomás",
        "Abernathy",
        "BM26-",
        "ORD-20261118",
        "V884213",
        "2026-11-18",
        "1959",
        "Raman",
        "Otieno",
        "Riverside",
    ):
        assert identifier not in readable, identifier
    by_age = {row["age_years"] for row in table}
    assert by_age == {"67", "90+"}
    delgado = [row for row in table if row["age_years"] == "67"]
    assert len({row["patient_pseudonym"] for row in delgado}) == 1  # serial biopsies link
    assert len({row["case_pseudonym"] for row in table}) == 3
    first = delgado[0]
    assert first["procedure_year"] == "2026" and first["sex"] == "male"
    assert first["who_haem5_term"] == "Myelodysplastic neoplasm with increased blasts-2"
    assert first["icc_2022_term"] == "MDS/AML"
    assert (first["blasts_pct"], first["blasts_source"]) == ("12.0", "differential")
    assert (first["plasma_cells_pct"], first["plasma_cells_source"]) == ("2.0", "differential")
    assert (first["me_ratio"], first["core_cellularity_pct"], first["fibrosis_grade"]) == (
        "1.3",
        "80",
        "MF-1",
    )
    assert first["cellularity_for_age"] == "hypercellular"

    restarted = build(
        database_url, with_renderer=False, hasher=TEST_HASHER
    )  # the secret lives in the database
    try:
        again, _ = restarted.interfaces.export_research_csv(team["clinician"])
    finally:
        restarted.close()
    assert again == text
    with app.context.uow(read_only=True) as uow:
        exports = [e for e in uow.audit.events() if e.action == "export"]
    assert exports[-1].detail == {"format": "csv", "deidentified": True, "cases": 3}
