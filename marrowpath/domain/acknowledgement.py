"""Acknowledging discordant findings at signing (`clinical-rules.md` section 6).

Why here and not in each caller: the sign-out dialog, the amendment dialog, `sign
--acknowledge` and `amend --acknowledge` must obey one rule. A discordant finding refuses
the signature until its code is acknowledged; the codes stored with the version are the
discordant findings actually present and acknowledged (never the word `all`, never a
code that did not fire), so the version history says exactly what the signer overrode.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from marrowpath.domain.errors import Refused
from marrowpath.domain.findings import Finding, blocking, unknown_codes
from marrowpath.domain.flags import Flag

ALL = "all"


def parse_codes(text: str) -> list[str]:
    """`C01, c04` -> ["C01", "C04"]; `all` stays `all`; empty items are dropped."""
    codes = [part.strip() for part in text.split(",") if part.strip()]
    return [ALL if code.casefold() == ALL else code.upper() for code in codes]


def unknown(codes: Iterable[str]) -> list[str]:
    """The codes that name no rule (`all` is not a code but is understood)."""
    return unknown_codes(code for code in codes if code != ALL)


def acknowledged_codes(found: Sequence[Finding], requested: Iterable[str]) -> tuple[str, ...]:
    """The discordant codes present that the signer acknowledged, in rule order."""
    wanted = set(requested)
    return tuple(
        f.code for f in found if f.severity == "discordant" and (ALL in wanted or f.code in wanted)
    )


def require_known(accession: str, codes: Iterable[str]) -> None:
    """Refused when a code names no rule (the command line checks first: exit 2)."""
    bad = unknown(codes)
    if bad:
        raise Refused(
            f"{accession}: unknown finding code {', '.join(bad)} (the codes are C01 to C14, or all)"
        )


class FindingsNotAcknowledged(Refused):
    """Signing was refused: discordant findings wait for acknowledgement.

    `str()` is one line per finding, `ACCESSION: CODE: TEXT` (`cli.md`); `findings` are
    all the findings of the document and `flags` its advisory flags (so a caller can also
    show what does not block), `unacknowledged` those that refused the signature.
    """

    def __init__(
        self,
        accession: str,
        found: Sequence[Finding],
        unacknowledged: Sequence[Finding],
        flags: Sequence[Flag] = (),
    ) -> None:
        self.accession = accession
        self.findings = list(found)
        self.unacknowledged = list(unacknowledged)
        self.flags = list(flags)
        super().__init__(
            "\n".join(f"{accession}: {f.code}: {f.message}" for f in self.unacknowledged)
        )


def require_acknowledged(
    accession: str,
    found: Sequence[Finding],
    requested: Iterable[str],
    flags: Sequence[Flag] = (),
) -> tuple[str, ...]:
    """The codes to store with the version; refused while a discordant finding is not
    acknowledged or a requested code names no rule."""
    requested = list(requested)
    require_known(accession, requested)
    codes = acknowledged_codes(found, requested)
    waiting = blocking(found, codes)
    if waiting:
        raise FindingsNotAcknowledged(accession, found, waiting, flags)
    return codes
