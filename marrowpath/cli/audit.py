"""`marrowpath audit verify`: the hash chain and every issued version's hash."""

from __future__ import annotations

from marrowpath.cli.parser import Subparsers, add_action, add_actions, add_command
from marrowpath.cli.session import EXIT_OK, EXIT_REFUSED, Session


def register(subparsers: Subparsers) -> None:
    actions = add_actions(add_command(subparsers, "audit", "the audit trail"), "audit")
    add_action(actions, "verify", "check the hash chain and every version's hash").set_defaults(
        handler=verify
    )


def verify(s: Session) -> int:
    actor = s.user()
    result = s.app.audit.verify(actor)
    s.print(f"events\t{result.events}")
    s.print(f"head\t{result.head}")
    s.print(f"versions\t{result.versions}")
    if not result.intact:
        for problem in result.problems:
            print(f"audit verify: {problem}", file=s.err)
        return EXIT_REFUSED
    s.print("intact")
    return EXIT_OK
