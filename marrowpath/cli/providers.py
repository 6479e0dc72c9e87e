"""`provider list`, `provider add`, `provider import` (`cli.md`): the lab's provider
directory, from which the case editor fills ordering providers and copy-to recipients.

A command group of its own (`register(subparsers)`, see `marrowpath.cli`).
"""

from __future__ import annotations

from pathlib import Path

from marrowpath.cli.parser import Subparsers, add_action, add_actions, add_command, listed_only
from marrowpath.cli.session import EXIT_OK, Session


def register(subparsers: Subparsers) -> None:
    command = add_command(
        subparsers, "provider", "the provider directory: ordering providers and copy-to recipients"
    )
    if listed_only(command):
        return
    from marrowpath.domain.providers import CSV_COLUMNS

    actions = add_actions(command, "provider")
    listing = add_action(
        actions,
        "list",
        "list the active providers, one a line, tab-separated: " + ", ".join(CSV_COLUMNS),
    )
    listing.set_defaults(handler=provider_list)
    add = add_action(actions, "add", "add a provider (admins, pathologists)")
    add.add_argument("name", metavar="NAME", help="the name as printed, e.g. 'Priya Raman, MD'")
    add.add_argument("--id", metavar="ID", help="the provider's identifier, such as an NPI")
    add.add_argument("--organization", metavar="O")
    add.add_argument("--phone", metavar="P")
    add.set_defaults(handler=provider_add)
    load = add_action(
        actions,
        "import",
        "add providers from a CSV file (admins, pathologists); an id already in the "
        "directory is replaced; one bad row and nothing is imported",
        "The CSV file has the header row " + ",".join(CSV_COLUMNS) + ".",
    )
    load.add_argument("file", metavar="FILE.csv")
    load.set_defaults(handler=provider_import)


def _cell(value: str | None) -> str:
    return (value or "").replace("\t", " ")


def provider_list(s: Session) -> int:
    actor = s.user()
    for p in s.app.providers.directory(actor):
        s.print(
            "\t".join(
                _cell(v)
                for v in (p.name, p.family_name, p.given_names, p.id, p.organization, p.phone)
            )
        )
    return EXIT_OK


def provider_add(s: Session) -> int:
    from marrowpath.domain.providers import provider_from

    args = s.args
    actor = s.user()
    provider = provider_from(
        {"name": args.name, "id": args.id, "organization": args.organization, "phone": args.phone},
        where="provider add",
    )
    added = s.app.providers.add(actor, provider)
    s.print(f"provider added: {added.describe()}")
    return EXIT_OK


def provider_import(s: Session) -> int:
    from marrowpath.domain.errors import Refused

    path = Path(s.args.file)
    actor = s.user()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    except OSError as error:
        raise Refused(f"{path}: cannot be read ({error.strerror or error})") from None
    result = s.app.providers.import_csv(actor, text, source=str(path))
    s.print(f"{path}: {result.added} providers added, {result.replaced} replaced")
    return EXIT_OK
