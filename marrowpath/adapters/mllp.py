"""MLLP, the framing HL7 v2 uses over TCP: `<VT> message <FS><CR>`, one ACK per message.

Standard library sockets only; the services reach this module through the `MllpSender`
port (`services/ports.py`), wired by `bootstrap`. The client opens a connection per message (interface
engines expect either; a fresh connection survives engine restarts without a stale
socket).

The listener faces the hospital network, so everything it holds is bounded: it serves
at most `max_connections` connections from one thread with a selector (a connection
costs a socket and a small buffer, never a thread; more connections wait in the
kernel's queue until one closes), a frame may hold `max_frame_bytes` (a longer one is
answered AR and its bytes are read and thrown away, never stored), all partial frames
together hold at most `max_buffered_bytes` (beyond that reading pauses), and a
connection that sends nothing for `idle_timeout` seconds is closed. Senders outside the
`allow` ranges are closed as soon as they are accepted. Messages are answered one at a
time, in arrival order, by one worker thread, so a slow database never blocks the
network loop and orders are applied in the order they came.
"""

from __future__ import annotations

import contextlib
import ipaddress
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from marrowpath.domain.sizes import size_words
from marrowpath.loggers import logger
from marrowpath.services.ports import MllpError

__all__ = [
    "ListenerHooks",
    "ListenerLimits",
    "MllpClient",
    "MllpError",
    "MllpServer",
    "frame",
    "parse_allow",
    "size_words",
]

START, END = b"\x0b", b"\x1c\x0d"
MAX_FRAME_BYTES = 10 * 1024 * 1024  # an order is a few kilobytes; a report with its PDF < 10 MB
CHUNK = 64 * 1024
log = logger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def frame(message: str) -> bytes:
    return START + message.encode("utf-8") + END


