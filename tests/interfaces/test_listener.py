"""The MLLP listener faces the hospital network (issue 10, item 3): it binds 127.0.0.1
unless told otherwise, accepts only allowed senders (others closed and audited), holds at
most 16 connections without a thread each, answers a frame over 10 MB with AR, closes idle
connections, and its ACKs never tell a sender about another patient or an existing case.

The limits are parameters: these tests run the real server with small ones.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marrowpath.adapters.mllp import ListenerHooks, ListenerLimits, MllpServer, parse_allow
from marrowpath.bootstrap import App
from marrowpath.domain import hl7v2
from marrowpath.domain.users import User
from tests.interfaces.support import (
    CR,
    FS,
    VT,
    exchange,
    free_port,
    import_example,
    order_message,
    sign,
)
from tests.interfaces.test_cli_interfaces import Result, _wait_for, cli


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the network and the roles behave alike on both databases."""
    path = tmp_path / "marrowpath.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


Team = dict[str, User]


def order_server(app: App, team: Team, **limits: Any) -> MllpServer:
    """The listener as `listen` builds it, with the given limits."""
    actor = team["tech"]
    return MllpServer(
        "127.0.0.1",
        0,
        lambda text: app.orders.receive(actor, text),
        limits=ListenerLimits(**limits),
        hooks=ListenerHooks(too_large=lambda head, limit: app.orders.too_large(actor, head, limit)),
    )


def read_ack(connection: socket.socket) -> hl7v2.Ack:
    buffer = b""
    while FS + CR not in buffer:
        chunk = connection.recv(65536)
        assert chunk, "the listener closed the connection without an ACK"
        buffer += chunk
    return hl7v2.read_ack(buffer[buffer.index(VT) + 1 : buffer.index(FS + CR)].decode())


def closed_by_peer(connection: socket.socket) -> bool:
    """Whether the listener closed this connection (EOF or reset) rather than answering."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def refusals(app: App) -> list[dict[str, Any]]:
    with app.context.uow(read_only=True) as uow:
        return [e.detail for e in uow.audit.events() if e.action == "refused"]


# ------------------------------------------------------------------ bind address


@contextlib.contextmanager
def listening(db: str, *options: str) -> Iterator[tuple[int, list[Result]]]:
    """`marrowpath listen` in a thread until one message has been answered."""
    port = free_port()
    results: list[Result] = []
    argv = ("listen", "--mllp", str(port), "--count", "1", "--deliver-every", "0", *options)
    thread = threading.Thread(target=lambda: results.append(cli(db, "tech", *argv)), daemon=True)
    thread.start()
    try:
        yield port, results
    finally:
        thread.join(timeout=5)
        if thread.is_alive():  # a failed test never sent its message: end `listen`
            with contextlib.suppress(OSError):
                exchange(port, order_message(control_id="STOP", placer="STOP"))
            thread.join(timeout=20)
    assert not thread.is_alive()


def outside_address() -> str | None:
    """An address of this computer other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


def test_listen_binds_loopback_unless_told(app: App, team: Team, database_url: str) -> None:
    """Before: it listened on all interfaces (0.0.0.0) by default."""
    outside = outside_address()
    with listening(database_url) as (port, results):
        _wait_for(port)
        if outside is not None:
            with pytest.raises(OSError):
                socket.create_connection((outside, port), timeout=2).close()
        assert hl7v2.read_ack(exchange(port, order_message())).code == "AA"
    (result,) = results
    assert result.out.splitlines()[0] == f"listening on 127.0.0.1:{port}"
    if outside is None:
        pytest.skip("this computer has no address besides loopback to try the default from")


def test_listen_bind_all_interfaces_when_asked(app: App, team: Team, database_url: str) -> None:
    with listening(database_url, "--bind", "0.0.0.0") as (port, results):
        _wait_for(port)
        assert hl7v2.read_ack(exchange(port, order_message())).code == "AA"
    assert results[0].out.splitlines()[0] == f"listening on 0.0.0.0:{port}"


def test_listen_help_names_the_limits() -> None:
    import io

    from marrowpath.cli import main

    out = io.StringIO()
    assert main(["listen", "--help"], stdout=out) == 0
    words = " ".join(out.getvalue().split())
    for expected in (
        "--bind ADDRESS",
        "--allow CIDR",
        "default 127.0.0.1",
        "at most 16 connections",
        "10 MB a message",
        "idle for 60 s",
    ):
        assert expected in words
    assert "--host" not in words


