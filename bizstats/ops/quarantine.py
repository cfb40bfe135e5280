"""`bizstats quarantine list|admit|drop` (隔离区): the events the collector quarantined as too
late, listed, admitted into event_logs or dropped for good (spark: in its control database).
On DuckDB the collector keeps them in its spool until a build ingests it, so each command
ingests the spool first."""

from __future__ import annotations

import contextlib

from bizstats.config import Target
from bizstats.load.collected.ingest import ingest_spool
from bizstats.load.quarantine import Admitted, QuarantinedEvent, Selection, admit, drop, list_quarantined
from bizstats.lock import warehouse_lock
from bizstats.project_vars import project_vars


def list_quarantine(target: Target, selection: Selection) -> list[QuarantinedEvent]:
    """`bizstats quarantine list`: the quarantined events (spark: its control database's; the
    spool is ingested there, the lake synced by the next build, load or admit)."""
    ingest_spool(target.control)
    return list_quarantined(target.control, selection)


def admit_quarantine(target: Target, selection: Selection) -> Admitted:
    """`bizstats quarantine admit`: the selected events into event_logs (see
    bizstats.load.quarantine.admit), under the warehouse lock on DuckDB; spark: into its
    control database's landing, then the lake synced."""
    ingest_spool(target.control)
    store = target.control
    duckdb = store.name == "duckdb"
    with warehouse_lock(store, "admit quarantined events") if duckdb else contextlib.nullcontext():
        admitted = admit(store, selection, project_vars().utc_offset_hours)
        if target.is_spark:
            from bizstats.spark.lake import sync_lake

            sync_lake(target)
        return admitted


def drop_quarantine(target: Target, selection: Selection) -> int:
    """`bizstats quarantine drop`: delete the selected events for good (spark: from its
    control database; quarantined events are never in the lake)."""
    ingest_spool(target.control)
    store = target.control
    duckdb = store.name == "duckdb"
    with warehouse_lock(store, "drop quarantined events") if duckdb else contextlib.nullcontext():
        return drop(store, selection)
