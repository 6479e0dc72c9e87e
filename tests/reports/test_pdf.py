"""The printed report, read back page by page with pypdf.

Each request is rendered once per module (rendering is the slow part) and every test
reads the extracted text of the pages it cares about.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from functools import cache

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.text import display_name
from marrowpath.domain.validation import parse_case
from marrowpath.reports import fonts
from marrowpath.reports.patient_summary import glossary, summary_blocks
from marrowpath.reports.pdf import render_report
from tests.reports import builders as b

PAGE = re.compile(r"Page (\d+) of (\d+)")


@cache
def _render(name: str) -> bytes:
    requests = {
        "final": b.final_request,
        "amended": b.amended_request,
        "amended_v1": lambda: ReportRequest(
            document=b.amended_versions()[0].content.document,
            settings=b.SETTINGS,
            versions=b.amended_versions()[:1],
        ),
        "addendum": b.addendum_request,
        "preliminary": b.preliminary_request,
        "withdrawn": b.withdrawn_request,
        "draft": b.draft_request,
        "summary": lambda: b.final_request(patient_summary=True),
        "long": b.long_request,
    }
    return render_report(requests[name]())


@cache
def pages(name: str) -> tuple[str, ...]:
    reader = PdfReader(io.BytesIO(_render(name)))
    return tuple(page.extract_text() for page in reader.pages)


def whole(name: str) -> str:
    return "\n".join(pages(name))


def flat(text: str) -> str:
    """Extracted text with line breaks folded, for phrases that may wrap."""
    return " ".join(text.split())


ALL = ("final", "amended", "addendum", "preliminary", "withdrawn", "draft", "summary")


@pytest.mark.parametrize("name", ALL)
def test_every_page_has_identifiers_and_page_x_of_y(name: str) -> None:
    texts = pages(name)
    case = b.example_case()
    patient = display_name(case.patient.family_name, case.patient.given_names)
    for number, text in enumerate(texts, start=1):
        assert patient in text, f"page {number}"
        assert "MRN0012345" in text and "BM26-00042" in text, f"page {number}"
        assert PAGE.findall(text) == [(str(number), str(len(texts)))], f"page {number}"


@pytest.mark.parametrize("name", ["final", "amended", "addendum", "withdrawn", "summary"])
def test_every_page_carries_issue_time_and_fingerprint(name: str) -> None:
    request = {
        "final": b.final_request,
        "amended": b.amended_request,
        "addendum": b.addendum_request,
        "withdrawn": b.withdrawn_request,
        "summary": b.final_request,
    }[name]()
    assert request.version is not None
    fingerprint = request.version.fingerprint()
    for text in pages(name):
        assert f"Version fingerprint: {fingerprint}" in text
        assert "Issued 20" in text and "UTC-05:00" in text


def test_first_page_names_the_laboratory_and_the_case() -> None:
    first = flat(pages("final")[0])
    for value in (b.LAB.name, b.LAB.address, b.LAB.phone, b.LAB.clia_id, b.LAB.director):
        assert value in first
    for value in (
        "DELGADO, Tomás",
        "1959-02-11",
        "67 years",
        "Male",
        "Priya Raman, MD",
        "Samuel Otieno, MD",
        "2026-11-18",
        "Posterior iliac crest, right",
        "Aspirate smear, Clot section, Core biopsy",
        "2026-11-18 15:20 UTC-05:00",  # received
        "2026-11-20 14:32 UTC-05:00",  # reported = signed_at
    ):
        assert value in first, value


def test_diagnosis_comes_first_in_full() -> None:
    text = flat(whole("final"))
    case = b.example_case()
    for line in case.diagnosis.lines:
        assert line in text
    assert text.index("FINAL DIAGNOSIS") < text.index("CLINICAL INFORMATION")
    assert "WHO-HAEM5: Myelodysplastic neoplasm with increased blasts-2" in text
    assert case.diagnosis.recommendations is not None
    assert case.diagnosis.recommendations in text


def test_derived_values_of_the_example() -> None:
    text = flat(whole("final"))
    assert "M:E ratio 1.3:1" in text
    assert "Blasts 60 12.0 0-2 H" in text
    assert "Cells counted 500 100.0" in text
    assert "80 %, hypercellular for age (expected 23-43 %)" in text
    assert "myeloid series (blasts to neutrophils, eosinophils, basophils)" in text
    assert "Ring sideroblasts 4.0 % of erythroblasts (100 erythroblasts counted)" in text
    for unit in ("g/dL", "×10⁹/L", "fL"):
        assert unit in text


def test_stains_and_pending_studies_are_listed() -> None:
    text = flat(whole("final"))
    assert "CD34 Positive 10.0 interstitial, single cells" in text
    assert "Karyotype PENDING" in text and "Molecular PENDING" in text


def test_signature_block_and_version_history() -> None:
    text = flat(whole("final"))
    assert "Electronically signed by Anna Kowalski, MD, on 2026-11-20 14:32 UTC-05:00" in text
    assert "Meaning of signature: final diagnosis." in text
    assert "VERSION HISTORY" in text
    assert "1 Final 2026-11-20 14:32 UTC-05:00 Anna Kowalski, MD" in text


def test_final_banner() -> None:
    first = pages("final")[0]
    assert "FINAL REPORT" in first
    assert "PRELIMINARY" not in whole("final") and "DRAFT" not in whole("final")


def test_preliminary_is_on_every_page() -> None:
    for text in pages("preliminary"):
        assert "PRELIMINARY" in text
    assert "a final report will follow" in flat(pages("preliminary")[0])


def test_draft_watermark_on_every_page() -> None:
    texts = pages("draft")
    assert len(texts) > 1
    for text in texts:
        assert re.search(r"^DRAFT$", text, re.MULTILINE), "watermark word on its own"
        assert "DRAFT, not issued" in text
    assert "Not signed" in texts[0]
    assert "Electronically signed" not in whole("draft")


def test_amended_banner_states_date_reason_and_what_changed() -> None:
    first = flat(pages("amended")[0])
    assert "AMENDED REPORT" in first
    assert (
        "Amended 2026-11-24 14:32 UTC-05:00 by Anna Kowalski, MD (version 2, superseding "
        "version 1)." in first
    )
    assert f"Reason: Interpretation change: {b.AMEND_REASON}" in first
    assert f"What changed Was Now Diagnosis, line 2 {b.example_case().diagnosis.lines[1]}" in first
    assert b.AMENDED_LINE in first
    assert "unchanged as originally signed" not in whole("amended")
    for text in pages("amended"):
        assert "AMENDED" in text
    history = flat(whole("amended"))
    assert (
        f"2 Amendment 2026-11-24 14:32 UTC-05:00 Anna Kowalski, MD Interpretation change: {b.AMEND_REASON}"
        in history
    )


def test_version_1_of_an_amended_case_prints_its_original_text() -> None:
    text = flat(whole("amended_v1"))
    original = b.example_case().diagnosis.lines
    assert original[1] in text
    assert b.AMENDED_LINE not in text
    assert "AMENDED" not in text and "FINAL REPORT" in text


def test_addendum_follows_the_unchanged_original() -> None:
    text = flat(whole("addendum"))
    first = flat(pages("addendum")[0])
    assert "FINAL REPORT WITH ADDENDUM" in first
    assert (
        f"Addendum issued 2026-11-27 14:32 UTC-05:00 by Anna Kowalski, MD (version 2): "
        f"{b.ADDENDUM_TEXT}" in first
    )
    assert b.ADDENDUM_TEXT in text
    for line in b.example_case().diagnosis.lines:
        assert line in text
    assert text.index("ADDENDUM 1") > text.index("ANCILLARY STUDIES")
    assert "Meaning of signature: addendum; earlier text unchanged." in text


def test_withdrawn_report_says_so_with_the_reason() -> None:
    first = flat(pages("withdrawn")[0])
    assert "WITHDRAWN - ENTERED IN ERROR" in first
    assert f"Reason: {b.WITHDRAW_REASON}" in first
    assert "Do not use this report." in first
    for text in pages("withdrawn"):
        assert "WITHDRAWN" in text


@pytest.mark.parametrize(
    ("family", "given"),
    [
        ("Łukasiewicz-Nguyễn", "Zoë"),
        ("Петрова", "Ольга"),
        ("Παπαδοπούλου", "Ελένη"),
        ("李", "雪"),
    ],
    ids=["latin", "cyrillic", "greek", "cjk"],
)
def test_names_in_any_script_print_and_extract_intact(family: str, given: str) -> None:
    data = b.example_data()
    data["patient"].update(family_name=family, given_names=given)
    data["copy_to"] = [{"name": f"{given} {family}, MD"}]
    document = parse_case(data, today=b.TODAY)
    reader = PdfReader(io.BytesIO(render_report(b.final_request(document))))
    name = display_name(family, given)
    for page in reader.pages:
        assert name in page.extract_text()  # footer, drawn on the canvas in runs
    assert f"{given} {family}, MD" in reader.pages[0].extract_text()  # paragraph text
    # Every character is set in a bundled font that has its glyph: no boxes, no "?".
    for text in (name, f"{given} {family}, MD"):
        for font_name, chunk in fonts.runs(text):
            for char in chunk.replace(" ", ""):
                assert ord(char) in fonts._font(font_name).face.charToGlyph, (char, font_name)
    embedded = _font_names(reader)
    assert any("WenQuanYi" in f for f in embedded) == (family == "李")
    assert all("DejaVu" in f or "WenQuanYi" in f for f in embedded), embedded


def _font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        page_fonts = resources.get("/Font", DictionaryObject()).get_object()
        assert isinstance(page_fonts, DictionaryObject)
        for font in page_fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_user_text_prints_as_typed() -> None:
    tricky = "Blasts <5% & CD34 <b"
    data = b.example_data()
    data["diagnosis"]["lines"] = [tricky, "Tag-like <font name='x'>text</font> & &amp;"]
    data["diagnosis"]["comment"] = "Line one\nLine <i>two</i>"
    document = parse_case(data, today=b.TODAY)
    text = flat(
        "\n".join(
            p.extract_text()
            for p in PdfReader(io.BytesIO(render_report(b.final_request(document)))).pages
        )
    )
    assert tricky in text
    assert "Tag-like <font name='x'>text</font> & &amp;" in text
    assert "Line <i>two</i>" in text


def test_long_content_flows_over_pages_with_footer_everywhere() -> None:
    texts = pages("long")
    total = len(texts)
    assert total >= 6
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text
        assert "MRN0012345" in text
    text = flat(whole("long"))
    for i in (1, 30, 60):
        assert f"Comment line {i}:" in text
    for i in range(1, 41):
        assert f"Marker-{i:02d}" in text
    for i in range(1, 11):
        assert f"Addendum {i}, paragraph 4: supplementary result received and reviewed." in text
    # The stains table spans pages and repeats its header row on each.
    stain_pages = [t for t in texts if "Marker-" in t]
    assert len(stain_pages) >= 2
    assert all("Positive (%)" in flat(t) for t in stain_pages)


def test_signature_is_never_alone_on_a_page() -> None:
    """The signature stays with the end of the diagnosis section it signs."""
    for text in pages("long"):
        if "Electronically signed by Anna Kowalski, MD, on 2026-11-20" in text:
            assert "Comment line 60:" in text or "Recommendations" in text


def test_patient_summary_starts_on_a_new_page_with_question_headings() -> None:
    texts = pages("summary")
    start = next(i for i, t in enumerate(texts) if "Your bone marrow test: a summary for you" in t)
    assert "END OF REPORT" in flat(texts[start - 1]).upper()
    assert "VERSION HISTORY" not in texts[start]
    summary = flat("\n".join(texts[start:]))
    for question in (
        "What was done?",
        "What did the tests find?",
        "What do these words mean?",
        "When should I call my care team?",
    ):
        assert question in summary
    assert (
        "Blasts, very young blood cells: 12 out of every 100 cells; usually 2 or fewer." in summary
    )
    assert "M:E ratio" in summary and "1.3 to 1; usually 2 to 4 to 1" in summary
    assert "80 out of 100 parts; usually 23 to 43 at your age" in summary
    plain_language = b.example_case().diagnosis.plain_language
    assert plain_language is not None and plain_language in summary
    assert "Aspiration:" in summary and "Core biopsy:" in summary
    assert "Redness that spreads" in summary and "A fever" in summary
    assert "talk with your care team about these results" in summary


def test_glossary_lists_only_terms_in_the_report() -> None:
    terms = [term for term, _ in glossary(b.final_request())]
    assert "Blasts" in terms and "M:E ratio" in terms and "Fibrosis (MF-0 to MF-3)" in terms
    assert any("Flow cytometry" in t and "FISH" not in t for t in terms)
    assert "Final" in terms and not any("Amended" in t for t in terms)
    data = b.example_data()
    del data["aspirate"]
    data["diagnosis"]["lines"] = ["Normocellular marrow with trilineage hematopoiesis."]
    data["diagnosis"].pop("plain_language")
    data["diagnosis"].pop("comment")
    data.pop("ancillary")
    core_only = b.final_request(parse_case(data, today=b.TODAY))
    terms = [term for term, _ in glossary(core_only)]
    for absent in ("Aspirate", "M:E ratio", "Dysplasia", "Ring sideroblasts", "Iron stores"):
        assert absent not in terms
    assert "Biopsy (core or trephine)" in terms and "Cellularity" in terms
    assert not any("cytometry" in t for t in terms)
    amended_terms = [term for term, _ in glossary(b.amended_request())]
    assert "Final / Amended" in amended_terms


def test_same_input_gives_identical_bytes_and_fixed_metadata() -> None:
    first = render_report(b.amended_request(patient_summary=True))
    second = render_report(b.amended_request(patient_summary=True))
    assert first == second
    meta = PdfReader(io.BytesIO(first)).metadata
    assert meta is not None
    assert meta.title == "Bone marrow pathology report BM26-00042"
    assert meta.author == b.LAB.name
    assert "Amended report" in (meta.subject or "")
    assert str(meta["/CreationDate"]) == "D:20261124143200-05'00'"


def test_a4_paper_when_the_lab_chooses_it() -> None:
    settings = LabSettings(identity=b.LAB, paper="a4")
    reader = PdfReader(io.BytesIO(render_report(b.final_request(settings=settings))))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    letter = PdfReader(io.BytesIO(_render("final"))).pages[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)


def test_preliminary_then_final_history_lists_both() -> None:
    document = b.example_case()
    v1 = b.version(1, VersionKind.PRELIMINARY, document)
    v2 = b.version(2, VersionKind.FINAL, document, signed_at=b.SIGNED_AT + timedelta(days=1))
    request = ReportRequest(document=document, settings=b.SETTINGS, versions=(v1, v2))
    text = flat(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_report(request))).pages)
    )
    assert "1 Preliminary 2026-11-20" in text and "2 Final 2026-11-21" in text
    assert "PRELIMINARY REPORT" not in text


def _syllables(word: str) -> int:
    word = re.sub(r"[^a-z]", "", word.lower())
    groups = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith("le") and groups > 1:
        groups -= 1
    return max(1, groups)


def test_patient_summary_reads_at_about_grade_8() -> None:
    """Flesch-Kincaid grade of our own wording (the pathologist's quotes are theirs)."""
    blocks = summary_blocks(b.final_request(patient_summary=True))
    text = " ".join(
        block.text if block.kind != "term" else block.detail
        for block in blocks
        if block.kind in ("text", "bullet", "term")
    )
    sentences = [s for s in re.split(r"[.!?:;]+\s", text) if s.strip()]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    grade = (
        0.39 * len(words) / len(sentences)
        + 11.8 * sum(_syllables(w) for w in words) / len(words)
        - 15.59
    )
    assert grade <= 8.0, grade
