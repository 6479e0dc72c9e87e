"""Validating a case document: field rules from the models, cross-field rules, messages.

Two levels, as the case format asks:

* `parse_case` is "valid to import and sign": every required field, every rule.
* `check_draft` is "valid to save": the same rules on the fields that are present; missing
  required fields are listed, not refused, so a half-finished draft can be saved.

Every message names the field by its path and states the rule, for example
`aspirate.differential.blasts must be a whole number >= 0, got -3`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import Enum
from fractions import Fraction
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from marrowpath.domain.case import FORMAT, FORMAT_1, CaseDocument
from marrowpath.domain.draft import parse_draft
from marrowpath.domain.errors import InvalidCase, Problem
from marrowpath.domain.text import visible
from marrowpath.domain.thresholds import round_half_up
from marrowpath.domain.types import describe_number, lenient_date, lenient_datetime, whole_count
from marrowpath.domain.upgrade import upgrade_case

# The one `/1` field that `/2` renamed: a `/2` file that still has it is told so.
FORMAT_1_PATTERN = "core.infiltrate.pattern"
# Tags pydantic adds to an error location for union branches and validators: not fields.
_LOCATION_TAGS = {"int", "float", "str", "bool", "list", "dict"}
# A case document is at most 6 levels deep; 32 leaves room and stops a file of 100,000
# nested brackets before it exhausts the parser's stack.
MAX_JSON_DEPTH = 32
NESTING_RULE = (
    f"is nested more than {MAX_JSON_DEPTH} levels deep (objects and lists within each "
    "other); a case file never is"
)


@dataclass(frozen=True)
class DraftCheck:
    """The outcome of checking a draft: rules broken (blocks saving) and fields missing."""

    problems: list[Problem]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.problems and not self.missing


def accession_of(data: object) -> str | None:
    """The accession of raw input, if it has a readable one (for naming refusals)."""
    if isinstance(data, dict):
        value = data.get("accession")
        if isinstance(value, str) and value.strip():
            return value.strip()[:40]
    return None


def nesting_too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when objects and lists are nested more than `limit` levels (iteratively: a
    recursive walk would itself fail on the input it is meant to refuse)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(text: str) -> Any:
    """`json.loads` for case files: no NaN or Infinity, no nesting beyond 32 levels.

    Raises `InvalidCase` (no accession) saying what is wrong, never `RecursionError`.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidCase(None, [Problem("", NESTING_RULE)]) from None
    except (json.JSONDecodeError, ValueError) as error:
        raise InvalidCase(
            None, [Problem("", f"is not valid JSON ({_json_reason(error)})")]
        ) from None
    if nesting_too_deep(data):
        raise InvalidCase(accession_of(data), [Problem("", NESTING_RULE)])
    return data


def parse_case_json(text: str | bytes, *, today: date) -> CaseDocument:
    """Parse and validate one case file's bytes. Raises `InvalidCase` for anything wrong."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidCase(
                None, [Problem("", f"is not UTF-8 text (byte {error.start} cannot be read)")]
            ) from None
    return parse_case(load_json(text), today=today)


def parse_case(data: Any, *, today: date) -> CaseDocument:
    """Validate a case document completely (import, sign). Raises `InvalidCase`.

    A `/1` document is upgraded to `/2` first (`upgrade.py`); any other format is refused.
    """
    accession = accession_of(data)
    if not isinstance(data, dict):
        raise InvalidCase(None, [Problem("", f"must be a JSON object, got {_describe(data)}")])
    if nesting_too_deep(data):
        raise InvalidCase(accession, [Problem("", NESTING_RULE)])
    data = upgrade_case(data)
    if data.get("format") != FORMAT:
        raise InvalidCase(
            accession,
            [
                Problem(
                    "format",
                    f"must be exactly {FORMAT} (or {FORMAT_1}, read and upgraded), got "
                    f"{_describe(data.get('format'))}",
                )
            ],
        )
    try:
        document = CaseDocument.model_validate(data)
    except ValidationError as error:
        raise InvalidCase(accession, problems_from(error)) from None
    problems = cross_field_problems(data, today=today) + [
        Problem(path, rule) for path, rule in completeness_gaps(data)
    ]
    if problems:
        raise InvalidCase(document.accession, problems)
    return document


@dataclass(frozen=True)
class Reading:
    """A working document read as typed: the case when it is complete and valid
    (`complete`), else its `DraftDocument` (the parts valid on their own)."""

    case: CaseDocument
    complete: bool


def read_working(data: dict[str, Any], *, today: date) -> Reading:
    """Read a working document once for everything judged while typing (the advisory
    flags, the values shown beside the fields): one full validation, and one lenient
    reading when that fails, however many things read it."""
    try:
        return Reading(parse_case(data, today=today), complete=True)
    except InvalidCase:
        return Reading(parse_draft(data), complete=False)


def check_draft(data: dict[str, Any], *, today: date) -> DraftCheck:
    """Check a working document that may be incomplete: rules broken, fields missing."""
    if nesting_too_deep(data):
        return DraftCheck(problems=[Problem("", NESTING_RULE)], missing=[])
    try:
        CaseDocument.model_validate(data)
        problems: list[Problem] = []
        missing: list[str] = []
    except ValidationError as error:
        missing = [_path(e["loc"]) for e in error.errors() if e["type"] == "missing"]
        problems = problems_from(error, skip_missing=True)
    problems += cross_field_problems(data, today=today)
    missing += [path for path, _ in completeness_gaps(data)]
    return DraftCheck(problems=problems, missing=missing)


def problems_from(error: ValidationError, *, skip_missing: bool = False) -> list[Problem]:
    """Turn pydantic's errors into one problem per field path, in document order."""
    by_path: dict[str, Problem] = {}
    for detail in error.errors():
        if skip_missing and detail["type"] == "missing":
            continue
        path = _path(detail["loc"])
        if path in by_path and detail["type"] in {"int_type", "float_type"}:
            continue  # a union's other branch; the first message already says it
        by_path.setdefault(path, Problem(path, _message(detail)))
    if FORMAT_1_PATTERN in by_path:  # one line: the /1 field, not also the /2 one missing
        by_path.pop(FORMAT_1_PATTERN.removesuffix("pattern") + "patterns", None)
    return list(by_path.values())


