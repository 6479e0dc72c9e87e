"""Inbound orders: an HL7 v2 ORM^O01 or OML^O21 message becomes a draft case.

The order gives the patient (PID), the visit (PV1-19), the placer order number (ORC-2 or
OBR-2), the ordering provider (OBR-16 or ORC-12), the clinical indication (OBR-31,
OBR-13, NTE) and the specimens (SPM-4 or OBR-15). A patient whose MRN exists is reused,
and refused when the name, birth date or sex differ, exactly as `import` does. Every
answer is an ACK: AA with the accession, AR for a message that is not an order we can
read, AE for an order whose content we refuse; a refused message changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marrowpath.domain import hl7v2
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.case import FORMAT
from marrowpath.domain.enums import Indication, Laterality, Site, Specimen, label
from marrowpath.domain.errors import Forbidden, InvalidCase, Problem, Refused
from marrowpath.domain.flags import name_flags
from marrowpath.domain.hl7v2 import Er7Message, Segment
from marrowpath.domain.settings import accession_prefix
from marrowpath.domain.sizes import size_words
from marrowpath.domain.users import Permission, User
from marrowpath.domain.validation import check_draft
from marrowpath.loggers import logger
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import case_write, resolve_patient
from marrowpath.services.outbox import new_control_id
from marrowpath.services.ports import UnitOfWork

log = logger(__name__)

RECEIVING_APPLICATION = "MARROWPATH"
ORDER_TYPES = ("ORM^O01", "OML^O21")
SEX = {"F": "female", "M": "male", "O": "other", "U": "unknown", "A": "other", "N": "unknown"}


class OrderRefused(Refused):
    """An order we will not turn into a case: `code` is the ACK code (AE or AR),
    `location` the field to blame (e.g. `PID^1^7`) and `condition` the HL7 table 0357
    code for ERR-3 (101 missing, 102 bad value, 103 unknown code, 205 patient conflict).

    The text names everything (for the audit trail and the lab's own `import`); the
    `answer` is what goes back over the network, which never tells of another patient
    or an existing case (any host that can reach the listener reads it)."""

    def __init__(
        self,
        text: str,
        *,
        code: str = hl7v2.ERROR,
        location: str | None = None,
        condition: str | None = None,
        answer: str | None = None,
    ) -> None:
        super().__init__(text)
        self.code = code
        self.location = location
        self.condition = condition
        self.answer = answer or text


@dataclass(frozen=True)
class ParsedOrder:
    """An order read from a message: the draft document (without accession) and the
    message's identity."""

    control_id: str
    sender: str
    message_type: str
    placer_order_number: str | None
    working: dict[str, Any]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderResult:
    accession: str
    created: bool  # False: the same order was received before
    notes: tuple[str, ...] = ()
    placer_order_number: str | None = None


PATIENT_CONFLICT = (
    "patient.mrn conflicts with an existing patient record; the laboratory will review it"
)


def _require(segment: Segment | None, name: str) -> Segment:
    if segment is None:
        raise OrderRefused(f"the order has no {name} segment", location=name, condition="101")
    return segment


def _enum_code(value: str, enum: type[Any]) -> Any | None:
    """A case-format enumeration value from a local code or its words."""
    wanted = value.strip().lower().replace(" ", "_").replace("-", "_")
    for member in enum:
        if wanted in (member.value, label(member.value).lower().replace(" ", "_")):
            return member
    return None


def parse_order(message: Er7Message, *, today: date) -> ParsedOrder:
    """Read an ORM^O01 / OML^O21 message; raises `OrderRefused` naming the field."""
    header = message.header
    if message.message_type not in ORDER_TYPES:
        raise OrderRefused(
            f"MSH-9 {message.message_type or '(empty)'} is not an order this laboratory "
            f"accepts (ORM^O01 or OML^O21)",
            code=hl7v2.REJECT,
            location="MSH^1^9",
        )
    if not message.control_id:
        raise OrderRefused(
            "MSH-10 (message control id) is empty",
            code=hl7v2.REJECT,
            location="MSH^1^10",
            condition="101",
        )
    version = header.get(12)
    if version and not version.startswith("2."):
        raise OrderRefused(
            f"MSH-12 version {version} is not HL7 v2",
            code=hl7v2.REJECT,
            location="MSH^1^12",
            condition="203",
        )
    pid = _require(message.first("PID"), "PID")
    orc = message.first("ORC")
    obr = _require(message.first("OBR"), "OBR")
    control = orc.get(1).upper() if orc else ""
    if control not in ("", "NW", "SN"):
        raise OrderRefused(
            f"ORC-1 order control {control} is not supported: only new orders (NW) create "
            "cases; change or cancel the case in MarrowPath",
            code=hl7v2.REJECT,
            location="ORC^1^1",
            condition="201",
        )
    notes: list[str] = []
    placer = (orc.get(2) if orc else "") or obr.get(2)
    working: dict[str, Any] = {
        "format": FORMAT,
        "patient": _patient(pid),
        "ordering_provider": _provider(obr, orc),
    }
    order = {"placer_order_number": placer or None, "visit_number": _visit(message) or None}
    order = {k: v for k, v in order.items() if v}
    if order:
        working["order"] = order
    clinical = _clinical(message, obr)
    if clinical:
        working["clinical"] = clinical
    procedure = _procedure(message, obr, today, notes)
    if procedure:
        working["procedure"] = procedure
    sending = "^".join(p for p in (header.get(3), header.get(4)) if p)
    return ParsedOrder(
        control_id=message.control_id,
        sender=sending,
        message_type=message.message_type,
        placer_order_number=placer or None,
        working=working,
        notes=tuple(notes),
    )


def _patient(pid: Segment) -> dict[str, Any]:
    mrn = ""
    for index, _ in enumerate(pid.repetitions(3)):
        if pid.get(3, 5, repetition=index).upper() == "MR":
            mrn = pid.get(3, 1, repetition=index)
            break
    mrn = mrn or pid.get(3)
    if not mrn:
        raise OrderRefused(
            "PID-3 (patient identifier, the MRN) is empty", location="PID^1^3", condition="101"
        )
    family = pid.get(5, 1)
    if not family:
        raise OrderRefused("PID-5.1 (family name) is empty", location="PID^1^5", condition="101")
    given = " ".join(part for part in (pid.get(5, 2), pid.get(5, 3)) if part)
    raw_birth = pid.get(7)
    if not raw_birth:
        raise OrderRefused("PID-7 (birth date) is empty", location="PID^1^7", condition="101")
    try:
        birth = hl7v2.parse_date(raw_birth)
    except hl7v2.Er7Error as error:
        raise OrderRefused(
            f"PID-7 (birth date): {error}", location="PID^1^7", condition="102"
        ) from None
    sex = SEX.get(pid.get(8).upper())
    if sex is None:
        raise OrderRefused(
            f"PID-8 (sex) {pid.get(8) or '(empty)'} is not one of F, M, O, U (HL7 table 0001)",
            location="PID^1^8",
            condition="103",
        )
    return {
        "mrn": mrn,
        "family_name": family,
        "given_names": given,
        "birth_date": birth.isoformat(),
        "sex": sex,
    }


def _provider(obr: Segment, orc: Segment | None) -> dict[str, Any]:
    """XCN (id^family^given^second^suffix^prefix^degree) from OBR-16, else ORC-12."""
    source, number = (obr, 16) if obr.get(16, 2) or obr.get(16, 1) else (orc, 12)
    if source is None or not (source.get(number, 2) or source.get(number, 1)):
        raise OrderRefused(
            "OBR-16 and ORC-12 (ordering provider) are both empty",
            location="OBR^1^16",
            condition="101",
        )
    identifier, family, given = (source.get(number, i) for i in (1, 2, 3))
    second, suffix, prefix, degree = (source.get(number, i) for i in (4, 5, 6, 7))
    if family:
        name = " ".join(p for p in (prefix, given, second, family, suffix) if p)
        name = f"{name}, {degree}" if degree else name
    else:
        name = identifier  # only an identifier was sent
    provider: dict[str, Any] = {"name": name}
    if family:
        provider["family_name"] = family
    if given or second:
        provider["given_names"] = " ".join(p for p in (given, second) if p)
    if identifier and family:
        provider["id"] = identifier
    if orc is not None and orc.get(21):
        provider["organization"] = orc.get(21)
    return provider


def _visit(message: Er7Message) -> str:
    pv1 = message.first("PV1")
    return pv1.get(19) if pv1 else ""


def _clinical(message: Er7Message, obr: Segment) -> dict[str, Any]:
    """OBR-31 (reason for study) as the indication; OBR-13 and NTE as its detail."""
    indication: Indication | None = None
    details: list[str] = []
    for index, _ in enumerate(obr.repetitions(31)):
        code, text = obr.get(31, 1, repetition=index), obr.get(31, 2, repetition=index)
        found = _enum_code(code, Indication) or (_enum_code(text, Indication) if text else None)
        if found is not None and indication is None:
            indication = found
        elif text or code:
            details.append(text or code)
    if obr.get(13):
        details.append(obr.get(13))
    details += [nte.get(3) for nte in message.all("NTE") if nte.get(3)]
    history = [dg1.get(3, 2) or dg1.get(4) for dg1 in message.all("DG1")]
    history = [h for h in history if h]
    if indication is None and not details and not history:
        return {}
    clinical: dict[str, Any] = {"indication": (indication or Indication.OTHER).value}
    if details:
        clinical["indication_detail"] = "\n".join(details)
    if history:
        clinical["history"] = "Diagnoses on the order: " + "; ".join(history)
    return clinical


def _procedure(message: Er7Message, obr: Segment, today: date, notes: list[str]) -> dict[str, Any]:
    procedure: dict[str, Any] = {}
    raw_date = obr.get(7)
    if raw_date:
        try:
            when = hl7v2.parse_date(raw_date)
        except hl7v2.Er7Error as error:
            raise OrderRefused(
                f"OBR-7 (collection date): {error}", location="OBR^1^7", condition="102"
            ) from None
        if when > today:
            notes.append(f"OBR-7 {when} is in the future: the procedure date was left empty")
        else:
            procedure["date"] = when.isoformat()
    specimens: list[str] = []
    codes = [(spm.get(4, 1), spm.get(4, 2), "SPM-4", "SPM") for spm in message.all("SPM")]
    if not codes and obr.get(15):
        codes = [(obr.get(15, 1, 1), obr.get(15, 1, 2), "OBR-15", "OBR")]
    for code, text, field, segment_name in codes:
        found = _enum_code(code, Specimen) or (_enum_code(text, Specimen) if text else None)
        if found is None:
            choices = ", ".join(s.value for s in Specimen)
            raise OrderRefused(
                f"{field} specimen type {code or text!r} is not one of {choices}",
                location=f"{segment_name}^1^{field.split('-')[1]}",
                condition="103",
            )
        if found.value not in specimens:
            specimens.append(found.value)
    if specimens:
        procedure["specimens"] = specimens
    spm = message.first("SPM")
    if spm is not None:
        site = _enum_code(spm.get(8, 1), Site) if spm.get(8, 1) else None
        side = _enum_code(spm.get(9, 1), Laterality) if spm.get(9, 1) else None
        if site is not None:
            procedure["site"] = site.value
        if side is not None:
            procedure["laterality"] = side.value
    return procedure


# ---------------------------------------------------------------------- the service


def next_accession(uow: UnitOfWork, today: date) -> str:
    """The next number of the lab's accession pattern (as the editor proposes one)."""
    prefix, digits = accession_prefix(uow.settings.load().accession_pattern, today)
    while True:
        candidate = f"{prefix}{uow.accessions.next(prefix, digits):0{digits}d}"
        if uow.cases.get(candidate) is None:
            return candidate


class OrderService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def import_message(self, actor: User, text: str) -> OrderResult:
        """Create the draft case for one order message; raises `OrderRefused`."""
        try:
            actor.require(Permission.EDIT)
            try:
                message = hl7v2.parse(text)
            except hl7v2.Er7Error as error:
                raise OrderRefused(
                    f"not an HL7 v2 message: {error}", code=hl7v2.REJECT, condition="102"
                ) from None
            order = parse_order(message, today=self._ctx.clock.today())
            return self._create(actor, order)
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, "import an HL7 order", str(refusal))
            if isinstance(refusal, OrderRefused):
                raise
            answer = (
                "this listener may not create cases; the laboratory will review it"
                if isinstance(refusal, Forbidden)
                else None
            )
            raise OrderRefused(str(refusal), answer=answer) from None

    def may_listen(self, actor: User) -> None:
        """`listen` runs as a user of a role that runs the interfaces (not a clinician);
        a refusal is audited before any port is opened."""
        try:
            actor.require(Permission.INTERFACES)
        except Forbidden as refusal:
            self._ctx.record_refusal(actor.username, "listen", str(refusal))
            raise

    def receive(self, actor: User, text: str) -> str:
        """`listen`: the ACK for one message (never raises)."""
        try:
            parsed: Er7Message | None = hl7v2.parse(text)
        except hl7v2.Er7Error:
            parsed = None
        try:
            result = self.import_message(actor, text)
        except OrderRefused as refusal:
            return self._ack(
                parsed, refusal.code, refusal.answer, refusal.location, refusal.condition
            )
        except Exception as error:  # a fault of ours: the sender may try again later
            control = parsed.control_id if parsed is not None else "?"
            log.exception("order message %s could not be applied", control)
            text = f"internal error ({type(error).__name__}); send again later"
            return self._ack(parsed, hl7v2.ERROR, text, None, "207")
        if result.created:
            words = f"created draft case {result.accession}"
        else:  # the case it made is not named: the placer number may have been guessed
            words = (
                f"order {result.placer_order_number} was received before; no new case was created"
            )
        return self._ack(parsed, hl7v2.ACCEPT, "; ".join([words, *result.notes]), None, None)

    def too_large(self, actor: User, head: str, limit: int) -> str:
        """`listen`: the AR for a frame over the size limit (given its first bytes),
        which was dropped unread."""
        first_line = head.replace("\n", "\r").split("\r", 1)[0]
        try:
            parsed: Er7Message | None = hl7v2.parse(first_line)
        except hl7v2.Er7Error:
            parsed = None
        text = (
            f"the message is larger than {size_words(limit)}, the most this laboratory "
            "accepts; it was dropped"
        )
        control = parsed.control_id if parsed else ""
        self._ctx.record_refusal(
            actor.username, "import an HL7 order", f"{text} (MSH-10 {control or 'unknown'})"
        )
        return self._ack(parsed, hl7v2.REJECT, text, None, None)

    def refused_sender(self, actor: User, address: str, connections: int, allowed: str) -> None:
        """`listen --allow`: connections from a sender outside the allowed ranges were
        closed; recorded in the audit trail."""
        closed = "1 connection" if connections == 1 else f"{connections} connections"
        self._ctx.record_refusal(
            actor.username,
            "send HL7 orders",
            f"{address} is not in the allowed ranges ({allowed}); {closed} closed",
        )

    def _ack(
        self,
        parsed: Er7Message | None,
        code: str,
        text: str,
        location: str | None,
        condition: str | None,
    ) -> str:
        facility = ""
        with self._ctx.uow(read_only=True) as uow:
            facility = uow.settings.load().identity.name
        return hl7v2.build_ack(
            parsed,
            code=code,
            text=text,
            control_id=new_control_id(),
            at=self._ctx.clock.now(),
            application=RECEIVING_APPLICATION,
            facility=facility,
            error_location=location,
            condition=condition,
        )

    def _create(self, actor: User, order: ParsedOrder) -> OrderResult:
        today = self._ctx.clock.today()
        with self._ctx.uow() as uow:
            if order.placer_order_number:
                existing = uow.orders.accession_for(order.placer_order_number)
                if existing:
                    return OrderResult(
                        existing, created=False, placer_order_number=order.placer_order_number
                    )
            accession = next_accession(uow, today)
            working = {"accession": accession, **order.working}
            check = check_draft(working, today=today)
            if check.problems:
                raise OrderRefused(_problems_text(check.problems), condition="102")
            try:
                patient = resolve_patient(uow, working, accession)
            except InvalidCase as conflict:
                raise OrderRefused(
                    _problems_text(conflict.problems),
                    location="PID^1^3",
                    condition="205",
                    answer=PATIENT_CONFLICT,
                ) from None
            review = name_flags(
                order.working["patient"].get("family_name"),
                order.working["patient"].get("given_names"),
            )
            now = self._ctx.clock.now()
            case = uow.cases.add(
                accession=accession,
                write=case_write(working, patient, None),
                user=actor.username,
                at=now,
                assigned_pathologist=None,
                resident=None,
            )
            uow.orders.add(
                received_at=now,
                control_id=order.control_id,
                sender=order.sender,
                message_type=order.message_type,
                placer_order_number=order.placer_order_number,
                case_id=case.id,
                accession=accession,
            )
            uow.record(
                AuditEntry(
                    "create",
                    actor.username,
                    accession,
                    {
                        "source": "hl7 order",
                        "message_type": order.message_type,
                        "control_id": order.control_id,
                        "sender": order.sender,
                        "placer_order_number": order.placer_order_number,
                        "missing": check.missing,
                        **({"review": [flag.code for flag in review]} if review else {}),
                    },
                )
            )
            uow.commit()
        notes = order.notes + tuple(
            "PID-5 patient name mixes alphabets within a word: flagged for review" for _ in review
        )
        return OrderResult(accession, created=True, notes=notes)


def _problems_text(problems: list[Problem]) -> str:
    """The broken rules without an accession: the case was never created."""
    return "; ".join(str(problem) for problem in problems)
