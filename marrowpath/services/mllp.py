"""MLLP, the framing HL7 v2 uses over TCP: `<VT> message <FS><CR>`, one ACK per message.

Standard library sockets only. The client opens a connection per message (interface
engines expect either; a fresh connection survives engine restarts without a stale
socket). The server answers every frame with what its handler returns and never lets a
handler's failure close the listener.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass

START, END = b"\x0b", b"\x1c\x0d"
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a report with its PDF is well below this
log = logging.getLogger(__name__)


class MllpError(OSError):
    """The exchange failed: connection refused or lost, timeout, or no ACK frame."""


def frame(message: str) -> bytes:
    return START + message.encode("utf-8") + END


class FrameReader:
    """Collects bytes from a stream and yields the messages between START and END."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            end = self._buffer.find(END)
            if end < 0:
                if len(self._buffer) > MAX_MESSAGE_BYTES:
                    raise MllpError("message larger than 64 MB without an end of frame")
                return messages
            start = self._buffer.find(START, 0, end)
            body = bytes(self._buffer[start + 1 : end]) if start >= 0 else bytes(self._buffer[:end])
            del self._buffer[: end + len(END)]
            messages.append(body)


@dataclass(frozen=True)
class MllpClient:
    """Sends one message and waits for its acknowledgement."""

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
                    data = sock.recv(65536)
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


Handler = Callable[[str], str]


class _Connection(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        reader = FrameReader()
        sock = self.request
        sock.settimeout(self.server.idle_timeout)
        while not self.server.stopping.is_set():
            try:
                data = sock.recv(65536)
            except (TimeoutError, OSError):
                return
            if not data:
                return
            try:
                messages = reader.feed(data)
            except MllpError:
                return
            for body in messages:
                reply = self.server.answer(body)
                if not reply:
                    continue  # no ACK: the sender times out and sends again
                try:
                    sock.sendall(frame(reply))
                except OSError:
                    return
                if self.server.after_reply is not None:
                    self.server.after_reply()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        idle_timeout: float,
        after_reply: Callable[[], None] | None,
    ) -> None:
        super().__init__(address, _Connection)
        self.handler = handler
        self.after_reply = after_reply
        self.idle_timeout = idle_timeout
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def answer(self, body: bytes) -> str:
        text = body.decode("utf-8", errors="replace")
        with self._lock:  # one message at a time: orders are applied in arrival order
            try:
                return self.handler(text)
            except Exception:  # the handler must answer; never drop the listener
                log.exception("MLLP handler failed")
                return ""


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
        idle_timeout: float = 300.0,
        after_reply: Callable[[], None] | None = None,
    ) -> None:
        """`after_reply` runs once each ACK has been written (e.g. to stop after N)."""
        self._server = _Server((host, port), handler, idle_timeout, after_reply)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> MllpServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MllpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
