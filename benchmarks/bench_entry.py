"""Keys and actions to enter the example case in the desktop app, against round 1.

Usage:
    python benchmarks/bench_entry.py [--demo-db FILE] [--example FILE]
                                     [--no-lab-templates] [--offscreen]

Starts the real app on a throwaway SQLite database filled by `marrowpath demo` (users,
the demo's text templates and provider directory; `--demo-db` copies one already
filled), adds three templates of the lab's own wording for this kind of case
(`entry_templates.json`, with `template import`; `--no-lab-templates` leaves the demo's
only), signs in as a pathologist by keyboard, presses Ctrl+N and enters the example case
(`example-case-v2.json`) by keyboard only, through the real widgets (`entry_keys.py`:
every key through one counting helper), saves with Ctrl+S, reads the case back from the
database and compares it to the example field by field.

It runs under Xvfb when `xvfb-run` is installed (it starts itself again under it), else
on Qt's offscreen platform (`--offscreen` forces that).

Prints: the comparison (matches; each field entered otherwise or not at all, with its
path), then named keys, characters, entry keystrokes, counter keys and actions, per
section and in all, and a KLM estimate (Card, Moran & Newell: K = 0.28 s a keystroke,
an average non-secretary typist; M = 1.35 s an action) against the round-1 baseline of
241 named keys and 1,737 characters, whose KLM uses the same constants (its actions
taken as one per value of the /1 example, the same rule as here), as ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARROWPATH = [sys.executable, "-m", "marrowpath"]
EXAMPLE_V2 = ROOT / "tests" / "fixtures" / "example-case-v2.json"
EXAMPLE_V1 = ROOT / "tests" / "fixtures" / "example-case.json"
LAB_TEMPLATES = Path(__file__).with_name("entry_templates.json")
USER, PASSWORD = "achen", "marrow-demo-1"
# Round 1 (issue 13): the /1 example typed into the editor of that round.
BASELINE_NAMED, BASELINE_CHARS = 241, 1737


def baseline_actions() -> int:
    """One action per value of the /1 example (each list item's values counted), the
    rule this script counts its own actions by (a sequence of keys toward one field)."""
    from benchmarks.entry_keys import leaves

    example = json.loads(EXAMPLE_V1.read_text(encoding="utf-8"))
    values = leaves(example)
    return sum(
        1 for path, value in values if path not in ("format", "accession") and value is not None
    )


def _under_xvfb(argv: list[str]) -> None:
    """Start again under xvfb-run when it exists and no display was chosen."""
    if os.environ.get("MARROWPATH_BENCH_CHILD") or "--offscreen" in argv:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return
    env = {**os.environ, "MARROWPATH_BENCH_CHILD": "1", "QT_QPA_PLATFORM": "xcb"}
    command = [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, __file__, *argv]
    sys.exit(subprocess.run(command, env=env, check=False).returncode)


def _cli(db: Path, *args: str, password: bool = True) -> None:
    command = [*MARROWPATH, "--db", str(db), *args]
    if password:
        command += ["--user", USER, "--password-stdin"]
    subprocess.run(
        command,
        input=f"{PASSWORD}\n" if password else None,
        text=True,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def prepare(folder: Path, demo_db: Path | None, *, lab_templates: bool) -> Path:
    db = folder / "entry.db"
    if demo_db is not None:
        shutil.copyfile(demo_db, db)
    else:
        print("filling a throwaway database with `marrowpath demo` ...", flush=True)
        _cli(db, "demo", password=False)
    if lab_templates:
        _cli(db, "template", "import", str(LAB_TEMPLATES))
    return db


def sign_in(services: Any) -> tuple[Any, Any]:
    """The sign-in dialog, typed into; its keys are tallied apart (signing in is not part
    of entering a case)."""
    from PySide6.QtCore import Qt

    from benchmarks.entry_keys import Keyboard, wait_until
    from marrowpath.ui.sign_in import SignInDialog

    dialog = SignInDialog(services.auth, database_label=services.database_label)
    dialog.show()
    dialog.activateWindow()
    wait_until(dialog.username.hasFocus, 10, "the sign-in dialog")
    keys = Keyboard(window=dialog, section="sign-in")
    keys.action()
    keys.type(USER)
    keys.press(Qt.Key.Key_Tab, name="Tab")
    keys.type(PASSWORD)
    keys.press(Qt.Key.Key_Return, name="Enter")
    wait_until(lambda: dialog.user is not None, 30, "signing in")
    user = dialog.user
    dialog.close()
    return user, keys.total


def load_example(path: Path) -> dict[str, Any]:
    """A case file as the app holds it: a /1 file upgraded to /2 (as `import` does)."""
    from marrowpath.domain.upgrade import upgrade_case

    data: dict[str, Any] = upgrade_case(json.loads(path.read_text(encoding="utf-8")))
    return data


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo-db", type=Path, help="a database filled by `marrowpath demo`")
    parser.add_argument(
        "--example",
        type=Path,
        action="append",
        help="a case file to enter (default: the /2 example, then the /1 example)",
    )
    parser.add_argument("--no-lab-templates", action="store_true")
    parser.add_argument("--trace", action="store_true", help="print the keys of each action")
    parser.add_argument(
        "--screenshot", type=Path, help="save the window after the first case is saved (PNG)"
    )
    parser.add_argument("--offscreen", action="store_true", help="no Xvfb: Qt's offscreen")
    args = parser.parse_args(argv)
    examples = args.example or [EXAMPLE_V2, EXAMPLE_V1]
    folder = Path(tempfile.mkdtemp(prefix="bench-entry-"))
    os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
    try:
        prepared = prepare(folder, args.demo_db, lab_templates=not args.no_lab_templates)
        results = []
        for number, example in enumerate(examples):
            db = folder / f"run{number}.db"  # each case on a database of its own (the
            shutil.copyfile(prepared, db)  # first would put the patient on file)
            shot = args.screenshot if number == 0 else None
            entry, comparison, platform = measure(db, folder, load_example(example), shot)
            report(example.name, entry, comparison, platform)
            if args.trace:
                print("\n".join(entry.keys.trace))
            results.append((example.name, entry.keys.total))
        summary(results, lab_templates=not args.no_lab_templates)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def measure(
    db: Path, folder: Path, example: dict[str, Any], screenshot: Path | None = None
) -> tuple[Any, Any, str]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from benchmarks.entry_keys import Entry, Keyboard, compare, run_script, wait_until
    from marrowpath.bootstrap import build
    from marrowpath.launcher import desktop_services
    from marrowpath.ui.main_window import MainWindow

    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder / "config")
    )
    qt = QApplication.instance() or QApplication([sys.argv[0]])
    app = build(f"sqlite:///{db}")
    try:
        services = desktop_services(app, str(folder / "data"))
        user, _signing = sign_in(services)
        window = MainWindow(services, user, idle_minutes=120)
        window.resize(1500, 950)
        window.show()
        window.activateWindow()
        wait_until(lambda: window.worklist.model.rowCount() > 0, 30, "the worklist")
        wait_until(lambda: QApplication.activeWindow() is window, 10, "the window active")
        entry = Entry(window=window, keys=Keyboard(window=window), example=example)
        run_script(entry)
        accession = entry.ed.accession
        assert accession is not None
        entered = app.cases.open(user, accession).record.working
        if screenshot is not None:
            entry.ed.show_section("aspirate")
            QApplication.processEvents()
            window.grab().save(str(screenshot))
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    finally:
        app.close()
    return entry, compare(example, entered), str(qt.platformName())


def report(name: str, entry: Any, comparison: Any, platform: str) -> None:
    print(f"\n=== {name} (Qt platform: {platform})")
    print(f"matched: {len(comparison.matched)} fields")
    for path, wanted, got in comparison.recorded:
        if got is None:
            comparison.missing.append(path)
        else:
            print(f"  recorded by the app, not entered: {path} = {got!r} (example {wanted!r})")
    for path, wanted, got in comparison.differ:
        print(f"  DIFFERS {path}: example {wanted!r}, entered {got!r}")
    for path in comparison.missing:
        print(f"  MISSING {path}: {_why_missing(entry, path)}")
    for path, value in comparison.extra:
        print(f"  extra {path} = {value!r} (not in the example)")
    for note in entry.notes:
        print(f"  note: {note}")
    if entry.templates_used:
        print(f"templates used: {', '.join(entry.templates_used)}")
    keys = entry.keys
    print("section              named  chars  keys  counter  actions")
    for section, tally in keys.by_section.items():
        print(
            f"{section:<20} {tally.named:>5} {tally.chars:>6} {tally.keystrokes:>5} "
            f"{tally.counter:>8} {tally.actions:>8}"
        )
    total = keys.total
    print(
        f"{'total':<20} {total.named:>5} {total.chars:>6} {total.keystrokes:>5} "
        f"{total.counter:>8} {total.actions:>8}"
    )
    print(f"named keys by kind: {dict(keys.named_keys.most_common())}")


def summary(results: list[tuple[str, Any]], *, lab_templates: bool) -> None:
    from benchmarks.entry_keys import K_SECONDS, M_SECONDS, Tally

    base = Tally(named=BASELINE_NAMED, chars=BASELINE_CHARS, actions=baseline_actions())
    print(f"\nKLM: K = {K_SECONDS} s a keystroke, M = {M_SECONDS} s an action")
    print(
        "templates: the demo's"
        + (" and the lab's three of entry_templates.json" if lab_templates else " only")
    )
    print(
        f"{'':<24} {'named':>6} {'chars':>6} {'keys':>6} {'counter':>8} {'actions':>8} "
        f"{'KLM s':>7}  ratio to round 1: keys, chars, actions, KLM"
    )
    print(
        f"{'round 1 (/1 example)':<24} {base.named:>6} {base.chars:>6} {base.keystrokes:>6} "
        f"{'-':>8} {base.actions:>8} {base.klm_seconds():>7.0f}"
    )
    for name, total in results:
        print(
            f"{name:<24} {total.named:>6} {total.chars:>6} {total.keystrokes:>6} "
            f"{total.counter:>8} {total.actions:>8} {total.klm_seconds():>7.0f}  "
            f"{total.keystrokes / base.keystrokes:.2f}, {total.chars / base.chars:.2f}, "
            f"{total.actions / base.actions:.2f}, {total.klm_seconds() / base.klm_seconds():.2f}"
        )
    print(
        "round 1's actions: one per value of the /1 example (the rule counted here); "
        "KLM without the counter keys (counting is the microscopy itself; "
        f"+{K_SECONDS} s a cell key if counted as keystrokes)"
    )


def _why_missing(entry: Any, path: str) -> str:
    for gap, why in entry.gaps.items():
        if path == gap or path.startswith((f"{gap}.", f"{gap}[")):
            return why
    return "not entered by the script"


if __name__ == "__main__":
    _under_xvfb(sys.argv[1:])
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
