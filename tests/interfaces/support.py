"""Test helpers for the interfaces: an independent MLLP listener, hl7apy parsing, orders.

The listener is written here with plain sockets (not `marrowpath.adapters.mllp`), so the
sender is checked against framing code it does not share.
"""

from __future__ import annotations

import base64
import socket
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from marrowpath.bootstrap import App
from marrowpath.domain.hl7v2 import Er7Message, parse
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case

ACCESSION = "BM26-00042"
VT, FS, CR = b"\x0b", b"\x1c", b"\r"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hl7apy_message(text: str) -> Any:
    """Parse tolerantly (strict mode caps text at 199 characters) and validate the
    structure; returns the hl7apy message."""
    message = parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=True)
    assert message.validate() is True
    return message


def field_value(message: str, segment: str, number: int, *, occurrence: int = 0) -> str:
    """A field still escaped, read by splitting (no MarrowPath code involved)."""
    segments = [s for s in message.split("\r") if s.startswith(segment + "|")]
    fields = segments[occurrence].split("|")
    index = number - 1 if segment == "MSH" else number
    return fields[index] if index < len(fields) else ""


def obx_by_code(message: Er7Message, code: str) -> list[Any]:
    return [s for s in message.all("OBX") if s.get(3, 1) == code]


def pdf_of(message: str) -> bytes | None:
    parsed = parse(message)
    for obx in parsed.all("OBX"):
        if obx.get(2) == "ED":
            return base64.b64decode(obx.get(5, 5))
    return None


@dataclass
class Listener:
    """An MLLP receiver on 127.0.0.1 answering every message with `code` (AA, AE, AR)."""

    code: str = "AA"
    text: str = ""
    port: int = 0
    received: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen()
        self._socket.settimeout(0.1)
        self.port = int(self._socket.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                buffer = b""
                while FS + CR not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                if FS + CR not in buffer:
                    continue
                body = buffer[buffer.index(VT) + 1 : buffer.index(FS + CR)].decode("utf-8")
                self.received.append(body)
                control = field_value(body, "MSH", 10)
                ack = (
                    f"MSH|^~\\&|EHR|HOSP|MARROWPATH||20261126120000||ACK^R01^ACK|A{control}|P|2.5.1\r"
                    f"MSA|{self.code}|{control}|{self.text}"
                )
                if self.code != "AA":
                    ack += f"\rERR||OBX^1|207^Application internal error^HL70357|E||||{self.text}"
                connection.sendall(VT + ack.encode("utf-8") + FS + CR)

    @property
    def control_ids(self) -> list[str]:
        return [field_value(m, "MSH", 10) for m in self.received]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def exchange(port: int, message: str) -> str:
    """Send one framed message to 127.0.0.1:PORT and return the ACK (test client)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(VT + message.encode("utf-8") + FS + CR)
        buffer = b""
        while FS + CR not in buffer:
            chunk = connection.recv(65536)
            assert chunk, "the listener closed the connection without an ACK"
            buffer += chunk
    return buffer[buffer.index(VT) + 1 : buffer.index(FS + CR)].decode("utf-8")


def import_example(app: App, team: dict[str, User], **changes: Any) -> str:
    data = example_case()
    data.update(changes)
    accession, _ = app.cases.import_case(team["drpark"], data)
    return accession


def sign(app: App, team: dict[str, User], accession: str = ACCESSION, **options: Any) -> Any:
    return app.cases.sign(team["drpark"], accession, PASSWORD, **options)


def amend_example(app: App, team: dict[str, User], line: str) -> Any:
    data = example_case()
    data["diagnosis"] = {**data["diagnosis"], "lines": [line]}
    return app.cases.amend(
        team["drpark"],
        ACCESSION,
        data,
        PASSWORD,
        reason_category="interpretation_change",
        reason="Karyotype changed the classification.",
        acknowledge=["all"],  # a new line over the example's counts may contradict them
    )


def add_destination(app: App, team: dict[str, User], name: str, port: int, **options: Any) -> None:
    app.lab.add_destination(team["admin"], name=name, host="127.0.0.1", port=port, **options)


def order_message(
    *,
    control_id: str = "ORD0001",
    kind: str = "ORM^O01^ORM_O01",
    mrn: str = "MRN0099001",
    family: str = "Nguyễn",
    given: str = "Thị Mai",
    birth: str = "19610304",
    sex: str = "F",
    placer: str = "EPIC-778812",
    visit: str = "V5550001",
    procedure: date | None = date(2026, 11, 18),
    specimens: tuple[str, ...] = ("aspirate_smear", "core_biopsy"),
    reason: str = "abnormal_blood_counts^Abnormal blood counts^L",
    note: str = "Pancytopenia for 3 months; r/o MDS",
) -> str:
    """An order as a hospital sends it (ORM^O01 with OBR-15, or OML^O21 with SPM)."""
    when = procedure.strftime("%Y%m%d") if procedure else ""
    provider = "1497758544^Raman^Priya^^^Dr^MD"
    segments = [
        f"MSH|^~\\&|EPIC|GENERAL HOSPITAL|MARROWPATH|LAB|20261118091700||{kind}|{control_id}|P|2.5.1",
        f"PID|1||{mrn}^^^GH^MR||{family}^{given}||{birth}|{sex}",
        f"PV1|1|O|||||||||||||||||{visit}",
        f"ORC|NW|{placer}^EPIC|||||||20261118091700|||{provider}|||||||||Hematology Clinic",
    ]
    specimen_field = ""
    if kind.startswith("ORM") and specimens:
        specimen_field = f"{specimens[0]}&{specimens[0].replace('_', ' ')}&L"
    obr = [""] * 32
    obr[1], obr[2] = "1", f"{placer}^EPIC"
    obr[4] = "33721-2^Bone marrow Pathology biopsy report^LN"
    obr[7], obr[15], obr[16], obr[31] = when, specimen_field, provider, reason
    segments.append("OBR|" + "|".join(obr[1:]))
    if note:
        segments.append(f"NTE|1||{note}")
    if kind.startswith("OML"):
        for number, specimen in enumerate(specimens, start=1):
            segments.append(
                f"SPM|{number}|||{specimen}^{specimen.replace('_', ' ')}^L||||"
                "posterior_iliac_crest^Posterior iliac crest^L|left^Left^L"
            )
    return "\r".join(segments)


PASSWORD_LINE = f"{PASSWORD}\n"