def test_the_limits_are_those_of_the_specification() -> None:
    """cli.md: at most 16 connections, 10 MB a frame, 60 s idle (before: unlimited
    connections, 64 MB frames, 5 minutes idle)."""
    limits = ListenerLimits()
    assert (limits.max_connections, limits.max_frame_bytes, limits.idle_timeout) == (
        16,
        10 * 1024 * 1024,
        60.0,
    )


# ------------------------------------------------------------------ allow-list


def test_parse_allow() -> None:
    assert str(parse_allow("10.20.0.7/16")) == "10.20.0.0/16"
    assert str(parse_allow("127.0.0.2")) == "127.0.0.2/32"
    with pytest.raises(ValueError, match="must be an IP address or a CIDR range"):
        parse_allow("hospital.example")


def connect_from(source: str, port: int) -> socket.socket:
    connection = socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0)
    )
    return connection


def test_only_allowed_senders_are_served_others_closed_and_audited(
    app: App, team: Team, database_url: str
) -> None:
    """Before: there was no allow-list; any host could send orders."""
    with listening(database_url, "--allow", "127.0.0.2/32", "--allow", "10.0.0.0/8") as (
        port,
        results,
    ):
        _wait_for_allowed(port)
        for _ in range(3):  # refused: closed at once, without an answer
            with connect_from("127.0.0.1", port) as stranger:
                with contextlib.suppress(OSError):  # it may be closed before this is sent
                    stranger.sendall(VT + order_message().encode() + FS + CR)
                assert closed_by_peer(stranger)
        with connect_from("127.0.0.2", port) as allowed:
            allowed.sendall(VT + order_message().encode() + FS + CR)
            assert read_ack(allowed).code == "AA"
    (result,) = results
    assert result.code == 0 and "stopped after 1 messages" in result.out
    assert "listen: refused 127.0.0.1 (not in --allow)" in result.err
    assert app.cases.count(team["drpark"]) == 1  # only the allowed sender's order
    (refused,) = [r for r in refusals(app) if r["action"] == "send HL7 orders"]  # one a minute
    assert refused["reason"] == (
        "127.0.0.1 is not in the allowed ranges (127.0.0.2/32, 10.0.0.0/8); 1 connection closed"
    )


def _wait_for_allowed(port: int) -> None:
    for _ in range(200):
        try:
            connect_from("127.0.0.2", port).close()
            return
        except OSError:
            threading.Event().wait(0.05)
    raise AssertionError("listen did not start")


def test_listen_refuses_a_bad_allow_range(app: App, team: Team, database_url: str) -> None:
    result = cli(database_url, "tech", "listen", "--mllp", "0", "--allow", "10.0.0.0/33")
    assert result.code == 2
    assert "--allow must be an IP address or a CIDR range" in result.err


# ------------------------------------------------------------------ ACKs without PHI


def test_acks_name_the_field_and_rule_never_another_patient_or_case(app: App, team: Team) -> None:
    """Before: "MRN0012345 belongs to DELGADO, Tomás (born 1959-02-11, male)", and a
    repeated placer order number answered with the existing accession."""
    import_example(app, team)
    sign(app, team)
    delgado: dict[str, Any] = {
        "mrn": "MRN0012345",
        "family": "Delgado",
        "given": "Tomás",
        "sex": "M",
    }
    with order_server(app, team) as server:
        first = hl7v2.read_ack(
            exchange(server.port, order_message(placer="EPIC-1", birth="19590211", **delgado))
        )
        acks = {
            "name": exchange(
                server.port, order_message(control_id="X1", placer="P-1", mrn="MRN0012345")
            ),
            "birth": exchange(
                server.port,
                order_message(control_id="X2", placer="P-2", birth="19600101", **delgado),
            ),
            "repeat": exchange(
                server.port,
                order_message(control_id="X3", placer="EPIC-1", birth="19590211", **delgado),
            ),
        }
    assert first.code == "AA" and first.text.startswith("created draft case BM")
    created = first.text.removeprefix("created draft case ")
    for ack in (acks["name"], acks["birth"]):
        assert hl7v2.read_ack(ack).code == "AE"
        assert hl7v2.read_ack(ack).text == (
            "patient.mrn conflicts with an existing patient record; the laboratory will review it"
        )
        err = hl7v2.parse(ack).first("ERR")
        assert err is not None and err.get(2) == "PID" and err.get(3) == "205"
    repeat = hl7v2.read_ack(acks["repeat"])
    assert repeat.code == "AA"
    assert repeat.text == "order EPIC-1 was received before; no new case was created"
    for ack in acks.values():
        for secret in ("DELGADO", "Delgado", "Tomás", "1959", "male", "BM26-00042", created):
            assert secret not in ack
    # the laboratory has the whole story in the audit trail
    reasons = [r["reason"] for r in refusals(app)]
    assert any("MRN0012345 belongs to DELGADO, Tomás (born 1959-02-11, male)" in r for r in reasons)


