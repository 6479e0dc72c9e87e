"""Load, measured: simulated workstations on one database, then the invariants.

Each workstation is a process with its own services (as a desktop app has), signed in as
its own pathologist, working for a fixed time on one shared set of cases with the mix of
a laboratory's day: search 50 %, open 25 %, save 15 %, sign 5 %, amend or addendum 3 %,
print 2 % (a workstation that signs a case out also accessions a new one when few open
cases are left, reported as "create"). Saves and signatures act on what the workstation
last opened, so workstations collide on the same cases as people do.

Afterwards the invariants are checked against the database:

* no lost update: every save a workstation was told succeeded has its change event in
  the audit trail, no two saves of a case were both told they made the same row
  version, and each case holds the text of the last save it was told about (the comment
  is changed only by saves here: amendments change the recommendations);
* no duplicate accession, version numbers 1..n per case, every version a workstation
  was told it issued stored with the hash it was told;
* `audit verify` intact, every issued version's document hash and stored PDF intact.

It prints throughput, the median and 99th percentile of each action and the refusals by
kind. Run: `.venv/bin/python benchmarks/bench_load.py --minutes 10` (10 workstations on
a new PostgreSQL database at MARROWPATH_TEST_PG's server, 3 on a new SQLite file; see
`--help`). tests/db/test_load.py runs it for seconds.

`--think SECONDS` gives each workstation a pause between actions, drawn at random around
that mean (exponentially, as a person reads, types and looks down the microscope); the
pauses are not timed. Without it the workstations act back to back, with no person at
them: the machine's capacity, every action queueing for a core.

`--database URL` runs on an existing database instead, one already filled (`marrowpath
demo --cases 1000000`): the pathologists and the lab identity are added if missing, by
an existing administrator, and the workstations work on the `--cases` cases the run
creates, whose patients carry the run's tag in their MRN (their worklist is a search for
it). The checks then read only those cases and their events and versions, the duplicate
accession check stays one query, and `audit verify` walks the whole chain (timed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from marrowpath.bootstrap import App, build, upgrade_database
from marrowpath.demo.bulk import bulk_cases
from marrowpath.demo.people import DEMO_PASSWORD, DEMO_USERS
from marrowpath.domain.errors import (
    ConcurrentChange,
    DatabaseChanged,
    InvalidCase,
    LifecycleRefused,
    Refused,
)
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import Role, User

MIX = {"search": 50, "open": 25, "save": 15, "sign": 5, "amend or addendum": 3, "print": 2}
PASSWORD = "Load-bench-7Qx-ward"
PG_ADMIN_URL = os.environ.get(
    "MARROWPATH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OPEN_STATUSES = (Status.DRAFT, Status.PRELIMINARY)
ISSUED_STATUSES = (Status.FINAL, Status.AMENDED, Status.APPENDED)
SEARCH_WORDS = ("smith", "leukemia", "myeloma", "lymphoma", "bm", "garcia", "marrow", "")
WORKLIST_EVERY = 20  # actions between refreshes of a workstation's worklist
FEW_OPEN_CASES = 12  # below this, a workstation that signs out accessions a new case
DEMO_ADMIN = next(user["username"] for user in DEMO_USERS if user["role"] == "admin")


@dataclass(frozen=True)
class ExistingDatabase:
    """A filled database to run on (`--database`): the administrator who sets it up, and
    the run's tag. The MRNs of the run's patients start with "LT" and the tag, so a
    search for `marker` finds the run's cases and nothing else: the workstations'
    worklist, among a million cases."""

    admin: str = DEMO_ADMIN
    password: str = DEMO_PASSWORD
    tag: str = field(default_factory=lambda: time.strftime("%y%m%d%H%M%S"))

    @property
    def marker(self) -> str:
        return f"LT{self.tag}"


# ---------------------------------------------------------------- what a run gives back


@dataclass
class StationResult:
    """One workstation's record: timings, refusals, and everything it was told it did."""

    username: str
    timings: dict[str, list[float]] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    saves: list[dict[str, Any]] = field(default_factory=list)  # accession, row_version, token
    issued: list[dict[str, Any]] = field(default_factory=list)  # accession, number, sha256
    created: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "refusals": dict(self.refusals)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StationResult:
        return cls(**{**data, "refusals": Counter(data["refusals"])})


