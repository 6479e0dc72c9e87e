"""Faults are logged (issue 9): a rotating file in the log folder, tracebacks without the
patient data exception messages may carry, words and the file's path for the person."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from marrowpath import cli, logs
from marrowpath.bootstrap import App
from marrowpath.cli import lab as cli_lab
from marrowpath.domain.users import User
from marrowpath.services.orders import OrderService

PHI = "DELGADO Tomás MRN0012345"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Logging set up as the entry points do, into a folder of the test's own."""
    path = logs.setup(tmp_path / "log")
    yield path
    logs.teardown()


def _fault() -> None:
    try:
        raise KeyError(PHI)
    except KeyError as error:
        raise RuntimeError(f"saving {PHI} failed") from error


def test_a_fault_is_logged_with_its_traceback_and_without_patient_data(log_file: Path) -> None:
    try:
        _fault()
    except RuntimeError:
        logging.getLogger("marrowpath.test").exception("saving BM26-00042 failed")
    text = log_file.read_text(encoding="utf-8")
    assert "ERROR marrowpath.test" in text and "saving BM26-00042 failed" in text
    assert "Traceback (most recent call last)" in text and "in _fault" in text
    assert "KeyError: (message withheld" in text and "RuntimeError: (message withheld" in text
    assert "The above exception was the direct cause" in text
    assert "DELGADO" not in text and "MRN0012345" not in text
    if os.name == "posix":
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    assert log_file.name == "marrowpath.log"
    assert logs.setup(Path("/elsewhere")) == log_file  # once set up, it stays


def test_messages_that_describe_code_are_kept() -> None:
    assert logs.safe_message(AttributeError("'NoneType' object has no attribute 'x'")) == (
        "'NoneType' object has no attribute 'x'"
    )
    missing = FileNotFoundError(2, "No such file or directory", f"/home/lab/{PHI}.pdf")
    assert logs.safe_message(missing) == "[Errno 2] No such file or directory"

    class DriverError(Exception):
        pass

    class Wrapped(Exception):
        orig = DriverError(
            'duplicate key value violates unique constraint "patients_mrn_key"\n'
            "DETAIL:  Key (mrn)=(MRN0012345) already exists."
        )

    assert "MRN0012345" not in logs.safe_message(Wrapped("[parameters: ('DELGADO',)]"))
    assert "patients_mrn_key" in logs.safe_message(Wrapped())
    assert logs.safe_message(ValueError(PHI)) == logs.WITHHELD


def test_the_person_reads_words_and_where_the_details_went(log_file: Path) -> None:
    words = logs.fault_words(ValueError(PHI))
    assert words.startswith("Something went wrong and nothing was changed.")
    assert words.endswith(f"Details were saved to {log_file}.")
    assert "DELGADO" not in words


def test_without_setup_nothing_is_configured_and_no_path_is_named() -> None:
    assert logs.log_file() is None
    assert "Details were saved" not in logs.fault_words(ValueError("x"))
    assert not any(
        isinstance(handler, logging.handlers.RotatingFileHandler)
        for handler in logging.getLogger().handlers
    )


def test_the_command_line_logs_an_unexpected_fault(
    log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_session: object) -> int:
        _fault()
        return 0

    monkeypatch.setattr(cli_lab, "show_identity", broken)  # read by `register`
    err = io.StringIO()
    status = cli.main(["lab", "show"], stdout=io.StringIO(), stderr=err)
    assert status != 0
    assert err.getvalue().startswith("marrowpath: unexpected error (RuntimeError")
    assert f"details were saved to {log_file}" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    text = log_file.read_text(encoding="utf-8")
    assert "`lab show` failed" in text and "in broken" in text and "DELGADO" not in text


def test_uncaught_exceptions_of_threads_and_the_main_thread_are_logged(
    log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logs.install_excepthooks()
    worker = threading.Thread(target=_fault, name="delivery-worker")
    worker.start()
    worker.join()
    try:
        _fault()
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    text = log_file.read_text(encoding="utf-8")
    assert "uncaught exception in thread delivery-worker" in text
    assert "MainThread] uncaught exception\nTraceback" in text
    assert "DELGADO" not in text


def test_an_internal_fault_while_receiving_an_order_is_logged(
    app: App,
    team: dict[str, User],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """orders.receive answers "send again later" and no longer swallows the fault."""

    def broken(self: OrderService, actor: User, text: str) -> None:
        raise RuntimeError(PHI)

    monkeypatch.setattr(OrderService, "import_message", broken)
    message = "MSH|^~\\&|EHR|HOSP|MP|LAB|20261126||ORM^O01|CTRL-7|P|2.5\r"
    with caplog.at_level(logging.ERROR, logger="marrowpath.services.orders"):
        ack = app.orders.receive(team["tech"], message)
    assert "send again later" in ack
    record = next(r for r in caplog.records if r.name == "marrowpath.services.orders")
    assert record.exc_info is not None and "CTRL-7" in record.getMessage()
