"""Plain words for the medical words of the diagnosis lines the patient summary quotes.

The summary quotes the signed diagnosis word for word ("Hypocellular marrow (20%) with
trilineage hematopoiesis"), so a patient meets words no one has explained. Each entry
here names a word as the pathologist writes it, the pattern that finds it in a quoted
line, and what it means in short sentences (the summary is measured at grade 8 or
below, `tests/reports/test_patient_summary.py`). Only the words a report quotes are
printed, after the terms of the report's own values.

A word is explained even where the line negates it ("no evidence of lymphoma"): the
patient still reads the word and may want to know what was looked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PlainWord:
    """One glossary entry: the term as printed, where it is found, what it means."""

    term: str
    pattern: re.Pattern[str]
    meaning: str


def _word(term: str, pattern: str, meaning: str) -> PlainWord:
    return PlainWord(term, re.compile(pattern, re.IGNORECASE), meaning)


# In the order a reader meets them: how full the marrow is, how it makes blood, what
# may be wrong with it, and how it was tested.
DIAGNOSIS_WORDS: tuple[PlainWord, ...] = (
    _word(
        "Hypercellular",
        r"\bhypercellular",
        "The marrow has more cells that make blood than is usual at your age.",
    ),
    _word(
        "Normocellular",
        r"\bnormocellular",
        "The marrow has about the usual amount of cells that make blood at your age.",
    ),
    _word(
        "Hypocellular",
        r"\bhypocellular",
        "The marrow has fewer cells that make blood than is usual at your age.",
    ),
    _word(
        "Hematopoiesis",
        r"hematopoie",
        "The way the marrow makes new blood cells.",
    ),
    _word(
        "Trilineage",
        r"\btrilineage",
        "All three kinds of blood cells: red cells, white cells and platelets.",
    ),
    _word(
        "Engraftment",
        r"\bengraft",
        "The donor's cells have settled in your marrow and now make blood.",
    ),
    _word("Hyperplasia", r"hyperplasia", "More cells of one kind are made than usual."),
    _word("Hypoplasia", r"hypoplasia", "Fewer cells of one kind are made than usual."),
    _word("Multilineage", r"\bmultilineage", "Seen in more than one kind of blood cell."),
    _word("Erythroid", r"\berythroid", "The young cells that grow into red blood cells."),
    _word(
        "Granulocytic",
        r"\bgranulocyt",
        "The young cells that grow into the white cells that fight germs.",
    ),
    _word(
        "Myeloid",
        r"\bmyeloid",
        "The cells that grow into red cells, platelets and most white cells.",
    ),
    _word("Monocytic", r"\bmonocytic", "Like monocytes, a kind of white cell."),
    _word(
        "Neoplasm",
        r"neoplas",
        "A growth of cells that keep on making copies of themselves when they should "
        "not. It can be a cancer.",
    ),
    _word(
        "Myelodysplastic neoplasm (MDS)",
        r"myelodysplas|\bMDS\b",
        "A cancer of the marrow. The marrow makes blood cells that do not grow up the "
        "right way, so the blood has too few healthy cells.",
    ),
    _word(
        "Leukemia",
        r"leukemia",
        "A cancer of the cells that make blood. The sick cells crowd out healthy ones. "
        "Acute leukemia grows fast; chronic leukemia grows slowly.",
    ),
    _word(
        "Lymphoma",
        r"lymphoma",
        "A cancer of lymphocytes, the white cells that help fight germs.",
    ),
    _word("Myeloma", r"myeloma", "A cancer of plasma cells."),
    _word(
        "Myelofibrosis",
        r"myelofibrosis",
        "A marrow disease in which scar-like fibers build up, so the marrow makes fewer "
        "blood cells.",
    ),
    _word(
        "Aplastic anemia",
        r"aplastic",
        "The marrow makes too few blood cells of every kind. It is not a cancer.",
    ),
    _word(
        "Metastatic carcinoma",
        r"metasta|carcinoma",
        "Cancer cells that have spread to the marrow from another part of the body.",
    ),
    _word(
        "Infiltrate",
        r"infiltrat|\binvolv",
        "Cells that have moved into the marrow and do not belong there.",
    ),
    _word(
        "Reticulin and collagen",
        r"reticulin|collagen",
        "Fibers in the marrow. A few thin ones are normal. More of them, or thick ones, "
        "mean scarring.",
    ),
    _word(
        "Osteosclerosis",
        r"osteosclero",
        "The bone around the marrow has grown thick and hard.",
    ),
    _word(
        "Residual",
        r"\bresidual\b(?! disease)",
        "Left over. After treatment, it means the disease that is still there.",
    ),
    _word(
        "Measurable residual disease",
        r"residual disease",
        "A very small number of sick cells left after treatment. Only very fine tests "
        "can find them.",
    ),
    _word(
        "Remission",
        r"remission|molecular response",
        "The disease is held back by treatment. Tests find little or none of it.",
    ),
    _word(
        "Light chain (kappa, lambda)",
        r"light chain|\bkappa|\blambda",
        "Plasma cells make parts of antibodies called kappa and lambda. When nearly all "
        "of them make the same one, the cells likely came from one sick cell.",
    ),
    _word(
        "Mutation",
        r"mutation",
        "A change in a gene inside the cells.",
    ),
    _word(
        "Gene names (such as NPM1 or BCR::ABL1)",
        r"::|\b(NPM1|FLT3|TP53|SF3B1|JAK2|CALR|MPL|CEBPA|RUNX1|KMT2A|IDH1|IDH2)\b",
        "Names of genes. A change in one of them helps name the disease and choose the treatment.",
    ),
    _word(
        "Cytogenetic (chromosome) changes",
        r"chromosom|deletion|monosomy|trisomy",
        "Genes are kept in packages called chromosomes. A lost, extra or broken "
        "chromosome can help name the disease.",
    ),
    _word(
        "Morphologic",
        r"morpholog",
        "About how the cells look under the microscope.",
    ),
    _word(
        "Immunohistochemistry",
        r"immunohistochem",
        "A stain that colors the cells that carry one marker, so they can be seen and counted.",
    ),
    _word(
        "Immunophenotype",
        r"immunophenotyp",
        "The set of markers a cell carries. It shows what kind of cell it is.",
    ),
    _word(
        "CD34, CD138 and other CD names",
        r"\bCD\d+",
        "Names of markers on cells. CD34 marks blasts. CD138 marks plasma cells.",
    ),
    _word(
        "Iron deficiency",
        r"iron deficiency",
        "Too little iron in the body. The marrow needs iron to make red cells.",
    ),
    _word(
        "Thrombocytopenia",
        r"thrombocytopeni",
        "Too few platelets in the blood.",
    ),
    _word(
        "Stromal reaction",
        r"stroma",
        "Scar-like tissue that grows around cancer cells.",
    ),
)


def words_in(text: str) -> list[PlainWord]:
    """The entries whose word appears in the text, in the order of `DIAGNOSIS_WORDS`."""
    return [entry for entry in DIAGNOSIS_WORDS if entry.pattern.search(text)]
