"""The showcase: hand-written patient stories, read from the JSON files in `stories/`.

Each file is one patient's story (`marrowpath.demo-story/1`): the case documents as a
pathologist would have written them (`marrowpath.case/1`, or `/2` for the serial
patients, whose reports carry therapy periods and ancillary measurements for the
timeline) and what happened to each
afterwards (sign, amend with a reason, addendum, withdraw, cancel; who did it). Cases are
placed `days_ago` before the day the demo is loaded, so the files hold dates relative to
the procedure: `{day}`, `{day+4}`, `{day-3}`; and the accession, order numbers and arrival
time, which depend on where the case falls among the others, as `{accession}`,
`{placer_order_number}`, `{visit_number}` and `{received_at}`; and the cellularity
verdict for the patient's age on that day as `{verdict}` or `{Verdict}`. Birth dates are written out:
a patient's identity does not depend on the day the demo was loaded.

Results reported after the day of loading are already pending in the files (they are
relative to the procedure, as `days_ago` is), so no document reports the future.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from marrowpath.demo.documents import order_numbers, received_at
from marrowpath.demo.model import DemoCase, DemoStep, Json
from marrowpath.domain import derived

STORY_FORMAT = "marrowpath.demo-story/1"
# Gaps between consecutive showcase accession numbers, as in a real lab's numbering.
_STRIDES = (3, 1, 4, 2, 5, 1, 3, 2, 6, 1)
_PLACEHOLDER = re.compile(
    r"\{(day(?:[+-]\d+)?|accession|placer_order_number|visit_number|received_at|verdict|Verdict)\}"
)


@dataclass(frozen=True)
class _Entry:
    """One case of a story, as written in its file."""

    story: str
    days_ago: int
    assigned_pathologist: str
    resident: str | None
    document: Json
    steps: tuple[Json, ...]


def showcase_cases(today: date) -> list[DemoCase]:
    """The stories' cases, oldest procedure first, with accessions numbered per year
    (BMYY-NNNNN, with gaps as in a real lab) below any number `bulk_cases` uses."""
    counters: dict[int, int] = {}
    cases: list[DemoCase] = []
    for index, entry in enumerate(_entries()):
        day = today - timedelta(days=entry.days_ago)
        number = counters.get(day.year, 0) + _STRIDES[index % len(_STRIDES)]
        counters[day.year] = number
        values = {
            "day": day,
            "accession": f"BM{day.year % 100:02d}-{number:05d}",
            "received_at": received_at(day, number),
            **order_numbers(day, number),
        }
        cases.append(
            DemoCase(
                document=_document(entry.document, values),
                steps=tuple(_step(step, values) for step in entry.steps),
                assigned_pathologist=entry.assigned_pathologist,
                resident=entry.resident,
            )
        )
    return cases


@cache
def _entries() -> tuple[_Entry, ...]:
    """Every story's cases, oldest first (read once: the files ship with the package)."""
    entries: list[_Entry] = []
    folder = resources.files("marrowpath.demo") / "stories"
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".json"):
            continue
        story = json.loads(path.read_text(encoding="utf-8"))
        if story.get("format") != STORY_FORMAT:
            raise ValueError(f"demo story {path.name}: format must be {STORY_FORMAT!r}")
        for case in story["cases"]:
            entries.append(
                _Entry(
                    story=path.name,
                    days_ago=int(case["days_ago"]),
                    assigned_pathologist=case["assigned_pathologist"],
                    resident=case.get("resident"),
                    document=case["document"],
                    steps=tuple(case["steps"]),
                )
            )
    return tuple(sorted(entries, key=lambda e: (-e.days_ago, e.story)))


def _step(step: Json, values: dict[str, Any]) -> DemoStep:
    return DemoStep(
        action=step["action"],
        document=_document(step["document"], values) if "document" in step else None,
        reason_category=step.get("reason_category"),
        reason=step.get("reason"),
        text=step.get("text"),
        ancillary=_fill(step["ancillary"], values) if "ancillary" in step else None,
        signer=step.get("signer"),
        acknowledge=tuple(step.get("acknowledge", ())),
    )


def _document(template: Json, values: dict[str, Any]) -> Json:
    """A case document: its placeholders filled, the cellularity verdict ("hypercellular")
    judged from the core's cellularity and the patient's age on the day, as the report
    judges it (the same story loaded a year later may cross an age boundary)."""
    born = date.fromisoformat(template["patient"]["birth_date"])
    age = derived.age_in_years(born, values["day"])
    verdict = derived.assess_cellularity(template["core"]["cellularity_pct"], age).verdict
    document: Json = _fill(template, values | {"verdict": verdict})
    return document


def _fill(value: Any, values: dict[str, Any]) -> Any:
    """A fresh copy of `value` with every placeholder replaced (callers may change it)."""
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, str) and "{" in value:
        return _PLACEHOLDER.sub(lambda match: _value(match.group(1), values), value)
    return value


def _value(name: str, values: dict[str, Any]) -> str:
    if name == "Verdict":
        return str(values["verdict"]).capitalize()
    if name.startswith("day"):
        offset = int(name[3:] or 0)
        day: date = values["day"] + timedelta(days=offset)
        return day.isoformat()
    return str(values[name])
