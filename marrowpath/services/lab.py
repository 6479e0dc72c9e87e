"""Lab identity and settings: read by everyone signed in, changed by admins and pathologists."""

from __future__ import annotations

from pydantic import ValidationError

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.destinations import Destination
from marrowpath.domain.diff import changes
from marrowpath.domain.errors import Forbidden, Refused
from marrowpath.domain.settings import LabIdentity, LabSettings, apply_setting
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext

IDENTITY_LIMIT = 300


class LabService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def settings(self) -> LabSettings:
        with self._ctx.uow(read_only=True) as uow:
            return uow.settings.load()

    def set_identity(self, actor: User, **fields: str | None) -> LabIdentity:
        """Change the given identity fields (None leaves a field as it is)."""
        given = {k: v.strip() for k, v in fields.items() if v is not None}
        unknown = set(given) - set(LabIdentity.model_fields)
        if unknown:
            raise Refused(f"lab set: unknown field {', '.join(sorted(unknown))}")
        for key, value in given.items():
            if len(value) > IDENTITY_LIMIT:
                raise Refused(f"lab set: {key} is too long (at most {IDENTITY_LIMIT} characters)")
        settings = self._change(
            actor,
            "lab set",
            lambda s: s.model_copy(update={"identity": s.identity.model_copy(update=given)}),
        )
        return settings.identity

    def set(self, actor: User, key: str, value: str) -> LabSettings:
        """One `settings set KEY VALUE`."""
        return self._change(actor, f"settings set {key}", lambda s: apply_setting(s, key, value))

    def add_destination(self, actor: User, **fields: object) -> Destination:
        """Add (or replace, by name) a system that receives every issued report."""
        added: list[Destination] = []

        def change(settings: LabSettings) -> LabSettings:
            destination = _destination(fields)
            added.append(destination)
            kept = [d for d in settings.destinations or () if d.name != destination.name]
            return settings.model_copy(update={"destinations": (*kept, destination)})

        self._change(
            actor, f"destination add {fields.get('name')}", change, Permission.DESTINATIONS
        )
        return added[0]

    def remove_destination(self, actor: User, name: str) -> None:
        """Stop sending to a destination; messages already queued for it still go."""

        def change(settings: LabSettings) -> LabSettings:
            kept = tuple(d for d in settings.destinations or () if d.name != name)
            if len(kept) == len(settings.destinations or ()):
                raise Refused(f"destination remove: no destination named {name}")
            return settings.model_copy(update={"destinations": kept or None})

        self._change(actor, f"destination remove {name}", change, Permission.DESTINATIONS)

    def replace(self, actor: User, settings: LabSettings) -> LabSettings:
        """Save a whole settings object (the administration screen); the destinations
        change only for those who manage them."""

        def change(before: LabSettings) -> LabSettings:
            if settings.destinations != before.destinations:
                actor.require(Permission.DESTINATIONS)
            return LabSettings.model_validate(settings.model_dump())

        return self._change(actor, "settings", change)

    def _change(
        self,
        actor: User,
        what: str,
        change: object,
        permission: Permission = Permission.MANAGE_LAB,
    ) -> LabSettings:
        try:
            actor.require(permission)
            with self._ctx.uow() as uow:
                before = uow.settings.load()
                assert callable(change)
                after: LabSettings = change(before)
                uow.settings.save(after)
                diff = changes(before.model_dump(mode="json"), after.model_dump(mode="json"))
                uow.record(
                    AuditEntry(
                        "settings-change",
                        actor.username,
                        None,
                        {
                            "what": what,
                            "changes": [
                                {"path": c.path, "before": c.before, "after": c.after} for c in diff
                            ],
                        },
                    )
                )
                uow.commit()
                return after
        except (Forbidden, Refused) as refusal:
            self._ctx.record_refusal(actor.username, what, str(refusal))
            raise


_DESTINATION_RULES = {
    "name": "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
    "port": "must be a whole number from 1 to 65535",
    "receives": "must be all or final",
}


def _destination(fields: dict[str, object]) -> Destination:
    """A validated destination; a refusal names the field and its rule."""
    try:
        return Destination.model_validate(fields)
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else ""
        rule = _DESTINATION_RULES.get(field) or problem["msg"].removeprefix("Value error, ")
        raise Refused(f"destination add: {field} {rule}, got {fields.get(field)!r}") from None
