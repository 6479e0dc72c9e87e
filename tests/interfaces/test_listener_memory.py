"""The listener's memory under the attacks of issue 10, measured as the resident size of
a real `marrowpath listen` process: six unterminated 64 MB frames, then 1,500 idle
connections. Before: 683 MB with the six frames (372 MB after they closed) and 1,502
threads for the idle connections. Now it must stay within 100 MB of its idle size.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain import hl7v2
from marrowpath.domain.users import User
from tests.cli_process import MARROWPATH
from tests.conftest import PASSWORD
from tests.interfaces.support import CR, FS, VT, exchange, free_port, order_message

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)"),
]
MB = 1024 * 1024
ALLOWANCE = 100 * MB


def status_field(pid: int, name: str) -> int:
    """A number from /proc/PID/status (VmRSS in bytes, Threads as a count)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            value = int(line.split()[1])
            return value * 1024 if line.endswith("kB") else value
    raise AssertionError(f"{name} not in /proc/{pid}/status")


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def settled_descriptors(pid: int) -> int:
    """The descriptor count once connections just closed by clients are closed here too."""
    last = open_descriptors(pid)
    for _ in range(100):
        threading.Event().wait(0.05)
        now = open_descriptors(pid)
        if now == last:
            return now
        last = now
    return last


class PeakSampler:
    """The highest resident size of a process while the `with` block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_field(self.pid, "VmRSS"))
            self._stop.wait(0.01)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_field(self.pid, "VmRSS"))


@contextlib.contextmanager
def listen_process(database_url: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    argv = [*MARROWPATH, "--db", database_url, "--user", "tech", "--password-stdin"]
    process = subprocess.Popen(
        [*argv, "listen", "--mllp", str(port), "--deliver-every", "0"],
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
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def unterminated_frame(port: int, payload: bytes, acks: list[bytes]) -> socket.socket:
    """Send START and 64 MB with no end of frame; keep the ACK that comes back."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=120)
    connection.sendall(VT + order_message().encode() + b"\rNTE|1||" + payload)
    buffer = b""
    while FS + CR not in buffer:
        chunk = connection.recv(65536)
        if not chunk:
            break
        buffer += chunk
    acks.append(buffer)
    return connection


def test_memory_stays_bounded_under_large_frames_and_idle_connections(
    app: App, team: dict[str, User], database_url: str
) -> None:
    with listen_process(database_url) as (process, port):
        pid = process.pid
        assert hl7v2.read_ack(exchange(port, order_message())).code == "AA"  # warmed up
        idle = status_field(pid, "VmRSS")

        # six unterminated 64 MB frames at once
        payload = b"A" * (64 * MB)
        acks: list[bytes] = []
        held: list[socket.socket] = []
        with PeakSampler(pid) as frames:
            senders = [
                threading.Thread(
                    target=lambda: held.append(unterminated_frame(port, payload, acks))
                )
                for _ in range(6)
            ]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(timeout=300)
        after_frames = status_field(pid, "VmRSS")
        for connection in held:
            connection.close()
        payload = b""  # 64 MB less in this process

        # 1,500 idle connections (those beyond 16 wait in the kernel's queue)
        descriptors = settled_descriptors(pid)
        idle_connections = []
        with PeakSampler(pid) as crowd:
            for _ in range(1500):
                connection = socket.socket()
                connection.setblocking(False)
                assert connection.connect_ex(("127.0.0.1", port)) in (0, errno.EINPROGRESS)
                idle_connections.append(connection)
            for _ in range(500):  # until the listener holds as many as it takes
                if open_descriptors(pid) >= descriptors + 16:
                    break
                threading.Event().wait(0.01)
            threads = status_field(pid, "Threads")
            connections_held = settled_descriptors(pid) - descriptors
        for connection in idle_connections:
            connection.close()
        assert hl7v2.read_ack(exchange(port, order_message(control_id="ORD9"))).code == "AA"

    print(
        f"\nlistener RSS: idle {idle / MB:.1f} MB; six 64 MB frames: peak "
        f"{frames.peak / MB:.1f} MB (+{(frames.peak - idle) / MB:.1f}), after "
        f"{after_frames / MB:.1f} MB; 1,500 idle connections: peak {crowd.peak / MB:.1f} MB "
        f"(+{(crowd.peak - idle) / MB:.1f}), {threads} threads, {connections_held} "
        "connections held"
    )
    assert len(acks) == 6
    for ack in acks:
        read = hl7v2.read_ack(ack[ack.index(VT) + 1 : ack.index(FS + CR)].decode())
        assert (read.code, read.control_id) == ("AR", "ORD0001")
        assert read.text.startswith("the message is larger than 10 MB")
    assert frames.peak - idle < ALLOWANCE
    assert crowd.peak - idle < ALLOWANCE
    assert 0 < connections_held <= 16
    assert threads <= 4  # main, the network loop, the answering worker
