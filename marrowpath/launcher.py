"""Starting the desktop app quickly: Qt and the sign-in dialog first, the rest meanwhile.

Importing the database and service layers and opening (or migrating) the database take
a second or more. The sign-in dialog needs none of it to appear, so this module imports
only the Qt front end; `bootstrap` is imported and the database opened on a worker thread
while the user types.

It is also where the desktop is wired to the services (`desktop_services`): `bootstrap`
never imports the desktop front end (the `layers` contract in pyproject.toml).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from marrowpath import logs
from marrowpath.ui import faults
from marrowpath.ui.app import run_loading

if TYPE_CHECKING:
    from marrowpath.bootstrap import App
    from marrowpath.ui.services import Services


def launch_gui(database: str | None) -> int:
    # Done already when started by the `marrowpath` command; with no writable log folder
    # the app still works and faults go unrecorded.
    with contextlib.suppress(OSError):
        logs.setup()
    logs.install_excepthooks()
    faults.install()
    opened: list[App] = []

    def load() -> Services:
        from marrowpath.bootstrap import build

        app = build(database)
        opened.append(app)
        return desktop_services(app)

    try:
        return run_loading(load)
    finally:
        for app in opened:
            app.close()


def desktop_services(app: App, data_dir: str | None = None) -> Services:
    """What the desktop app is given: the services of `app`, and where recovery files of
    unsaved editor work go (the user data directory unless a test names another)."""
    from platformdirs import user_data_dir

    from marrowpath.ui.services import Services

    return Services(
        auth=app.auth,
        cases=app.cases,
        lab=app.lab,
        audit=app.audit,
        database_label=app.database_label,
        data_dir=data_dir or user_data_dir("MarrowPath", appauthor=False),
        today=app.context.clock.today,
        outbox=app.outbox,
        timeline=app.timeline,
        patients=app.patients,
        counter=app.counter,
        templates=app.templates,
        providers=app.providers,
        bench=app.bench,
        communications=app.communications,
    )