@dataclass
class LoadReport:
    label: str
    workstations: int
    seconds: float
    stations: list[StationResult]
    problems: list[str]
    notes: list[str] = field(default_factory=list)  # what a run on an existing database adds
    think: float = 0.0  # mean pause between a workstation's actions, seconds

    def actions(self) -> dict[str, list[float]]:
        merged: dict[str, list[float]] = {}
        for station in self.stations:
            for action, timings in station.timings.items():
                merged.setdefault(action, []).extend(timings)
        return merged

    def refusals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for station in self.stations:
            total.update(station.refusals)
        return total

    def lines(self) -> list[str]:
        actions = self.actions()
        done = sum(len(t) for t in actions.values())
        out = [
            f"{self.label}: {self.workstations} workstations x {self.seconds:.0f} s"
            + (f", pauses of {self.think:g} s on average" if self.think else ", no pauses")
            + f": {done} actions, {done / self.seconds:.1f} actions/s",
            f"  {'action':<18}{'count':>8}{'share':>8}{'median ms':>12}{'p99 ms':>10}",
        ]
        for action in [*MIX, "create"]:
            timings = sorted(actions.get(action, []))
            if not timings:
                continue
            out.append(
                f"  {action:<18}{len(timings):>8}{100 * len(timings) / done:>7.1f}%"
                f"{statistics.median(timings):>12.1f}{_percentile(timings, 99):>10.1f}"
            )
        refusals = self.refusals()
        out.append(
            "  refusals: "
            + (", ".join(f"{kind} {n}" for kind, n in refusals.most_common()) or "none")
        )
        errors = [e for s in self.stations for e in s.errors]
        if errors:
            out.append(f"  unexpected errors: {len(errors)}; first: {errors[0]}")
        out.extend(f"  {note}" for note in self.notes)
        out.append(
            "  invariants: " + ("all hold" if not self.problems else f"{len(self.problems)} broken")
        )
        out.extend(f"    {problem}" for problem in self.problems[:20])
        return out


def _percentile(ordered: list[float], percent: float) -> float:
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


# ---------------------------------------------------------------- the day's work


def refusal_kind(error: Exception) -> str:
    if isinstance(error, ConcurrentChange):
        return "conflict (changed or signed elsewhere)"
    if isinstance(error, LifecycleRefused):
        return "not allowed in the case's state"
    if isinstance(error, DatabaseChanged):
        return "database files changed"
    if isinstance(error, InvalidCase):
        return "invalid document"
    if isinstance(error, Refused) and "busy" in str(error):
        return "database busy"
    if isinstance(error, Refused):
        return "other refusal"
    return f"error {type(error).__name__}"


