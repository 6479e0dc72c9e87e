"""Where issued reports are delivered: the destinations a lab configures.

Kept apart from `interfaces` because `LabSettings` holds them and must not import the
version models (which themselves snapshot the settings).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from marrowpath.domain.lifecycle import VersionKind

DestinationName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
Receives = Literal["all", "final"]


class Destination(BaseModel):
    """A system that receives every issued report over MLLP (a lab setting).

    Attributes:
        receives -- "all": preliminary reports too; "final": final reports and every later
            change (amendment, addendum, withdrawal) only.
        application, facility -- what MSH-5 and MSH-6 name (the receiver's own words).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: DestinationName
    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)]
    receives: Receives = "all"
    application: Annotated[str, Field(max_length=100)] = ""
    facility: Annotated[str, Field(max_length=100)] = ""

    @field_validator("host")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9._:\[\]-]+", value):
            raise ValueError("must be a host name or IP address")
        return value

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def wants(self, kind: VersionKind) -> bool:
        """Whether a newly configured destination receives a version of this kind."""
        return self.receives == "all" or kind is not VersionKind.PRELIMINARY


def parse_address(text: str) -> tuple[str, int]:
    """'HOST:PORT' as given to `--mllp`; raises ValueError saying what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"must be HOST:PORT with a port from 1 to 65535, got {text!r}")
    return host.strip("[]"), int(port)
