"""The interface commands: `send`, `outbox`, `listen`, `destination`, and for the other
groups `export --format hl7|fhir|csv`, HL7 order files for `import` and delivery right
after signing.

Every handler takes the command's `Session` and returns the exit status. HL7 and the
network are imported by the handlers that use them, not by `--help` or `search`.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from marrowpath.cli.parser import Subparsers, UsageError, add_action, add_actions, add_command
from marrowpath.cli.session import EXIT_OK, EXIT_REFUSED, Session

if TYPE_CHECKING:
    from datetime import datetime

    from marrowpath.domain.users import User


def register(subparsers: Subparsers) -> None:
    send_command = add_command(
        subparsers, "send", "deliver the HL7 result over MLLP now and check the ACK"
    )
    send_command.add_argument("accession", metavar="ACCESSION")
    send_to = send_command.add_mutually_exclusive_group(required=True)
    send_to.add_argument("--to", metavar="NAME", help="a configured destination")
    send_to.add_argument(
        "--mllp",
        metavar="HOST:PORT",
        help="an ad-hoc address (admins); it receives this message only, never later versions",
    )
    send_command.set_defaults(handler=send)

    outbox_command = add_command(
        subparsers, "outbox", "list queued, sent and failed deliveries; retry failed ones"
    )
    outbox_command.add_argument(
        "--retry", action="store_true", help="queue failed ones again, send now"
    )
    outbox_command.add_argument(
        "--status", choices=["queued", "sending", "sent", "failed", "superseded"]
    )
    outbox_command.add_argument("--accession", metavar="ACCESSION")
    outbox_command.add_argument("--limit", type=int, metavar="N")
    outbox_command.set_defaults(handler=outbox)

    listen_command = add_command(
        subparsers,
        "listen",
        "receive HL7 order messages over MLLP and create draft cases; at most 16 "
        "connections (more wait), 10 MB a message (larger ones are answered AR), a "
        "connection idle for 60 s is closed",
    )
    listen_command.add_argument(
        "--mllp", required=True, type=int, metavar="PORT", help="the TCP port to listen on"
    )
    listen_command.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: all)",
    )
    listen_command.add_argument("--host", dest="bind", help=argparse.SUPPRESS)  # former name
    listen_command.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="accept only senders in this range, e.g. 10.20.0.0/16 (repeatable; others "
        "are closed and audited)",
    )
    listen_command.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    listen_command.add_argument(
        "--deliver-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="also deliver the outbox this often (0: never; default 30)",
    )
    listen_command.set_defaults(handler=listen)

    destinations = add_actions(
        add_command(subparsers, "destination", "systems that receive every issued report (MLLP)"),
        "destination",
    )
    add = add_action(destinations, "add", "add or replace a destination")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--mllp", required=True, metavar="HOST:PORT")
    add.add_argument(
        "--receives",
        choices=["all", "final"],
        default="all",
        help="all: preliminary reports too; final: final reports and later changes",
    )
    add.add_argument("--application", help="MSH-5 receiving application")
    add.add_argument("--facility", help="MSH-6 receiving facility")
    add.set_defaults(handler=destination_add)
    remove = add_action(destinations, "remove", "stop sending to a destination")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=destination_remove)
    add_action(destinations, "list", "list destinations").set_defaults(handler=destination_list)


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
            raise UsageError(
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
        raise UsageError(
            f"marrowpath export --format {args.format}: give one ACCESSION "
            "(--all and --deidentify apply to --format csv)"
        )
    actor = s.user()
    if args.format == "hl7":
        from marrowpath.domain import hl7v2

        message = s.app.interfaces.export_hl7(actor, args.accession, version=args.version_number)
        _write(s, message + hl7v2.SEGMENT_END, args.output)
    else:
        bundle = s.app.interfaces.export_fhir(actor, args.accession, version=args.version_number)
        _write(s, bundle, args.output)
    return EXIT_OK


# ---------------------------------------------------------------------- sending


def _address(text: str, command: str) -> tuple[str, int]:
    from marrowpath.domain.destinations import parse_address

    try:
        return parse_address(text)
    except ValueError as error:
        raise UsageError(f"marrowpath {command}: --mllp {error}") from None


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
        from marrowpath.domain.errors import Refused

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
    from marrowpath.domain import hl7v2
    from marrowpath.domain.errors import Refused

    args = s.args
    if not 0 <= args.mllp <= 65535:
        raise UsageError("marrowpath listen: --mllp PORT must be 0 to 65535")
    try:
        allow = [parse_allow(text) for text in args.allow]
    except ValueError as error:
        raise UsageError(f"marrowpath listen: --allow {error}") from None
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
    import signal

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
