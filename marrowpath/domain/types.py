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
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    StrictFloat,
    StrictInt,
    ValidationInfo,
)

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 20_000
# case-format.md: each differential count at most 10,000 cells, the total at most 100,000
DIFFERENTIAL_COUNT_MAX = 10_000
DIFFERENTIAL_TOTAL_MAX = 100_000

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
# Control characters (Unicode Cc: C0, DEL, C1). Short text allows none; long text keeps tab
# and the line ends (LF, and CR of CR LF), the only ones a person types into a paragraph.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LONG_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Validation context for content read back from storage (issued versions): the rules added
# after a version was signed must not make it unreadable or change its hash, so the
# validators marked `input_only` let stored content through as it was signed.
STORED: dict[str, Any] = {"stored": True}


def input_only(check: Callable[[Any], Any]) -> Callable[[Any, ValidationInfo], Any]:
    """A validator that judges new input and passes stored content unchanged."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict) and info.context.get("stored"):
            return value
        return check(value)

    return validate


def nfc(value: str) -> str:
    """Normalise to NFC so that 'Zoë' typed two ways is one name."""
    return unicodedata.normalize("NFC", value)


def control_character_problem(value: str, *, long_text: bool = False) -> str | None:
    """Why text is refused for a control character (NUL and the like), or None.

    The same words on every database: PostgreSQL cannot store NUL at all, SQLite can, and
    neither should hold text that prints differently from what it contains.
    """
    found = (_CONTROL_IN_LONG_TEXT if long_text else _CONTROL).search(value)
    if found is None:
        return None
    allowed = " (tab and line ends are allowed)" if long_text else ""
    return (
        f"must not contain control characters{allowed}; U+{ord(found.group()):04X} at "
        f"position {found.start() + 1}"
    )


def _no_control_characters(value: str) -> str:
    problem = control_character_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _no_control_characters_but_lines(value: str) -> str:
    problem = control_character_problem(value, long_text=True)
    if problem:
        raise ValueError(problem)
    return value


def _finite(value: float) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


def whole_count(value: Any) -> int | None:
    """A count as a half-typed draft may hold it: a whole number of 0 or more, else None
    (a bool is no count, although Python calls it an int)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def lenient_date(value: Any) -> date | None:
    """The one lenient reader of a date in a draft: a date, or a string that
    `date.fromisoformat` reads; anything else (half-typed, a number, absent) is None.

    Why lenient: drafts hold what was typed, and the banner, the age shown beside the
    cellularity, the extracted columns and the date rules must all read a typed date the
    same way without failing on one that is not finished yet.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def lenient_datetime(value: Any) -> datetime | None:
    """A date-time in a draft, as `lenient_date` reads a date ("Z" is UTC)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


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


def _at_most_differential_max(value: int) -> int:
    if value > DIFFERENTIAL_COUNT_MAX:
        raise ValueError(
            f"must be a whole number <= {DIFFERENTIAL_COUNT_MAX} (cells of one category), "
            f"got {describe_number(value)}"
        )
    return value


def describe_number(value: int | float) -> str:
    """A number as a message shows it: a 401-digit number is not printed in full."""
    text = str(value)
    return text if len(text) <= 24 else f"a number of {len(text.lstrip('-'))} digits"


ShortText = Annotated[
    str,
    Strict(),
    AfterValidator(nfc),
    AfterValidator(input_only(_no_control_characters)),
    Field(max_length=SHORT_TEXT_MAX),
]
LongText = Annotated[
    str,
    Strict(),
    AfterValidator(nfc),
    AfterValidator(input_only(_no_control_characters_but_lines)),
    Field(max_length=LONG_TEXT_MAX),
]
NonEmptyShortText = Annotated[ShortText, Field(min_length=1)]
Count = Annotated[int, Strict(), Field(ge=0)]
DifferentialCount = Annotated[
    int, Strict(), Field(ge=0), AfterValidator(input_only(_at_most_differential_max))
]
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
