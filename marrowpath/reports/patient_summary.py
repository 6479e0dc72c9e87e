"""Plain-language pages for the patient, appended to the report on request.

Short sentences at about an 8th-grade reading level, headings as questions. The pages
repeat only what the report says: the signed diagnosis lines, the pathologist's own
`plain_language` text, measured values beside their usual ranges, and definitions of
the terms this report uses. They never add an interpretation the pathologist did not
sign. The wording is built as plain text first (`summary_blocks`), so it can be read
and tested without a PDF, then set in type by `patient_summary_story`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from reportlab.platypus import Flowable, KeepTogether, Paragraph

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    blast_equivalents_differ,
    blast_equivalents_percent,
    blasts_percent,
    case_age,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import (
    AncillaryKind,
    AncillaryStatus,
    AspirateQuality,
    FibrosisGrade,
    Laterality,
    Site,
)
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.redline import patient_sentence
from marrowpath.domain.reference_intervals import ReferenceInterval
from marrowpath.domain.reporting import ReportRequest, ReportState
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, shown
from marrowpath.domain.wording import long_date
from marrowpath.reports.context import SectionContext
from marrowpath.reports.flowables import para
from marrowpath.reports.fonts import markup
from marrowpath.reports.formatting import plain_number
from marrowpath.reports.plain_words import words_in
from marrowpath.reports.status import amendments, version_changes

BlockKind = Literal["title", "heading", "text", "bullet", "quote", "term"]

TITLE = "Your bone marrow test: a summary for you"
# A title above the usual one for states a patient must not mistake for the final word.
STATE_TITLES = {
    ReportState.DRAFT: "Draft - not yet signed",
    ReportState.PRELIMINARY: "Preliminary - results may change",
    ReportState.SUPERSEDED: "Replaced by a newer report",
}
WHAT_WAS_DONE = "What was done?"
WHAT_WAS_FOUND = "What did the tests find?"
WORDS = "What do these words mean?"
CARE = "How do I care for the biopsy site?"
WHEN_TO_CALL = "When should I call my care team?"

SITE_WORDS = {
    Site.POSTERIOR_ILIAC_CREST: "the back of your hip bone",
    Site.ANTERIOR_ILIAC_CREST: "the front of your hip bone",
    Site.STERNUM: "your breastbone",
    Site.TIBIA: "your shin bone",
    Site.OTHER: "a bone",
}
SIDE_WORDS = {
    Laterality.LEFT: ", on the left side",
    Laterality.RIGHT: ", on the right side",
    Laterality.BILATERAL: ", on both sides",
}

# bone-marrow-reporting.md section 6 wording, in US spelling. Keys are the terms printed.
GLOSSARY: dict[str, str] = {
    "Bone marrow": 'The soft "factory" inside large bones (usually the back of the hip) '
    "that makes red cells, white cells and platelets.",
    "Aspirate": "A small amount of liquid marrow used to look at individual cells and "
    "for special tests.",
    "Biopsy (core or trephine)": "A thin cylinder of bone and marrow that shows how the "
    "factory is laid out.",
    "Cellularity": "How much of the marrow space is busy making blood cells rather than "
    "fat. The normal amount falls with age: roughly half in middle age, less in older "
    'people. "Hypercellular" means busier than expected for your age; "hypocellular" '
    "means less busy.",
    "Blasts": "Very young blood cells. Healthy marrow has only a few. Higher numbers can "
    "signal MDS or leukemia, and the exact percentage helps name the disease.",
    "Blast equivalents": "Young cells that are counted together with blasts because they "
    "mean the same thing: promonocytes and, in one kind of leukemia, abnormal "
    "promyelocytes.",
    "M:E ratio": "Compares cells that become white cells (M) with cells that become red "
    "cells (E). Shifts can reflect infection, bleeding, anemia treatment or marrow "
    "disease.",
    "Dysplasia": "Cells that look misshapen while developing. Counts only when about 1 in "
    "10 or more of a cell line is affected.",
    "Ring sideroblasts": "Young red cells with a ring of iron around the nucleus, seen "
    "with a special iron stain. Linked to certain MDS types.",
    "Iron stores": "How much iron is kept in reserve in the marrow (absent, low, normal or high).",
    "Fibrosis (MF-0 to MF-3)": "Scar-like fibers in the marrow. MF-0 is normal, MF-3 is "
    "heavy scarring; more fibers make it harder for the marrow to work.",
    "Megakaryocytes": "Large cells that make platelets.",
    "Plasma cells": "Antibody-making cells. Normally only a few percent; 10% or more that "
    "are all the same type suggests myeloma.",
}
# Section 6 defines these tests in one row; only the ones in this report are named.
TEST_WORDS: dict[AncillaryKind, tuple[str, str]] = {
    AncillaryKind.FLOW_CYTOMETRY: ("Flow cytometry", "cell surface markers"),
    AncillaryKind.KARYOTYPE: ("Cytogenetics (karyotype)", "chromosomes"),
    AncillaryKind.FISH: ("FISH", "specific gene changes"),
    AncillaryKind.MOLECULAR: ("NGS (molecular testing)", "DNA mutations"),
}
STATUS_WORDS: dict[VersionKind, tuple[str, str]] = {
    VersionKind.PRELIMINARY: ("Preliminary", "first look"),
    VersionKind.FINAL: ("Final", "complete signed report"),
    VersionKind.ADDENDUM: ("Addendum", "extra results added later"),
    VersionKind.AMENDMENT: ("Amended", "a correction to a report already issued"),
}
# Aftercare of a bone marrow biopsy site and when to call (issue 12, item 8).
CARE_STEPS = (
    "Keep the site covered and dry for 24 hours.",
    "Do not take a bath, swim or use a hot tub until the site has healed.",
    "If the site bleeds, press on it firmly with a clean cloth or gauze.",
)
CALL_REASONS = (
    "Bleeding that does not stop when you press on the site",
    "Swelling at the site",
    "Redness that spreads",
    "A fever of 38.0 °C / 100.4 °F or more",
    "Pain that gets worse",
)
# Ancillary tests named in the quoted lines are explained even without a study entry.
TEST_PATTERNS: dict[AncillaryKind, re.Pattern[str]] = {
    AncillaryKind.FLOW_CYTOMETRY: re.compile(r"flow cytometry", re.IGNORECASE),
    AncillaryKind.KARYOTYPE: re.compile(r"cytogenetic|karyotyp", re.IGNORECASE),
    AncillaryKind.FISH: re.compile(r"\bFISH\b"),
    AncillaryKind.MOLECULAR: re.compile(r"molecular|sequencing|\bNGS\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class SummaryBlock:
    """One piece of the summary: a heading, a sentence, a bullet, or a glossary term."""

    kind: BlockKind
    text: str
    detail: str = ""


def summary_blocks(request: ReportRequest) -> list[SummaryBlock]:
    """The whole patient summary as plain text blocks, in reading order."""
    case = request.document
    blocks: list[SummaryBlock] = []
    state_title = STATE_TITLES.get(request.state)
    if state_title:
        blocks.append(SummaryBlock("title", state_title))
    blocks.append(SummaryBlock("title", TITLE))
    blocks += _opening(request)
    blocks.append(
        SummaryBlock(
            "text",
            "This summary explains your report in everyday words. "
            "It does not replace talking with your care team.",
        )
    )
    blocks += _what_was_done(case)
    blocks += _what_was_found(request)
    blocks.append(SummaryBlock("heading", WORDS))
    blocks += [SummaryBlock("term", term, text) for term, text in glossary(request)]
    blocks += _aftercare()
    blocks += _when_to_call(request.settings)
    return blocks


def _long_date(value: date) -> str:
    return long_date(value)


def _opening(request: ReportRequest) -> list[SummaryBlock]:
    """One plain sentence on what this version is: replaced by a newer one, or what an
    amendment changed (with the labels of the changes table)."""
    if request.state is ReportState.SUPERSEDED and request.current is not None:
        current = request.current
        return [
            SummaryBlock(
                "text",
                f"This is an older version of your report. It was replaced by a newer "
                f"version on {_long_date(current.content.signed_at.date())}. Please ask your "
                "care team for the current report and do not use this one.",
            )
        ]
    done = amendments(request.versions)
    if not done:
        return []
    latest = done[-1]
    rows = version_changes(request.versions, latest)
    when = latest.content.signed_at.date()
    return [SummaryBlock("text", patient_sentence(rows, when, latest.content.reason_category))]


def _what_was_done(case: CaseDocument) -> list[SummaryBlock]:
    procedure = case.procedure
    place = SITE_WORDS[procedure.site] + SIDE_WORDS.get(procedure.laterality, "")
    blocks = [
        SummaryBlock("heading", WHAT_WAS_DONE),
        SummaryBlock(
            "text",
            f"On {_long_date(procedure.date)}, your care team took samples of your bone "
            f"marrow from {place}.",
        ),
    ]
    aspirate = case.aspirate
    if aspirate is not None and aspirate.quality is AspirateQuality.DRY_TAP:
        blocks.append(
            SummaryBlock(
                "bullet",
                "Aspiration: a needle was used to try to draw out liquid marrow, but none "
                'came out. This is called a "dry tap."',
            )
        )
    elif aspirate is not None:
        blocks.append(
            SummaryBlock("bullet", "Aspiration: a needle drew out a small amount of liquid marrow.")
        )
    if case.core is not None:
        blocks.append(
            SummaryBlock(
                "bullet", "Core biopsy: a thin piece of bone with marrow inside was taken out."
            )
        )
    blocks.append(
        SummaryBlock(
            "text",
            "A pathologist looked at the samples under a microscope. "
            "A pathologist is a doctor who studies cells and tissue.",
        )
    )
    return blocks


def _what_was_found(request: ReportRequest) -> list[SummaryBlock]:
    case = request.document
    blocks = [SummaryBlock("heading", WHAT_WAS_FOUND)]
    blocks += _status_sentences(request)
    blocks.append(SummaryBlock("text", _diagnosis_intro(request.status)))
    blocks += [SummaryBlock("quote", line) for line in case.diagnosis.lines]
    if case.diagnosis.plain_language:
        blocks.append(SummaryBlock("text", "The pathologist wrote this explanation for you:"))
        blocks.append(SummaryBlock("quote", case.diagnosis.plain_language))
    values = measured_values(case, request.settings)
    if values:
        blocks.append(SummaryBlock("text", "These are some of the values measured in your marrow:"))
        blocks += [SummaryBlock("bullet", value) for value in values]
    pending = [
        TEST_WORDS.get(study.kind, ("Another test", ""))[0]
        for study in case.ancillary or []
        if study.status is AncillaryStatus.PENDING
    ]
    if pending:
        blocks.append(
            SummaryBlock(
                "text",
                f"Some tests are not finished yet: {', '.join(pending)}. "
                "Their results will come later, often as an addendum to this report.",
            )
        )
    return blocks


def _diagnosis_intro(status: Status) -> str:
    """A draft is not signed: it never says "the pathologist signed"."""
    if status is Status.DRAFT:
        return "This is the diagnosis in the draft. The pathologist has not signed it yet:"
    if status is Status.PRELIMINARY:
        return "This is the preliminary diagnosis the pathologist signed. It may change:"
    return "This is the diagnosis the pathologist signed:"


def _status_sentences(request: ReportRequest) -> list[SummaryBlock]:
    status = request.status
    sentence = {
        Status.DRAFT: "This is a draft. It has not been signed. It is not your report yet.",
        Status.PRELIMINARY: "This is a preliminary report. A final report will follow. "
        "Results may change.",
        Status.AMENDED: "This report was corrected after it was first issued. "
        "It is an amended report.",
        Status.APPENDED: "More results were added to this report later, in an addendum.",
        Status.ENTERED_IN_ERROR: "This report was withdrawn. Please do not use it. "
        "Your care team will talk with you about it.",
    }.get(status)
    return [SummaryBlock("text", sentence)] if sentence else []


def measured_values(case: CaseDocument, settings: LabSettings) -> list[str]:
    """Neutral sentences: the value as reported and its usual range, nothing more.

    Usual ranges come from the same interval set the report marks H and L with (the
    lab's set for the patient's age group); without one no range is claimed. Values are
    shown as the report shows them, never rounded onto a threshold.
    """
    values: list[str] = []
    intervals = settings.marrow_intervals(case_age(case))
    blasts = blasts_percent(case)
    if blasts is not None:
        values.append(
            f"Blasts, very young blood cells: {plain_number(blasts.value)} out of every "
            f"100 cells{_usual(intervals, 'blasts')}."
        )
    if blasts is not None and blasts.count is not None and blast_equivalents_differ(case):
        equivalents = blast_equivalents_percent(case)
        if equivalents is not None:
            values.append(
                "Blasts and the cells counted with them (blast equivalents): "
                f"{plain_number(equivalents.value)} out of every 100 cells."
            )
    plasma = plasma_cells_percent(case)
    if plasma is not None:
        values.append(
            f"Plasma cells, cells that make antibodies: {plain_number(plasma.value)} out of "
            f"every 100 cells{_usual(intervals, 'plasma_cells')}."
        )
    cellularity = case_cellularity(case, settings)
    if cellularity is not None and cellularity.verdict is not None:
        values.append(
            "Cellularity, how much of the marrow space makes blood cells: "
            f"{cellularity.percent} out of 100 parts; usually {cellularity.lower} to "
            f"{cellularity.upper} at your age."
        )
    differential = case.aspirate.differential if case.aspirate else None
    if differential is not None:
        summary = summarise_differential(differential, settings, age=case_age(case))
        if summary.me_ratio is not None:
            interval = intervals.get("me_ratio") if intervals else None
            usual = f"; usually {interval.low:g} to {interval.high:g} to 1" if interval else ""
            values.append(
                "M:E ratio, cells that become white cells compared with cells that become "
                f"red cells: {plain_number(summary.me_ratio)} to 1{usual}."
            )
    core = case.core
    if core is not None and core.fibrosis_grade is not FibrosisGrade.NOT_ASSESSED:
        values.append(
            f"Fibrosis, scar-like fibers: grade {core.fibrosis_grade.value}. "
            "Grades go from MF-0 (normal) to MF-3 (heavy scarring)."
        )
    iron = case.aspirate.iron if case.aspirate else None
    if iron is not None and iron.storage_grade is not None:
        values.append(
            f"Iron stores: grade {iron.storage_grade} on a scale from 0 (none) to 6 (very "
            "high); 1 to 3 is usual."
        )
    ring_pct = iron.percent() if iron is not None else None
    if ring_pct is not None:
        ring = shown(ring_pct, DISPLAY_THRESHOLDS["ring_sideroblasts"])
        values.append(
            "Ring sideroblasts, young red cells with a ring of iron: "
            f"{plain_number(ring)} out of every 100 young red cells."
        )
    return values


def _usual(intervals: dict[str, ReferenceInterval] | None, key: str) -> str:
    interval = intervals.get(key) if intervals else None
    if interval is None:
        return ""
    if interval.low == 0:
        return f"; usually {interval.high:g} or fewer"
    return f"; usually {interval.low:g} to {interval.high:g}"


def glossary(request: ReportRequest) -> list[tuple[str, str]]:
    """Only the terms this report uses, each with the section 6 explanation."""
    case = request.document
    aspirate, core = case.aspirate, case.core
    quoted = " ".join([*case.diagnosis.lines, case.diagnosis.plain_language or ""])
    signed_text = " ".join([quoted, case.diagnosis.comment or ""]).lower()
    differential = aspirate.differential if aspirate else None
    iron = aspirate.iron if aspirate else None
    dysplasia = aspirate.dysplasia if aspirate else None
    used = {
        "Bone marrow": True,
        "Aspirate": aspirate is not None,
        "Biopsy (core or trephine)": core is not None,
        "Cellularity": core is not None
        or (aspirate is not None and aspirate.cellularity is not None)
        or "cellular" in signed_text,
        "Blasts": blasts_percent(case) is not None or "blast" in signed_text,
        "Blast equivalents": blast_equivalents_differ(case),
        "M:E ratio": differential is not None,
        "Dysplasia": (
            dysplasia is not None
            and any(
                v is not None
                for v in (
                    dysplasia.erythroid_pct,
                    dysplasia.granulocytic_pct,
                    dysplasia.megakaryocytic_pct,
                )
            )
        )
        or "dysplas" in signed_text,
        "Ring sideroblasts": (iron is not None and iron.percent() is not None)
        or "sideroblast" in signed_text,
        "Iron stores": iron is not None and iron.storage_grade is not None,
        "Fibrosis (MF-0 to MF-3)": core is not None or "fibrosis" in signed_text,
        "Megakaryocytes": _mentions_megakaryocytes(case) or "megakaryocyt" in signed_text,
        "Plasma cells": plasma_cells_percent(case) is not None or "plasma cell" in signed_text,
    }
    terms = [(term, text) for term, text in GLOSSARY.items() if used[term]]
    terms += [(entry.term, entry.meaning) for entry in words_in(quoted)]
    named = [kind for kind, pattern in TEST_PATTERNS.items() if pattern.search(quoted)]
    tests = [
        TEST_WORDS[kind]
        for kind in dict.fromkeys([*(study.kind for study in case.ancillary or []), *named])
        if kind in TEST_WORDS
    ]
    if tests:
        names = " / ".join(name for name, _ in tests)
        reads = _series([what for _, what in tests])
        terms.append(
            (
                names,
                f"Lab tests that read {reads}. They often finish later, so their results "
                "may come as an addendum.",
            )
        )
    kinds = {version.kind for version in request.versions}
    statuses = [STATUS_WORDS[kind] for kind in STATUS_WORDS if kind in kinds]
    if statuses:
        terms.append(
            (
                " / ".join(word for word, _ in statuses),
                " / ".join(text for _, text in statuses) + ".",
            )
        )
    return terms


def _series(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def _mentions_megakaryocytes(case: CaseDocument) -> bool:
    aspirate, core = case.aspirate, case.core
    return bool(
        (aspirate is not None and aspirate.megakaryocyte_number is not None)
        or (aspirate is not None and aspirate.morphology and aspirate.morphology.megakaryocytic)
        or (core is not None and (core.megakaryocyte_number or core.megakaryocytes))
    )


def _aftercare() -> list[SummaryBlock]:
    return [
        SummaryBlock("heading", CARE),
        SummaryBlock("text", "Some soreness where the needle went in is common for a few days."),
        *(SummaryBlock("bullet", step) for step in CARE_STEPS),
    ]


def _when_to_call(settings: LabSettings) -> list[SummaryBlock]:
    """When to call, with the lab's after-hours number (`lab set --after-hours-phone`)."""
    identity = settings.identity
    blocks = [
        SummaryBlock("heading", WHEN_TO_CALL),
        SummaryBlock("text", "Call your care team right away if you have:"),
    ]
    blocks += [SummaryBlock("bullet", reason) for reason in CALL_REASONS]
    after_hours = identity.after_hours_phone
    blocks.append(
        SummaryBlock(
            "text",
            f"At night, on weekends and on holidays, call {after_hours}."
            if after_hours
            else "At night, on weekends and on holidays, call the number your care team gave you.",
        )
    )
    blocks.append(
        SummaryBlock(
            "text",
            "Please talk with your care team about these results. They can tell you what "
            "the results mean for you and what happens next.",
        )
    )
    if identity.name and identity.phone:
        blocks.append(
            SummaryBlock(
                "text",
                f"For questions about the report itself, call the laboratory: {identity.name}, "
                f"{identity.phone}.",
            )
        )
    return blocks


def patient_summary_story(ctx: SectionContext) -> list[Flowable]:
    """The summary set in type: 11.5 pt, question headings kept with what follows."""
    s = ctx.styles
    style_of = {
        "title": s["SummaryTitle"],
        "heading": s["SummaryHeading"],
        "text": s["SummaryBody"],
        "quote": s["SummaryQuote"],
    }
    story: list[Flowable] = []
    pending_heading: Flowable | None = None
    for block in summary_blocks(ctx.request):
        if block.kind == "bullet":
            flowable: Flowable = Paragraph(markup(block.text), s["SummaryBullet"], bulletText="•")
        elif block.kind == "term":
            flowable = Paragraph(
                f"<b>{markup(block.text)}:</b> {markup(block.detail)}", s["SummaryBody"]
            )
        else:
            flowable = para(block.text, style_of[block.kind])
        if block.kind == "heading":
            pending_heading = flowable
            continue
        if pending_heading is not None:
            flowable = KeepTogether([pending_heading, flowable])
            pending_heading = None
        story.append(flowable)
    return story
