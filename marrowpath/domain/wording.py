"""How values read on paper: dates, times with their UTC offset, percentages, units.

One module so that the report, its footer, the patient summary and the changes table of
an amendment write a date or a percentage the same way. Plain text only; escaping for
paragraph markup happens in the renderers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from marrowpath.domain.enums import label
from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, round_half_up, shown

NOT_RECORDED = "not recorded"


def date_text(value: date | None) -> str:
    """ISO dates (2026-11-18): unambiguous for US and European readers alike."""
    return value.isoformat() if value else NOT_RECORDED


def offset_text(offset: timedelta | None) -> str:
    """'UTC-05:00', 'UTC' for zero, '' for a naive time."""
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def datetime_text(value: datetime | None) -> str:
    """'2026-11-20 14:32 UTC-05:00': the time as recorded, with its offset spelt out.

    The offset is printed rather than converted so the reader sees the signer's local
    time and can still place it exactly.
    """
    if value is None:
        return NOT_RECORDED
    offset = offset_text(value.utcoffset())
    text = value.strftime("%Y-%m-%d %H:%M")
    return f"{text} {offset}" if offset else text


def one_decimal(value: Fraction | Decimal | float | int | None, quantity: str = "") -> str:
    """Percentages and ratios: one decimal, rounded half up (12.25 -> 12.3), never onto a
    threshold of `quantity` that the value has not reached (CD138 9.95 -> 9.9)."""
    if value is None:
        return ""
    return str(shown(value, DISPLAY_THRESHOLDS.get(quantity, ())))


def percent_text(value: Fraction | Decimal | float | int | None, quantity: str = "") -> str:
    """ "9.9 %"; `quantity` (`thresholds.DISPLAY_THRESHOLDS`, or `stain_quantity(name)` for
    a stain) keeps a value below a threshold it has not reached."""
    return f"{one_decimal(value, quantity)} %" if value is not None else NOT_RECORDED


def as_entered(value: float | int | None) -> str:
    """A measured value with the precision it was entered with (54, 8.4, 0.25)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def plain_number(value: Decimal | float | int) -> str:
    """12.0 -> '12', 12.5 -> '12.5': counts in sentences for patients."""
    shown = round_half_up(value)
    return str(int(shown)) if shown == shown.to_integral_value() else str(shown)


def interval_text(interval: tuple[float, float] | None) -> str:
    if interval is None:
        return ""
    low, high = interval
    return f"{low:g}-{high:g}"


def words(value: object) -> str:
    """An enumeration value in words ('posterior_iliac_crest' -> 'Posterior iliac crest')."""
    return label(str(value))


def lower_words(value: object) -> str:
    """An enumeration value in words inside a sentence ('local only')."""
    code = str(value)
    shown = label(code)
    return shown if shown == code else shown[:1].lower() + shown[1:]


def words_list(values: Iterable[object]) -> str:
    """Several enumeration values as one phrase: "Nodular and interstitial",
    "Nodular, interstitial and diffuse" (the first capitalised, the rest lower case)."""
    said = [lower_words(value) for value in values]
    if not said:
        return ""
    phrase = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    return phrase[:1].upper() + phrase[1:]


def plural(count: int, word: str, words: str | None = None) -> str:
    """ "1 marrow", "2 marrows", "0 marrows": a count with its noun agreeing."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return "Yes" if value else "No"


def join(parts: list[str], sep: str = "; ") -> str:
    return sep.join(part for part in parts if part)


def long_date(value: date) -> str:
    """'November 24, 2026': dates in sentences for patients."""
    return f"{value:%B} {value.day}, {value.year}"
