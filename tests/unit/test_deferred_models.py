"""The case document's validators are built on first use (`defer_build`, decision 75), so
a program that never validates a case does not pay for building them. The first use may
come from several threads at once (the desktop app validates on its pool threads): each
must get the case's own validator, fully built. Checked in a child process, where no
model has been used yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, threading
from datetime import date
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.validation import parse_case
from marrowpath.domain.versions import VersionContent

assert not CaseDocument.__pydantic_complete__, "built at import"
data = json.loads(sys.stdin.read())
start = threading.Barrier(8)
results = []

def first_use():
    start.wait()
    document = parse_case(data, today=date(2026, 11, 26))
    results.append(document.model_dump(mode="json", exclude_none=True))

threads = [threading.Thread(target=first_use) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"complete": CaseDocument.__pydantic_complete__, "results": results}))
"""


def test_first_validation_from_eight_threads_at_once() -> None:
    example = (FIXTURES / "example-case.json").read_text(encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        input=example,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(completed.stdout)
    assert outcome["complete"] is True
    results = outcome["results"]
    assert len(results) == 8
    assert all(result == results[0] for result in results)
    assert results[0]["accession"] == json.loads(example)["accession"]