def cross_field_problems(data: dict[str, Any], *, today: date) -> list[Problem]:
    """Rules between fields, judged on whatever is present (drafts too)."""
    problems: list[Problem] = []
    procedure = _obj(data.get("procedure"))
    patient = _obj(data.get("patient"))
    procedure_date = lenient_date(procedure.get("date"))
    birth_date = lenient_date(patient.get("birth_date"))
    if procedure_date and procedure_date > today:
        problems.append(
            Problem("procedure.date", f"{procedure_date} is in the future (today is {today})")
        )
    if birth_date and procedure_date and birth_date > procedure_date:
        problems.append(
            Problem(
                "patient.birth_date",
                f"{birth_date} is after the procedure date {procedure_date}",
            )
        )
    received = lenient_datetime(data.get("received_at"))
    if received and procedure_date and received.date() < procedure_date:
        problems.append(
            Problem(
                "received_at", f"{received.date()} is before the procedure date {procedure_date}"
            )
        )
    key = _obj(data.get("key_results"))
    for value_field, source_field in (
        ("blasts_pct", "blasts_source"),
        ("plasma_cells_pct", "plasma_cells_source"),
    ):
        if key.get(value_field) is not None and key.get(source_field) is None:
            problems.append(
                Problem(f"key_results.{source_field}", f"is required when {value_field} is given")
            )
    ancillary = data.get("ancillary")
    if isinstance(ancillary, list):
        for index, study in enumerate(ancillary):
            study = _obj(study)
            if str(study.get("result") or "").strip():
                continue
            if study.get("status") == "final":
                problems.append(
                    Problem(f"ancillary[{index}].result", "is required when the status is final")
                )
            elif study.get("status") == "not_performed":
                problems.append(
                    Problem(
                        f"ancillary[{index}].result",
                        "is required when the status is not_performed (the reason)",
                    )
                )
    problems += _collection_problems(procedure, procedure_date)
    problems += _therapy_problems(_obj(data.get("clinical")).get("therapy"))
    problems += _ring_sideroblast_problems(_obj(_obj(data.get("aspirate")).get("iron")))
    return problems


def _collection_problems(procedure: dict[str, Any], procedure_date: date | None) -> list[Problem]:
    """`procedure.collected_at` is on the procedure date, as the time is written (its own
    offset: 23:30 in New York is that day there, whatever the date in UTC)."""
    collected = lenient_datetime(procedure.get("collected_at"))
    if collected is None or procedure_date is None or collected.date() == procedure_date:
        return []
    return [
        Problem(
            "procedure.collected_at",
            f"is on {collected.date()}, not on the procedure date {procedure_date}",
        )
    ]


def _therapy_problems(therapy: Any) -> list[Problem]:
    """A therapy period does not end before it starts."""
    problems: list[Problem] = []
    for index, period in enumerate(therapy if isinstance(therapy, list) else []):
        period = _obj(period)
        started, ended = (
            lenient_date(period.get("started_on")),
            lenient_date(period.get("ended_on")),
        )
        if started and ended and ended < started:
            problems.append(
                Problem(
                    f"clinical.therapy[{index}].ended_on", f"{ended} is before started_on {started}"
                )
            )
    return problems