class Workstation:
    """A pathologist at a workstation: a worklist, the case open in the editor."""

    def __init__(
        self,
        app: App,
        user: User,
        rng: random.Random,
        result: StationResult,
        *,
        worklist_words: str = "",
        templates: list[dict[str, Any]] | None = None,
    ) -> None:
        self.app, self.user, self.rng, self.result = app, user, rng, result
        self.worklist_words = worklist_words  # the run's marker on an existing database
        self.templates = templates if templates is not None else _templates()
        self.open_cases: list[str] = []
        self.issued_cases: list[str] = []
        self.editor: dict[str, Any] | None = None  # the record last opened
        self.done = 0

    def act(self) -> None:
        if self.done % WORKLIST_EVERY == 0:
            self.timed("search", self.refresh_worklist)
        action = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if action in ("amend or addendum", "print") and not self.issued_cases:
            self.timed("search", self.refresh_worklist)  # nothing issued in view yet
            action = "search"
        work: dict[str, Callable[[], None]] = {
            "search": self.search,
            "open": self.open_any,
            "save": self.save,
            "sign": self.sign,
            "amend or addendum": self.amend_or_addendum,
            "print": self.print,
        }
        self.timed(action, work[action])
        self.done += 1

    def timed(self, action: str, work: Callable[[], None]) -> None:
        started = time.perf_counter()
        try:
            work()
        except Exception as error:  # every refusal is counted by kind
            kind = refusal_kind(error)
            self.result.refusals[kind] += 1
            if kind.startswith("error"):
                self.result.errors.append(f"{action}: {type(error).__name__}: {error}")
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.result.timings.setdefault(action, []).append(elapsed)

    # ------------------------------------------------------------ actions

    def refresh_worklist(self) -> None:
        cases = self.app.cases
        words = self.worklist_words
        self.open_cases = [
            c.accession for c in cases.search(self.user, words, statuses=OPEN_STATUSES)
        ]
        self.issued_cases = [
            c.accession for c in cases.search(self.user, words, statuses=ISSUED_STATUSES, limit=60)
        ]

    def search(self) -> None:
        self.app.cases.search(self.user, self.rng.choice(SEARCH_WORDS), limit=50)

    def open_any(self) -> None:
        pool = self.open_cases if self.rng.random() < 0.7 else self.issued_cases
        if pool:
            self.open(self.rng.choice(pool))

    def open(self, accession: str) -> None:
        record = self.app.cases.open(self.user, accession).record
        self.editor = {
            "accession": accession,
            "row_version": record.row_version,
            "status": record.status,
            "working": json.loads(json.dumps(record.working)),
        }

    def _editable(self) -> dict[str, Any] | None:
        """The case in the editor if it can be edited, else another open case opened
        first (timed as an open, as the user would have to open it)."""
        if self.editor is None or self.editor["status"] not in OPEN_STATUSES:
            if not self.open_cases:
                return None
            self.timed("open", lambda: self.open(self.rng.choice(self.open_cases)))
        if self.editor is None or self.editor["status"] not in OPEN_STATUSES:
            return None
        return self.editor

    def save(self) -> None:
        editor = self._editable()
        if editor is None:
            return
        token = f"{self.user.username}-{uuid.uuid4().hex[:12]}"
        working = editor["working"]
        working.setdefault("diagnosis", {})["comment"] = f"Load comment {token}."
        result = self.app.cases.save(
            self.user, editor["accession"], working, expected_row_version=editor["row_version"]
        )
        editor["row_version"] = result.row_version
        self.result.saves.append(
            {"accession": editor["accession"], "row_version": result.row_version, "token": token}
        )

    def sign(self) -> None:
        editor = self._editable()
        if editor is None:
            return
        preliminary = editor["status"] is Status.DRAFT and self.rng.random() < 0.3
        version = self.app.cases.sign(
            self.user,
            editor["accession"],
            PASSWORD,
            preliminary=preliminary,
            expected_row_version=editor["row_version"],
            acknowledge=ACKNOWLEDGE,
        )
        self._issued(version)
        self.editor = None
        if not preliminary and len(self.open_cases) < FEW_OPEN_CASES:
            self.timed("create", self.create)

    def create(self) -> None:
        template = self.rng.choice(self.templates)
        data = {k: v for k, v in template.items() if k != "accession"}
        record = self.app.cases.create(self.user, data)
        self.result.created.append(record.accession)
        self.open_cases.append(record.accession)

    def amend_or_addendum(self) -> None:
        accession = self.rng.choice(self.issued_cases)
        token = f"{self.user.username}-{uuid.uuid4().hex[:12]}"
        if self.rng.random() < 0.5:
            version = self.app.cases.addendum(
                self.user, accession, PASSWORD, text=f"Addendum {token}."
            )
        else:
            latest = self.app.cases.versions(self.user, accession)[-1]
            document = latest.content.document.to_json_dict()
            diagnosis = document.setdefault("diagnosis", {})
            assert isinstance(diagnosis, dict)
            diagnosis["recommendations"] = f"Amended {token}."
            version = self.app.cases.amend(
                self.user,
                accession,
                document,
                PASSWORD,
                reason_category="report_defect",
                reason=f"Recommendation corrected ({token})",
                acknowledge=ACKNOWLEDGE,
            )
        self._issued(version)

    def print(self) -> None:
        self.app.cases.report_pdf(self.user, self.rng.choice(self.issued_cases))

    def _issued(self, version: Any) -> None:
        self.result.issued.append(
            {
                "accession": version.content.accession,
                "number": version.number,
                "sha256": version.sha256,
            }
        )


_TEMPLATE_CACHE: list[dict[str, Any]] = []


# The workstations sign copies of demo cases, some with discordant findings: the signer
# ticks them, as a pathologist would (what is measured is concurrency, not the checks).
ACKNOWLEDGE = ("all",)


