"""What a part of the case editor needs from the editor it serves.

The counters, the template expander and the pick-lists each act on one editor's form,
through the same services and task runner, as the signed-in user, and report in the
editor's message bar. They took those seven things one by one; one frozen record keeps
their constructors short and makes a new part's needs plain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QWidget

from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import User
from marrowpath.ui.editor.form import CaseForm
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner


@dataclass(frozen=True)
class EditorSeat:
    """One editor as its parts see it.

    Attributes:
        editor: the editor widget (the parts' Qt parent, their shortcuts' scope).
        user: the signed-in user now (a call: the session may change hands).
        settings: the lab's settings now (a call: they load after the editor opens).
        editable: whether the case can be edited now (a call: it changes with the case).
        say: a message in the editor's message bar.
    """

    editor: QWidget
    form: CaseForm
    services: Services
    runner: TaskRunner
    user: Callable[[], User]
    settings: Callable[[], LabSettings]
    editable: Callable[[], bool]
    say: Callable[..., Any]
