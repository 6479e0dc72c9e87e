"""The report's sections as plain text, for systems that show text rather than the PDF.

HL7 sends each section as one formatted-text (FT) observation and FHIR uses the
diagnosis as the report's conclusion. The words are the PDF's: both render the one
content model of `marrowpath.reports.content`, so a label, a unit or the wording of a
value is never written twice.
"""

from __future__ import annotations

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.people import Names
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.versions import IssuedVersion
from marrowpath.domain.wording import datetime_text
from marrowpath.reports import content
from marrowpath.reports.content import Rows, Section, section_text, source_words

__all__ = [
    "ancillary",
    "aspirate",
    "clinical",
    "communications",
    "core",
    "diagnosis",
    "procedure",
    "sections",
    "signature",
    "source_words",
    "stains",
]


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def diagnosis(document: CaseDocument) -> str:
    return "\n".join(line for line in document.diagnosis.lines if line.strip())


def clinical(document: CaseDocument, settings: LabSettings) -> str:
    return section_text(content.clinical(document, settings))


def procedure(document: CaseDocument) -> str:
    """The specimen rows of the identification block (date, collection time, site,
    specimens, received), then who performed the procedure and how."""
    section = content.procedure(document)
    specimens = Rows("", content.specimen_rows(document))
    return section_text(Section(section.key, section.title, (specimens, *section.parts)))


def aspirate(document: CaseDocument, settings: LabSettings, names: Names | None = None) -> str:
    return section_text(content.aspirate(document, settings, names))


def core(document: CaseDocument, settings: LabSettings) -> str:
    return section_text(content.core(document, settings))


def stains(document: CaseDocument) -> str:
    return section_text(content.stains(document))


def ancillary(document: CaseDocument) -> str:
    return section_text(content.ancillary(document))


def communications(document: CaseDocument, names: Names | None = None) -> str:
    return section_text(content.communications(document, names))


def sections(
    document: CaseDocument, settings: LabSettings, names: Names | None = None
) -> dict[str, str]:
    """Every findings section sent as text, by the key of its content section, in report
    order; empty sections left out. Key results go as numeric observations instead."""
    texts = {
        "clinical": clinical(document, settings),
        "procedure": procedure(document),
        "aspirate": aspirate(document, settings, names),
        "core": core(document, settings),
        "stains": stains(document),
        "ancillary": ancillary(document),
        "communications": communications(document, names),
    }
    return {key: text for key, text in texts.items() if text}


def signature(version: IssuedVersion) -> str:
    c = version.content
    signer = f"{c.signer_name}, {c.signer_credentials}" if c.signer_credentials else c.signer_name
    return _lines(
        f"Electronically signed by {signer} on {datetime_text(c.signed_at)}",
        f"Meaning: {c.meaning}",
        f"Version {c.number} ({c.kind.value}), SHA-256 {version.sha256}",
    )
