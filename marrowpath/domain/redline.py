"""The changes table of an amendment: what differs between two case documents, in the
report's own words.

Leaf by leaf, lists item by item (a stain by its name, a diagnosis line by its
position), each row with the field's printed label and the values before and after as
they print (units, one decimal, words for enumerations), never a JSON path. Rows for
the patient's identity come first, then the diagnosis and classification, then the
rest in report order (`report-states.md`). The same rows are printed on page 1 of an
amended report, in its version history, by `compare` and `amend`, in the HL7 and FHIR
messages and in the patient summary's first sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from marrowpath.domain.derived import percent
from marrowpath.domain.labels import LISTS, FieldLabel, Group, field_label, report_rank
from marrowpath.domain.wording import (
    as_entered,
    date_text,
    datetime_text,
    join,
    long_date,
    one_decimal,
)

FIRST_PAGE_ROWS = 12
ABSENT = "not recorded"
GROUP_ORDER: dict[Group, int] = {"identity": 0, "diagnosis": 1, "report": 2}


class ChangeRow(BaseModel):
    """One changed field: its label and the values before and after, as printed.

    An item added to a list has `was` empty and "(added)" in its label; a removed one
    has `now` empty and "(removed)".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    was: str
    now: str
    group: Group = "report"

    @property
    def essential(self) -> bool:
        """Identity and diagnosis rows: never cut from a shortened table."""
        return self.group != "report"

    def line(self) -> str:
        """`label: was -> now`, as the HL7 note and the plain-text outputs write it."""
        return f"{self.label}: {self.was or 'none'} -> {self.now or 'none'}"


Change = tuple[tuple[int, tuple[int, ...], int], ChangeRow]
Json = Mapping[str, Any]


def redline(before: Json | None, after: Json | None) -> list[ChangeRow]:
    """Every printed difference from `before` to `after` (JSON documents), in table order.

    The export-only `versions` list and the format marker are not findings and are left
    out; everything else is compared.
    """
    old = {k: v for k, v in (before or {}).items() if k not in ("versions", "format")}
    new = {k: v for k, v in (after or {}).items() if k not in ("versions", "format")}
    found: list[Change] = []
    _walk(_Walk(old, new, found), "", old, new, "", ())
    found.sort(key=lambda change: change[0])
    return [row for _, row in found]


def first_page(
    rows: Sequence[ChangeRow], limit: int = FIRST_PAGE_ROWS
) -> tuple[list[ChangeRow], int]:
    """The rows page 1 shows and how many others are left for the version history:
    every identity and diagnosis row, then others until `limit` rows in all."""
    essential = [row for row in rows if row.essential]
    others = [row for row in rows if not row.essential]
    room = max(0, limit - len(essential))
    return essential + others[:room], max(0, len(others) - room)


def changes_text(rows: Sequence[ChangeRow]) -> str:
    """`label: was -> now; ...` for the HL7 note and the FHIR conclusion."""
    return "; ".join(row.line() for row in rows)


def amendment_note(reason: str, rows: Sequence[ChangeRow]) -> str:
    """ "Amended: REASON. Changed: label: was -> now; ..." (HL7 NTE, FHIR conclusion)."""
    reason = reason.strip().rstrip(".")
    changed = changes_text(rows) or "no printed field"
    return f"Amended: {reason}. Changed: {changed}."


def diagnosis_changed(rows: Sequence[ChangeRow]) -> bool:
    return any(row.group == "diagnosis" for row in rows)


def identity_changed(rows: Sequence[ChangeRow]) -> bool:
    return any(row.group == "identity" for row in rows)


CORRECTED_CATEGORIES = frozenset({"misidentification", "report_defect"})


