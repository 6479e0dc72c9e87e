"""Argon2id password hashing (argon2-cffi). Tests use cheap parameters to stay fast."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """Production parameters by default; `cheap=True` only for tests and demo bulk loads."""

    def __init__(self, *, cheap: bool = False) -> None:
        self._hasher = _Argon2(time_cost=1, memory_cost=8, parallelism=1) if cheap else _Argon2()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
