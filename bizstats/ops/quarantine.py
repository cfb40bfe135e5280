"""`bizstats quarantine list|admit|drop` (隔离区): the events the collector quarantined as too
late, listed, admitted into event_logs or dropped for good. On DuckDB the collector keeps them
in its spool until a build ingests it, so each command ingests the spool first."""

from __future__ import annotations

import contextlib

from bizstats.config import Target
from bizstats.load.collected.ingest import ingest_spool
from bizstats.load.quarantine import Admitted, QuarantinedEvent, Selection, admit, drop, list_quarantined
from bizstats.lock import warehouse_lock
from bizstats.project_vars import project_vars


def list_quarantine(target: Target, selection: Selection) -> list[QuarantinedEvent]:
    """`bizstats quarantine list`: the quarantined events."""
    ingest_spool(target)
    return list_quarantined(target, selection)


def admit_quarantine(target: Target, selection: Selection) -> Admitted:
    """`bizstats quarantine admit`: the selected events into event_logs (see
    bizstats.load.quarantine.admit), under the warehouse lock on DuckDB."""
    ingest_spool(target)
    duckdb = target.name == "duckdb"
    with warehouse_lock(target, "admit quarantined events") if duckdb else contextlib.nullcontext():
        return admit(target, selection, project_vars().utc_offset_hours)


def drop_quarantine(target: Target, selection: Selection) -> int:
    """`bizstats quarantine drop`: delete the selected events for good."""
    ingest_spool(target)
    duckdb = target.name == "duckdb"
    with warehouse_lock(target, "drop quarantined events") if duckdb else contextlib.nullcontext():
        return drop(target, selection)
