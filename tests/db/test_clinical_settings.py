"""The lab settings of `clinical-rules.md` on a real database: working settings carry the
rules in force (a legacy cellularity rule moves on), every signed version's snapshot names
the interval sets and AML minimums it was judged by, and its hash holds."""

from __future__ import annotations

from marrowpath.bootstrap import App
from marrowpath.domain.findings import findings
from marrowpath.domain.settings import LabSettings
from tests.conftest import PASSWORD, example_case
from tests.db.test_cases import Team


def save_working_settings(app: App, settings: LabSettings) -> None:
    """As settings written by an earlier release sit in the database."""
    with app.context.uow() as uow:
        uow.settings.save(settings)
        uow.commit()


def test_legacy_rule_moves_to_its_successor_when_loaded(app: App, team: Team) -> None:
    save_working_settings(app, LabSettings(cellularity_rule="wong-2023"))
    loaded = app.lab.settings()
    assert loaded.cellularity_rule == "age_bands"
    assert loaded.cbc_intervals(40) is not None  # the default adult CBC set written out
    save_working_settings(app, LabSettings(cellularity_rule="100-age"))
    assert app.lab.settings().cellularity_rule == "hundred_minus_age"


def test_signed_snapshot_names_the_sets_and_tables(app: App, team: Team) -> None:
    app.lab.set(team["admin"], "interval.cbc.adult.wbc_10e9_l", "3.5-10.5")
    app.lab.set(team["admin"], "aml_minimum.ICC-2022.NPM1_mutation", "15")
    accession, _ = app.cases.import_case(team["drpark"], example_case())
    version = app.cases.sign(team["drpark"], accession, PASSWORD)
    snapshot = version.content.settings
    assert snapshot.cellularity_rule == "hundred_minus_age"
    cbc = snapshot.cbc_intervals(67)
    assert cbc is not None and cbc.intervals["wbc_10e9_l"].low == 3.5
    npm1 = [r for r in snapshot.aml_minimum_table if r.entity == "NPM1 mutation"]
    assert {r.system: r.minimum_pct for r in npm1} == {"WHO-HAEM5": None, "ICC-2022": 15}
    assert snapshot.confidence_intervals_on_report
    stored = app.cases.versions(team["drpark"], accession)[0]
    assert stored.intact()
    # the example is consistent: no check fires under the snapshot it was signed with
    assert findings(stored.content.document, snapshot) == []
