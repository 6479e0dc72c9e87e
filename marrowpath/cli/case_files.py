"""Reading a case file named on the command line (`import`, `amend`, `addendum
--ancillary`): a refusal that names the file, the case and the rule, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marrowpath.cli.session import Session
    from marrowpath.domain.flags import Flag
    from marrowpath.domain.users import User


def read_audited(
    s: Session, actor: User, path: Path, action: str, accession: str | None = None
) -> object:
    """`read_case_file`, with a refused file recorded in the audit trail like any refusal."""
    from marrowpath.domain.errors import Refused

    try:
        return read_case_file(path)
    except Refused as refusal:
        s.app.context.record_refusal(actor.username, action, f"{path}: {refusal}", accession)
        raise


def read_case_file(path: Path) -> object:
    """The JSON value of the file; refused when it cannot be read, is not UTF-8, is not
    JSON (NaN and Infinity included) or is nested too deep."""
    import json

    from marrowpath.domain.errors import InvalidCase, Problem, Refused
    from marrowpath.domain.validation import NESTING_RULE, accession_of, nesting_too_deep

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Refused(f"cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidCase(
            None, [Problem("", f"is not UTF-8 text (byte {error.start} cannot be read)")]
        ) from None
    try:
        data: object = json.loads(text, parse_constant=_no_constants)
    except RecursionError:  # thousands of nested brackets: refused like any bad file
        raise InvalidCase(None, [Problem("", NESTING_RULE)]) from None
    except ValueError as error:
        raise InvalidCase(None, [Problem("", f"is not valid JSON ({error})")]) from None
    if nesting_too_deep(data):
        raise InvalidCase(accession_of(data), [Problem("", NESTING_RULE)])
    return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")


def identity_flags(data: object) -> list[Flag]:
    """The look-alike name flag of an imported case: imported, but a person should look."""
    from marrowpath.domain.flags import name_flags

    patient = data.get("patient") if isinstance(data, dict) else None
    if not isinstance(patient, dict):
        return []
    return name_flags(patient.get("family_name"), patient.get("given_names"))
