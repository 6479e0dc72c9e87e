"""`marrowpath lab set|show` and `settings show|set`: the laboratory identity and rules."""

from __future__ import annotations

from marrowpath.cli.parser import Subparsers, UsageError, add_action, add_actions, add_command
from marrowpath.cli.session import EXIT_OK, Session
from marrowpath.domain.setting_keys import SETTING_KEYS


def register(subparsers: Subparsers) -> None:
    lab = add_actions(
        add_command(subparsers, "lab", "the laboratory identity printed on every report"), "lab"
    )
    lab_set = add_action(lab, "set", "update identity fields")
    for option, help_text in (
        ("--name", "laboratory name"),
        ("--address", "postal address"),
        ("--clia-id", "CLIA number"),
        ("--director", "medical director"),
        ("--phone", "telephone number"),
        ("--after-hours-phone", "the number patients call after hours (patient summary)"),
    ):
        lab_set.add_argument(option, help=help_text)
    lab_set.set_defaults(handler=set_identity)
    add_action(lab, "show", "print the identity").set_defaults(handler=show_identity)

    settings = add_actions(
        add_command(
            subparsers, "settings", "lab rules: intervals, M:E rule, cellularity rule, ..."
        ),
        "settings",
    )
    add_action(settings, "show", "print every setting").set_defaults(handler=show_settings)
    settings_set = add_action(settings, "set", "change one setting")
    settings_set.add_argument("key", metavar="KEY", help=", ".join(SETTING_KEYS))
    settings_set.add_argument("value", metavar="VALUE")
    settings_set.set_defaults(handler=set_setting)


def set_identity(s: Session) -> int:
    actor = s.user()
    fields = {
        "name": s.args.name,
        "address": s.args.address,
        "clia_id": s.args.clia_id,
        "director": s.args.director,
        "phone": s.args.phone,
        "after_hours_phone": s.args.after_hours_phone,
    }
    if all(value is None for value in fields.values()):
        raise UsageError(
            "marrowpath lab set: give at least one of --name, --address, "
            "--clia-id, --director, --phone, --after-hours-phone"
        )
    from marrowpath.domain.settings import identity_lines

    identity = s.app.lab.set_identity(actor, **fields)
    for key, value in identity_lines(identity):
        s.print(f"lab.{key}\t{value}")
    return EXIT_OK


def show_identity(s: Session) -> int:
    from marrowpath.domain.settings import identity_lines

    s.user()
    for key, value in identity_lines(s.app.lab.settings().identity):
        s.print(f"lab.{key}\t{value}")
    return EXIT_OK


def show_settings(s: Session) -> int:
    from marrowpath.domain.settings import settings_lines

    s.user()
    for line in settings_lines(s.app.lab.settings()):
        s.print(line)
    return EXIT_OK


def set_setting(s: Session) -> int:
    from marrowpath.domain.settings import settings_lines

    actor = s.user()
    settings = s.app.lab.set(actor, s.args.key, s.args.value)
    for line in settings_lines(settings):
        if line.split("\t")[0] == s.args.key:
            s.print(line)
    return EXIT_OK
