"""The classification pick-lists (`bench.md` section 2): the packaged file's content and
sources, and the search by any words in any order, folded."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from marrowpath.domain.classifications import (
    FAMILIES,
    PickListError,
    parse_pick_list,
    pick_list,
    search,
    words_of,
)
from marrowpath.domain.enums import ClassificationSystem

WHO, ICC = ClassificationSystem.WHO_HAEM5, ClassificationSystem.ICC_2022


def terms(query: str, **options: object) -> list[tuple[str, str, str | None]]:
    return [(t.system.value, t.term, t.code) for t in search(pick_list(), query, **options)]  # type: ignore[arg-type]


def test_the_packaged_list_covers_every_family_of_both_systems_and_names_its_sources() -> None:
    listed = pick_list()
    per_family = Counter((t.system, t.family) for t in listed.terms)
    for system in (WHO, ICC):
        for family in FAMILIES:
            assert per_family[system, family] >= 5, (system, family)
    assert len(listed.terms) >= 200
    sources = " ".join(listed.sources)
    assert "WHO Classification of Tumours" in sources and "International Consensus" in sources
    assert "ICD-O-3" in sources
    assert "no code is ever invented" in listed.codes_note
    # no term is listed twice within a system
    seen = Counter((t.system, t.term) for t in listed.terms)
    assert [key for key, count in seen.items() if count > 1] == []


@pytest.mark.parametrize(
    ("system", "term", "code"),
    [
        (WHO, "Acute myeloid leukaemia with NPM1 mutation", "9877/3"),
        (WHO, "Acute promyelocytic leukaemia with PML::RARA fusion", "9866/3"),
        (WHO, "Myelodysplastic neoplasm with low blasts and isolated 5q deletion", "9986/3"),
        (WHO, "Chronic myelomonocytic leukaemia", "9945/3"),
        (WHO, "Plasma cell myeloma", "9732/3"),
        (WHO, "Histiocytic sarcoma", "9755/3"),
        # its behaviour code differs between ICD-O-3 revisions: left empty, not guessed
        (ICC, "Langerhans cell histiocytosis", None),
        (WHO, "Mast cell leukaemia", "9742/3"),
        (ICC, "Acute myeloid leukemia with mutated NPM1", "9877/3"),
        (ICC, "Chronic lymphocytic leukemia/small lymphocytic lymphoma", "9823/3"),
        (ICC, "Non-IgM monoclonal gammopathy of undetermined significance", "9765/1"),
        # an entity whose code could not be confirmed is listed without one
        (WHO, "Myelodysplastic neoplasm with low blasts", None),
    ],
)
def test_well_known_entities_carry_their_icd_o_3_codes(
    system: ClassificationSystem, term: str, code: str | None
) -> None:
    [found] = [t for t in pick_list().terms if t.system == system and t.term == term]
    assert found.code == code


def test_any_words_in_any_order_find_the_term_folded() -> None:
    npm1 = [
        ("WHO-HAEM5", "Acute myeloid leukaemia with NPM1 mutation", "9877/3"),
        ("ICC-2022", "Acute myeloid leukemia with mutated NPM1", "9877/3"),
    ]
    assert terms("npm1 aml") == npm1
    assert terms("AML NPM1") == npm1
    assert terms("acute my npm") == npm1
    assert terms("leukemia npm1") == terms("LEUKÆMIA npm1") == terms("leukaemia npm1") == npm1
    assert terms("9877") == npm1
    assert terms("icc npm1") == npm1[1:]
    assert terms("npm1", system=ICC) == npm1[1:]
    assert terms("pml::rara")[0][2] == "9866/3"
    assert terms("apl") == terms("PML RARA")


def test_words_begin_words_and_the_entity_comes_before_its_subtypes() -> None:
    assert terms("lymphoma npm1") == []
    assert terms("yeloid npm1") == []  # a word matches from its start
    assert terms("mds low blasts", system=WHO)[0][1] == "Myelodysplastic neoplasm with low blasts"
    assert len(terms("", system=ICC)) == sum(1 for t in pick_list().terms if t.system == ICC)
    assert len(terms("leukemia", limit=3)) == 3


def test_words_of_folds_case_accents_spelling_and_splits_punctuation() -> None:
    assert words_of("Waldenström macroglobulinaemia") == ["waldenstrom", "macroglobulinemia"]
    assert words_of("t(15;17)/PML::RARA 9866/3") == ["t", "15", "17", "pml", "rara", "9866", "3"]


def test_a_malformed_file_is_refused_naming_the_entry() -> None:
    good = {"format": "marrowpath.classifications/1", "sources": ["x"], "terms": []}
    entry = {"system": "WHO-HAEM5", "family": "myeloid", "term": "X", "code": "98773"}
    with pytest.raises(PickListError, match=r"terms\[1\] 'X': code '98773' is not an ICD-O-3"):
        parse_pick_list(json.dumps({**good, "terms": [entry]}))
    with pytest.raises(PickListError, match="unknown system 'WHO-4'"):
        parse_pick_list(json.dumps({**good, "terms": [{**entry, "system": "WHO-4"}]}))
    with pytest.raises(PickListError, match="family must be one of"):
        parse_pick_list(json.dumps({**good, "terms": [{**entry, "code": "", "family": "x"}]}))
