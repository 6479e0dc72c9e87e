"""The interface commands in-process: export hl7/fhir/csv, destination, sign delivering at
once, send, outbox [--retry], import of an HL7 order file, and listen answering send."""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from marrowpath.bootstrap import App
from marrowpath.cli import main
from marrowpath.domain import hl7v2
from marrowpath.domain.users import User
from tests.cli_process import MARROWPATH
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER
from tests.interfaces.support import (
    ACCESSION,
    Listener,
    exchange,
    field_value,
    free_port,
    hl7apy_message,
    order_message,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
Team = dict[str, User]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def cli(db: str, user: str, *argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, "--user", user, "--password-stdin", *argv],
        stdin=io.StringIO(f"{PASSWORD}\n"),
        stdout=out,
        stderr=err,
        hasher=TEST_HASHER,
    )
    result = Result(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.err and "unexpected error" not in result.err, result.err
    return result


def signed_case(db: str, tmp_path: Path, team: Team) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(example_case()), encoding="utf-8")
    assert cli(db, "drpark", "import", str(case)).code == 0
    assert cli(db, "drpark", "sign", ACCESSION).code == 0


def test_exports(app: App, team: Team, database_url: str, tmp_path: Path) -> None:
    db = database_url
    import_result = cli(db, "drpark", "export", ACCESSION, "--format", "hl7")
    assert import_result.code == 1 and "no such case" in import_result.err
    signed_case(db, tmp_path, team)
    hl7 = cli(db, "clinician", "export", ACCESSION, "--format", "hl7")
    assert hl7.code == 0 and hl7.out.startswith("MSH|^~\\&|") and hl7.out.endswith("\r")
    hl7apy_message(hl7.out)
    assert field_value(hl7.out, "OBR", 25) == "F"
    fhir_file = tmp_path / "bundle.json"
    assert (
        cli(db, "clinician", "export", ACCESSION, "--format", "fhir", "-o", str(fhir_file)).code
        == 0
    )
    Bundle.model_validate_json(fhir_file.read_text(encoding="utf-8"))
    version2 = cli(db, "drpark", "export", ACCESSION, "--format", "hl7", "--version", "2")
    assert version2.code == 1 and "has no version 2 (versions 1 to 1)" in version2.err
    csv_file = tmp_path / "research.csv"
    research = cli(
        db, "clinician", "export", "--all", "--format", "csv", "--deidentify", "-o", str(csv_file)
    )
    assert research.code == 0 and "1 case written" in research.err
    assert "MRN0012345" not in csv_file.read_text(encoding="utf-8")
    identified = cli(db, "clinician", "export", "--all", "--format", "csv", "-o", str(csv_file))
    assert identified.code == 2 and "--deidentify" in identified.err


