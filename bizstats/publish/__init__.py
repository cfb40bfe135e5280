"""Publishing a build (发布): the step a successful build calls last, so that the query API
reads the new numbers and no cached answer of a rebuilt day survives.

It lives below the build and knows nothing of the HTTP service: it writes the two things the
query API reads — the DuckDB snapshot (bizstats.publish.snapshot) and the Redis query cache's
day sets (bizstats.publish.cache) — and the query API reads them through the same modules.
Importing it loads neither redis nor an HTTP framework; redis is imported when a cache is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.publish.cache import CacheSettings, invalidate
from bizstats.publish.snapshot import publish, snapshot_dir
from bizstats.warehouse_id import ensure_warehouse_id


@dataclass(frozen=True)
class Invalidation:
    """What `invalidate_days` did: answers deleted, and a warning when it could not."""

    dropped: int
    warning: str | None = None


def invalidate_days(target: Target, start: date, end: date, warehouse_id: str | None = None) -> Invalidation:
    """After a successful build of the local days [start, end] of `target`: make the new
    numbers readable by the query API (DuckDB: publish a snapshot of the warehouse) and delete
    the cached answers that depend on those days, and only those.

    Call it from the build's own process once dbt has finished and the build is logged, still
    holding the warehouse lock (bizstats.build.build, after changes.log_build), with the
    warehouse's id it read over its own connection (`warehouse_id`; None: read here, over a
    connection of its own). On DuckDB the build's connection is closed by then: the
    snapshot opens the file read-only, which a read-write connection of the same process
    would refuse. On Spark the query API reads the marts live: what is published is the
    snapshot of its control database (the warehouse id, the builds log, the alerts the API
    reads), whose id names the cache. A Redis that cannot be reached is not an error of the build: the warning
    says that answers cached before it may stay stale up to BIZSTATS_CACHE_TTL."""
    cache = CacheSettings.current()
    control = target.control  # the target itself, but on Spark
    warehouse: str | None = warehouse_id
    try:
        # before the snapshot, so that it carries the id too
        if warehouse is None:
            warehouse = ensure_warehouse_id(control)
    except BizstatsError as exc:
        warehouse = None
        failure = f"the warehouse's id could not be stored: {exc}"
    if control.name == "duckdb" and snapshot_dir(control).is_dir():  # a query API reads this warehouse
        publish(control)
    if cache is None:
        return Invalidation(0)
    if warehouse is not None:
        import redis

        try:
            return Invalidation(invalidate(cache, warehouse, start, end))
        except redis.RedisError as exc:
            failure = str(exc)
    where = cache.namespace(warehouse) if warehouse else cache.prefix
    return Invalidation(
        0,
        f"the query cache ({where}) could not be invalidated for {start} .. {end}: "
        f"{failure}; cached answers may stay stale for up to {cache.ttl} s (BIZSTATS_CACHE_TTL)",
    )
