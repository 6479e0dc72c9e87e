"""How values read on paper, for the report modules: the wording lives in
`marrowpath.domain.wording` (the changes table of an amendment needs it too), and this
module keeps the names the report sections import."""

from __future__ import annotations

from marrowpath.domain.wording import (
    NOT_RECORDED,
    as_entered,
    date_text,
    datetime_text,
    interval_text,
    join,
    lower_words,
    offset_text,
    one_decimal,
    percent_text,
    plain_number,
    words,
    yes_no,
)

__all__ = [
    "NOT_RECORDED",
    "as_entered",
    "date_text",
    "datetime_text",
    "interval_text",
    "join",
    "lower_words",
    "offset_text",
    "one_decimal",
    "percent_text",
    "plain_number",
    "words",
    "yes_no",
]
