"""The laboratory's text templates: named texts with placeholders, and their filling.

A template is written once by the lab ("Normal marrow morphology", abbreviation `nml`)
for one or more of the four free-text fields of the diagnosis (`bench.md` section 2) and
inserted while typing (`nml;` then space) or from the picker. Its placeholders are
filled from the document as it stands (`placeholders.py`); a value not known yet is
left visible as `{plasma_cells_pct?}` and listed, so nothing is filled in silently later
and nothing is guessed.

Rules are checked here, before anything is stored, so that the command line and the
administration screen refuse a template in the same words: an unknown placeholder is
named, with the ones that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.draft import parse_draft
from marrowpath.domain.errors import Refused
from marrowpath.domain.labels import leaf
from marrowpath.domain.placeholders import PLACEHOLDERS, placeholder_values
from marrowpath.domain.settings import LabSettings

# The fields a template may be written for (`cli.md`), each a field of the document.
TARGETS: Mapping[str, str] = MappingProxyType(
    {
        "diagnosis_line": "diagnosis.lines",
        "comment": "diagnosis.comment",
        "recommendations": "diagnosis.recommendations",
        "plain_language": "diagnosis.plain_language",
    }
)
TARGET_OF_PATH: Mapping[str, str] = MappingProxyType({v: k for k, v in TARGETS.items()})

NAME_MAX = 100
TEXT_MAX = 4000
ABBREVIATION = re.compile(r"[a-z0-9]{1,16}")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# `abbreviation;` at the end of what was typed, at the start or after a non-word character
TYPED_ABBREVIATION = re.compile(r"(?:^|(?<=[^A-Za-z0-9]))([A-Za-z0-9]{1,16});$")


def target_wording(target: str) -> str:
    """The field a target names, as the editor labels it ("Diagnosis comment")."""
    return leaf(TARGETS[target]).label.entry_label


@dataclass(frozen=True)
class TextTemplate:
    """One template of the lab's library; built through `template_from` (checked)."""

    name: str
    abbreviation: str
    targets: tuple[str, ...]
    text: str

    def fits(self, path: str) -> bool:
        """Whether the template is meant for the field at `path`."""
        return TARGET_OF_PATH.get(path) in self.targets

    def to_json(self) -> dict[str, Any]:
        """The `cli.md` form; one target is written as a string, several as a list."""
        target: str | list[str] = self.targets[0] if len(self.targets) == 1 else list(self.targets)
        return {
            "name": self.name,
            "abbreviation": self.abbreviation,
            "target": target,
            "text": self.text,
        }


def unknown_placeholders(text: str) -> list[str]:
    """The `{names}` in a text that are not placeholders, in order of appearance."""
    found = [m.group(1) for m in PLACEHOLDER.finditer(text)]
    return list(dict.fromkeys(name for name in found if name not in PLACEHOLDERS))


def template_from(data: object, where: str = "template") -> TextTemplate:
    """A template from its JSON form, or a `Refused` naming `where`, the field and the rule.

    `target` is one target name or a list of them; the abbreviation is kept in lower
    case (`NML;` and `nml;` both expand).
    """
    if not isinstance(data, dict):
        raise Refused(f"{where}: must be an object with name, abbreviation, target and text")
    unknown_keys = sorted(set(data) - {"name", "abbreviation", "target", "text"})
    if unknown_keys:
        raise Refused(f"{where}: unknown field {', '.join(unknown_keys)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        raise Refused(f"{where}: name must be 1 to {NAME_MAX} characters, got {name!r}")
    name = name.strip()
    named = f"{where} {name!r}"
    abbreviation = data.get("abbreviation")
    if not isinstance(abbreviation, str) or not ABBREVIATION.fullmatch(abbreviation.lower()):
        raise Refused(
            f"{named}: abbreviation must be 1 to 16 letters (a-z) and digits, got {abbreviation!r}"
        )
    targets = _targets(data.get("target"), named)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
        raise Refused(f"{named}: text must be 1 to {TEXT_MAX} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise Refused(f"{named}: text must not hold control characters")
    unknown = unknown_placeholders(text)
    if unknown:
        listed = ", ".join(f"{{{u}}}" for u in unknown)
        known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        raise Refused(f"{named}: unknown placeholder {listed} (known: {known})")
    return TextTemplate(name, abbreviation.lower(), targets, text)


def _targets(value: object, named: str) -> tuple[str, ...]:
    given = [value] if isinstance(value, str) else value
    allowed = ", ".join(TARGETS)
    if not isinstance(given, list) or not given:
        raise Refused(f"{named}: target must be one of {allowed}, or a list of them")
    for item in given:
        if item not in TARGETS:
            raise Refused(f"{named}: target must be one of {allowed}, got {item!r}")
    return tuple(dict.fromkeys(given))


def check_library(templates: Iterable[TextTemplate], where: str = "templates") -> None:
    """No two templates share a name or an abbreviation (an abbreviation must expand to
    one text, whatever the field)."""
    names: set[str] = set()
    abbreviations: dict[str, str] = {}
    for template in templates:
        if template.name in names:
            raise Refused(f"{where}: the name {template.name!r} is used twice")
        names.add(template.name)
        other = abbreviations.get(template.abbreviation)
        if other is not None:
            raise Refused(
                f"{where}: the abbreviation {template.abbreviation!r} of {template.name!r} "
                f"is already used by {other!r}"
            )
        abbreviations[template.abbreviation] = template.name


# ------------------------------------------------------------------ filling


@dataclass(frozen=True)
class Filled:
    """A template's text with its values in; `missing` names the placeholders left as
    `{name?}`, in order of appearance."""

    text: str
    missing: tuple[str, ...]

    @property
    def missing_wording(self) -> list[str]:
        """ "Plasma cells ({plasma_cells_pct})": how the user is told what is missing."""
        return [f"{PLACEHOLDERS[name].wording} ({{{name}}})" for name in self.missing]


def fill(text: str, values: Mapping[str, str | None]) -> Filled:
    """Each `{name}` replaced by its value; a name without one stays visible as
    `{name?}` and is listed."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        if value is None:
            if name not in missing:
                missing.append(name)
            return f"{{{name}?}}"
        return value

    return Filled(PLACEHOLDER.sub(replace, text), tuple(missing))


def fill_for(template: TextTemplate, case: CaseDocument, settings: LabSettings) -> Filled:
    return fill(template.text, placeholder_values(case, settings))


def fill_from_draft(
    template: TextTemplate, document: dict[str, Any], settings: LabSettings
) -> Filled:
    """Filled from the valid parts of a document as typed in the editor."""
    return fill_for(template, parse_draft(document), settings)


def typed_abbreviation(text_before_cursor: str) -> str | None:
    """The abbreviation just typed (`... nml;`), lower case; None when there is none."""
    match = TYPED_ABBREVIATION.search(text_before_cursor)
    return match.group(1).lower() if match else None


def expansion_for(
    templates: Iterable[TextTemplate], abbreviation: str, path: str
) -> TextTemplate | None:
    """The template an abbreviation expands to in the field at `path`, if any."""
    return next(
        (t for t in templates if t.abbreviation == abbreviation and t.fits(path)),
        None,
    )
