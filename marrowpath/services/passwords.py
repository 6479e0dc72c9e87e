"""The password rule of `cli.md`: long enough, not the user name, not easy to guess.

Hashing is behind the `PasswordHasher` port (`services/ports.py`); its Argon2id
implementation is `marrowpath.adapters.passwords`.
"""

from __future__ import annotations

import threading

from marrowpath.domain.errors import Refused
from marrowpath.domain.users import MIN_PASSWORD_LENGTH

# zxcvbn's scale: 0 too guessable, 1 very guessable, 2 somewhat, 3 safely unguessable
# (about 10^8 guesses and more), 4 very unguessable.
MIN_PASSWORD_SCORE = 3


def check_password(password: str, username: str | None = None) -> None:
    """The password rule of `cli.md`; raises `Refused` saying which part is broken."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(
            f"password: must have at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}"
        )
    if not password.strip():
        raise Refused("password: must not be only spaces")
    if username and password.strip().casefold() == username.casefold():
        raise Refused("password: must not be the user name")
    score, warning = _rating(password, username)
    if score < MIN_PASSWORD_SCORE:
        why = warning.rstrip(".") or "a common word, name, pattern or repeat"
        raise Refused(
            f"password: is too easy to guess ({why[:1].lower()}{why[1:]}); use a longer "
            "phrase of unrelated words"
        )


_ZXCVBN = threading.Lock()
_RATED_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters decide


def _rating(password: str, username: str | None) -> tuple[int, str]:
    """zxcvbn's score (0-4) and its warning. zxcvbn keeps the user inputs in a
    module-level table while it rates, so two threads rating at once are serialised."""
    from zxcvbn import zxcvbn  # loads its word lists (~40 ms): only when a password is set

    with _ZXCVBN:
        rating = zxcvbn(password[:_RATED_LENGTH], user_inputs=[username] if username else [])
    return int(rating["score"]), str(rating["feedback"].get("warning") or "")