def patient_sentence(
    rows: Sequence[ChangeRow], when: date, reason_category: str | None, *, shown: int = 6
) -> str:
    """The patient summary's opening sentence on what changed, with the rows' labels.

    "corrected" only for a misidentification or a report defect: other amendments (a
    revised interpretation) are updates, not corrections of a mistake.
    """
    verb = "corrected" if reason_category in CORRECTED_CATEGORIES else "updated"
    labels = list(dict.fromkeys(row.label for row in rows))
    if not labels:
        return f"Your report was {verb} on {long_date(when)}."
    named = labels[:shown]
    more = len(labels) - len(named)
    if more:
        named.append(f"{more} more {'part' if more == 1 else 'parts'}")
    if len(named) == 1:
        listed, verb_form = named[0], "was"
    else:
        listed, verb_form = "; ".join(named[:-1]) + f"; and {named[-1]}", "were"
    return f"Your report was {verb} on {long_date(when)}: {listed} {verb_form} changed."


# ---------------------------------------------------------------------- walking two documents


class _Walk:
    """The two whole documents (a differential count prints with its total) and the rows."""

    def __init__(self, before: Json, after: Json, found: list[Change]) -> None:
        self.before = before
        self.after = after
        self.found = found

    def add(self, pattern: str, position: tuple[int, ...], label: str, was: str, now: str) -> None:
        """Rows sort by group, then report order; inside a list by the list's place, the
        item's position, then the field's place (`position` is empty outside lists). A
        value that prints the same both times (54 and 54.0) is no printed change."""
        if was == now:
            return
        entry = field_label(pattern)
        rank = report_rank(pattern)
        key = (GROUP_ORDER[entry.group], position or (rank,), rank)
        self.found.append((key, ChangeRow(label=label, was=was, now=now, group=entry.group)))


def _walk(
    walk: _Walk, pattern: str, old: Any, new: Any, prefix: str, position: tuple[int, ...]
) -> None:
    """Compare `old` and `new` found at `pattern`; `prefix` names the list item they are in."""
    if old == new:
        return
    if isinstance(old, dict) or isinstance(new, dict):
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        for key in dict.fromkeys([*old_map, *new_map]):
            child = f"{pattern}.{key}" if pattern else key
            _walk(walk, child, old_map.get(key), new_map.get(key), prefix, position)
        return
    if isinstance(old, list) or isinstance(new, list):
        _walk_list(
            walk,
            pattern,
            old if isinstance(old, list) else [],
            new if isinstance(new, list) else [],
            position,
        )
        return
    entry = field_label(pattern)
    label = _named(prefix, entry.change_label if not prefix else entry.label)
    walk.add(
        pattern,
        position,
        label,
        _value(walk, pattern, entry, old, "before") if old is not None else ABSENT,
        _value(walk, pattern, entry, new, "after") if new is not None else ABSENT,
    )


def _named(prefix: str, label: str) -> str:
    if not prefix:
        return label
    return f"{prefix}: {label}" if label else prefix


def _walk_list(
    walk: _Walk, pattern: str, old: list[Any], new: list[Any], position: tuple[int, ...]
) -> None:
    spec = LISTS.get(pattern)
    item_pattern = f"{pattern}[]"
    entry = field_label(item_pattern)
    position = (*position, report_rank(item_pattern))
    if spec is None or spec.match == "position":
        name = spec.item if spec else entry.label
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else None
            b = new[index] if index < len(new) else None
            item = f"{name} {index + 1}"
            _item(walk, item_pattern, a, b, item, (*position, index))
        return
    if spec.match == "value":
        removed = [v for v in old if v not in new]
        added = [v for v in new if v not in old]
        for index, value in enumerate(removed):
            walk.add(
                item_pattern,
                (*position, index),
                f"{spec.item} (removed)",
                _value(walk, item_pattern, entry, value, "before"),
                "",
            )
        for index, value in enumerate(added):
            walk.add(
                item_pattern,
                (*position, len(removed) + index),
                f"{spec.item} (added)",
                "",
                _value(walk, item_pattern, entry, value, "after"),
            )
        return
    old_items, new_items = _keyed(old, spec.key), _keyed(new, spec.key)
    order = list(dict.fromkeys([*new_items, *old_items]))
    key_entry = field_label(f"{item_pattern}.{spec.key}")
    for index, ident in enumerate(order):
        name, occurrence = ident
        shown = key_entry.enum_words(name) if key_entry.format == "enum" else str(name)
        if occurrence:
            shown += f" ({occurrence + 1})"
        item = f"{spec.item} {shown}".strip()
        _item(
            walk, item_pattern, old_items.get(ident), new_items.get(ident), item, (*position, index)
        )


