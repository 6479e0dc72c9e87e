"""Look-alike patients (issue 10, attack 9): invisible characters in MRNs and names, MRNs
that differ only by case or confusable letters, and names that mix alphabets within a
word, through import, the editor's save and HL7 order intake. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App
from marrowpath.cli import main
from marrowpath.domain import hl7v2
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.identity import mixed_script_words, mrn_key
from marrowpath.domain.users import User
from marrowpath.services.orders import OrderRefused
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.interfaces.support import order_message

Team = dict[str, User]
CYRILLIC_E = "\u0435"  # е
CYRILLIC_EM = "\u041c"  # М


def case(accession: str, **patient: str) -> dict[str, Any]:
    data = example_case()
    data["accession"] = accession
    data["patient"].update(patient)
    return data


def refusal(app: App, team: Team, data: dict[str, Any]) -> str:
    with pytest.raises(InvalidCase) as caught:
        app.cases.import_case(team["drpark"], data)
    return str(caught.value)


def patients(app: App) -> list[str]:
    with app.engine.connect() as connection:
        return list(connection.scalars(text("SELECT mrn FROM patients ORDER BY id")))


# ------------------------------------------------------------------ invisible characters


@pytest.mark.parametrize(
    ("mrn", "named"),
    [
        ("MRN0012345\u200b", "U+200B ZERO WIDTH SPACE at position 11"),
        ("MRN\u200d0012345", "U+200D ZERO WIDTH JOINER at position 4"),
        ("\u202eMRN0012345", "U+202E RIGHT-TO-LEFT OVERRIDE at position 1"),
        ("MRN\ufeff0012345", "U+FEFF ZERO WIDTH NO-BREAK SPACE at position 4"),
        ("MRN\u00a00012345", "U+00A0 NO-BREAK SPACE at position 4"),
        ("MRN\u2028001", "U+2028 LINE SEPARATOR at position 4"),
    ],
)
def test_an_mrn_with_an_invisible_character_is_refused(
    app: App, team: Team, mrn: str, named: str
) -> None:
    message = refusal(app, team, case("BM26-00050", mrn=mrn))
    assert message.startswith("BM26-00050: patient.mrn must ")
    assert named in message
    assert patients(app) == []


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("family_name", "\u202eodagleD", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("family_name", "Del\u200bgado", "U+200B ZERO WIDTH SPACE"),
        ("given_names", "Tom\u200cás", "U+200C ZERO WIDTH NON-JOINER"),
        ("given_names", "\u2066Tomás\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ],
)
def test_a_name_with_a_direction_control_or_zero_width_character_is_refused(
    app: App, team: Team, field: str, value: str, named: str
) -> None:
    message = refusal(app, team, case("BM26-00051", **{field: value}))
    assert f"patient.{field} must not contain invisible formatting characters" in message
    assert named in message


# ------------------------------------------------------------------ look-alike MRNs


@pytest.mark.parametrize(
    "lookalike",
    [
        "mrn0012345",  # case
        "MRN0O12345",  # letter O for zero
        f"{CYRILLIC_EM}RN0012345",  # Cyrillic М
        "MRNOOl2345",  # O, O and l for 0, 0 and 1
        "ＭＲＮ0012345",  # fullwidth letters
    ],
)
def test_an_mrn_that_only_looks_different_is_refused_naming_both(
    app: App, team: Team, lookalike: str
) -> None:
    app.cases.import_case(team["drpark"], case("BM26-00042"))
    message = refusal(app, team, case("BM26-00043", mrn=lookalike))
    assert message == (
        f"BM26-00043: patient.mrn {lookalike} differs from the existing MRN MRN0012345 only "
        "by case or look-alike characters; use the existing MRN, or correct the new one"
    )
    assert patients(app) == ["MRN0012345"]
    with app.context.uow(read_only=True) as uow:
        refused = [e for e in uow.audit.events() if e.action == "refused"]
    assert refused and lookalike in refused[-1].detail["reason"]


def test_different_mrns_stay_different(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], case("BM26-00042"))
    app.cases.import_case(team["drpark"], case("BM26-00043", mrn="MRN0012346"))
    app.cases.import_case(team["drpark"], case("BM26-00044", mrn="MRN-0012345"))
    assert patients(app) == ["MRN0012345", "MRN0012346", "MRN-0012345"]
    assert mrn_key("MRN0012345") != mrn_key("MRN0012346")


def test_the_editor_cannot_save_a_lookalike_mrn(app: App, team: Team) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, case("BM26-00042"))
    app.cases.import_case(dr, case("BM26-00043", mrn="MRN0077777"))
    view = app.cases.open(dr, "BM26-00043")
    edited = dict(view.record.working)
    edited["patient"] = {**edited["patient"], "mrn": "MRN00l2345"}
    with pytest.raises(InvalidCase, match="differs from the existing MRN MRN0012345"):
        app.cases.save(dr, "BM26-00043", edited, expected_row_version=view.record.row_version)
    edited["patient"] = {**edited["patient"], "mrn": "MRN0012345\u200b"}
    with pytest.raises(InvalidCase, match="U\\+200B ZERO WIDTH SPACE"):
        app.cases.save(dr, "BM26-00043", edited, expected_row_version=view.record.row_version)
    assert app.cases.open(dr, "BM26-00043").record.working["patient"]["mrn"] == "MRN0077777"


def test_an_order_with_a_lookalike_mrn_is_refused(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], case("BM26-00042"))
    for mrn in ("MRN0O12345", "MRN0012345\u200b"):
        with pytest.raises(OrderRefused) as caught:
            app.orders.import_message(
                team["tech"], order_message(mrn=mrn, family="Delgado", placer=f"P-{len(mrn)}")
            )
        assert caught.value.code == hl7v2.ERROR
        assert "patient.mrn" in str(caught.value)
    assert patients(app) == ["MRN0012345"]


# ------------------------------------------------------------------ mixed scripts


def test_mixed_script_words_are_found() -> None:
    assert mixed_script_words(f"D{CYRILLIC_E}lgado") == [f"D{CYRILLIC_E}lgado"]
    assert mixed_script_words("Delgado-Ruiz O'Brien") == []
    assert mixed_script_words("Петрова Ольга") == []
    assert mixed_script_words("Παπαδόπουλος") == []
    assert mixed_script_words("Nguyễn Thị Mai 李雪") == []
    assert mixed_script_words("Smith Петрова") == []  # two words, one script each
    assert mixed_script_words("Pаpаdopoulos") == ["Pаpаdopoulos"]  # Cyrillic а
    assert mixed_script_words("Αlex") == ["Αlex"]  # Greek capital alpha


def test_a_mixed_script_name_is_imported_with_a_review_flag(
    app: App, team: Team, tmp_path: Path
) -> None:
    spoof = f"D{CYRILLIC_E}lgado"
    path = tmp_path / "spoof.json"
    path.write_text(json.dumps(case("BM26-00061", family_name=spoof, mrn="MRN0061")), "utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", app.url, "--user", "drpark", "--password-stdin", "import", str(path)],
        stdin=io.StringIO(f"{PASSWORD}\n"),
        stdout=out,
        stderr=err,
        hasher=TEST_HASHER,
    )
    assert (code, out.getvalue()) == (0, "BM26-00061\n")
    assert err.getvalue() == (
        f'{path}: BM26-00061: advisory: Review the patient name: "{spoof}" has Latin letters '
        'with the Cyrillic letter "е" (U+0435). Check it against the hospital record; a '
        "look-alike letter makes a second patient.\n"
    )
    view = app.cases.open(team["drpark"], "BM26-00061")
    assert view.flags[0].code == "patient_name_mixed_scripts"  # shown first at sign-out
    with app.context.uow(read_only=True) as uow:
        created = [e for e in uow.audit.events() if e.action == "create"]
    assert created[-1].detail == {"source": "import", "review": ["patient_name_mixed_scripts"]}


def test_an_order_with_a_mixed_script_name_is_flagged(app: App, team: Team) -> None:
    result = app.orders.import_message(
        team["tech"], order_message(family=f"Nguy{CYRILLIC_E}n", mrn="MRN0099002")
    )
    assert result.created
    assert result.notes == ("PID-5 patient name mixes alphabets within a word: flagged for review",)
    with app.context.uow(read_only=True) as uow:
        created = [e for e in uow.audit.events() if e.action == "create"]
    assert created[-1].detail["review"] == ["patient_name_mixed_scripts"]
    ack = app.orders.receive(
        team["tech"], order_message(family=f"Nguy{CYRILLIC_E}n", placer="P-2", mrn="MRN0099002")
    )
    assert "flagged for review" in ack
