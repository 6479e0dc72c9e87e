"""Before the sign-in dialog runs, the desktop app has imported neither the database
layer nor the services nor the main window (decision 44): they load afterwards, off the
GUI thread. Checked on the real `marrowpath --db DB gui` path in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from marrowpath import cli
from marrowpath.ui.sign_in import SignInDialog

def record(dialog):
    print("\\n".join(sorted(sys.modules)), flush=True)
    return 0

SignInDialog.exec = record
sys.exit(cli.main(["--db", sys.argv[1], "gui"]))
"""


def test_nothing_but_qt_and_the_dialog_before_sign_in(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "start.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=True,
    )
    modules = set(completed.stdout.splitlines())
    assert "marrowpath.ui.sign_in" in modules and "PySide6.QtWidgets" in modules
    heavy = ("sqlalchemy", "pydantic", "reportlab", "argon2")
    assert sorted(m for m in modules if m.split(".")[0] in heavy) == []
    ours = (
        "marrowpath.bootstrap",
        "marrowpath.db",
        "marrowpath.services",
        "marrowpath.ui.main_window",
        "marrowpath.ui.worklist",
        "marrowpath.ui.editor",
    )
    assert sorted(m for m in modules if m.startswith(ours)) == []
    assert not (tmp_path / "start.db").exists()  # no database work before the dialog
