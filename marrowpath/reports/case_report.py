"""The bone marrow report: first-page band, identification, status, diagnosis, findings,
addenda, signature and version history, optionally followed by the patient summary.

The order follows the look-and-feel spec and ICSH/CAP: who and what first, the status
impossible to miss, the diagnosis before anything else, then the findings in the order
of the case format, then what was added later.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Table, TableStyle

from marrowpath.domain.derived import case_age
from marrowpath.domain.labels import label_of
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.redline import ChangeRow
from marrowpath.domain.reporting import ReportRequest, ReportState
from marrowpath.domain.text import display_name
from marrowpath.domain.versions import IssuedVersion
from marrowpath.reports.base import BaseReportRenderer
from marrowpath.reports.content import specimen_rows
from marrowpath.reports.context import SectionContext
from marrowpath.reports.findings import findings_sections
from marrowpath.reports.flowables import (
    LAYOUT,
    TABLE_FONT,
    Cell,
    data_table,
    heading,
    label_values,
    para,
    small_caps,
    subheading,
    text_block,
)
from marrowpath.reports.formatting import date_text, datetime_text, join, words
from marrowpath.reports.patient_summary import patient_summary_story
from marrowpath.reports.prior_marrows import prior_marrows_story
from marrowpath.reports.status import (
    KIND_WORDS,
    Banner,
    addenda,
    banner,
    diagnosis_amended,
    reason_text,
    signature_line,
    text_version,
    version_changes,
)
from marrowpath.reports.templates import PageFurniture, pdf_date

TITLE = "Bone marrow pathology report"
# States whose report has no patient summary (`report-states.md`): the findings may be
# another patient's, or were never final.
NO_SUMMARY = frozenset({ReportState.CANCELLED, ReportState.WITHDRAWN})


# Page 1 must still reach the diagnosis: a long changed text (not the diagnosis or the
# identity) is shortened there and printed in full in the version history.
FIRST_PAGE_TEXT = 400


def _first_page_row(row: ChangeRow) -> ChangeRow:
    if row.essential:
        return row

    def short(text: str) -> str:
        if len(text) <= FIRST_PAGE_TEXT:
            return text
        cut = text[:FIRST_PAGE_TEXT].rsplit(" ", 1)[0]
        return f"{cut} … (in full in the Version history)"

    return row.model_copy(update={"was": short(row.was), "now": short(row.now)})


class CaseReportRenderer(BaseReportRenderer):
    """Renders one `ReportRequest` to PDF bytes."""

    def __init__(self, request: ReportRequest, *, as_issued: bool = False) -> None:
        """`as_issued`: print the version as it was when signed (the stamp added later says
        what it is now); its patient summary still says that it was superseded."""
        super().__init__(paper=request.settings.paper)
        self.request = request.as_issued() if as_issued else request
        self.banner: Banner = banner(self.request)
        self.ctx = SectionContext(self.request, self.styles, self.geometry.content_width)
        self.summary_ctx = SectionContext(request, self.styles, self.geometry.content_width)

    # -- page furniture --------------------------------------------------------------

    def _patient_name(self) -> str:
        patient = self.request.document.patient
        return display_name(patient.family_name, patient.given_names)

    def _get_furniture(self) -> PageFurniture:
        case = self.request.document
        version = self.request.version
        state = self.banner.running
        if version is None:
            when = self.request.rendered_at
            issued = f"{state}, not issued" + (f"; printed {datetime_text(when)}" if when else "")
        else:
            kind = KIND_WORDS[version.kind].lower()
            issued = (
                f"{state} · Issued {datetime_text(version.content.signed_at)} "
                f"({kind}, version {version.number})"
            )
        return PageFurniture(
            lab_name=self.request.settings.identity.name,
            title=TITLE,
            status=self.banner.running,
            patient_line=(
                f"{self._patient_name()} · MRN {case.patient.mrn} · Accession {case.accession}"
            ),
            issued_line=issued,
            fingerprint=version.fingerprint() if version else None,
            watermark=self.banner.watermark,
        )

    def _get_band(self) -> Flowable:
        """Laboratory identity (CLIA 493.1291(c)) left, title and status right."""
        identity = self.request.settings.identity
        s = self.styles
        left: list[Flowable] = [para(identity.name or "Laboratory not configured", s["BandName"])]
        if identity.address:
            left.append(para(identity.address, s["BandText"]))
        contact = join(
            [
                f"Phone {identity.phone}" if identity.phone else "",
                f"CLIA {identity.clia_id}" if identity.clia_id else "",
            ],
            " · ",
        )
        if contact:
            left.append(para(contact, s["BandText"]))
        if identity.director:
            left.append(para(f"Medical director: {identity.director}", s["BandText"]))
        right: list[Flowable] = [
            Paragraph(small_caps(TITLE, 11.5), s["BandTitle"]),
            para(self.banner.running, s["BandStatus"]),
        ]
        width = self.geometry.content_width
        return Table(
            [[left, right]],
            colWidths=[width * 0.6, width * 0.4],
            style=TableStyle(
                [
                    *LAYOUT,
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                    ("LINEBELOW", (0, 0), (-1, -1), 1.4, "black"),
                ]
            ),
        )

    def _metadata(self) -> dict[str, str]:
        """Document information without the patient's name: viewers show it in lists."""
        case = self.request.document
        version = self.request.version
        subject = f"{self.banner.title.capitalize()}, accession {case.accession}"
        if version is not None:
            subject += f", version {version.number}, fingerprint {version.fingerprint()}"
        return {
            "title": f"{TITLE} {case.accession}",
            "author": self.request.settings.identity.name or "MarrowPath",
            "subject": subject,
            "keywords": case.accession,
        }

    def _creation_date(self) -> str | None:
        version = self.request.version
        return pdf_date(version.content.signed_at if version else self.request.rendered_at)

    # -- story -----------------------------------------------------------------------

    def _get_story(self) -> list[Flowable]:
        story: list[Flowable] = [self._identification(), self._status_banner()]
        story += self._changes_on_first_page()
        story += self._diagnosis()
        story += findings_sections(self.ctx)
        story += prior_marrows_story(self.request, self.styles, self.geometry.content_width)
        story += self._addenda()
        story += self._history()
        if self.request.patient_summary and self.summary_ctx.request.state not in NO_SUMMARY:
            story += [PageBreak(), *patient_summary_story(self.summary_ctx)]
        return story

    def _identification(self) -> Flowable:
        """Patient on the left, case on the right, as the look-and-feel spec asks."""
        case = self.request.document
        s = self.styles
        gap = 6 * mm
        half = (self.geometry.content_width - gap) / 2
        patient = case.patient
        providers = [p.name for p in case.copy_to or []]
        ordering = case.ordering_provider
        ordering_text = join([ordering.name, ordering.organization or ""], ", ")
        if ordering.id:
            ordering_text += f" (ID {ordering.id})"
        left = label_values(
            [
                ("Patient", para(self._patient_name(), s["Diagnosis"])),
                (label_of("patient.mrn"), patient.mrn),
                (label_of("patient.birth_date"), date_text(patient.birth_date)),
                ("Age", f"{case_age(case)} years at procedure"),
                (label_of("patient.sex"), words(patient.sex)),
                (label_of("ordering_provider.name"), ordering_text),
                (label_of("copy_to[]"), "; ".join(providers) or None),
            ],
            s,
            half,
            label_width=30 * mm,
        )
        version = self.request.version
        order = case.order
        right = label_values(
            [
                (label_of("accession"), para(case.accession, s["Diagnosis"])),
                *((row.label, row.text) for row in specimen_rows(case)),
                (
                    "Date reported",
                    datetime_text(version.content.signed_at) if version else "Not reported (draft)",
                ),
                (
                    label_of("order.placer_order_number"),
                    order.placer_order_number if order else None,
                ),
                (label_of("order.visit_number"), order.visit_number if order else None),
            ],
            s,
            half,
            label_width=32 * mm,
        )
        return Table(
            [[left, "", right]],
            colWidths=[half, gap, half],
            style=TableStyle([*LAYOUT, ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]),
            spaceAfter=6,
        )

    def _status_banner(self) -> Flowable:
        """The status across the page in bold capitals inside a heavy box."""
        s = self.styles
        rows: list[list[Cell]] = [[para(self.banner.title, s["BannerTitle"])]]
        rows += [[para(line, s["BannerText"])] for line in self.banner.lines]
        return Table(
            rows,
            colWidths=[self.geometry.content_width],
            style=TableStyle(
                [
                    TABLE_FONT,
                    ("BOX", (0, 0), (-1, -1), 1.8, "black"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 7),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ("TOPPADDING", (0, 0), (-1, 0), 5),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
                ]
            ),
            splitInRow=1,
            spaceAfter=4,
        )

    def _diagnosis(self) -> list[Flowable]:
        """The diagnosis in a ruled box, then comment and recommendations, then the signature."""
        s = self.styles
        diagnosis = self.request.document.diagnosis
        title = self._diagnosis_title()
        rows: list[list[Cell]] = [[para(line, s["Diagnosis"])] for line in diagnosis.lines]
        commands = [
            TABLE_FONT,
            ("BOX", (0, 0), (-1, -1), 1.0, "black"),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("TOPPADDING", (0, 0), (-1, 0), 7),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
        ]
        classification = diagnosis.classification or []
        if classification:
            commands.append(("LINEABOVE", (0, len(rows)), (-1, len(rows)), 0.3, "black"))
            commands.append(("TOPPADDING", (0, len(rows)), (-1, len(rows)), 5))
        for item in classification:
            text = f"{item.system.value}: {item.term}" + (f" ({item.code})" if item.code else "")
            rows.append([para(text, s["Classification"])])
        box = Table(
            rows,
            colWidths=[self.geometry.content_width],
            style=TableStyle(commands),
            splitInRow=1,
            spaceAfter=6,
        )
        story = [*heading(title, s, self.geometry.content_width), box]
        for name, free_text in (
            ("Comment", diagnosis.comment),
            ("Recommendations", diagnosis.recommendations),
        ):
            block = text_block(free_text, s["Body"])
            if block:
                story += [*subheading(name, s), *block]
        return self._with_signature(story)

    def _diagnosis_title(self) -> str:
        """ "Amended diagnosis" only while the diagnosis differs from the first final one."""
        request = self.request
        main = None if request.draft else text_version(request.versions)
        if main is None:
            return "Diagnosis (draft)"
        if request.state is ReportState.CANCELLED:
            return "Diagnosis (preliminary; case cancelled)"
        if main.kind is VersionKind.PRELIMINARY:
            return "Preliminary diagnosis"
        return "Amended diagnosis" if diagnosis_amended(request) else "Final diagnosis"

    def _changes_on_first_page(self) -> list[Flowable]:
        """Under an AMENDED banner: what changed, before the diagnosis (the one exception
        to "diagnosis first"), identity and diagnosis rows never cut."""
        rows = [_first_page_row(row) for row in self.banner.changes]
        if not rows:
            return []
        s = self.styles
        story: list[Flowable] = [self._changes_table(rows, title="What changed")]
        if self.banner.more_changes:
            count = self.banner.more_changes
            noun = "change" if count == 1 else "changes"
            story.append(para(f"and {count} more {noun}: see Version history", s["Note"]))
        return story

    def _changes_table(self, rows: list[ChangeRow], *, title: str) -> Flowable:
        """Changed field, the value before and after, as printed; long text wraps."""
        w = self.geometry.content_width
        widths = [w * 0.26, w * 0.37, w * 0.37]
        header = [title, "Was", "Now"]
        cells: list[list[Cell]] = [[row.label, row.was, row.now] for row in rows]
        return data_table(header, cells, self.styles, widths)

    def _with_signature(self, story: list[Flowable]) -> list[Flowable]:
        """Keep the signature with the last lines above it, never alone on a page."""
        signature = self._signature_block()
        tail = story.pop()
        return [*story, KeepTogether([tail, *signature])]

    def _signature_block(self) -> list[Flowable]:
        s = self.styles
        main = text_version(self.request.versions)
        if self.request.draft or main is None:
            return [para("Not signed: this draft is not a report.", s["Signature"])]
        story: list[Flowable] = [para(signature_line(main), s["Signature"])]
        meaning = main.content.meaning
        if self.request.state is ReportState.CANCELLED:
            meaning = "preliminary diagnosis; the case was cancelled and no final report follows"
        story.append(
            para(
                f"Meaning of signature: {meaning}. "
                f"Version {main.number} ({KIND_WORDS[main.kind].lower()}).",
                s["Note"],
            )
        )
        withdrawal = self.request.version
        if withdrawal is not None and withdrawal.kind is VersionKind.WITHDRAWAL:
            story.append(para(f"Withdrawal: {signature_line(withdrawal)}.", s["Signature"]))
            story.append(para(f"Meaning of signature: {withdrawal.content.meaning}.", s["Note"]))
        return story

    def _addenda(self) -> list[Flowable]:
        """Addenda after the original text, which stays word for word as signed."""
        s = self.styles
        story: list[Flowable] = []
        for number, version in enumerate(addenda(self.request.versions), start=1):
            content = version.content
            story += heading(f"Addendum {number}", s, self.geometry.content_width)
            story.append(
                para(
                    f"Issued {datetime_text(content.signed_at)} (version {version.number}).",
                    s["Note"],
                )
            )
            body = text_block(content.addendum_text, s["Body"]) or [para("(No text.)", s["Body"])]
            signature = [
                para(signature_line(version), s["Signature"]),
                para(f"Meaning of signature: {content.meaning}.", s["Note"]),
            ]
            story += [*body[:-1], KeepTogether([body[-1], *signature])]
        return story

    def _history(self) -> list[Flowable]:
        versions = self.request.versions
        if not versions:
            return []
        cancelled = self.request.state is ReportState.CANCELLED
        rows: list[list[Cell]] = [self._history_row(v, cancelled=cancelled) for v in versions]
        cancellation = self.request.cancellation
        if cancellation is not None:
            rows.append(
                [
                    "",
                    "Cancelled",
                    datetime_text(cancellation.at),
                    cancellation.by,
                    f"{cancellation.reason} No final report will follow.",
                ]
            )
        w = self.geometry.content_width
        widths = [16 * mm, 24 * mm, 50 * mm, 40 * mm, w - 130 * mm]
        header = ["Version", "Kind", "Signed", "Signed by", "Reason or note"]
        story = heading("Version history", self.styles, w)
        story.append(data_table(header, rows, self.styles, widths, numeric=frozenset({0})))
        for version in versions:
            if version.kind is not VersionKind.AMENDMENT:
                continue
            changes = version_changes(versions, version)
            title = f"Changed in version {version.number}"
            story.append(
                self._changes_table(changes, title=title)
                if changes
                else para(
                    f"Version {version.number} changed no printed field.", self.styles["Note"]
                )
            )
        story.append(Paragraph(small_caps("End of report", 9), self.styles["Note"]))
        return story

    @staticmethod
    def _history_row(version: IssuedVersion, *, cancelled: bool = False) -> list[Cell]:
        content = version.content
        signer = join([content.signer_name, content.signer_credentials or ""], ", ")
        note = reason_text(version)
        if version.kind is VersionKind.ADDENDUM:
            note = "Addendum; earlier text unchanged"
        if cancelled and version.kind is VersionKind.PRELIMINARY:
            note = "Preliminary diagnosis (the case was cancelled)"
        return [
            str(version.number),
            KIND_WORDS[version.kind],
            datetime_text(content.signed_at),
            signer,
            note or content.meaning,
        ]
