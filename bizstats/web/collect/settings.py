"""The collector's settings: the `collector` section of the settings object
(bizstats.settings.CollectorSettings, read as `settings().collector`), re-exported here for
the collector's modules."""

from __future__ import annotations

from bizstats.settings import CollectorSettings

__all__ = ["CollectorSettings"]