def test_sign_delivers_send_and_outbox_retry(
    app: App, team: Team, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    down = free_port()
    with Listener() as ehr:
        added = cli(db, "admin", "destination", "add", "EHR", "--mllp", f"127.0.0.1:{ehr.port}")
        assert added.code == 0 and f"127.0.0.1:{ehr.port} receives all" in added.out
        bad = cli(db, "admin", "destination", "add", "bad name", "--mllp", "x:1")
        assert bad.code == 1 and "destination add: name must be 1 to 32 letters" in bad.err
        refused = cli(db, "tech", "destination", "add", "X", "--mllp", "x:1")
        assert (
            refused.code == 1 and "tech (technologist) may not manage destinations" in refused.err
        )
        signed_case(db, tmp_path, team)
        assert len(ehr.received) == 1  # `sign` delivered it right away
        sent = cli(db, "clinician", "send", ACCESSION, "--to", "EHR")
        assert sent.code == 0 and "\tsent\t" in sent.out
    failing = cli(db, "admin", "send", ACCESSION, "--mllp", f"127.0.0.1:{down}")
    assert failing.code == 1
    assert f"cannot deliver to 127.0.0.1:{down}" in failing.err and "outbox retries" in failing.err
    barred = cli(db, "clinician", "outbox")  # clinicians neither read nor retry it (cli.md)
    assert barred.code == 1
    assert "clinician (clinician) may not run the order listener and read or retry" in barred.err
    listing = cli(db, "tech", "outbox")
    lines = [line.split("\t") for line in listing.out.splitlines()]
    assert [(line[1], line[5]) for line in lines] == [
        ("queued", f"127.0.0.1:{down}"),
        ("sent", "EHR"),
        ("sent", "EHR"),
    ]
    with Listener("AE", "Duplicate accession") as rejecting:
        rejected = cli(db, "admin", "send", ACCESSION, "--mllp", f"127.0.0.1:{rejecting.port}")
    assert rejected.code == 1 and "AE: Duplicate accession" in rejected.err
    with Listener(port=down) as up:
        retried = cli(db, "tech", "outbox", "--retry")
    assert retried.code == 1  # the rejecting listener is gone: that one still fails
    assert any(line.startswith("retry\t") for line in retried.out.splitlines())
    assert len(up.received) == 1
    assert field_value(up.received[0], "MSH", 10) == lines[0][7]  # the queued MSH-10
    waiting = cli(db, "tech", "outbox", "--status", "queued")  # retried with back-off
    assert waiting.out.count("\n") == 1 and "cannot reach" in waiting.out


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("listen did not start")


def test_listen_import_and_send_against_each_other(
    app: App, team: Team, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    order_file = tmp_path / "order.hl7"
    order_file.write_text(order_message().replace("\r", "\n"), encoding="utf-8")
    imported = cli(db, "tech", "import", str(order_file))
    assert imported.code == 0 and imported.out.strip().startswith("BM")
    conflicting = tmp_path / "conflict.hl7"
    conflicting.write_text(order_message(placer="X-1", birth="19700101"), encoding="utf-8")
    refused = cli(db, "tech", "import", str(conflicting))
    assert refused.code == 1 and "conflict.hl7: AE patient.mrn MRN0099001 belongs to" in refused.err
    signed_case(db, tmp_path, team)

    port = free_port()
    results: list[Result] = []
    thread = threading.Thread(
        target=lambda: results.append(
            cli(
                db,
                "tech",
                "listen",
                "--mllp",
                str(port),
                "--host",
                "127.0.0.1",
                "--count",
                "2",
                "--deliver-every",
                "0",
            )
        )
    )
    thread.start()
    _wait_for(port)
    ack = exchange(port, order_message(control_id="ORD7", kind="OML^O21^OML_O21", placer="EPIC-2"))
    sent = cli(db, "admin", "send", ACCESSION, "--mllp", f"127.0.0.1:{port}")
    thread.join(timeout=20)
    assert not thread.is_alive()
    (listened,) = results
    assert listened.code == 0
    assert listened.out.splitlines()[0] == f"listening on 127.0.0.1:{port}"
    assert "stopped after 2 messages" in listened.out
    assert hl7v2.read_ack(ack).code == "AA"
    assert sent.code == 1 and "AR: MSH-9 ORU^R01 is not an order" in sent.err
    outbox = cli(db, "tech", "outbox", "--status", "failed")
    barred = cli(db, "clinician", "listen", "--mllp", "0")
    assert barred.code == 1 and "may not run the order listener" in barred.err
    assert "AR: MSH-9 ORU^R01 is not an order this laboratory accepts" in outbox.out
    drafts = cli(db, "tech", "search", "--status", "draft")
    assert len(drafts.out.splitlines()) == 2


@pytest.mark.slow
def test_listen_runs_until_sigterm(app: App, team: Team, database_url: str) -> None:
    """The production command, as a service manager runs it: SIGTERM ends it cleanly."""
    port = free_port()
    process = subprocess.Popen(
        [
            *MARROWPATH,
            "--db",
            database_url,
            "--user",
            "tech",
            "--password-stdin",
            "listen",
            "--mllp",
            str(port),
            "--host",
            "127.0.0.1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{PASSWORD}\n")
        process.stdin.close()
        assert process.stdout.readline().strip() == f"listening on 127.0.0.1:{port}"
        ack = hl7v2.read_ack(exchange(port, order_message()))
        assert ack.code == "AA"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "\tAA\tcreated draft case" in out and "stopped after 1 messages" in out
    assert "Traceback" not in err
