"""What a command imports (decision 43): `--help` needs no database layer, no services
and no ReportLab; `search` no ReportLab, HL7 builders or order intake. Checked in a
child process, whose `sys.modules` starts empty; the question is not about a database,
so it runs on SQLite only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from marrowpath.bootstrap import build
from marrowpath.domain.users import Role
from tests.conftest import PASSWORD
from tests.hashing import TEST_HASHER

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import io, sys
from marrowpath.cli import main
hasher = None
if sys.argv[1] != "--help":
    from tests.hashing import TEST_HASHER as hasher
status = main(sys.argv[1:], stdin=io.StringIO(sys.stdin.read()), stdout=io.StringIO(), hasher=hasher)
print(status)
print("\\n".join(sorted(sys.modules)))
"""


def _modules(*argv: str, stdin: str = "") -> tuple[int, set[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    status, *modules = completed.stdout.splitlines()
    return int(status), set(modules)


def _loaded(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages or m.startswith(packages))


def test_help_imports_neither_the_database_layer_nor_the_services() -> None:
    status, modules = _modules("--help")
    assert status == 0
    heavy = ("sqlalchemy", "pydantic", "reportlab", "PySide6", "argon2", "rich")
    assert _loaded(modules, *heavy) == []
    ours = ("marrowpath.bootstrap", "marrowpath.db", "marrowpath.services", "marrowpath.reports")
    assert _loaded(modules, *ours) == []
    # the commands are listed, not built (`cli.parser.Commands`): no domain module for
    # their choices and refusals, and so neither dataclasses nor inspect (decision 75)
    domain = {m for m in modules if m.startswith("marrowpath.domain.")}
    assert domain <= {"marrowpath.domain.setting_keys"}, sorted(domain)
    assert "dataclasses" not in modules


def test_search_imports_no_report_or_interface_builders(tmp_path: Path) -> None:
    database = tmp_path / "search.db"
    app = build(str(database), with_renderer=False, hasher=TEST_HASHER)
    try:
        app.auth.add_first_user(
            "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
        )
    finally:
        app.close()
    status, modules = _modules(
        "--db",
        str(database),
        "--user",
        "drpark",
        "--password-stdin",
        "search",
        "delgado",
        stdin=PASSWORD + "\n",
    )
    assert status == 0
    assert "marrowpath.services.cases" in modules  # it did search
    assert _loaded(modules, "reportlab", "PySide6", "marrowpath.reports", "rich") == []
    assert _loaded(modules, "marrowpath.services.orders", "marrowpath.services.interfaces") == []
