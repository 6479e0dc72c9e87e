"""The report's sections as plain text, for systems that show text rather than the PDF.

HL7 sends each section as one formatted-text (FT) observation and FHIR uses the
diagnosis as the report's conclusion; both read the same words from here. Derived values
come from `marrowpath.domain.derived`, as on the PDF, so every output says the same.
"""

from __future__ import annotations

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    blasts_percent,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.labels import field_label, fields_under
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.versions import IssuedVersion
from marrowpath.domain.wording import words_list
from marrowpath.reports.formatting import (
    as_entered,
    date_text,
    datetime_text,
    interval_text,
    join,
    lower_words,
    one_decimal,
    words,
    yes_no,
)

# (field, label, unit) of each analyte, in the order of the model, as the interface text
# writes them ("Hb", "x10E9/L").
_CBC = tuple(
    (name, entry.wire_label, entry.wire_units)
    for name, entry in fields_under("clinical.cbc.")
    if entry.format == "number"
)


def source_words(source: str) -> str:
    """Where a key result comes from, in words ("CD34 immunohistochemistry")."""
    return field_label("key_results.blasts_source").enum_words(source)


def _line(name: str, value: str | None) -> str:
    return f"{name}: {value}" if value else ""


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def diagnosis(document: CaseDocument) -> str:
    return "\n".join(line for line in document.diagnosis.lines if line.strip())


def clinical(document: CaseDocument) -> str:
    info = document.clinical
    if info is None:
        return ""
    cbc = ""
    if info.cbc is not None:
        values = [
            f"{label} {as_entered(getattr(info.cbc, field))} {unit}"
            for field, label, unit in _CBC
            if getattr(info.cbc, field) is not None
        ]
        when = f" ({info.cbc.date.isoformat()})" if info.cbc.date else ""
        cbc = f"CBC{when}: {', '.join(values)}" if values else ""
    return _lines(
        _line("Indication", join([words(info.indication), info.indication_detail or ""], ". ")),
        _line("History", info.history),
        cbc,
        _line("Peripheral blood smear", info.blood_smear),
    )


def procedure(document: CaseDocument) -> str:
    p = document.procedure
    where = join([words(p.site), lower_words(p.laterality)], ", ")
    return _lines(
        f"Procedure: {date_text(p.date)}, {where}",
        _line("Operator", p.operator),
        _line("Sedation", lower_words(p.sedation) if p.sedation else None),
        _line(
            "Complications",
            ", ".join(lower_words(c) for c in p.complications) if p.complications else None,
        ),
        _line("Specimens", ", ".join(lower_words(s) for s in p.specimens)),
        _line("Received", datetime_text(document.received_at) if document.received_at else None),
    )


def aspirate(document: CaseDocument, settings: LabSettings) -> str:
    a = document.aspirate
    if a is None:
        return ""
    lines = [
        f"Quality: {lower_words(a.quality)}; particles {lower_words(a.particles)}"
        + (f"; cellularity {lower_words(a.cellularity)}" if a.cellularity else ""),
    ]
    if a.differential is not None:
        summary = summarise_differential(a.differential, settings)
        source = lower_words(a.differential_source or "aspirate_smear")
        lines.append(f"Differential ({summary.cells_counted} cells counted, {source}):")
        for row in summary.rows:
            if row.count == 0 and row.interval is None:
                continue
            interval = f" (ref {interval_text(row.interval)})" if row.interval else ""
            mark = f" {row.mark}" if row.mark else ""
            lines.append(
                f"  {words(row.category)}: {row.count} = {one_decimal(row.percent)} %"
                f"{interval}{mark}"
            )
        lines.append(f"M:E ratio: {summary.me_ratio_text} ({summary.me_rule})")
    if a.megakaryocyte_number:
        lines.append(f"Megakaryocytes: {lower_words(a.megakaryocyte_number)}")
    if a.morphology is not None:
        for lineage, text in a.morphology.model_dump(exclude_none=True).items():
            lines.append(f"{words(lineage)} morphology: {text}")
    if a.dysplasia is not None:
        parts = [
            f"{lineage.removesuffix('_pct')} {as_entered(value)} %"
            for lineage, value in a.dysplasia.model_dump(exclude_none=True).items()
        ]
        if parts:
            lines.append(f"Dysplasia: {', '.join(parts)}")
    if a.auer_rods is not None:
        lines.append(f"Auer rods: {yes_no(a.auer_rods).lower()}")
    if a.iron is not None:
        iron = a.iron
        lines.append(
            "Iron: "
            + join(
                [
                    f"storage grade {iron.storage_grade}" if iron.storage_grade is not None else "",
                    f"ring sideroblasts {iron.ring_sideroblasts} of "
                    f"{iron.erythroblasts_counted} ({one_decimal(iron.percent(), 'ring_sideroblasts')} %)"
                    if iron.counted()
                    else f"ring sideroblasts {as_entered(iron.ring_sideroblasts_pct)} %"
                    if iron.ring_sideroblasts_pct is not None
                    else "",
                    f"{iron.erythroblasts_counted} erythroblasts counted"
                    if iron.erythroblasts_counted is not None
                    else "",
                    iron.comment or "",
                ]
            )
        )
    lines.append(_line("Comment", a.comment))
    return _lines(*lines)


