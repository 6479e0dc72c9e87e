"""Each user's differential counter keymap, kept in the database with the user.

Why in the database and not in QSettings: a pathologist counts at whichever microscope
is free; the keys her fingers know must follow her to any workstation.
"""

from __future__ import annotations

from marrowpath.domain.counter import Keymap
from marrowpath.domain.users import User
from marrowpath.services.context import ServiceContext


class CounterService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def keymap(self, actor: User) -> Keymap:
        """The actor's keymap (the default letters map until she changes one)."""
        with self._ctx.uow() as uow:
            return Keymap.from_json(uow.users.counter_keymap(actor.username))

    def save_keymap(self, actor: User, keymap: Keymap) -> None:
        """Keep the actor's keymap (her own only: nobody sets another's keys)."""
        with self._ctx.uow() as uow:
            uow.users.update(actor.username, counter_keymap=keymap.to_json())
            uow.commit()