class FrameReader:
    """Collects bytes from a stream and yields the messages between START and END."""

    def __init__(self, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # END is not in the buffer before this index
        self._max = max_bytes

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            end = self._buffer.find(END, max(self._scanned - 1, 0))
            if end < 0:
                self._scanned = len(self._buffer)
                if len(self._buffer) > self._max:
                    raise MllpError(
                        f"message larger than {size_words(self._max)} without an end of frame"
                    )
                return messages
            start = self._buffer.find(START, 0, end)
            body = bytes(self._buffer[start + 1 : end]) if start >= 0 else bytes(self._buffer[:end])
            del self._buffer[: end + len(END)]
            self._scanned = 0
            messages.append(body)


@dataclass(frozen=True)
class MllpClient:
    """Sends one message and waits for its acknowledgement (the `MllpSender` port)."""

    connect_timeout: float = 5.0
    ack_timeout: float = 30.0

    def exchange(self, host: str, port: int, message: str) -> str:
        """Deliver `message` to HOST:PORT; returns the ACK text. Raises `MllpError`."""
        try:
            with socket.create_connection((host, port), timeout=self.connect_timeout) as sock:
                sock.settimeout(self.ack_timeout)
                sock.sendall(frame(message))
                reader = FrameReader()
                while True:
                    data = sock.recv(CHUNK)
                    if not data:
                        raise MllpError("the receiver closed the connection without an ACK")
                    replies = reader.feed(data)
                    if replies:
                        return replies[0].decode("utf-8", errors="replace")
        except TimeoutError:
            raise MllpError(f"no answer from {host}:{port} within {self.ack_timeout:g} s") from None
        except MllpError:
            raise
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            raise MllpError(f"cannot reach {host}:{port} ({reason.lower()})") from None


# ---------------------------------------------------------------------- the listener

Handler = Callable[[str], str]


@dataclass(frozen=True)
class ListenerLimits:
    """What one listener may hold (`cli.md`: 16 connections, 10 MB a frame, 60 s idle).

    Attributes:
        max_buffered_bytes -- all unfinished frames together; reading pauses beyond it
            (until frames complete, or their connections fall idle and are closed), so
            16 connections each near the frame limit cannot add 160 MB.
        backlog -- connections the kernel queues while `max_connections` are open.
    """

    max_connections: int = 16
    max_frame_bytes: int = MAX_FRAME_BYTES
    idle_timeout: float = 60.0
    max_buffered_bytes: int = 64 * 1024 * 1024
    backlog: int = 64


@dataclass(frozen=True)
class ListenerHooks:
    """What the listener asks of its owner besides the answer to a message.

    Attributes:
        too_large -- the answer (an AR) to a frame over the limit, given the start of
            its text (enough for the MSH segment) and the limit in bytes.
        refused -- told of senders closed because they are outside the allowed ranges:
            the address and how many connections were closed since the last call (at
            most one call per address a minute, so a flood cannot flood the audit trail).
        after_reply -- runs once each ACK has been written (e.g. to stop after N).
    """

    too_large: Callable[[str, int], str] | None = None
    refused: Callable[[str, int], None] | None = None
    after_reply: Callable[[], None] | None = None


def parse_allow(text: str) -> Network:
    """An `--allow` range: an address or CIDR (`10.1.0.0/16`); raises ValueError."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"must be an IP address or a CIDR range such as 10.20.0.0/16, got {text!r}"
        ) from None


def _allowed(address: str, networks: tuple[Network, ...]) -> bool:
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    peer: str
    last_activity: float
    buffer: bytearray = field(default_factory=bytearray)
    scanned: int = 0  # END is not in `buffer` before this index
    discarding: bool = False  # inside a frame over the limit: bytes are dropped up to END
    after_fs: bool = False  # while discarding: the last byte seen was FS
    busy: bool = False  # a message of this connection is with the worker
    outgoing: bytes = b""  # an ACK being written
    events: int = 0  # what the selector watches for
    closed: bool = False


class _RefusalCounter:
    """At most one report per refused address a minute, with the count since the last."""

    WINDOW = 60.0
    MAX_ADDRESSES = 1024

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._pending: dict[str, int] = {}

    def count(self, address: str, now: float) -> int:
        """How many refusals to report now for this address (0: not yet)."""
        self._pending[address] = self._pending.get(address, 0) + 1
        if now - self._last.get(address, -self.WINDOW) < self.WINDOW:
            return 0
        if len(self._last) >= self.MAX_ADDRESSES:
            self._last.clear()
        self._last[address] = now
        return self._pending.pop(address)


class MllpServer:
    """A listener on HOST:PORT answering each message with `handler(text)` (an ACK).

    `start()` serves on a background thread; `stop()` ends it (from any thread other
    than a handler's).
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        limits: ListenerLimits = ListenerLimits(),
        allow: Iterable[Network] = (),
        hooks: ListenerHooks = ListenerHooks(),
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=limits.backlog)
        self._listener.setblocking(False)
        self._handler = handler
        self._limits = limits
        self._allow = tuple(allow)
        self._hooks = hooks
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp-answer")
        self._done: deque[tuple[_Connection, str]] = deque()
        self._connections: set[_Connection] = set()
        self._accepting = False
        self._buffered = 0
        self._refusals = _RefusalCounter()
        self._scratch = bytearray(CHUNK)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def host(self) -> str:
        return str(self._listener.getsockname()[0])

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    @property
    def buffered_bytes(self) -> int:
        """The bytes of unfinished frames held now (all connections)."""
        return self._buffered

    def start(self) -> MllpServer:
        self._selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        self._set_accepting(True)
        self._thread = threading.Thread(target=self._loop, name="mllp-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._worker.shutdown(wait=True, cancel_futures=True)
        for connection in list(self._connections):
            connection.closed = True
            connection.sock.close()
        self._connections.clear()
        self._selector.close()
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()

    def __enter__(self) -> MllpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the loop

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending) or closed
            self._wake_write.send(b"\0")

    def _loop(self) -> None:
        while not self._stopping.is_set():
            for key, events in self._selector.select(timeout=self._next_timeout()):
                if key.data == "wake":
                    self._drain_wake()
                elif key.data == "listen":
                    self._accept()
                else:
                    connection: _Connection = key.data
                    if events & selectors.EVENT_WRITE:
                        self._write(connection)
                    if events & selectors.EVENT_READ and not connection.closed:
                        self._read(connection)
            self._deliver_answers()
            self._close_idle()
            self._watch()

    def _next_timeout(self) -> float:
        waiting = [c.last_activity for c in self._connections if not c.busy]
        if not waiting:
            return 1.0
        return max(0.0, min(waiting) + self._limits.idle_timeout - time.monotonic())

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_read.recv(4096):
                pass

    def _set_accepting(self, accepting: bool) -> None:
        """Stop taking connections at the limit: the kernel queues the next ones."""
        if accepting == self._accepting:
            return
        if accepting:
            self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        else:
            self._selector.unregister(self._listener)
        self._accepting = accepting

    def _accept(self) -> None:
        while len(self._connections) < self._limits.max_connections:
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: try again later
                log.warning("MLLP accept failed: %s", error)
                return
            peer = str(address[0])
            if not _allowed(peer, self._allow):
                sock.close()
                self._report_refusal(peer)
                continue
            sock.setblocking(False)
            self._connections.add(_Connection(sock, peer, time.monotonic()))
        self._set_accepting(False)

    def _report_refusal(self, peer: str) -> None:
        count = self._refusals.count(peer, time.monotonic())
        refused = self._hooks.refused
        if count and refused is not None:
            self._worker.submit(self._guarded, lambda: refused(peer, count))

    @staticmethod
    def _guarded(call: Callable[[], object]) -> None:
        try:
            call()
        except Exception:  # a report that failed must not stop the listener
            log.exception("MLLP listener hook failed")

    def _read(self, connection: _Connection) -> None:
        if self._over_budget() and not connection.discarding:
            return  # paused below, until other frames complete or close
        try:
            received = connection.sock.recv_into(self._scratch)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(connection)
            return
        if received == 0:
            self._close(connection)
            return
        connection.last_activity = time.monotonic()
        data = bytes(memoryview(self._scratch)[:received])
        if connection.discarding:
            data = self._skip_to_end(connection, data)
            if connection.discarding:
                return
        self._buffered += len(data)
        connection.buffer += data
        self._next_frame(connection)

    def _over_budget(self) -> bool:
        return self._buffered >= self._limits.max_buffered_bytes

    @staticmethod
    def _skip_to_end(connection: _Connection, data: bytes) -> bytes:
        """Drop bytes of an oversized frame; returns what follows its END, if it came."""
        if connection.after_fs and data[:1] == END[1:]:
            connection.discarding = connection.after_fs = False
            return data[1:]
        position = data.find(END)
        if position >= 0:
            connection.discarding = connection.after_fs = False
            return data[position + len(END) :]
        connection.after_fs = data[-1:] == END[:1]
        return b""

    def _next_frame(self, connection: _Connection) -> None:
        """Hand the next complete frame of the buffer to the worker, or refuse an
        oversized one; nothing more is read from the connection until it is answered."""
        if connection.busy or connection.closed:
            return
        buffer = connection.buffer
        end = buffer.find(END, max(connection.scanned - 1, 0))
        limit = self._limits.max_frame_bytes
        if end < 0:
            connection.scanned = len(buffer)
            if len(buffer) > limit + 1:  # START and a body over the limit, no END yet
                self._refuse_oversized(connection)
            return
        start = buffer.find(START, 0, end)
        body = bytes(buffer[start + 1 : end]) if start >= 0 else bytes(buffer[:end])
        del buffer[: end + len(END)]
        self._buffered -= end + len(END)
        connection.scanned = 0
        if len(body) > limit:
            head = body[:4096]
            self._submit(connection, lambda: self._too_large(head))
        else:
            self._submit(connection, lambda: self._answer(body))

    def _refuse_oversized(self, connection: _Connection) -> None:
        head = bytes(connection.buffer[:4096])
        self._buffered -= len(connection.buffer)
        connection.buffer = bytearray()
        connection.scanned = 0
        connection.discarding = True
        connection.after_fs = False
        head = head[head.find(START) + 1 :]
        self._submit(connection, lambda: self._too_large(head))

    def _too_large(self, head: bytes) -> str:
        if self._hooks.too_large is None:
            return ""
        return self._hooks.too_large(
            head.decode("utf-8", errors="replace"), self._limits.max_frame_bytes
        )

    def _answer(self, body: bytes) -> str:
        return self._handler(body.decode("utf-8", errors="replace"))

    def _submit(self, connection: _Connection, job: Callable[[], str]) -> None:
        connection.busy = True

        def run() -> None:
            try:
                reply = job()
            except Exception:  # the handler must answer; never drop the listener
                log.exception("MLLP handler failed")
                reply = ""
            self._done.append((connection, reply))
            self._wake()

        self._worker.submit(run)

    def _deliver_answers(self) -> None:
        while self._done:
            connection, reply = self._done.popleft()
            if connection.closed:
                continue
            connection.last_activity = time.monotonic()
            if reply:
                connection.outgoing = frame(reply)
            else:  # no ACK: the sender times out and sends again
                self._finished(connection, replied=False)

    def _write(self, connection: _Connection) -> None:
        try:
            sent = connection.sock.send(connection.outgoing)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(connection)
            return
        connection.last_activity = time.monotonic()
        connection.outgoing = connection.outgoing[sent:]
        if not connection.outgoing:
            self._finished(connection, replied=True)

    def _finished(self, connection: _Connection, *, replied: bool) -> None:
        """The answer is out: read on, starting with frames already buffered."""
        connection.busy = False
        if replied and self._hooks.after_reply is not None:
            self._guarded(self._hooks.after_reply)
        self._next_frame(connection)

    def _watch(self) -> None:
        """Point the selector at what each connection waits for: writing its ACK, nothing
        while the worker has its message or while the buffers are full, else reading."""
        paused = self._over_budget()
        for connection in self._connections:
            if connection.outgoing:
                wanted = selectors.EVENT_WRITE
            elif connection.busy or (paused and not connection.discarding):
                wanted = 0
            else:
                wanted = selectors.EVENT_READ
            if wanted == connection.events:
                continue
            if connection.events and wanted:
                self._selector.modify(connection.sock, wanted, connection)
            elif wanted:
                self._selector.register(connection.sock, wanted, connection)
            else:
                self._selector.unregister(connection.sock)
            connection.events = wanted

    def _close_idle(self) -> None:
        deadline = time.monotonic() - self._limits.idle_timeout
        for connection in list(self._connections):
            if not connection.busy and connection.last_activity <= deadline:
                self._close(connection)

    def _close(self, connection: _Connection) -> None:
        if connection.closed:
            return
        connection.closed = True
        self._buffered -= len(connection.buffer)
        connection.buffer = bytearray()
        if connection.events:
            self._selector.unregister(connection.sock)
            connection.events = 0
        connection.sock.close()
        self._connections.discard(connection)
        if not self._stopping.is_set():
            self._set_accepting(True)
