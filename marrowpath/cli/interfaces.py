"""The interface commands: `export --format hl7|fhir|csv`, `send`, `outbox`, `listen`,
`destination`, HL7 order files for `import`, and delivery right after signing.

Kept out of `cli/__init__.py` so the parser stays readable; every handler takes the
command's `Session` and returns the exit status.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marrowpath.domain import hl7v2
from marrowpath.domain.destinations import parse_address
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User

if TYPE_CHECKING:
    from marrowpath.cli import Session

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def usage_error(text: str) -> Exception:
    """The command line's UsageError (exit 2), imported late: `marrowpath.cli` imports us."""
    from marrowpath.cli import UsageError

    return UsageError(text)


def _write(s: Session, text: str, output: str | None) -> None:
    if output:
        from marrowpath.files import write_whole

        write_whole(Path(output), text.encode("utf-8"), what="export")
    else:
        s.out.write(text)
        s.out.flush()


# ---------------------------------------------------------------------- export


def export(s: Session) -> int:
    """`export ACCESSION --format hl7|fhir [--version N] [-o FILE]` and
    `export --all --format csv --deidentify -o FILE`."""
    args = s.args
    if args.format == "csv":
        if not (args.all and args.deidentify and args.output) or args.accession:
            raise usage_error(
                "marrowpath export --format csv: give --all --deidentify -o FILE "
                "(identified CSV is not offered) and no ACCESSION"
            )
        actor = s.user()
        text, count = s.app.interfaces.export_research_csv(actor)
        _write(s, text, args.output)
        cases = "1 case" if count == 1 else f"{count} cases"
        print(f"export: {cases} written to {args.output}", file=s.err)
        return EXIT_OK
    if args.all or args.deidentify or not args.accession:
        raise usage_error(
            f"marrowpath export --format {args.format}: give one ACCESSION "
            "(--all and --deidentify apply to --format csv)"
        )
    actor = s.user()
    if args.format == "hl7":
        message = s.app.interfaces.export_hl7(actor, args.accession, version=args.version_number)
        _write(s, message + hl7v2.SEGMENT_END, args.output)
    else:
        bundle = s.app.interfaces.export_fhir(actor, args.accession, version=args.version_number)
        _write(s, bundle, args.output)
    return EXIT_OK


# ---------------------------------------------------------------------- sending


def _address(text: str, command: str) -> tuple[str, int]:
    try:
        return parse_address(text)
    except ValueError as error:
        raise usage_error(f"marrowpath {command}: --mllp {error}") from None


def send(s: Session) -> int:
    """`send ACCESSION --to NAME` or (admins) `--mllp HOST:PORT`: the latest result now."""
    if s.args.to is not None:
        actor = s.user()
        delivery = s.app.outbox.send_to(actor, s.args.accession, s.args.to)
    else:
        host, port = _address(s.args.mllp, "send")
        actor = s.user()
        delivery = s.app.outbox.send_to_address(actor, s.args.accession, host, port)
    if delivery.outcome == "sent":
        s.print(delivery.line())
        return EXIT_OK
    entry = delivery.entry
    if delivery.outcome == "rejected":
        reason = f"{entry.address} rejected the result ({delivery.text}); recorded as failed"
    else:
        reason = f"cannot deliver to {entry.address} ({delivery.text}); queued, the outbox retries"
    print(f"{s.args.accession}: {reason}", file=s.err)
    return EXIT_REFUSED


def outbox(s: Session) -> int:
    """`outbox [--retry]`: list deliveries (newest first); retry failed ones."""
    actor = s.user()
    args = s.args
    status = EXIT_OK
    if args.retry:
        for delivery in s.app.outbox.retry(actor, accession=args.accession):
            if delivery.outcome == "sent":
                s.print(f"retry\t{delivery.line()}")
            else:
                status = EXIT_REFUSED
                print(
                    f"{delivery.entry.accession}: {delivery.entry.destination} "
                    f"({delivery.entry.address}): {delivery.text}",
                    file=s.err,
                )
    statuses = (args.status,) if args.status else ()
    for entry in s.app.outbox.entries(
        actor, statuses=statuses, accession=args.accession, limit=args.limit
    ):
        s.print(
            "\t".join(
                [
                    str(entry.id),
                    entry.status,
                    entry.accession,
                    f"version {entry.version_number}",
                    entry.event,
                    entry.destination,
                    entry.address,
                    entry.control_id,
                    f"attempts {entry.attempts}",
                    _when(entry.sent_at or entry.last_attempt_at),
                    (entry.error or entry.ack_code or "").replace("\t", " ").replace("\n", " "),
                ]
            )
        )
    return status


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def deliver_after(handler: Callable[[Session], int]) -> Callable[[Session], int]:
    """Wrap a signing command: once it succeeded, deliver what it queued right away (the
    outbox keeps anything that cannot be delivered now)."""

    def run(s: Session) -> int:
        status = handler(s)
        if status == EXIT_OK:
            try:
                for delivery in s.app.outbox.deliver_due(s.args.user, accession=s.args.accession):
                    e = delivery.entry
                    verb = {"sent": "delivered to", "rejected": "rejected by"}.get(
                        delivery.outcome, "queued for"
                    )
                    print(
                        f"{e.accession}: {verb} {e.destination} ({e.address}): {delivery.text}",
                        file=s.err,
                    )
            except Refused as refusal:
                print(f"{s.args.accession}: delivery postponed ({refusal})", file=s.err)
        return status

    run.__doc__ = handler.__doc__
    return run


# ---------------------------------------------------------------------- destinations


