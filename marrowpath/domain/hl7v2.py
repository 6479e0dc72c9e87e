"""HL7 v2 encoding rules (ER7): escaping, reading segments and fields, dates, the ACK.

Why here: the result builder (`marrowpath.reports.hl7`), the order reader and the MLLP
sender (`marrowpath.services`) all need the same escaping and the same way of reading a
field, and none of them may import the other. This module is pure Python with no I/O,
like `canonical_json`, so each side uses one implementation of the rules.

Escaping is exact: `unescape(escape(text)) == text` for any text, including the five
delimiters `|^~\\&`, line feeds (`\\.br\\` in formatted text, `\\X0A\\` elsewhere),
carriage returns (`\\X0D\\`), which would otherwise end a segment, and every other
control character (`\\X0B\\`, `\\X1C\\`: the MLLP frame bytes), so that a message carries
no raw control byte at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

SEGMENT_END = "\r"
STANDARD_ENCODING = "^~\\&"


@dataclass(frozen=True)
class Delimiters:
    """The separators a message declares in MSH-1 and MSH-2."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


STANDARD = Delimiters()


class Er7Error(ValueError):
    """Text that is not an HL7 v2 message; the text says what is wrong."""


# ---------------------------------------------------------------------- escaping


def escape(text: str, *, formatted: bool = False, delimiters: Delimiters = STANDARD) -> str:
    """User text as an ER7 value.

    Args:
        formatted: the value is FT (formatted text): a line feed becomes `\\.br\\`, which
            receiving systems show as a line break; otherwise `\\X0A\\`.
    """
    e = delimiters.escape
    out: list[str] = []
    table = {
        delimiters.escape: f"{e}E{e}",
        delimiters.field: f"{e}F{e}",
        delimiters.component: f"{e}S{e}",
        delimiters.repetition: f"{e}R{e}",
        delimiters.subcomponent: f"{e}T{e}",
        "\n": f"{e}.br{e}" if formatted else f"{e}X0A{e}",
    }
    for char in text:
        if char in table:
            out.append(table[char])
        elif _is_control(char):
            out.append(f"{e}X{char.encode('utf-8').hex().upper()}{e}")
        else:
            out.append(char)
    return "".join(out)


