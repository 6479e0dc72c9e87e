"""Latin spellings of names and the layout of the search key (`domain/search_key.py`)."""

from __future__ import annotations

import pytest

from marrowpath.domain.latin import latin
from marrowpath.domain.search_key import WORD_START, name_words, needles, search_key
from marrowpath.domain.text import fold, search_words


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("Петрова", "petrova"),
        ("Щербаков", "shcherbakov"),
        # Greek digraphs as on Greek passports (ELOT 743)
        ("ΠΑΠΑΔΟΠΟΥΛΟΣ", "papadopoulos"),
        ("Παπαδόπουλος", "papadopoulos"),
        ("Γεωργίου", "georgiou"),
        ("Ευάγγελος", "evangelos"),  # ευ before a voiced sound, γγ
        ("Ελευθερίου", "eleftheriou"),  # ευ before θ
        ("Αύρα", "avra"),
        ("Μπαλτάς", "baltas"),  # μπ and ντ at the start of a word
        ("Ντίνος", "dinos"),
        ("Λαμπράκης", "lamprakis"),  # μπ inside a word
        ("Ταΰγετος", "taygetos"),  # a diaeresis keeps the vowels apart
        # Chinese: pinyin without tones
        ("李雪", "lixue"),
        ("小明", "xiaoming"),
        # Latin names are left as they are
        ("Nguyễn Thị Hương", "nguyen thi huong"),
        ("Łukasiewicz", "lukasiewicz"),
    ],
)
def test_latin_spelling(name: str, spelled: str) -> None:
    assert fold(latin(name)) == spelled


def test_name_words_whole_and_in_parts() -> None:
    assert name_words("Jean-Pierre O'Brien") == [
        "jeanpierre",
        "jean",
        "pierre",
        "obrien",
        "o",
        "brien",
    ]
    assert name_words("DELGADO, Tomás") == ["delgado", "tomas"]


def test_the_key_marks_identifiers_and_names_in_both_spellings() -> None:
    key = search_key(
        identifiers=["BM26-00012", "MRN 77"],
        names=["李", "小明", "李小明"],
        text=["BM26-00012", "MRN 77", "Aplastic anemia"],
    )
    marked, _bar, rest = key.partition(" | ")
    assert marked.split(" ") == [
        WORD_START + word
        for word in (
            "bm2600012",
            "mrn",
            "77",
            "李",
            "li",
            "小明",
            "xiaoming",
            "xiao",
            "ming",
            "李小明",
            "lixiaoming",
        )
    ]
    assert rest == "bm2600012 | mrn 77 | aplastic anemia"


def test_short_words_look_for_the_start_of_a_marked_word() -> None:
    assert needles(["li", "x", "xue", "leukemia"]) == [
        WORD_START + "li",
        WORD_START + "x",
        "xue",
        "leukemia",
    ]


def test_a_query_can_never_hold_the_mark() -> None:
    assert search_words(f"{WORD_START}li") == ["li"]
    assert search_words("bm26- o’brien") == ["bm26", "obrien"]