def destination_add(s: Session) -> int:
    host, port = _address(s.args.mllp, "destination add")
    actor = s.user()
    destination = s.app.lab.add_destination(
        actor,
        name=s.args.name,
        host=host,
        port=port,
        receives=s.args.receives,
        application=s.args.application or "",
        facility=s.args.facility or "",
    )
    s.print(
        f"destination.{destination.name}\t{destination.address} receives {destination.receives}"
    )
    return EXIT_OK


def destination_remove(s: Session) -> int:
    actor = s.user()
    s.app.lab.remove_destination(actor, s.args.name)
    s.print(f"destination {s.args.name} removed")
    return EXIT_OK


def destination_list(s: Session) -> int:
    s.user()
    for d in s.app.lab.settings().destinations or ():
        s.print(f"{d.name}\t{d.address}\treceives {d.receives}\t{d.application}\t{d.facility}")
    return EXIT_OK


# ---------------------------------------------------------------------- orders


def read_if_hl7(path: Path) -> bytes | None:
    """The file's bytes when it is an HL7 v2 file (it starts with MSH|, after a byte
    order mark or blank lines); None otherwise, and for a file that cannot be read
    (the JSON import then names the error)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    return raw if raw.lstrip(b"\xef\xbb\xbf\r\n\t \x0b").startswith(b"MSH|") else None


def split_messages(text: str) -> list[str]:
    """The messages of a file: each starts at an MSH segment (batch headers ignored)."""
    messages: list[list[str]] = []
    for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        if line.startswith("MSH"):
            messages.append([line])
        elif messages and line.strip() and not line.startswith(("FHS", "BHS", "BTS", "FTS")):
            messages[-1].append(line)
    return ["\r".join(lines) for lines in messages]


def import_orders(s: Session, actor: User, name: str, raw: bytes) -> tuple[list[str], int]:
    """Each order message in the file is its own transaction; returns the accessions
    created (or found) and the number refused (each named on stderr)."""
    from marrowpath.services.orders import OrderRefused

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        print(f"{name}: is not UTF-8 text (byte {error.start} cannot be read)", file=s.err)
        return [], 1
    messages = split_messages(text)
    accessions: list[str] = []
    refused = 0
    for number, message in enumerate(messages, start=1):
        where = f"{name}: message {number}" if len(messages) > 1 else name
        try:
            result = s.app.orders.import_message(actor, message)
        except OrderRefused as refusal:
            refused += 1
            print(f"{where}: {refusal.code} {refusal}", file=s.err, flush=True)
            continue
        for note in result.notes:
            print(f"{where}: {result.accession}: {note}", file=s.err)
        accessions.append(result.accession)
    return accessions, refused


# ---------------------------------------------------------------------- listening


def listen(s: Session) -> int:
    """`listen --mllp PORT [--bind ADDRESS] [--allow CIDR]...`: answer HL7 orders until
    Ctrl+C, SIGTERM or `--count` orders; every `--deliver-every` seconds the outbox is
    delivered too."""
    from marrowpath.adapters.mllp import ListenerHooks, MllpServer, parse_allow, size_words

    args = s.args
    if not 0 <= args.mllp <= 65535:
        raise usage_error("marrowpath listen: --mllp PORT must be 0 to 65535")
    try:
        allow = [parse_allow(text) for text in args.allow]
    except ValueError as error:
        raise usage_error(f"marrowpath listen: --allow {error}") from None
    actor = s.user()
    app = s.app
    app.orders.may_listen(actor)
    stop = threading.Event()
    answered = 0
    lock = threading.Lock()
    allowed = ", ".join(str(network) for network in allow)

    def handle(text: str) -> str:
        ack: str = app.orders.receive(actor, text)
        try:
            read = hl7v2.read_ack(ack)
            s.print(f"{read.control_id or '-'}\t{read.code}\t{read.text}")
        except hl7v2.Er7Error:
            pass
        return ack

    def replied() -> None:
        nonlocal answered
        with lock:
            answered += 1
            if args.count and answered >= args.count:
                stop.set()

    def refused(address: str, connections: int) -> None:
        app.orders.refused_sender(actor, address, connections, allowed)
        print(f"listen: refused {address} (not in --allow)", file=s.err, flush=True)

    def too_large(head: str, limit: int) -> str:
        ack: str = app.orders.too_large(actor, head, limit)
        print(
            f"listen: a message over {size_words(limit)} was dropped (AR)", file=s.err, flush=True
        )
        return ack

    hooks = ListenerHooks(too_large=too_large, refused=refused, after_reply=replied)
    try:
        server = MllpServer(args.bind, args.mllp, handle, allow=allow, hooks=hooks).start()
    except OSError as error:
        raise Refused(
            f"listen: cannot listen on {args.bind}:{args.mllp} ({error.strerror or error})"
        ) from None
    s.print(f"listening on {server.host}:{server.port}")
    restore = _on_signals(stop)
    try:
        while not stop.wait(args.deliver_every or 0.5):
            if args.deliver_every:
                try:
                    for delivery in app.outbox.deliver_due(actor.username):
                        print(f"outbox\t{delivery.line()}", file=s.err, flush=True)
                except Refused as refusal:
                    print(f"listen: outbox delivery postponed ({refusal})", file=s.err)
    finally:
        server.stop()
        restore()
    s.print(f"stopped after {answered} messages")
    return EXIT_OK


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT end `listen` cleanly (only the main thread may set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    wanted = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in wanted}
    for sig in wanted:
        signal.signal(sig, lambda _sig, _frame: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


__all__ = [
    "deliver_after",
    "destination_add",
    "destination_list",
    "destination_remove",
    "export",
    "import_orders",
    "listen",
    "outbox",
    "read_if_hl7",
    "send",
]