def _is_control(char: str) -> bool:
    """C0 controls, DEL and C1 controls (Unicode category Cc)."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def unescape(value: str, delimiters: Delimiters = STANDARD) -> str:
    """An ER7 value as text: the inverse of `escape` (and of the common sequences other
    systems send: highlighting is dropped, hex bytes are decoded as UTF-8)."""
    e = delimiters.escape
    if e not in value:
        return value
    pattern = re.compile(re.escape(e) + r"([^" + re.escape(e) + r"]*)" + re.escape(e))
    simple = {
        "E": delimiters.escape,
        "F": delimiters.field,
        "S": delimiters.component,
        "R": delimiters.repetition,
        "T": delimiters.subcomponent,
        ".br": "\n",
        "H": "",
        "N": "",
    }

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in simple:
            return simple[code]
        if code.startswith("X") and len(code) > 1:
            try:
                return bytes.fromhex(code[1:]).decode("utf-8")
            except ValueError:
                return match.group(0)
        if code.startswith(".sp"):
            return "\n"
        if code.startswith((".", "C", "M", "Z")):
            return ""  # formatting and character-set switches carry no text
        return match.group(0)

    return pattern.sub(replace, value)


class Encoded(str):
    """A value already in ER7 (e.g. subcomponents joined with `&`): not escaped again."""


def _piece(value: str | None, delimiters: Delimiters) -> str:
    if value is None:
        return ""
    if isinstance(value, Encoded):
        return str(value)
    return escape(value, delimiters=delimiters)


def _trimmed(parts: list[str], separator: str) -> str:
    while parts and parts[-1] == "":
        parts.pop()
    return separator.join(parts)


def components(*values: str | None, delimiters: Delimiters = STANDARD) -> Encoded:
    """Text values joined as the components of one field (`a^b^c`), trailing empties cut."""
    return Encoded(_trimmed([_piece(v, delimiters) for v in values], delimiters.component))


def subcomponents(*values: str | None, delimiters: Delimiters = STANDARD) -> Encoded:
    """Text values joined as the subcomponents of one component (`a&b&c`)."""
    return Encoded(_trimmed([_piece(v, delimiters) for v in values], delimiters.subcomponent))


def repetitions(*values: str, delimiters: Delimiters = STANDARD) -> Encoded:
    """Encoded field values joined as repetitions (`a~b`)."""
    return Encoded(delimiters.repetition.join(values))


def segment(name: str, fields: dict[int, str | None]) -> str:
    """One segment from its numbered fields (text is escaped, `Encoded` kept as is).

    For MSH, field 1 (the field separator) and field 2 (the encoding characters) are
    written by this function; give fields from 3 on.
    """
    if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", name):
        raise ValueError(f"not a segment name: {name!r}")
    highest = max(fields, default=0)
    if name == "MSH":
        values = [STANDARD_ENCODING] + [
            _piece(fields.get(i), STANDARD) for i in range(3, highest + 1)
        ]
        return "MSH|" + "|".join(values)
    values = [_piece(fields.get(i), STANDARD) for i in range(1, highest + 1)]
    return _trimmed([name, *values], "|")


def message(segments: list[str]) -> str:
    """Segments joined with carriage returns, as HL7 v2 separates them."""
    return SEGMENT_END.join(segments)


# ---------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Segment:
    """One segment as received; `fields[n]` is field n still escaped (MSH-1 is the
    field separator itself, so MSH fields are numbered as in the standard)."""

    name: str
    fields: tuple[str, ...]
    delimiters: Delimiters

    def raw(self, number: int) -> str:
        return self.fields[number] if 0 < number < len(self.fields) else ""

    def repetitions(self, number: int) -> list[str]:
        raw = self.raw(number)
        if self.name == "MSH" and number == 2:
            return [raw]
        return raw.split(self.delimiters.repetition) if raw else []

    def get(self, number: int, component: int = 1, sub: int = 1, *, repetition: int = 0) -> str:
        """Field `number`, component and subcomponent (1-based), unescaped; "" if absent."""
        if self.name == "MSH" and number in (1, 2):
            return self.raw(number)
        reps = self.repetitions(number)
        if repetition >= len(reps):
            return ""
        parts = reps[repetition].split(self.delimiters.component)
        if component > len(parts):
            return ""
        subs = parts[component - 1].split(self.delimiters.subcomponent)
        if sub > len(subs):
            return ""
        return unescape(subs[sub - 1], self.delimiters).strip()

    def components(self, number: int, *, repetition: int = 0) -> list[str]:
        """Every component of a field repetition, unescaped (subcomponents kept joined)."""
        reps = self.repetitions(number)
        if repetition >= len(reps):
            return []
        return [
            unescape(part, self.delimiters)
            for part in reps[repetition].split(self.delimiters.component)
        ]


@dataclass(frozen=True)
class Er7Message:
    """A received HL7 v2 message: its segments in order."""

    segments: tuple[Segment, ...]

    @property
    def delimiters(self) -> Delimiters:
        return self.segments[0].delimiters

    @property
    def header(self) -> Segment:
        return self.segments[0]

    @property
    def control_id(self) -> str:
        return self.header.get(10)

    @property
    def message_type(self) -> str:
        """'ORM^O01' from MSH-9 (the structure in MSH-9.3 is left out)."""
        code, trigger = self.header.get(9, 1), self.header.get(9, 2)
        return f"{code}^{trigger}" if trigger else code

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]


def parse(text: str) -> Er7Message:
    """Split a message into segments and fields; raises `Er7Error` saying what is wrong.

    Segments may be separated by CR, CRLF or LF (files edited by hand use LF).
    """
    text = text.lstrip("\ufeff").strip("\x0b\x1c\r\n ")
    if not text.startswith("MSH"):
        raise Er7Error("does not start with an MSH segment")
    if len(text) < 8:
        raise Er7Error("the MSH segment is too short to declare its delimiters")
    field_sep = text[3]
    encoding = text[4:8]
    if field_sep.isalnum() or len(set(field_sep + encoding[:4])) < 5:
        raise Er7Error(f"MSH-1/MSH-2 do not declare five distinct delimiters ({text[3:8]!r})")
    delimiters = Delimiters(field_sep, encoding[0], encoding[1], encoding[2], encoding[3])
    segments: list[Segment] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            continue
        name = line[:3]
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", name) or (len(line) > 3 and line[3] != field_sep):
            raise Er7Error(
                f"segment {len(segments) + 1} does not start with a segment name: {line[:20]!r}"
            )
        if name == "MSH":
            rest = line[4:].split(field_sep)
            fields = ("MSH", field_sep, *rest)
        else:
            fields = tuple(line.split(field_sep))
        segments.append(Segment(name, fields, delimiters))
    if segments[0].name != "MSH":
        raise Er7Error("does not start with an MSH segment")
    return Er7Message(tuple(segments))


# ---------------------------------------------------------------------- dates and times


def format_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def format_datetime(value: datetime) -> str:
    """'20261120143200-0500': to the second, with the UTC offset as recorded."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{value.strftime('%Y%m%d%H%M%S')}{sign}{hours:02d}{rest:02d}"


