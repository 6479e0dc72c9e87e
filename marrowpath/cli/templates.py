"""`template list`, `template import FILE.json`, `template export FILE.json` (`cli.md`).

A command group of its own (`register(subparsers)`, see `marrowpath.cli`). The file is
a JSON list of `{name, abbreviation, target, text}`; an import is checked whole before
anything is stored, and a refusal names the file, the template and the rule.
"""

from __future__ import annotations

from pathlib import Path

from marrowpath.cli.parser import Subparsers, add_action, add_actions, add_command
from marrowpath.cli.session import EXIT_OK, Session


def register(subparsers: Subparsers) -> None:
    actions = add_actions(
        add_command(subparsers, "template", "list, import or export the lab's text templates"),
        "template",
    )
    listing = add_action(
        actions, "list", "the templates, one a line: name, abbreviation, target (tab-separated)"
    )
    listing.set_defaults(handler=template_list)
    importing = add_action(
        actions,
        "import",
        "add templates from a JSON file; a name that exists is replaced (admins, pathologists)",
        "Add the templates of a JSON list of {name, abbreviation, target, text}; a template "
        "whose name exists replaces it. One bad template refuses the whole file.",
    )
    importing.add_argument("file", metavar="FILE.json", type=Path)
    importing.set_defaults(handler=template_import)
    exporting = add_action(actions, "export", "write the templates to a JSON file")
    exporting.add_argument("file", metavar="FILE.json", type=Path)
    exporting.set_defaults(handler=template_export)


def template_list(s: Session) -> int:
    for template in s.app.templates.all(s.user()):
        s.print("\t".join([template.name, template.abbreviation, ",".join(template.targets)]))
    return EXIT_OK


def template_import(s: Session) -> int:
    from marrowpath.cli.case_files import read_audited
    from marrowpath.domain.errors import Refused

    actor = s.user()
    path: Path = s.args.file
    data = read_audited(s, actor, path, "template import")
    if not isinstance(data, list):
        refusal = f"{path}: must be a JSON list of templates"
        s.app.context.record_refusal(actor.username, "template import", refusal)
        raise Refused(refusal)
    imported = s.app.templates.import_many(actor, data, str(path))
    s.print(f"{len(imported)} template{'s' if len(imported) != 1 else ''} imported")
    return EXIT_OK


def template_export(s: Session) -> int:
    import json

    from marrowpath.files import write_whole

    templates = s.app.templates.all(s.user())
    text = json.dumps([t.to_json() for t in templates], ensure_ascii=False, indent=2) + "\n"
    write_whole(s.args.file, text.encode("utf-8"), what="template export")
    s.print(
        f"{len(templates)} template{'s' if len(templates) != 1 else ''} written to {s.args.file}"
    )
    return EXIT_OK