def _keyed(items: list[Any], key: str) -> dict[tuple[Any, int], Any]:
    """Items by (key value, occurrence): two stains of one name stay apart."""
    seen: dict[Any, int] = {}
    keyed: dict[tuple[Any, int], Any] = {}
    for item in items:
        value = item.get(key) if isinstance(item, dict) else item
        marker = repr(value)
        occurrence = seen.get(marker, 0)
        seen[marker] = occurrence + 1
        keyed[(value, occurrence)] = item
    return keyed


def _item(
    walk: _Walk, pattern: str, old: Any, new: Any, item: str, position: tuple[int, ...]
) -> None:
    """One list item: added, removed, or compared field by field."""
    if old == new:
        return
    entry = field_label(pattern)
    if old is None or new is None:
        present = new if old is None else old
        text = _item_text(walk, pattern, present, "after" if old is None else "before")
        if old is None:
            walk.add(pattern, position, f"{item} (added)", "", text)
        else:
            walk.add(pattern, position, f"{item} (removed)", text, "")
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            _walk(walk, f"{pattern}.{key}", old.get(key), new.get(key), item, position)
        return
    walk.add(
        pattern,
        position,
        item,
        _value(walk, pattern, entry, old, "before"),
        _value(walk, pattern, entry, new, "after"),
    )


def _item_text(walk: _Walk, pattern: str, item: Any, side: str) -> str:
    """A whole item as one line: its fields as printed, in table order ("Positive; 30.0 %")."""
    if not isinstance(item, dict):
        return _value(walk, pattern, field_label(pattern), item, side)
    spec_key = LISTS.get(pattern.removesuffix("[]"))
    parts = []
    for key in sorted(item, key=lambda k: report_rank(f"{pattern}.{k}")):
        if spec_key is not None and key == spec_key.key:
            continue
        value = item[key]
        if value is None or value == "":
            continue
        child = f"{pattern}.{key}"
        parts.append(_value(walk, child, field_label(child), value, side))
    if not parts and spec_key is not None:  # an item that is only its key ("Copy to")
        parts.append(str(item.get(spec_key.key, "")))
    return join(parts)


def _value(walk: _Walk, pattern: str, entry: FieldLabel, value: Any, side: str) -> str:
    """A value as the report prints it."""
    fmt = entry.format
    unit = f" {entry.unit}" if entry.unit else ""
    if fmt == "enum":
        return entry.enum_words(value)
    if fmt == "flag":
        return entry.flag_words(bool(value))
    if fmt == "number" and isinstance(value, int | float):
        return f"{as_entered(value)}{unit}"
    if fmt == "percent" and isinstance(value, int | float):
        return f"{one_decimal(value)} %"
    if fmt == "whole":
        return f"{value}{unit}"
    if fmt == "grade":
        return f"Grade {value}"
    if fmt == "cells" and isinstance(value, int):
        document = walk.before if side == "before" else walk.after
        total = _cells_counted(document)
        share = percent(value, total)
        return f"{value} of {total} cells" + (
            f" ({one_decimal(share)} %)" if share is not None else ""
        )
    if fmt == "date" and isinstance(value, str):
        try:
            return date_text(date.fromisoformat(value))
        except ValueError:
            return value
    if fmt == "datetime" and isinstance(value, str):
        try:
            return datetime_text(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _cells_counted(document: Json) -> int:
    aspirate = document.get("aspirate")
    counts = aspirate.get("differential") if isinstance(aspirate, dict) else None
    if not isinstance(counts, dict):
        return 0
    return sum(v for v in counts.values() if isinstance(v, int) and not isinstance(v, bool))