_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?$")


def parse_date(value: str) -> date:
    """The date of an HL7 DT/DTM/TS value ('19590211', '20261118091700-0500')."""
    match = _TS.match(value.strip())
    if not match or match.group(2) is None or match.group(3) is None:
        raise Er7Error(f"{value!r} is not a date written YYYYMMDD")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Er7Error(f"{value!r} is not a real date") from None


def parse_datetime(value: str) -> datetime | None:
    """A DTM with at least minutes, as an aware datetime (UTC when no offset); else None."""
    match = _TS.match(value.strip())
    if not match or match.group(5) is None:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    zone: timezone = UTC
    if match.group(7):
        raw = match.group(7)
        delta = timedelta(hours=int(raw[1:3]), minutes=int(raw[3:5]))
        zone = timezone(delta if raw[0] == "+" else -delta)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


# ---------------------------------------------------------------------- acknowledgements

ACCEPT, ERROR, REJECT = "AA", "AE", "AR"

# HL7 table 0357: message error conditions (ERR-3).
CONDITIONS = {
    "0": "Message accepted",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "203": "Unsupported version id",
    "205": "Duplicate key identifier",
    "207": "Application internal error",
}
_DEFAULT_CONDITION = {ERROR: "207", REJECT: "200"}


@dataclass(frozen=True)
class Ack:
    """What an ACK says: MSA-1 code, MSA-2 the control id acknowledged, and the text."""

    code: str
    control_id: str
    text: str

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")


def read_ack(text: str) -> Ack:
    """The MSA code, acknowledged control id and error text (MSA-3 and ERR-8; the coded
    condition ERR-3 when no words were given)."""
    parsed = parse(text)
    msa = parsed.first("MSA")
    if msa is None:
        raise Er7Error("the acknowledgement has no MSA segment")
    code = msa.get(1).upper()
    if code not in ("AA", "AE", "AR", "CA", "CE", "CR"):
        raise Er7Error(f"MSA-1 {code!r} is not an acknowledgement code")
    errors = parsed.all("ERR")
    # ERR-8 holds the whole text; MSA-3 only its first 80 characters.
    words = [err.get(8) for err in errors if err.get(8)] or [msa.get(3)]
    if not any(words):  # only the coded condition (table 0357) says why
        words = [err.get(3, 2) or err.get(3) for err in errors]
    seen: list[str] = []
    for word in words:
        if word and word not in seen:
            seen.append(word)
    return Ack(code, msa.get(2), "; ".join(seen))


def build_ack(
    received: Er7Message | None,
    *,
    code: str,
    text: str,
    control_id: str,
    at: datetime,
    application: str,
    facility: str,
    error_location: str | None = None,
    condition: str | None = None,
) -> str:
    """An original-mode ACK: MSH, MSA (code, the control id received, text) and, for an
    error, ERR with the location (e.g. `PID^1^7`), the condition (table 0357: code and
    words) and the same text for people."""
    header = received.header if received else None
    trigger = header.get(9, 2) if header else ""
    version = (header.get(12) if header else "") or "2.5.1"
    segments = [
        segment(
            "MSH",
            {
                3: application,
                4: facility,
                5: components(header.get(3), header.get(3, 2), header.get(3, 3))
                if header
                else None,
                6: components(header.get(4), header.get(4, 2), header.get(4, 3))
                if header
                else None,
                7: format_datetime(at),
                9: components("ACK", trigger or None, "ACK"),
                10: control_id,
                11: (header.get(11) if header else "") or "P",
                12: version,
                18: "UNICODE UTF-8",
            },
        ),
        # MSA-2 is required; a message we could not read has no control id to quote.
        segment(
            "MSA",
            {1: code, 2: (received.control_id if received else "") or "UNKNOWN", 3: text[:80]},
        ),
    ]
    if code == ACCEPT and len(text) > 80:  # the rest of the words, as a warning
        accepted = components("0", CONDITIONS["0"], "HL70357")
        segments.append(segment("ERR", {3: accepted, 4: "W", 8: text}))
    elif code != ACCEPT:
        condition = condition or _DEFAULT_CONDITION.get(code, "207")
        location = error_location.split("^") if error_location else []
        segments.append(
            segment(
                "ERR",
                {
                    2: components(*location) if location else None,
                    3: components(condition, CONDITIONS.get(condition, ""), "HL70357"),
                    4: "E",
                    8: text,
                },
            )
        )
    return message(segments)
