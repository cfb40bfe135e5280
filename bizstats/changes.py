"""Late data: which local days must be rebuilt, and the build state that remembers them.

Every raw row carries `_loaded_at` (UTC, when it was stored). Two small tables in the models
schema hold what is pending, so that no late row is ever lost whatever runs in between:

- `bizstats_build_state`: `scanned_to`, the highest `_loaded_at` whose rows have been
  examined. Each build first examines the rows loaded after it (`scan_new_rows`).
- `bizstats_pending_days`: the local days those rows touch. A day leaves the set only when a
  build that covered it succeeds (`clear_pending`); a failed build, a backfill of another
  range or a build of a past date leaves it there for the next build.

`bizstats_builds` logs every build (range, outcome, timings).

`bizstats_registry_state` remembers what the marts were last fully built with: one row per
metric and breakdown dimension of the registry (bizstats.registry), its name and the hash
of what computes it (`Registry.fingerprint()`). A build that finds the registry changed
rebuilds every day with data, then records the new state (bizstats.build.registry_change).

A build reads and writes this state over the one connection it opens (`open_state`, a
`BuildState`), passed to each function here: its plan before dbt runs, what it records after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from bizstats import local_time
from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import connect, create_mysql_database, create_table, fetch_all, placeholder, qualified
from bizstats.project_vars import project_vars

STATE = "bizstats_build_state"
PENDING = "bizstats_pending_days"
BUILDS = "bizstats_builds"
REGISTRY_STATE = "bizstats_registry_state"

# Local days clear of date overflow in SQL and Python (both databases and `datetime`): a
# stored time outside them (e.g. year 1 or 9999-12-31 23:59:59, written by an older loader
# or by hand) is never a pending day. The days a build covers are narrower: the loader's
# window (bizstats.config.DatetimeWindow), applied by the planner.
SAFE_FIRST_DAY = date(1000, 1, 2)
SAFE_LAST_DAY = date(9999, 12, 1)

# Business tables keyed by user: a late `users` row (a new acquisition slice) moves the
# user's business facts on every day they happened.
_USER_TABLES = ("real_name_auths", "bank_cards", "member_orders", "orders", "deductions")

DayRange = tuple[date, date]  # first and last local day, inclusive


@dataclass(frozen=True)
class BuildState:
    """The build state (构建状态) of a warehouse over one open connection (`open_state`). Each
    function given it commits before it returns, so the next one reads what was committed
    meanwhile (a MySQL transaction's snapshot ends with it).

    `target` is where the state lives (the control database: for the spark target its DuckDB
    file, Target.control); `marts` the target whose marts the plan reads (the days built, the
    marts' columns) when it is not `target` (spark; None: `target` itself)."""

    target: Target
    con: Any
    marts: Target | None = None


@contextlib.contextmanager
def open_state(target: Target) -> Iterator[BuildState]:
    """One connection to the build state of `target` (its control database), its tables
    created if missing; closed on exit. A build opens it once and passes it to every step
    (bizstats.build.build). For spark the marts are read on Spark (`BuildState.marts`)."""
    control = target.control
    with connect(control) as con:
        _ensure_state_tables(con, control)
        con.commit()
        yield BuildState(control, con, marts=target if target.is_spark else None)


def utc_now() -> datetime:
    """Naive UTC now, second precision (how every datetime is stored)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def local_date(ts: datetime, offset_hours: int) -> date:
    """The local day of a naive UTC datetime (bizstats.local_time.local_date)."""
    return local_time.local_date(ts, offset_hours)


def _ts_type(target: Target) -> str:
    return "timestamp" if target.name == "duckdb" else "datetime(6)"


def _json_page_view_id(target: Target, column: str) -> str:
    if target.name == "duckdb":
        return f"case when json_valid({column}) then json_extract_string({column}, '$.page_view_id') end"
    return f"json_unquote(json_extract({column}, '$.page_view_id'))"


def _affected_days_queries(target: Target, offset_hours: int, days: DayRange) -> list[str]:
    """SELECTs of the local days (within `days`) touched by the rows loaded in a window (two
    placeholders: after, up to). A row touches the days of every version of its key (an
    update can move or remove the old day), plus the days its change reaches through another
    table."""
    ph = placeholder(target)
    first, last = _clear_of_overflow(days)

    def raw(name: str) -> str:
        return qualified(target, target.raw_schema, name)

    def day(column: str) -> str:
        return f"cast({column} + interval {offset_hours} hour as date)"

    def late(name: str, column: str) -> str:
        return (
            f"select distinct late.{column} as k from {raw(name)} as late "
            f"where late.{LOADED_AT} > {ph} and late.{LOADED_AT} <= {ph} "
            f"and late.{column} is not null"
        )

    def days_of(name: str, column: str, key: str, late_keys: str) -> str:
        return (
            f"select distinct {day('r.' + column)} as d from {raw(name)} as r "
            f"inner join ({late_keys}) as lk on r.{key} = lk.k where r.{column} is not null "
            f"and {day('r.' + column)} between date '{first}' and date '{last}'"
        )

    fact_times = project_vars().fact_time_columns
    queries = [
        days_of(table.name, col, table.key, late(table.name, table.key))
        for table in TABLES.values()
        for col in fact_times[table.name]
    ]
    # a late page view or leave changes the durations of its session's other page views
    queries.append(days_of("event_logs", "event_time", "session_id", late("event_logs", "session_id")))
    # a late page_leave sets the duration of its page view, whatever day the view is on
    leave_targets = (
        f"select distinct {_json_page_view_id(target, 'late.extra_data')} as k "
        f"from {raw('event_logs')} as late "
        f"where late.{LOADED_AT} > {ph} and late.{LOADED_AT} <= {ph} and late.extra_data is not null"
    )
    queries.append(days_of("event_logs", "event_time", "event_id", leave_targets))
    # a late user moves that user's business facts, refunds included (through the deduction)
    late_users = late("users", "user_id")
    for name in _USER_TABLES:
        queries += [days_of(name, col, "user_id", late_users) for col in fact_times[name]]
    user_deductions = (
        f"select distinct dd.deduction_id as k from {raw('deductions')} as dd "
        f"inner join ({late_users}) as lu on dd.user_id = lu.k"
    )
    queries.append(days_of("refunds", "refunded_at", "deduction_id", user_deductions))
    # a late deduction (e.g. failed -> success) decides whether its refunds count
    queries.append(days_of("refunds", "refunded_at", "deduction_id", late("deductions", "deduction_id")))
    return queries


def _affected_days(
    con: Any, target: Target, after: datetime, upto: datetime, offset_hours: int, days: DayRange
) -> set[date]:
    ph = placeholder(target)
    found: set[date] = set()
    for sql in _affected_days_queries(target, offset_hours, days):
        params = [after, upto] * (sql.count(ph) // 2)
        found.update(_as_date(value) for (value,) in fetch_all(con, sql, params))
    return found


def _all_days(con: Any, target: Target, offset_hours: int, days: DayRange) -> set[date]:
    """Every local day within `days` any time column of any raw row falls on: the first
    scan's pending days, found without the joins of _affected_days, which would only reach
    days of the same rows."""
    first, last = _clear_of_overflow(days)
    found: set[date] = set()
    for name, columns in project_vars().fact_time_columns.items():
        for column in columns:
            local = f"cast({column} + interval {offset_hours} hour as date)"
            sql = (
                f"select distinct {local} from {qualified(target, target.raw_schema, name)} "
                f"where {column} is not null "
                f"and {local} between date '{first}' and date '{last}'"
            )
            found.update(_as_date(value) for (value,) in fetch_all(con, sql))
    return found


def _clear_of_overflow(days: DayRange) -> DayRange:
    return max(days[0], SAFE_FIRST_DAY), min(days[1], SAFE_LAST_DAY)


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _ensure_state_tables(con: Any, target: Target) -> None:
    schema = target.models_schema
    ts = _ts_type(target)
    cur = con.cursor()
    if target.name != "duckdb":  # a build may come before any load made the schemas
        create_mysql_database(cur, target, schema)
    cur.execute(
        f"create table if not exists {qualified(target, schema, STATE)} "
        f"(state_key varchar(20) not null primary key, scanned_to {ts})"
    )
    cur.execute(
        f"create table if not exists {qualified(target, schema, PENDING)} "
        "(stat_date date not null primary key)"
    )
    cur.execute(
        f"create table if not exists {qualified(target, schema, BUILDS)} ("
        f"started_at {ts} not null, finished_at {ts}, start_date date not null, "
        "end_date date not null, models varchar(200), outcome varchar(20) not null)"
    )


def _table_exists(con: Any, target: Target, schema: str, name: str) -> bool:
    ph = placeholder(target)
    rows = fetch_all(
        con,
        f"select count(*) from information_schema.tables where table_schema = {ph} and table_name = {ph}",
        (schema, name),
    )
    return bool(rows[0][0] > 0)


def _scanned_to(con: Any, target: Target) -> tuple[bool, datetime | None]:
    """(whether rows were ever scanned, up to which `_loaded_at`)."""
    state = qualified(target, target.models_schema, STATE)
    rows = fetch_all(con, f"select scanned_to from {state} where state_key = 'raw'")
    if rows:
        return True, rows[0][0]
    return False, None


def current_watermark(con: Any, target: Target) -> datetime | None:
    """The highest `_loaded_at` over all raw tables (None: nothing loaded yet)."""
    union = " union all ".join(
        f"select max({LOADED_AT}) as m from {qualified(target, target.raw_schema, name)}" for name in TABLES
    )
    (value,) = fetch_all(con, f"select max(u.m) from ({union}) as u")[0]
    return cast(datetime | None, value)


def scan_new_rows(
    state: BuildState, offset_hours: int, days: DayRange = (SAFE_FIRST_DAY, SAFE_LAST_DAY)
) -> datetime | None:
    """Add the local days touched by rows loaded since the last scan to the pending days and
    move `scanned_to` up to the newest row, in one transaction. Only days within `days` (the
    planner passes the load window's, bizstats.build.window_days) become pending: a stored
    time outside them (1900-01-01 inserted by hand) never does. Before the first scan every
    row is new. Returns the newest `_loaded_at` (None: the raw tables are empty)."""
    target, con = state.target, state.con
    ph = placeholder(target)
    scanned, after = _scanned_to(con, target)
    upto = current_watermark(con, target)
    if upto is None or (scanned and after is not None and upto <= after):
        con.commit()
        return upto
    if scanned:
        touched = _affected_days(con, target, after or datetime(1900, 1, 1), upto, offset_hours, days)
    else:  # every row is new: the days of every time column, no propagation to look for
        touched = _all_days(con, target, offset_hours, days)
    cur = con.cursor()
    pending = qualified(target, target.models_schema, PENDING)
    known = {_as_date(d) for (d,) in fetch_all(con, f"select stat_date from {pending}")}
    new_days = sorted(touched - known)
    if new_days:
        cur.executemany(f"insert into {pending} (stat_date) values ({ph})", [(d,) for d in new_days])
    table = qualified(target, target.models_schema, STATE)
    cur.execute(f"delete from {table} where state_key = 'raw'")
    cur.execute(f"insert into {table} (state_key, scanned_to) values ('raw', {ph})", (upto,))
    con.commit()
    return upto


def pending_days(state: BuildState) -> list[date]:
    """The local days waiting for a successful build, oldest first."""
    pending = qualified(state.target, state.target.models_schema, PENDING)
    rows = fetch_all(state.con, f"select stat_date from {pending} order by stat_date")
    state.con.commit()
    return [_as_date(d) for (d,) in rows]


def clear_pending(state: BuildState, days: Iterable[date]) -> None:
    """A successful build covered these days: they are no longer pending."""
    rows = [(d,) for d in days]
    if not rows:
        return
    pending = qualified(state.target, state.target.models_schema, PENDING)
    ph = placeholder(state.target)
    state.con.cursor().executemany(f"delete from {pending} where stat_date = {ph}", rows)
    state.con.commit()


def mark_pending(state: BuildState, start: date, end: date) -> list[date]:
    """Make every day of [start, end] pending (a Spark build, before dbt runs: without an undo
    log a build that fails or is killed leaves its days to the next one); returns the days
    that were not pending before (the build clears those once it succeeded)."""
    pending = qualified(state.target, state.target.models_schema, PENDING)
    known = {_as_date(d) for (d,) in fetch_all(state.con, f"select stat_date from {pending}")}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    new = [d for d in days if d not in known]
    if new:
        ph = placeholder(state.target)
        rows = [(d,) for d in new]
        state.con.cursor().executemany(f"insert into {pending} (stat_date) values ({ph})", rows)
    state.con.commit()
    return new


def last_built_day(state: BuildState) -> date | None:
    """The last local day stored in daily_stats (None before the first build)."""
    return _built_day(state, "max")


def first_built_day(state: BuildState) -> date | None:
    """The first local day stored in daily_stats (None before the first build)."""
    return _built_day(state, "min")


def _built_day(state: BuildState, which: str) -> date | None:
    if state.marts is not None and state.marts.is_spark:
        return _spark_built_day(state.marts, which)
    target, con = state.target, state.con
    value = None
    if _table_exists(con, target, target.models_schema, "daily_stats"):
        daily = qualified(target, target.models_schema, "daily_stats")
        (value,) = fetch_all(con, f"select {which}(stat_date) from {daily}")[0]
    con.commit()
    return None if value is None else _as_date(value)


def _spark_tables(cur: Any, schema: str) -> set[str]:
    cur.execute(f"show tables in `{schema}`")
    return {str(row[1]).lower() for row in cur.fetchall()}  # (database, table, temporary)


def _spark_built_day(marts: Target, which: str) -> date | None:
    """_built_day on Spark: daily_stats of the models schema, over a connection of its own."""
    value = None
    with connect(marts) as spark:
        cur = spark.cursor()
        cur.execute(f"create database if not exists `{marts.models_schema}`")
        if "daily_stats" in _spark_tables(cur, marts.models_schema):
            cur.execute(f"select {which}(stat_date) from `{marts.models_schema}`.`daily_stats`")
            (value,) = cur.fetchall()[0]
    if value is None:
        return None
    return date.fromisoformat(value) if isinstance(value, str) else _as_date(value)


def first_data_day(state: BuildState, offset_hours: int, earliest: date = SAFE_FIRST_DAY) -> date | None:
    """The first local day any published number can fall on (the earliest fact time), not
    before `earliest`: a stored time before it (outside the loader's window) is ignored."""
    target = state.target
    ph = placeholder(target)
    columns = project_vars().fact_time_columns
    fact_times = [(name, col) for name in columns for col in columns[name]]
    union = " union all ".join(
        f"select min({col}) as m from {qualified(target, target.raw_schema, name)} "
        f"where {col} >= {ph} and {col} < {ph}"
        for name, col in fact_times
    )
    # the UTC times of the local days earliest .. SAFE_LAST_DAY
    bounds = [
        datetime.combine(max(earliest, SAFE_FIRST_DAY), datetime.min.time()) - timedelta(hours=offset_hours),
        datetime.combine(SAFE_LAST_DAY, datetime.min.time()) - timedelta(hours=offset_hours),
    ]
    params = bounds * len(fact_times)
    (value,) = fetch_all(state.con, f"select min(u.m) from ({union}) as u", params)[0]
    state.con.commit()
    return None if value is None else local_date(value, offset_hours)


def log_build(
    state: BuildState,
    started_at: datetime,
    start: date,
    end: date,
    models: str | None,
    outcome: str,
) -> None:
    """Record one build's range and outcome ('success' or 'failed')."""
    target = state.target
    ph = placeholder(target)
    state.con.cursor().execute(
        f"insert into {qualified(target, target.models_schema, BUILDS)} "
        "(started_at, finished_at, start_date, end_date, models, outcome) "
        f"values ({ph}, {ph}, {ph}, {ph}, {ph}, {ph})",
        (started_at, utc_now(), start, end, models, outcome),
    )
    state.con.commit()


def read_mark(state: BuildState, key: str) -> datetime | None:
    """A watermark kept in `bizstats_build_state` under `key` (at most 20 characters), e.g.
    the newest quarantined event already alerted; None when never set."""
    target = state.target
    table = qualified(target, target.models_schema, STATE)
    where = f"where state_key = {placeholder(target)}"
    rows = fetch_all(state.con, f"select scanned_to from {table} {where}", (key,))
    state.con.commit()
    return cast(datetime | None, rows[0][0]) if rows else None


def write_mark(state: BuildState, key: str, value: datetime) -> None:
    """Set the watermark `key` (read_mark) to `value`, in one transaction."""
    target, con = state.target, state.con
    ph = placeholder(target)
    table = qualified(target, target.models_schema, STATE)
    cur = con if target.name == "duckdb" else con.cursor()  # a DuckDB cursor is a connection
    if target.name == "duckdb":
        cur.execute("begin transaction")
    cur.execute(f"delete from {table} where state_key = {ph}", (key,))
    cur.execute(f"insert into {table} (state_key, scanned_to) values ({ph}, {ph})", (key, value))
    con.commit()


def built_registry(state: BuildState) -> dict[tuple[str, str], str] | None:
    """The registry the marts were last fully built with: (entry, name) -> fingerprint, entry
    `metric` or `dimension`. None when never recorded: nothing built yet, or a warehouse built
    by a version without the registry (bizstats.build compares its marts' columns instead)."""
    target, con = state.target, state.con
    rows = None
    if _table_exists(con, target, target.models_schema, REGISTRY_STATE):
        table = qualified(target, target.models_schema, REGISTRY_STATE)
        rows = fetch_all(con, f"select entry, name, fingerprint from {table}")
    con.commit()
    return None if rows is None else {(entry, name): fingerprint for entry, name, fingerprint in rows}


def record_registry(state: BuildState, entries: dict[tuple[str, str], str]) -> None:
    """Remember `entries` ((entry, name) -> fingerprint) as the registry the marts now hold,
    replacing the previous state in one transaction (bizstats.build calls it once a build
    covering every mart and every day with data succeeded)."""
    target, con = state.target, state.con
    ph = placeholder(target)
    cur = con if target.name == "duckdb" else con.cursor()  # a DuckDB cursor is a connection
    table = create_table(
        cur,
        target,
        target.models_schema,
        REGISTRY_STATE,
        [
            ("entry", "varchar", "varchar(10) not null"),
            ("name", "varchar", "varchar(100) not null"),
            ("fingerprint", "varchar", "varchar(64) not null"),
            ("recorded_at", _ts_type(target), f"{_ts_type(target)} not null"),
        ],
    )
    con.commit()
    if target.name == "duckdb":
        cur.execute("begin transaction")
    cur.execute(f"delete from {table}")
    now = utc_now()
    rows = [(entry, name, fingerprint, now) for (entry, name), fingerprint in sorted(entries.items())]
    if rows:
        columns = "(entry, name, fingerprint, recorded_at)"
        cur.executemany(f"insert into {table} {columns} values ({ph}, {ph}, {ph}, {ph})", rows)
    con.commit()


def table_columns(state: BuildState, tables: Iterable[str]) -> dict[str, list[str]]:
    """The columns (lower case, in table order) of each of `tables` that exists in the models
    schema; a missing table is left out."""
    target = state.target
    wanted = list(tables)
    if state.marts is not None and state.marts.is_spark:
        return _spark_columns(state.marts, wanted)
    rows = fetch_all(
        state.con,
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = {placeholder(target)} order by table_name, ordinal_position",
        (target.models_schema,),
    )
    state.con.commit()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        if table in wanted:
            found.setdefault(table, []).append(str(column).lower())
    return found


def _spark_columns(marts: Target, wanted: list[str]) -> dict[str, list[str]]:
    """table_columns on Spark (a partition column last, as Spark stores it)."""
    found: dict[str, list[str]] = {}
    schema = marts.models_schema
    with connect(marts) as spark:
        cur = spark.cursor()
        cur.execute(f"create database if not exists `{schema}`")
        present = _spark_tables(cur, schema)
        for table in wanted:
            if table in present:
                cur.execute(f"show columns in `{schema}`.`{table}`")
                found[table] = [str(row[0]).strip().lower() for row in cur.fetchall()]
    return found
