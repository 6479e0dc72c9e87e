"""Argon2id password hashing (argon2-cffi) and the password rule.

There is one set of parameters in production: argon2-cffi's RFC 9106 "low memory"
profile. Tests hand `bootstrap.build` a hasher with tiny parameters (decision 8); nothing
in the program can lower the cost, so no weak hash is ever written outside a test.
Verification always uses the parameters stored in the hash, and a hash below the
hasher's parameters is reported by `needs_rehash` so that signing in upgrades it.
"""

from __future__ import annotations

import secrets
import threading
from functools import cached_property

from argon2 import PasswordHasher as _Argon2
from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

from marrowpath.domain.errors import Refused
from marrowpath.domain.users import MIN_PASSWORD_LENGTH

# zxcvbn's scale: 0 too guessable, 1 very guessable, 2 somewhat, 3 safely unguessable
# (about 10^8 guesses and more), 4 very unguessable.
MIN_PASSWORD_SCORE = 3


class Argon2Hasher:
    """Hashes at the given Argon2id cost (production defaults unless a test says otherwise)."""

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        production = _Argon2()
        self._hasher = _Argon2(
            time_cost=production.time_cost if time_cost is None else time_cost,
            memory_cost=production.memory_cost if memory_cost is None else memory_cost,
            parallelism=production.parallelism if parallelism is None else parallelism,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash is below this hasher's parameters.

        argon2's `check_needs_rehash` also says yes to a *stronger* hash; two versions of
        the program with different defaults would then rehash each other's hashes back
        and forth, so only a weaker hash (or one that is not Argon2id) is upgraded.
        """
        try:
            if not self._hasher.check_needs_rehash(password_hash):
                return False
            stored = extract_parameters(password_hash)
        except (InvalidHashError, ValueError):
            return True
        policy = self._hasher
        return (
            stored.type != Type.ID
            or stored.version < ARGON2_VERSION
            or stored.time_cost < policy.time_cost
            or stored.memory_cost < policy.memory_cost
            or stored.hash_len < policy.hash_len
            or stored.salt_len < policy.salt_len
        )

    @cached_property
    def dummy_hash(self) -> str:
        """A hash of a random secret at this hasher's cost: verifying a password against it
        when the user name is unknown takes as long as for a real account."""
        return self._hasher.hash(secrets.token_urlsafe(24))


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
