"""The keys of `settings set KEY VALUE`, in a module of their own so that the command
line's help can list them without importing the settings model (and pydantic)."""

from __future__ import annotations

SETTING_KEYS = (
    "me_ratio.include_monocytes",
    "cellularity.rule",
    "report.confidence_intervals",
    "reference.CATEGORY",
    "interval.KIND.GROUP.KEY",
    "aml_minimum.SYSTEM.ENTITY",
    "accession.pattern",
    "session.idle_minutes",
    "session.lockout_minutes",
    "report.paper",
    "report.prior_marrows",
)