def _templates(marker: str | None = None) -> list[dict[str, Any]]:
    """Complete case documents (from the demo's final cases) to copy for new cases.

    With a run's `marker` (an existing database) each patient gets the MRN marker + a
    number: the demo's own patients hold the templates' MRNs under other names, which
    the case service would refuse."""
    if not _TEMPLATE_CACHE:
        finals = [
            c for c in bulk_cases(200, today=date.today(), seed=7) if c.status.value == "final"
        ]
        _TEMPLATE_CACHE.extend(json.loads(json.dumps(c.document)) for c in finals[:40])
    if marker is None:
        return _TEMPLATE_CACHE
    mrns = sorted({t["patient"]["mrn"] for t in _TEMPLATE_CACHE})
    renamed = {mrn: f"{marker}{index:02d}" for index, mrn in enumerate(mrns, start=1)}
    copies = json.loads(json.dumps(_TEMPLATE_CACHE))
    for copy in copies:
        copy["patient"]["mrn"] = renamed[copy["patient"]["mrn"]]
    return list(copies)


def station_main(
    url: str,
    username: str,
    seed: int,
    seconds: float,
    start: Any,
    out: Any,
    marker: str | None = None,
    think: float = 0.0,
) -> None:
    """One workstation process: sign in, wait for the others, work for `seconds` (on the
    cases of the run's `marker` only, on an existing database), pausing `think` seconds
    on average between actions."""
    result = StationResult(username)
    app = build(url)
    try:
        user = app.auth.sign_in(username, PASSWORD)
        station = Workstation(
            app,
            user,
            random.Random(seed),
            result,
            worklist_words=marker or "",
            templates=_templates(marker),
        )
        station.refresh_worklist()
        start.wait()
        stop_at = time.monotonic() + seconds
        pauses = random.Random(seed + 1)  # the actions' own sequence stays the seed's
        while time.monotonic() < stop_at:
            station.act()
            if think:
                time.sleep(min(pauses.expovariate(1 / think), max(0.0, stop_at - time.monotonic())))
    except Exception as error:  # the run goes on without this workstation
        result.errors.append(f"workstation stopped: {type(error).__name__}: {error}")
        start.abort()
    finally:
        app.close()
        out.put(json.dumps(result.to_json()))


# ---------------------------------------------------------------- set-up and checks


