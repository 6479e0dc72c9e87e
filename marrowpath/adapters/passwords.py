"""Argon2id password hashing (argon2-cffi), the production `PasswordHasher`.

There is one set of parameters in production: argon2-cffi's RFC 9106 "low memory"
profile. Tests hand `bootstrap.build` a hasher with tiny parameters (decision 8); nothing
in the program can lower the cost, so no weak hash is ever written outside a test.
Verification always uses the parameters stored in a hash, and a hash below the
hasher's parameters is reported by `needs_rehash` so that signing in upgrades it.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher as _Argon2
from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION


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