# ------------------------------------------------------------------ frame limit


def test_a_frame_over_the_limit_is_dropped_with_an_ar(app: App, team: Team) -> None:
    """Before: a frame could hold up to 64 MB and was never answered."""
    message = order_message().encode()
    server = order_server(app, team, max_frame_bytes=2000)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        # unterminated and growing: answered as soon as it passes the limit
        connection.sendall(VT + message + b"NTE|1||" + b"x" * 5000)
        too_large = read_ack(connection)
        connection.sendall(b"y" * 10_000 + FS)  # the rest of it is read and dropped,
        connection.sendall(CR + VT + message.replace(b"ORD0001", b"ORD0002") + FS + CR)
        after = read_ack(connection)  # and the connection goes on with the next frame
        # a whole frame over the limit, arriving at once, is refused the same way
        connection.sendall(VT + message.replace(b"ORD0001", b"ORD0003") + b"z" * 3000 + FS + CR)
        whole = read_ack(connection)
    assert too_large == hl7v2.Ack(
        "AR",
        "ORD0001",
        "the message is larger than 2000 bytes, the most this laboratory accepts; it was dropped",
    )
    assert after.code == "AA" and after.control_id == "ORD0002"
    assert (whole.code, whole.control_id) == ("AR", "ORD0003")
    assert app.cases.count(team["drpark"]) == 1
    assert sum("larger than 2000 bytes" in r["reason"] for r in refusals(app)) == 2


# ------------------------------------------------------------------ connections


def test_connections_beyond_the_limit_wait_without_a_thread_each(app: App, team: Team) -> None:
    """Before: 1,500 idle connections held 1,502 threads."""
    with order_server(app, team, max_connections=2) as server:
        threads_before = threading.active_count()
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]
        try:
            first, second, waiting = idle[0], idle[1], idle[2]
            first.sendall(VT + order_message().encode() + FS + CR)
            assert read_ack(first).code == "AA"
            assert server.open_connections == 2
            assert threading.active_count() <= threads_before + 1  # the answering worker
            waiting.sendall(VT + order_message(control_id="W1", placer="W-1").encode() + FS + CR)
            waiting.settimeout(0.5)
            with pytest.raises(TimeoutError):  # it waits in the queue: not yet taken
                waiting.recv(1)
            second.close()  # a place is free: the next in the queue is taken
            waiting.settimeout(10)
            assert read_ack(waiting).control_id == "W1"
        finally:
            for connection in idle:
                connection.close()


def test_an_idle_connection_is_closed(app: App, team: Team) -> None:
    with order_server(app, team, idle_timeout=0.2) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as quiet:
            assert closed_by_peer(quiet)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as half:
            half.sendall(VT + b"MSH|^~\\&|partial")  # a frame begun and never finished
            assert closed_by_peer(half)
        assert hl7v2.read_ack(exchange(server.port, order_message())).code == "AA"


def test_unfinished_frames_together_are_bounded(app: App, team: Team) -> None:
    """Many connections near the frame limit: reading pauses once they hold the budget,
    and those connections are closed when they stay idle."""
    limits = {"max_frame_bytes": 500_000, "max_buffered_bytes": 1_000_000, "idle_timeout": 2}
    with order_server(app, team, **limits) as server:
        senders = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        try:
            for sender in senders:
                sender.sendall(VT + b"x" * 400_000)  # below the frame limit, never finished
            wait_until(lambda: server.buffered_bytes >= 1_000_000)
            assert (
                server.buffered_bytes <= 1_000_000 + 65_536
            )  # at most one more read beyond the budget
            for sender in senders:
                sender.settimeout(10)
                assert closed_by_peer(sender)
        finally:
            for sender in senders:
                sender.close()
        assert server.buffered_bytes == 0
        assert hl7v2.read_ack(exchange(server.port, order_message())).code == "AA"


def wait_until(reached: Any) -> None:
    for _ in range(500):
        if reached():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the listener never filled its buffers")
