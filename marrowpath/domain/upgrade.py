"""Reading `marrowpath.case/1` as `marrowpath.case/2`: one pure function, used on the way in.

Why one function and not two model families: /2 changed the meaning of one field only
(`core.infiltrate.pattern` became the list `patterns`); everything else /2 adds is
optional. Upgrading the JSON before validation lets a single set of models (`case.py`)
serve the importer, the editor, the reports and the interfaces. The function is pure so
that the importer, the migration of working documents and the rendering of versions
signed in /1 all upgrade the same way.

Issued versions are never rewritten with it: they keep the document exactly as signed
(`versions.VersionContent`), and upgrade only in memory, for reading.
"""

from __future__ import annotations

import copy
from typing import Any

from marrowpath.domain.case import FORMAT, FORMAT_1

READABLE_FORMATS = (FORMAT_1, FORMAT)


def is_format_1(data: Any) -> bool:
    """Whether raw input says it is a `/1` document."""
    return isinstance(data, dict) and data.get("format") == FORMAT_1


def upgrade_case(data: dict[str, Any]) -> dict[str, Any]:
    """A `/1` document as `/2` (a new dict; the input is left as it was); any other
    document is returned unchanged, to be judged by validation.

    Only the format string and `core.infiltrate.pattern` -> `patterns: [pattern]`
    change. A value that is not a pattern is carried over as it is, so that validation
    still names the field and the rule.
    """
    if not is_format_1(data):
        return data
    upgraded = copy.deepcopy(data)
    upgraded["format"] = FORMAT
    core = upgraded.get("core")
    if not isinstance(core, dict):
        return upgraded
    infiltrate = core.get("infiltrate")
    if isinstance(infiltrate, dict) and "pattern" in infiltrate and "patterns" not in infiltrate:
        pattern = infiltrate.pop("pattern")
        # first, where the format lists it, so an upgraded document reads as one
        # written in /2
        core["infiltrate"] = {"patterns": None if pattern is None else [pattern], **infiltrate}
    return upgraded
