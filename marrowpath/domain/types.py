"""Field types of the case document: strict JSON types, NFC text, ISO dates.

The case format says an *integer* takes JSON integers only and a *number* takes integers
or decimals, never strings; text is NFC-normalised; dates are `YYYY-MM-DD`. Pydantic's
lax mode would quietly accept `"80"`, `80.0` or a Unix timestamp, so each field type here
is pinned down once and reused by every model.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le
from pydantic import AfterValidator, BeforeValidator, Field, Strict, StrictFloat, StrictInt

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 20_000

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nfc(value: str) -> str:
    """Normalise to NFC so that 'Zoë' typed two ways is one name."""
    return unicodedata.normalize("NFC", value)


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _finite(value: float) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"must be a date written YYYY-MM-DD, got {value!r}")
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset or Z")
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError(
            f"must be a date-time such as 2026-11-18T15:20:00-05:00 (with an offset or Z), "
            f"got {value!r}"
        )
    return value


ShortText = Annotated[
    str,
    Strict(),
    AfterValidator(nfc),
    AfterValidator(_no_control_characters),
    Field(max_length=SHORT_TEXT_MAX),
]
LongText = Annotated[str, Strict(), AfterValidator(nfc), Field(max_length=LONG_TEXT_MAX)]
NonEmptyShortText = Annotated[ShortText, Field(min_length=1)]
Count = Annotated[int, Strict(), Field(ge=0)]
Number = Annotated[StrictInt | StrictFloat, AfterValidator(_finite)]
Percent = Annotated[Number, Ge(0), Le(100)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
Flag = Annotated[bool, Strict()]


def number(low: float, high: float, *, low_exclusive: bool = False) -> Any:
    """A JSON number (integer or decimal, kept as written) within a range."""
    if low_exclusive:
        return Annotated[Number, Gt(low), Le(high)]
    return Annotated[Number, Ge(low), Le(high)]