def prepare(
    url: str, workstations: int, cases: int, existing: ExistingDatabase | None = None
) -> tuple[list[str], list[str]]:
    """Users (an admin, a pathologist per workstation), the lab, and open cases; on an
    `existing` database only the pathologists and lab identity it lacks, added by its
    administrator. Returns the pathologists' names and the accessions created."""
    app = build(url)
    try:
        if existing is None:
            app.auth.add_first_user(
                "admin", full_name="Load Admin", role=Role.ADMIN, password=PASSWORD
            )
            admin = app.auth.sign_in("admin", PASSWORD)
        else:
            admin = app.auth.sign_in(existing.admin, existing.password)
        names = [f"path{index:02d}" for index in range(1, workstations + 1)]
        for name in names:
            if existing is not None and app.auth.user(name) is not None:
                continue  # added by an earlier run on this database, with PASSWORD
            app.auth.add_user(
                admin,
                name,
                full_name=f"Pathologist {name}",
                role=Role.PATHOLOGIST,
                password=PASSWORD,
            )
        if existing is None or app.lab.settings().identity.missing_for_signing():
            app.lab.set_identity(
                admin,
                name="Load Test Laboratory",
                address="1 Bench Street, Springfield",
                clia_id="14D0000001",
                director="Dana Director, MD",
            )
        pathologist = app.auth.sign_in(names[0], PASSWORD)
        templates = _templates(existing.marker if existing else None)
        accessions = []
        for index, template in enumerate((templates * (cases // len(templates) + 1))[:cases]):
            data = {k: v for k, v in template.items() if k != "accession"}
            record = app.cases.create(pathologist, data)
            accessions.append(record.accession)
            if index % 3 == 2:  # a third signed out: something to print, amend and add to
                app.cases.sign(pathologist, record.accession, PASSWORD, acknowledge=ACKNOWLEDGE)
        return names, accessions
    finally:
        app.close()


def check_invariants(
    url: str,
    stations: list[StationResult],
    existing: ExistingDatabase | None = None,
    prepared: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """The problems found, and notes. On a new database every event and version is
    read; on an `existing` one only those of the cases the run created or touched (with
    `prepared`, the cases `prepare` created): the rest were there before and are the
    whole-chain `audit verify`'s, which is timed for the notes."""
    problems: list[str] = []
    notes: list[str] = []
    app = build(url, with_renderer=False)
    try:
        admin_name, password = (
            (existing.admin, existing.password) if existing else ("admin", PASSWORD)
        )
        admin = app.auth.sign_in(admin_name, password)
        started = time.perf_counter()
        verification = app.audit.verify(admin)
        verified_in = time.perf_counter() - started
        problems += [f"audit verify: {p}" for p in verification.problems]
        touched = None if existing is None else _touched(prepared, stations)
        started = time.perf_counter()
        with app.context.uow(read_only=True) as uow:
            if touched is None:
                events = uow.audit.events()
            else:
                events = (e for a in sorted(touched) for e in uow.audit.for_case(a))
            changes = _saved_tokens(events)
            versions = list(uow.versions.all(with_pdf=True, accessions=touched))
        problems += _lost_updates(app, stations, changes)
        problems += _version_problems(versions, stations)
        problems += _accession_problems(url)
        if touched is not None:
            notes = [
                f"audit verify (whole chain): {verification.events:,} events, "
                f"{verification.versions:,} versions in {verified_in:.1f} s",
                f"checks of the run's {len(touched)} cases ({len(versions)} versions) and "
                f"duplicate accessions: {time.perf_counter() - started:.1f} s",
            ]
    finally:
        app.close()
    return problems, notes


def _touched(prepared: Collection[str], stations: list[StationResult]) -> set[str]:
    """Every case the run created, saved, signed, amended or added to."""
    touched = set(prepared)
    for station in stations:
        touched.update(station.created)
        touched.update(save["accession"] for save in station.saves)
        touched.update(issued["accession"] for issued in station.issued)
    return touched


def _saved_tokens(events: Iterable[Any]) -> set[tuple[str, str]]:
    """(accession, comment) of every save recorded in the audit trail."""
    saved = set()
    for event in events:
        if event.action == "change":
            for change in event.detail.get("changes", []):
                if change.get("path") == "diagnosis.comment" and isinstance(change["after"], str):
                    saved.add((event.accession, change["after"]))
    return saved


def _lost_updates(
    app: App, stations: list[StationResult], changes: set[tuple[str, str]]
) -> list[str]:
    problems = []
    by_case: dict[str, list[dict[str, Any]]] = {}
    for station in stations:
        for save in station.saves:
            by_case.setdefault(save["accession"], []).append({**save, "by": station.username})
    reader = app.auth.sign_in("path01", PASSWORD)
    for accession, saves in by_case.items():
        versions = Counter(save["row_version"] for save in saves)
        for row_version, told in versions.items():
            if told > 1:
                problems.append(
                    f"{accession}: {told} saves were all told they made row {row_version}"
                )
        for save in saves:
            if (accession, f"Load comment {save['token']}.") not in changes:
                problems.append(
                    f"{accession}: the save {save['token']} by {save['by']} is not in the trail"
                )
        last = max(saves, key=lambda save: save["row_version"])
        stored = app.cases.open(reader, accession).record
        comment = stored.working.get("diagnosis", {}).get("comment")
        if comment != f"Load comment {last['token']}.":
            problems.append(
                f"{accession}: holds {comment!r}, not the last save it was told about "
                f"({last['token']}, row {last['row_version']}; stored row {stored.row_version})"
            )
    return problems


def _version_problems(versions: list[Any], stations: list[StationResult]) -> list[str]:
    problems = []
    stored: dict[tuple[str, int], str] = {}
    numbers: dict[str, list[int]] = {}
    for version in versions:
        if not hasattr(version, "content"):
            problems.append(f"{version.accession} version {version.number}: unreadable")
            continue
        key = (version.content.accession, version.number)
        stored[key] = version.sha256
        numbers.setdefault(key[0], []).append(key[1])
        if not version.intact():
            problems.append(f"{key[0]} version {key[1]}: document hash broken")
        pdf_ok = version.pdf is not None and (
            hashlib.sha256(version.pdf).hexdigest() == version.pdf_sha256
        )
        if not pdf_ok:
            problems.append(f"{key[0]} version {key[1]}: stored PDF missing or altered")
    for accession, seen in numbers.items():
        if sorted(seen) != list(range(1, len(seen) + 1)):
            problems.append(f"{accession}: version numbers {sorted(seen)}")
    for station in stations:
        for issued in station.issued:
            key = (issued["accession"], issued["number"])
            if stored.get(key) != issued["sha256"]:
                problems.append(
                    f"{key[0]} version {key[1]} issued by {station.username} is not stored as issued"
                )
    return problems


def _accession_problems(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            duplicates = connection.execute(
                text("SELECT accession FROM cases GROUP BY accession HAVING count(*) > 1")
            ).all()
    finally:
        engine.dispose()
    return [f"{row[0]}: more than one case" for row in duplicates]


# ---------------------------------------------------------------- running


def run(
    url: str,
    *,
    workstations: int,
    seconds: float,
    cases: int = 30,
    seed: int = 1,
    existing: ExistingDatabase | None = None,
    think: float = 0.0,
) -> LoadReport:
    """Prepare the database at `url` (a new one, or add to an `existing` one), run the
    workstations, check the invariants."""
    before = _case_count(url) if existing is not None else 0
    names, accessions = prepare(url, workstations, cases, existing)
    marker = existing.marker if existing is not None else None
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workstations)  # every workstation signed in, then all begin
    out = context.Queue()
    processes = [
        context.Process(
            target=station_main,
            args=(url, name, seed * 1000 + index, seconds, start, out, marker, think),
        )
        for index, name in enumerate(names)
    ]
    for process in processes:
        process.start()
    stations = [StationResult.from_json(json.loads(out.get(timeout=seconds + 600))) for _ in names]
    for process in processes:
        process.join(60)
    label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    if existing is not None:
        label += f" ({before:,} cases before the run, marker {existing.marker})"
    problems, notes = check_invariants(url, stations, existing, accessions)
    return LoadReport(label, workstations, seconds, stations, problems, notes, think)


def _case_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM cases")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def new_sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="marrowpath-load-") as folder:
        yield f"sqlite:///{Path(folder) / 'load.db'}"


@contextmanager
def new_postgres_database(admin_url: str) -> Iterator[str]:
    name = f"marrowpath_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}'"
                )
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="length of each run")
    parser.add_argument("--postgres-workstations", type=int, default=10)
    parser.add_argument("--sqlite-workstations", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--cases", type=int, default=30, help="open cases at the start")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="mean pause between a workstation's actions (default 0: back to back)",
    )
    parser.add_argument("--pg-admin", default=PG_ADMIN_URL, help="maintenance database URL")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="run on this existing, filled database (e.g. by `marrowpath demo --cases N`) "
        "instead of new ones",
    )
    parser.add_argument(
        "--admin", default=DEMO_ADMIN, help="--database: its administrator (default: the demo's)"
    )
    parser.add_argument(
        "--password",
        default=DEMO_PASSWORD,
        help="--database: the administrator's password (default: the demo's)",
    )
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    if args.database:
        return run_existing(parser, args, seconds)
    broken = False
    if args.only != "postgresql":
        with new_sqlite_database() as url:
            report = run(
                url,
                workstations=args.sqlite_workstations,
                seconds=seconds,
                cases=args.cases,
                think=args.think,
            )
        print("\n".join(report.lines()), flush=True)
        broken |= bool(report.problems)
    if args.only != "sqlite":
        with new_postgres_database(args.pg_admin) as url:
            report = run(
                url,
                workstations=args.postgres_workstations,
                seconds=seconds,
                cases=args.cases,
                think=args.think,
            )
        print("\n".join(report.lines()), flush=True)
        broken |= bool(report.problems)
    return 1 if broken else 0


def run_existing(parser: argparse.ArgumentParser, args: argparse.Namespace, seconds: float) -> int:
    """`--database`: one run on it, with the workstations of its kind of database."""
    kind = "sqlite" if args.database.startswith("sqlite") else "postgresql"
    if args.only not in (None, kind):
        parser.error(f"--only {args.only} with a {kind} --database")
    workstations = args.sqlite_workstations if kind == "sqlite" else args.postgres_workstations
    existing = ExistingDatabase(admin=args.admin, password=args.password)
    report = run(
        args.database,
        workstations=workstations,
        seconds=seconds,
        cases=args.cases,
        existing=existing,
        think=args.think,
    )
    print("\n".join(report.lines()), flush=True)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
