"""`DraftDocument`: the case document as a draft may hold it, derived from `CaseDocument`.

Why derived rather than written: a draft is the same document with nothing required
yet, so each model of `marrowpath.domain.case` gets a draft twin in which every field
may be absent while its type, range and rules stay exactly those of the model (a
cellularity of 101 is still refused). A field added to the model is in the draft at
once. `parse_draft` keeps what is valid of a half-typed document: each field that
holds on its own, each list item that is valid whole, an empty object as absent; so
rules that judge parts of a case (the advisory flags) can run on a draft without
made-up values standing in for the missing ones.

A draft twin subclasses its model, so code that reads a case reads a draft; every field
of a draft may be None, which such code checks where a draft reaches it.

The working document itself stays the JSON typed (decision 4): `value_at` and `put_value`
are the one place that reads and writes it by a field's declared path, for the editor's
binding of a widget to its path (see their docstrings for why that cannot be the draft).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ValidationError, create_model

from marrowpath.domain.case import CaseDocument, Document

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", bound=Document)
_TWINS: dict[type[Document], type[Document]] = {}


def draft_model(model: type[D]) -> type[D]:
    """The draft twin of a model of the case document (made once, then reused)."""
    twin = _TWINS.get(model)
    if twin is None:
        fields: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            kind = _drafted(info.annotation)
            if info.metadata:
                kind = Annotated.__class_getitem__((kind, *info.metadata))  # type: ignore[attr-defined]
            fields[name] = (kind | None, None)
        twin = create_model(f"Draft{model.__name__}", __base__=model, __module__=__name__, **fields)
        _TWINS[model] = twin
    return twin  # type: ignore[return-value]


def _drafted(annotation: Any) -> Any:
    """The annotation with each model of the case replaced by its draft twin."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Document):
        return draft_model(annotation)
    if origin is Annotated:
        inner, *metadata = typing.get_args(annotation)
        return Annotated.__class_getitem__((_drafted(inner), *metadata))
    if origin in (typing.Union, types.UnionType):
        drafted = [_drafted(arg) for arg in typing.get_args(annotation)]
        return typing.Union.__getitem__(tuple(drafted))
    if origin is list:
        return list[_drafted(typing.get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


DraftDocument: type[CaseDocument] = draft_model(CaseDocument)


def parse_draft(data: object) -> CaseDocument:
    """A `DraftDocument` with the valid parts of `data` (never raises)."""
    return lenient(DraftDocument, data) or DraftDocument.model_validate({})


def lenient(model: type[M], value: object) -> M | None:
    """An instance of a draft model holding the valid parts of `value`; None when nothing
    in it is valid (or it is empty, or not an object)."""
    if not isinstance(value, dict) or not value:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if key not in model.model_fields:
            continue
        part = _valid_part(model, key, item)
        if part is not None:
            kept[key] = part
    return model.model_construct(**kept) if kept else None


def _valid_part(model: type[BaseModel], key: str, item: object) -> Any:
    nested = _model_of(model.model_fields[key].annotation)
    if nested is not None and isinstance(item, dict):
        return lenient(nested, item)
    if nested is not None and isinstance(item, list):
        # An item is one finding (a stain, a study): kept only when valid whole.
        kept = [valid for entry in item if (valid := _whole(nested, entry)) is not None]
        return kept or None
    single = _whole(model, {key: item})
    return getattr(single, key) if single is not None else None


def _whole(model: type[M], value: object) -> M | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The (draft) model a field holds, itself or as list items."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin is Annotated or origin is list:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found = [m for arg in typing.get_args(annotation) if (m := _model_of(arg))]
        return found[0] if found else None
    return None


def value_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a document in its JSON form ("core.cellularity_pct"),
    as stored, or None where the path is absent or crosses something that is not an object.

    Why a path on the JSON and not the draft: the editor binds each widget to the path the
    model declares for it (`labels.leaf`) and must show what was saved exactly as typed,
    including a value the model refuses ("abc" in a number field, which validation names
    at that field); a `DraftDocument` has dropped such a value. Every other reader of a
    draft's values reads the `DraftDocument`.
    """
    value: Any = document
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def put_value(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path of a document in its JSON form, making the objects on
    the way: how the editor assembles the document as typed from its widgets (for the
    reason `value_at` gives)."""
    keys = path.split(".")
    target = document
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
            target[key] = child
        target = child
    target[keys[-1]] = value