def _ring_sideroblast_problems(iron: dict[str, Any]) -> list[Problem]:
    """Counted ring sideroblasts are some of the erythroblasts counted, and a typed
    percentage beside them says what they say, to one decimal (half up)."""
    ring, counted = (
        whole_count(iron.get("ring_sideroblasts")),
        whole_count(iron.get("erythroblasts_counted")),
    )
    if ring is None:
        return []
    path = "aspirate.iron.ring_sideroblasts"
    if counted is None:
        return [Problem(path, "is given without erythroblasts_counted: a count needs both")]
    if ring > counted:
        return [Problem(path, f"must be at most erythroblasts_counted ({counted}), got {ring}")]
    typed = iron.get("ring_sideroblasts_pct")
    if counted == 0 or not isinstance(typed, int | float) or isinstance(typed, bool):
        return []
    derived = round_half_up(Fraction(100 * ring, counted), 1)
    if round_half_up(Fraction(str(typed)), 1) == derived:
        return []
    return [
        Problem(
            f"{path}_pct",
            f"{describe_number(typed)} disagrees with the counts: {ring} of {counted} "
            f"erythroblasts is {derived} %",
        )
    ]


def completeness_gaps(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Required content that no single field's rule expresses: (path, rule) pairs."""
    gaps: list[tuple[str, str]] = []
    if data.get("aspirate") is None and data.get("core") is None:
        gaps.append(("aspirate", "or core is required: at least one of them"))
    lines = _obj(data.get("diagnosis")).get("lines")
    if isinstance(lines, list) and lines and not any(str(line).strip() for line in lines):
        gaps.append(("diagnosis.lines", "must contain at least one non-empty line"))
    return gaps


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _json_reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    return str(error)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _LOCATION_TAGS or "[" in part:
            continue
        else:
            part = visible(part)  # a field name is input too ("mrn\x00")
            path += f".{part}" if path else part
    return path


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return describe_number(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    value = detail.get("input")
    got = f", got {_describe(value)}"
    whole = _field_name(detail["loc"]) in _WHOLE_NUMBER_FIELDS
    noun = "a whole number" if whole else "a number"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden" and _path(detail["loc"]) == FORMAT_1_PATTERN:
        return f"is a field of {FORMAT_1}; {FORMAT} has patterns (a list)"
    if kind == "extra_forbidden":
        return f"is not a field of {FORMAT} (misspelt?)"
    if kind in {"int_type", "int_from_float", "int_parsing"}:
        if _is_number_union(detail):
            return f"must be a number{got}"
        return f"must be a whole number{got}"
    if kind in {"float_type", "float_parsing"}:
        return f"must be a number{got}"
    if kind == "greater_than_equal":
        return f"must be {noun} >= {ctx['ge']}{got}"
    if kind == "greater_than":
        return f"must be {noun} > {ctx['gt']}{got}"
    if kind == "less_than_equal":
        return f"must be {noun} <= {ctx['le']}{got}"
    if kind == "less_than":
        return f"must be {noun} < {ctx['lt']}{got}"
    if kind == "bool_type":
        return f"must be true or false{got}"
    if kind == "string_type":
        return f"must be text{got}"
    if kind == "string_too_long":
        return f"is too long: {len(value)} characters, at most {ctx['max_length']}"
    if kind in {"string_too_short", "too_short"}:
        return "must not be empty"
    if kind == "too_long" and isinstance(value, str):
        return f"is too long: {len(value)} characters, at most {ctx['max_length']}"
    if kind == "too_long":
        return f"has too many items: at most {ctx['max_length']}"
    if kind == "string_pattern_mismatch":
        if detail["loc"] and detail["loc"][-1] == "accession":
            return f"must be 1-32 characters from A-Z, 0-9 and - (uppercase, no spaces){got}"
        return f"does not match the pattern {ctx.get('pattern')}{got}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}{got}"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"must be an object{got}"
    if kind == "list_type":
        return f"must be a list{got}"
    if kind in {"value_error", "assertion_error"}:
        message = str(ctx.get("error") or detail["msg"])
        return message.removeprefix("Value error, ")
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"must be a valid date{got}"
    return f"{detail['msg'].lower()}{got}"


def _field_name(loc: tuple[int | str, ...]) -> str:
    names = [part for part in loc if isinstance(part, str) and part not in _LOCATION_TAGS]
    return names[-1] if names else ""


def _unwrap(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _whole_number_fields(model: type[BaseModel]) -> set[str]:
    """Names of the integer-only fields, so range messages can say "a whole number"."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = {_unwrap(a) for a in get_args(annotation)} - {type(None)} or {annotation}
        if args == {int}:
            names.add(name)
        for arg in args | {a for t in args for a in get_args(t)}:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _whole_number_fields(arg)
    return names


_WHOLE_NUMBER_FIELDS = _whole_number_fields(CaseDocument)


def _is_number_union(detail: ErrorDetails) -> bool:
    return any(part in {"int", "float"} for part in detail["loc"] if isinstance(part, str))


def enum_words(value: Enum) -> str:
    """A value as a message shows it."""
    return str(value.value)