def core(document: CaseDocument, settings: LabSettings) -> str:
    c = document.core
    if c is None:
        return ""
    assessment = case_cellularity(document, settings)
    infiltrate = ""
    if c.infiltrate is not None:
        infiltrate = "Infiltrate: " + join(
            [
                words_list(c.infiltrate.patterns).lower(),
                f"{as_entered(c.infiltrate.percent)} %" if c.infiltrate.percent is not None else "",
                c.infiltrate.description or "",
            ]
        )
    return _lines(
        f"Length {as_entered(c.length_mm)} mm; adequacy {lower_words(c.adequacy)}"
        + (f" ({c.adequacy_comment})" if c.adequacy_comment else ""),
        f"Cellularity: {assessment.text}" if assessment else "",
        _line(
            "Megakaryocytes",
            join(
                [
                    lower_words(c.megakaryocyte_number) if c.megakaryocyte_number else "",
                    c.megakaryocytes or "",
                ]
            ),
        ),
        f"Fibrosis: {words(c.fibrosis_grade)}"
        + (f"; collagen {yes_no(c.collagen).lower()}" if c.collagen is not None else "")
        + (
            f"; osteosclerosis {yes_no(c.osteosclerosis).lower()}"
            if c.osteosclerosis is not None
            else ""
        ),
        infiltrate,
        _line("Bone", c.bone),
        _line("Comment", c.comment),
    )


def key_results(document: CaseDocument) -> str:
    parts = []
    for name, value in (
        ("Blasts", blasts_percent(document)),
        ("Plasma cells", plasma_cells_percent(document)),
    ):
        if value is not None:
            parts.append(f"{name} {value.value} % ({source_words(value.source)})")
    return "; ".join(parts)


def stains(document: CaseDocument) -> str:
    return _lines(
        *(
            f"{s.name}: {lower_words(s.result)}"
            + (f", {as_entered(s.percent)} %" if s.percent is not None else "")
            + (f", {s.pattern}" if s.pattern else "")
            + (f". {s.comment}" if s.comment else "")
            for s in document.stains or []
        )
    )


def ancillary(document: CaseDocument) -> str:
    return _lines(
        *(
            f"{words(a.kind)} ({a.status.value}"
            + (f", {a.performed_by}" if a.performed_by else "")
            + (f", reported {a.reported_on.isoformat()}" if a.reported_on else "")
            + ")"
            + (f": {a.result}" if a.result else "")
            for a in document.ancillary or []
        )
    )


def signature(version: IssuedVersion) -> str:
    c = version.content
    signer = f"{c.signer_name}, {c.signer_credentials}" if c.signer_credentials else c.signer_name
    return _lines(
        f"Electronically signed by {signer} on {datetime_text(c.signed_at)}",
        f"Meaning: {c.meaning}",
        f"Version {c.number} ({c.kind.value}), SHA-256 {version.sha256}",
    )
