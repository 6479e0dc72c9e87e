"""What a command imports (decisions 52 and 89): `--help` needs no database layer, no
services and no ReportLab; `search` no ReportLab, HL7 builders or order intake, and
none of the services, document models and rules that only other commands use. Checked
in a child process, whose `sys.modules` starts empty; the question is not about a
database, so it runs on SQLite only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from marrowpath.bootstrap import build
from marrowpath.domain.users import Role
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import io, sys
from marrowpath.cli import main
hasher = None
if sys.argv[1] != "--help":
    from tests.hashing import TEST_HASHER as hasher
out = io.StringIO()
status = main(sys.argv[1:], stdin=io.StringIO(sys.stdin.read()), stdout=out, hasher=hasher)
print(status)
print(len(out.getvalue().splitlines()))
print("\\n".join(sorted(sys.modules)))
"""


def _run(*argv: str, stdin: str = "") -> tuple[int, int, set[str]]:
    """The exit status, the number of lines printed and the modules imported."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    status, lines, *modules = completed.stdout.splitlines()
    return int(status), int(lines), set(modules)


def _modules(*argv: str, stdin: str = "") -> tuple[int, set[str]]:
    status, _lines, modules = _run(*argv, stdin=stdin)
    return status, modules


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
    # nor `logging`: the package's loggers come from `marrowpath.loggers` (issue 11)
    assert "logging" not in modules


def test_a_module_that_logs_installs_the_packages_silent_handler() -> None:
    import logging

    from marrowpath.db import uow

    handlers = logging.getLogger("marrowpath").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)
    assert uow.log.name == "marrowpath.db.uow"


def test_search_imports_no_report_or_interface_builders(tmp_path: Path) -> None:
    database = tmp_path / "search.db"
    app = build(str(database), with_renderer=False, hasher=TEST_HASHER)
    try:
        pathologist = app.auth.add_first_user(
            "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
        )
        app.cases.import_case(pathologist, example_case())  # the search finds Delgado
    finally:
        app.close()
    status, lines, modules = _run(
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
    assert lines == 1  # it did search, and found the case
    assert "marrowpath.services.case_search" in modules
    assert _loaded(modules, "reportlab", "PySide6", "marrowpath.reports", "rich") == []
    assert _loaded(modules, "marrowpath.services.orders", "marrowpath.services.interfaces") == []
    # A search is a sign-in and one query (decision 89): the services of the other
    # commands, the document models, drafts, checks and changes tables, the lab's
    # settings, HL7 and the MLLP client stay unimported, and so does pydantic.
    unneeded = [
        "marrowpath.services.cases",
        "marrowpath.services.outbox",
        "marrowpath.services.patients",
        "marrowpath.services.documents",
        "marrowpath.adapters.mllp",
        "marrowpath.domain.case",
        "marrowpath.domain.draft",
        "marrowpath.domain.versions",
        "marrowpath.domain.redline",
        "marrowpath.domain.hl7v2",
        "marrowpath.domain.validation",
        "marrowpath.domain.checks",
        "marrowpath.domain.flags",
        "marrowpath.domain.findings",
        "marrowpath.domain.derived",
        "marrowpath.domain.timeline",
        "marrowpath.domain.labels",
        "marrowpath.domain.text_templates",
        "marrowpath.domain.integrity",
        "marrowpath.domain.settings",  # the sign-in reads the lockout length alone
    ]
    assert sorted(set(unneeded) & modules) == []
    assert _loaded(modules, "pydantic", "annotated_types") == []
