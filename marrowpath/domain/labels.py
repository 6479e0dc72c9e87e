"""The printed label of every field of the case document, keyed by its path.

The labels are declared on the models (`marrowpath.domain.case`, one `FieldLabel` per
leaf); this module walks the models once into a table in report order, read by the
PDF's findings sections, the interface text, the editor and the changes table of an
amendment, so that a field is called the same thing wherever a clinician reads it and no
label is written twice.

Paths are JSON paths with `[]` for "any item of this list": `stains[].percent`. A list
compared item by item has a `ListLabel` saying how its items are matched (by position,
by a key field, or as a set of values) and what an item is called.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from marrowpath.domain.case import CaseDocument, Document
from marrowpath.domain.enums import label
from marrowpath.domain.meta import (
    NO_WORDS,
    PLACES,
    SOURCE_WORDS,
    TEN9,
    FieldLabel,
    Format,
    Group,
    ListLabel,
    Place,
)

__all__ = [
    "FIELDS",
    "LISTS",
    "NO_WORDS",
    "SOURCE_WORDS",
    "TEN9",
    "FieldLabel",
    "Format",
    "Group",
    "Leaf",
    "ListLabel",
    "field_label",
    "fields_under",
    "label_of",
    "leaf",
    "leaves",
    "report_rank",
]

NOT_PRINTED = frozenset({"format", "versions"})  # the format tag; export's version list


class Leaf(typing.NamedTuple):
    """One field as the walk finds it: its path, its label, the model field (type and
    range) and whether the document needs it where its parent is present."""

    path: str
    label: FieldLabel
    info: FieldInfo
    required: bool

    @property
    def signout(self) -> bool:
        """Sign-out needs a value here (where the parent object is present)."""
        return self.required if self.label.signout is None else self.label.signout

    @property
    def value_type(self) -> Any:
        """The type of one value: the item type of a list, without `Annotated` and None."""
        kind = _unwrapped(self.info.annotation)
        if typing.get_origin(kind) is list:
            return _unwrapped(typing.get_args(kind)[0])
        return kind

    @property
    def choices(self) -> type[StrEnum] | None:
        """The enumeration a value is one of, or None."""
        kind = self.value_type
        return kind if isinstance(kind, type) and issubclass(kind, StrEnum) else None

    @property
    def integer(self) -> bool:
        """A whole number (a count, a grade, a percentage of 0-100 in steps of 1)."""
        return self.value_type is int


def _unwrapped(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrapped(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kept = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _unwrapped(kept[0]) if len(kept) == 1 else annotation
    return annotation


def _model(annotation: Any) -> type[Document] | None:
    found = _unwrapped(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None  # type: ignore[return-value]


def _declared(info: FieldInfo, kind: type[Any]) -> Any:
    return next((item for item in info.metadata if isinstance(item, kind)), None)


def _walk(model: type[Document], prefix: str) -> Iterator[tuple[Place, Leaf, ListLabel | None]]:
    """Every leaf under `model` in model order, with the place it prints."""
    for name, info in model.model_fields.items():
        if not prefix and name in NOT_PRINTED:
            continue
        path = prefix + name
        kind = _unwrapped(info.annotation)
        declared: FieldLabel | None = _declared(info, FieldLabel)
        listed: ListLabel | None = _declared(info, ListLabel)
        if typing.get_origin(kind) is list:
            item = _model(typing.get_args(kind)[0])
            if declared is not None:
                where: Place = declared.place or (item.place if item else model.place)
                yield where, Leaf(f"{path}[]", declared, info, info.is_required()), listed
            if item is not None:
                renamed = listed.fields if listed else {}
                for inner, found, sub in _walk(item, f"{path}[]."):
                    own = renamed.get(found.path.rsplit(".", 1)[-1])
                    yield inner, found._replace(label=own) if own else found, sub
            continue
        nested = _model(info.annotation)
        if nested is not None:
            yield from _walk(nested, f"{path}.")
            continue
        if declared is None:
            raise TypeError(f"{path}: a field of the case document without a FieldLabel")
        yield declared.place or model.place, Leaf(path, declared, info, info.is_required()), None


def _in_report_order() -> tuple[list[Leaf], dict[str, ListLabel]]:
    walked = list(_walk(CaseDocument, ""))
    rank = {place: index for index, place in enumerate(PLACES)}
    ordered = sorted(range(len(walked)), key=lambda i: (rank[walked[i][0]], i))
    lists = {
        leaf.path.removesuffix("[]"): listed
        for _place, leaf, listed in walked
        if listed is not None
    }
    return [walked[i][1] for i in ordered], lists


_LEAVES, _LISTS = _in_report_order()

FIELDS: Mapping[str, FieldLabel] = MappingProxyType({leaf.path: leaf.label for leaf in _LEAVES})
LISTS: Mapping[str, ListLabel] = MappingProxyType(_LISTS)


def leaves() -> list[Leaf]:
    """Every leaf of the case document in report order (what an editor and a test of
    completeness walk)."""
    return list(_LEAVES)


_BY_PATH = {leaf.path: leaf for leaf in _LEAVES}


def leaf(path: str) -> Leaf:
    """The leaf at a path; a list may be named without its `[]` (`procedure.specimens`).

    Raises:
        KeyError: the case document has no such field (an editor naming a path that is
            not in the model is a programming error, caught by the tests).
    """
    found = _BY_PATH.get(path) or _BY_PATH.get(f"{path}[]")
    if found is None:
        raise KeyError(f"{path}: no such field in the case document")
    return found


def value_at(document: object, path: str) -> Any:
    """The value of a parsed document (or a draft's partial parse) at a dotted path of
    plain fields (`core.length_mm`), None where a model on the way is absent: so that a
    place naming a field by its path reads its value without naming the attributes."""
    value: Any = document
    for name in path.split("."):
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


def field_label(path: str) -> FieldLabel:
    """The entry for a path (`stains[].percent`); a path not in the table gets its last
    name in words, so a new field never prints as a JSON path."""
    entry = FIELDS.get(path)
    if entry is not None:
        return entry
    name = path.rsplit(".", 1)[-1].replace("[]", "")
    return FieldLabel(label(name))


def label_of(path: str) -> str:
    """The words printed beside the field's value."""
    return field_label(path).label


def fields_under(prefix: str) -> list[tuple[str, FieldLabel]]:
    """The fields directly under `prefix` ("clinical.cbc."), in report order, keyed by
    their own name ("platelets_10e9_l")."""
    return [
        (path.removeprefix(prefix), entry)
        for path, entry in FIELDS.items()
        if path.startswith(prefix) and "." not in path.removeprefix(prefix)
    ]


def report_rank(path: str) -> int:
    """Where a path stands in report order (unknown paths last)."""
    try:
        return _RANK[path]
    except KeyError:
        return len(_RANK)


_RANK = {path: index for index, path in enumerate(FIELDS)}
