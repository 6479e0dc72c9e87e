"""One command's run: its parsed arguments, its services (opened on first use), the
password lines of standard input and the output streams."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from marrowpath.cli.parser import UsageError

if TYPE_CHECKING:
    from marrowpath.bootstrap import App
    from marrowpath.domain.users import User
    from marrowpath.services.ports import PasswordHasher

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class Session:
    """What a handler is given. The database is opened only when a handler first asks
    for `app`, so commands that need no database (`gui`, `db upgrade`) never open it."""

    def __init__(
        self,
        args: argparse.Namespace,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.args = args
        self._hasher = hasher
        self._stdin_lines: list[str] | None = None
        self._stdin = stdin
        self.out = stdout
        self.err = stderr
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            from marrowpath.bootstrap import build

            self._app = build(self.args.db, hasher=self._hasher)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()

    def password_line(self, index: int) -> str:
        if self._stdin_lines is None:
            self._stdin_lines = [line.rstrip("\r\n") for line in self._stdin.readlines()[:2]]
        if index >= len(self._stdin_lines):
            raise UsageError(
                f"marrowpath: expected a password on standard input (line {index + 1})"
            )
        return self._stdin_lines[index]

    def password(self) -> str:
        if not getattr(self.args, "password_stdin", False):
            raise UsageError("marrowpath: give --password-stdin and the password on standard input")
        return self.password_line(0)

    def user(self) -> User:
        if not self.args.user:
            raise UsageError(
                f"marrowpath: `{self.args.command}` acts as a user: give --user "
                "USERNAME --password-stdin"
            )
        return self.app.auth.sign_in(self.args.user, self.password())

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


Handler = Callable[[Session], int]
"""What `set_defaults(handler=...)` stores: runs the command, returns the exit status."""
