"""Build the warehouse: plan the range (nightly run, late data, backfill) and run dbt.

Every build leaves the warehouse as a full rebuild of the same data would:
- it starts at the earliest pending day (a day touched by rows loaded since it was last built
  successfully, see changes.py) when that is before the requested start, and no later than
  the day after the last day built (the built days never have a gap, empty days included);
  pending days beyond the late-data horizon stay pending, alerted with their backfill
  (plan_build);
- it ends at the last day already built when that is after the requested end, so the
  cumulative amounts and the weekly/monthly rows after a backfilled range move with it;
- when the metric registry (指标注册表, vars.metrics / breakdown_dimensions of dbt_project.yml,
  bizstats.registry) differs from the one the marts were last fully built with (a metric or
  dimension added, changed or removed), it covers every day with data, and dbt alters the
  marts' columns to the registry's (var sync_columns,
  macros/materialisation/sync_columns.sql) before refilling them (registry_change).

Before any dbt run a build checks the registry (bizstats.registry: one line naming a bad
entry and the fix, the columns entries name against dbt's manifest) and regenerates the docs
site's metric pages from it (bizstats.registry_docs).

One planner, one connection (一次构建一个连接). The plan is computed here only (the Jinja
reads the range it is given, and the fact-time columns are the dbt var fact_time_columns).
A build opens one warehouse connection of its own once it holds the warehouse lock
(changes.open_state) and passes it to every step: the spool's ingest, the raw tables, the
plan (new rows scanned, registry, days built, pending days), the quarantine alert's
watermark, the undo log's begin and commit, what it records after dbt (log, pending days
cleared, registry) and the warehouse's id. dbt's own connections aside, that is all on
DuckDB: dbt runs in this process, where every connection to the file shares one database
instance, so the build's connection stays open (idle, no transaction) while dbt writes, and
it is closed before the query API's snapshot, a read-only open the process's read-write
instance would refuse. On MySQL/MariaDB the lock is GET_LOCK on a connection of its own
(bizstats.lock; an unfinished build is put back over it), so a build opens two. Exceptions:
the alerts store opens one when the plan raises an alert, and after a failed dbt run the
marts are put back and the failure logged over fresh connections (the build's may be the
one that was lost).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from bizstats import changes, parse_state, undo_log
from bizstats.config import Target, project_dir
from bizstats.db import ensure_raw_tables
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from bizstats.load.collected.ingest import ingest_spool
from bizstats.load.quarantine import late_data_alerts
from bizstats.local_time import local_yesterday
from bizstats.lock import warehouse_lock
from bizstats.project_vars import project_vars
from bizstats.publish import invalidate_days
from bizstats.registry import MARTS, RESERVED, Registry, check_columns, load_registry
from bizstats.registry_docs import sync_semantic_yml
from bizstats.retention.restore import restore_everything, restore_for_build
from bizstats.retention.returning import restore_returning
from bizstats.settings import settings as current_settings
from bizstats.spark.lake import sync_lake
from bizstats.warehouse_id import ensure_warehouse_id

Progress = Callable[[str], None]
MONITORING = "path:models/monitoring"  # dbt selector of the checks' models


CUMULATIVE_MART = "cumulative_daily"  # <name> and <name>_movement of each cumulative metric
MOVEMENT_SUFFIX = "_movement"

# The registry as recorded in changes.REGISTRY_STATE: (entry, name) -> fingerprint
RegistryState = dict[tuple[str, str], str]


@dataclass(frozen=True)
class RegistryChange:
    """How the registry differs from the one the marts were last fully built with: the
    metrics and the dimensions added, changed and removed (names, sorted)."""

    metrics: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    dimensions: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())

    def __bool__(self) -> bool:
        return any(self.metrics) or any(self.dimensions)

    def describe(self) -> str:
        """E.g. "metrics changed (added login_count, refund_amount; removed foo)"."""
        found = []
        for what, (added, changed, removed) in (("metrics", self.metrics), ("dimensions", self.dimensions)):
            verbs = [
                f"{verb} {', '.join(names)}"
                for verb, names in (("added", added), ("changed", changed), ("removed", removed))
                if names
            ]
            if verbs:
                found.append(f"{what} changed ({'; '.join(verbs)})")
        return " and ".join(found)


@dataclass(frozen=True)
class BuildPlan:
    """The local days a build covers, and why."""

    start: date
    end: date
    requested_start: date
    requested_end: date
    pending: tuple[date, ...]  # days pulled in by late rows (within [start, end])
    has_data: bool  # False: the raw tables are empty
    first_build: bool  # nothing built yet: every day with data is pending
    # pending days beyond the late-data horizon, left pending (late_data_deferred alert)
    deferred: tuple[date, ...] = ()
    # the registry differs from the marts': every day with data is rebuilt, columns synced
    registry_change: RegistryChange | None = None
    # what to record as the marts' registry once the build succeeded (None: already recorded)
    registry_state: RegistryState | None = None
    # archived rows put back before the new rows were examined (bizstats.retention.returning)
    returning: int = 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def describe(self) -> str:
        text = f"{self.start} .. {self.end} ({self.days} days)"
        if self.registry_change:
            return f"{self.registry_change.describe()}: rebuilding every day with data, {text}"
        reasons = []
        if self.start < self.requested_start and self.first_build:
            reasons.append("every earlier day with data (first build)")
        elif self.start < self.requested_start:
            reasons.append(
                f"the earlier days not built yet or with rows loaded since they were last built "
                f"({len(self.pending)} pending)"
            )
        if self.end > self.requested_end:
            reasons.append(f"days already built after {self.requested_end} carried forward")
        if reasons:
            text = f"{text}: requested {self.requested_start} .. {self.requested_end}, plus " + (
                " and ".join(reasons)
            )
        if self.deferred:
            text += (
                f"; {len(self.deferred)} pending days {self.deferred[0]} .. {self.deferred[-1]} are "
                f"beyond the late-data horizon and stay pending: build them with `bizstats build "
                f"--start {self.deferred[0]} --end {self.deferred[-1]}`"
            )
        return text


@dataclass(frozen=True)
class BuildResult:
    start: date
    end: date
    statuses: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the whole build: lock, planning, dbt, bookkeeping
    dbt_seconds: float = 0.0  # of which dbt (parse, models, tests)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def yesterday_local() -> date:
    """Yesterday in the statistics time zone (dbt var stats_utc_offset_hours): the default
    day of a build (bizstats.local_time, the one home of local days)."""
    return local_yesterday()


def window_days(offset_hours: int) -> tuple[date, date]:
    """The local days a build may cover: those of the loader's datetime window (from
    BIZSTATS_MIN_DATETIME to BIZSTATS_MAX_DAYS_AHEAD days after now), inside the days safe
    from date overflow. No setting can make this raise OverflowError."""
    window = current_settings().load.window
    now = changes.utc_now()
    try:
        first = changes.local_date(window.earliest, offset_hours)
    except OverflowError:
        first = changes.SAFE_FIRST_DAY
    try:
        last = changes.local_date(now + timedelta(days=window.days_ahead), offset_hours)
    except OverflowError:
        last = changes.SAFE_LAST_DAY
    return max(first, changes.SAFE_FIRST_DAY), min(last, changes.SAFE_LAST_DAY)


def plan_build(
    target: Target,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
    full_refresh: bool = False,
    state: changes.BuildState | None = None,
) -> BuildPlan:
    """The range of the next build, read over the build's connection `state` (None: one of
    its own, e.g. to print a plan). Nightly (no start/end): [day - lookback, day], day
    defaulting to yesterday. Backfill: [start, end]. Full refresh: from the first day of data.
    Then widened to the pending days and to the last day already built (module docstring).
    A full refresh starts no later than the first day of data (the tables are recreated).
    Examines the rows loaded since the last build first (they become pending days), after
    putting back the archived rows they need (bizstats.retention.returning: a returning
    user's history, a refunded deduction, an event's first delivery).

    Bounded: only the days of the loader's datetime window are ever planned (window_days:
    by default 2000-01-01 to tomorrow), and without an explicit start/end a plan longer than the dbt var
    `max_build_days` is refused with one line asking for them.

    Late data far back never stretches a plan: after the first build, pending days more than
    the late-data horizon (BIZSTATS_LATE_DATA_DAYS) before the requested start are left
    pending (`deferred`) and alerted with the backfill to run (as are new quarantined
    events: bizstats.load.quarantine.late_data_alerts); a range asked to start at or before them
    builds them.

    A registry change (registry_change: a metric or dimension added, changed or removed since
    the marts were last fully built) makes the plan cover every day with data, from the first
    day of data (or the first day stored, if earlier) to the usual end, whatever max_build_days
    says, with nothing deferred."""
    if state is None:
        with changes.open_state(target) as own:
            return plan_build(target, day, start, end, full_refresh, own)
    settings = project_vars()
    first_day, last_day = window_days(settings.utc_offset_hours)
    explicit = start is not None and end is not None
    for option, value in (("--date", day), ("--start", start), ("--end", end)):
        if value is not None and not first_day <= value <= last_day:
            raise BizstatsError(
                f"{option} {value} is outside the days a warehouse holds ({first_day} .. "
                f"{last_day}: the load window, BIZSTATS_MIN_DATETIME and BIZSTATS_MAX_DAYS_AHEAD)"
            )
    if start is None or end is None:
        end = day or yesterday_local()
        start = max(end - timedelta(days=settings.lookback_days), first_day)
    if start > end:
        raise BizstatsError(f"--start {start} is after --end {end}")
    requested_start, requested_end = start, end
    built = state
    control = built.target  # the raw rows and the bookkeeping (spark: its control database)
    ensure_raw_tables(control, built.con)
    # before the new rows are examined (and never again seen as new): the archived rows of
    # their users, of the deductions their refunds name and of their events delivered again
    returning = 0 if full_refresh else restore_returning(built.con, control)
    newest = changes.scan_new_rows(built, settings.utc_offset_hours, (first_day, last_day))
    change, registry_now = registry_change(built, load_registry())
    firsts: list[date | None] = []
    if full_refresh or change:
        firsts.append(changes.first_data_day(built, settings.utc_offset_hours, first_day))
        if change:  # and every day stored: each gets the new columns' values
            firsts.append(changes.first_built_day(built))
    last_built = changes.last_built_day(built)
    pending_stored = changes.pending_days(built)
    earliest = min((max(d, first_day) for d in firsts if d is not None), default=None)
    if earliest is not None and earliest < start:
        start = earliest
    if last_built is not None:
        # a day built by an older version outside the window is neither carried nor a gap
        last_built = min(max(last_built, first_day - timedelta(days=1)), last_day)
    if last_built is not None and last_built > end:
        end = last_built
    if last_built is not None and last_built + timedelta(days=1) < start:
        start = last_built + timedelta(days=1)  # no gap after the days built so far
    pending = tuple(d for d in pending_stored if first_day <= d <= end)
    horizon = requested_start - timedelta(days=current_settings().load.late_data_days)
    # (a day the plan covers anyway, e.g. after the last day built, is never left behind)
    deferred: tuple[date, ...] = ()
    if last_built is not None and not change:  # a registry change rebuilds every day anyway
        deferred = tuple(d for d in pending if d < min(horizon, start))
    pending = pending[len(deferred) :]
    if pending and pending[0] < start:
        start = pending[0]
    plan = BuildPlan(
        start=start,
        end=end,
        requested_start=requested_start,
        requested_end=requested_end,
        pending=pending,
        has_data=newest is not None,
        first_build=last_built is None,
        deferred=deferred,
        registry_change=change,
        registry_state=registry_now,
        returning=returning,
    )
    late_data_alerts(built, deferred)
    if not explicit and not change and plan.days > settings.max_build_days:
        first = " (the first build of a warehouse covers every day with data)" if plan.first_build else ""
        raise BizstatsError(
            f"the build would cover {plan.start} .. {plan.end} ({plan.days} days){first}, more "
            f"than max_build_days ({settings.max_build_days}, dbt_project.yml): give the range "
            f"explicitly, e.g. `bizstats build --start {plan.start} --end {plan.end}`"
        )
    return plan


def registry_state(registry: Registry) -> RegistryState:
    """The registry as changes.REGISTRY_STATE records it: (entry, name) -> fingerprint of what
    computes it (Registry.fingerprint), entry `metric` or `dimension`."""
    metrics = {metric.name for metric in registry.metrics}
    return {
        ("metric" if name in metrics else "dimension", name): fingerprint
        for name, fingerprint in registry.fingerprint().items()
    }


def registry_change(
    built: changes.BuildState, registry: Registry
) -> tuple[RegistryChange | None, RegistryState | None]:
    """(how `registry` differs from the one the marts were last fully built with, or None;
    the state to record once this build succeeded, or None when the recorded one is current).

    Compared with the recorded state (changes.built_registry). A warehouse built by a version
    without one: the marts' metric columns compared with the registry's (added and removed
    metrics; a mart missing while daily_stats exists lacks all of its columns); the state is
    recorded by the next successful build. Nothing built yet: no change (a first build covers
    every day with data anyway)."""
    current = registry_state(registry)
    recorded = changes.built_registry(built)
    if recorded is None:
        return _columns_change(built, registry), current
    if recorded == current:
        return None, None

    def names(entry: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        now = {name: print_ for (kind, name), print_ in current.items() if kind == entry}
        before = {name: print_ for (kind, name), print_ in recorded.items() if kind == entry}
        return (
            tuple(sorted(name for name in now if name not in before)),
            tuple(sorted(name for name in now if name in before and now[name] != before[name])),
            tuple(sorted(name for name in before if name not in now)),
        )

    change = RegistryChange(metrics=names("metric"), dimensions=names("dimension"))
    return (change or None), current


def _columns_change(built: changes.BuildState, registry: Registry) -> RegistryChange | None:
    """A warehouse without a recorded registry: the metrics whose columns its marts lack or
    hold beyond the registry's (None when they match, or nothing is built yet)."""
    if changes.last_built_day(built) is None:
        return None
    expected = {mart: [metric.name for metric in registry.mart_metrics(mart)] for mart in MARTS}
    expected[CUMULATIVE_MART] = [
        column
        for metric in registry.metrics
        if metric.cumulative
        for column in (metric.name, metric.name + MOVEMENT_SUFFIX)
    ]
    stored = changes.table_columns(built, expected)

    def metric_of(mart: str, column: str) -> str:
        return column.removesuffix(MOVEMENT_SUFFIX) if mart == CUMULATIVE_MART else column

    added: set[str] = set()
    removed: set[str] = set()
    for mart, columns in expected.items():
        have = [column for column in stored.get(mart, []) if column not in RESERVED]
        added.update(metric_of(mart, c) for c in columns if c not in have)
        removed.update(metric_of(mart, c) for c in have if c not in columns)
    change = RegistryChange(metrics=(tuple(sorted(added)), (), tuple(sorted(removed))))
    return change or None


def check_registry(target: Target) -> Registry:
    """What a build checks before any dbt run: the registry valid (bizstats.registry: a bad
    entry is one line naming it and the fix), the docs site's metric pages generated from it
    (models/semantic/_semantic.yml, bizstats.registry_docs), and every column an entry names
    documented in dbt's manifest (`dbt parse` first when a project file changed since dbt
    last parsed the project, so the manifest is this project's)."""
    registry = load_registry()
    project = project_dir()
    sync_semantic_yml(project)
    check_columns(registry, _manifest(target, project))
    return registry


def _manifest(target: Target, project: Path) -> Path:
    """dbt's manifest of the project as it is now: `dbt parse` for `target` first when a
    project file changed since dbt last parsed it (bizstats.parse_state); the build that
    follows then reuses that parse."""
    manifest = parse_state.target_path(project) / "manifest.json"
    if manifest.is_file() and not parse_state.parse_flags(project, parse_state.fingerprint(project)):
        return manifest
    run_dbt(target, ["parse"])  # remembers the parse: the build that follows reuses it
    return manifest


def build(
    target: Target,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
    full_refresh: bool = False,
    select: str | None = None,
    progress: Progress | None = None,
    with_tests: bool = True,
) -> BuildResult:
    """Run `dbt build` (models and their tests) over the planned range (see plan_build).

    `select` (with `full_refresh`): rebuild one model over all days with data, e.g. after
    changing its columns; the window tables it reads are rebuilt with it. `with_tests=False`
    skips dbt's tests (the test suite uses it for speed; production builds always test).
    Days stay pending until a build that covers every model succeeds. The whole build holds
    the warehouse lock (bizstats.lock): another build or load on the same warehouse meanwhile
    waits or fails with one line."""
    check_options(day, start, end, full_refresh, select)
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    # spark: the lock, the plan and the bookkeeping are its control database's (Target.control)
    with warehouse_lock(target.control, "build", progress):
        check_registry(target)  # a bad entry stops the build before any table is touched
        with changes.open_state(target) as state:  # the build's one connection
            result, warehouse = _build(
                target, state, day, start, end, full_refresh, select, progress, with_tests
            )
        # the query API: new numbers readable (DuckDB snapshot: after the connection is
        # closed), cached answers of the days dropped
        invalidated = invalidate_days(target, result.start, result.end, warehouse)
        if invalidated.warning:
            result.warnings.append(invalidated.warning)
            say(f"warning: {invalidated.warning}")
    return replace(result, seconds=time.perf_counter() - started)


def check_options(
    day: date | None, start: date | None, end: date | None, full_refresh: bool, select: str | None
) -> None:
    """The options of a build that contradict each other or name nothing, as one line
    (checked before anything is opened)."""
    if (start is None) != (end is None):
        raise BizstatsError("give both --start and --end, or neither")
    if start is not None and day is not None:
        raise BizstatsError("give either --date or --start/--end, not both")
    if start is not None and end is not None and start > end:
        raise BizstatsError(f"--start {start} is after --end {end}")
    if select and not full_refresh:
        raise BizstatsError("--select rebuilds one model over all history: use it with --full-refresh")
    if select and select not in buildable_models():
        raise BizstatsError(
            f"--select {select}: no such model; the models a build rebuilds are "
            f"{', '.join(buildable_models())}"
        )


def buildable_models() -> list[str]:
    """The dbt models a build runs (every .sql under models/ but the checks' models, which
    bizstats.checks runs), by name."""
    models = project_dir() / "models"
    monitoring = models / MONITORING.removeprefix("path:models/")
    return sorted(p.stem for p in models.rglob("*.sql") if monitoring not in p.parents)


# What a failed Spark build leaves (docs/builds.md): no undo log, the days stay pending.
SPARK_FAILED = (
    "Spark has no undo log: the marts' days of this range may be half replaced; nothing was "
    "recorded as built and the days stay pending, so the next build replaces them"
)


def _put_back(target: Target) -> str:
    """After a failed dbt run: the marts it changed put back (bizstats.undo_log), in words."""
    try:
        restored = undo_log.rollback(target)
    except BizstatsError:
        return "marts put back at the next build"
    return "no mart changed" + (f" ({len(restored)} put back)" if restored else "")


def _build(
    target: Target,
    state: changes.BuildState,
    day: date | None,
    start: date | None,
    end: date | None,
    full_refresh: bool,
    select: str | None,
    progress: Progress | None,
    with_tests: bool,
) -> tuple[BuildResult, str | None]:
    """The build of `target` over its connection `state` (build; spark: to its control
    database, state.target): its result, and the warehouse's id (None when it could not be
    stored: invalidate_days says so)."""
    control = state.target  # the raw rows' landing and the bookkeeping
    spark = target.is_spark
    say = progress or (lambda _message: None)
    collected = ingest_spool(control, state.con)  # DuckDB: events the collector spooled meanwhile
    if collected:
        say(f"ingested {collected:,} collected events from the spool")
    # archived raw rows back in the live tables first (数据归档, bizstats.retention): all of them
    # for a full refresh, which recreates the tables from the raw rows
    put_back = restore_everything(control) if full_refresh else 0
    plan = plan_build(target, day, start, end, full_refresh=full_refresh, state=state)
    put_back += plan.returning
    warnings = []
    if not plan.has_data:
        warnings.append(
            f"the raw tables on {target.name} are empty: the build writes zero rows; "
            "load data with `bizstats load DIR` (format: models/docs/sources.md)"
        )
        say(f"warning: {warnings[-1]}")
    say(f"{'' if plan.registry_change else 'building '}{plan.describe()} on {target.name}")
    # archived raw rows of the range back in the live tables first (数据归档: bizstats.retention)
    put_back += restore_for_build(control, plan.start, plan.end)
    if put_back:
        say(f"put back {put_back:,} archived raw rows: the archive holds days of this range or "
            "rows of the new rows' users, refunded deductions or events")
    marked: list[date] = []
    if spark:
        # the landing's rows (collected and put back ones included) where Spark reads them
        sync_lake(target, state.con, progress)
        # no undo log on Spark (no transactions): the build's days are pending until it
        # succeeds, so a build that fails or is killed midway leaves them to the next one
        marked = changes.mark_pending(state, plan.start, plan.end)
    command = ["build", "--full-refresh"] if full_refresh else ["build"]
    # the marts' columns altered to the registry's where they differ (macros/materialisation/sync_columns.sql)
    dbt_vars = {"sync_columns": True} if plan.registry_change else None
    if select:
        # the model, and the tables it reads that hold only the last run's window
        command += ["--select", select, f"+{select},config.materialized:table"]
    # the checks' models (models/monitoring) run in bizstats.checks.run_checks, with the
    # thresholds of monitoring.yml; a full refresh of the marts keeps their history
    command += ["--exclude", MONITORING, *([] if with_tests else ["resource_type:test"])]
    started_at = changes.utc_now()
    dbt_started = time.perf_counter()
    # a failed build changes no mart: each saves what it replaces under this build's id, and
    # the build commits only after dbt and every error-severity test succeeded
    build_id = None if spark else undo_log.begin(target, state.con)
    try:
        outcome = run_dbt(
            target,
            command,
            dbt_vars=dbt_vars,
            progress=progress,
            build_range=(plan.start, plan.end),
            build_id=build_id,
        )
    except BaseException as exc:  # dbt's error, or Ctrl-C: put the marts back first
        # over fresh connections: the build's may be the one that was lost
        detail = SPARK_FAILED if spark else _put_back(target)
        # best effort: with the connection lost, dbt's error is the one to report
        with contextlib.suppress(BizstatsError), changes.open_state(target) as built:
            changes.log_build(built, started_at, plan.start, plan.end, select, "failed")
        if isinstance(exc, BizstatsError):
            raise BizstatsError(f"{exc}; {detail}") from exc
        raise
    dbt_seconds = time.perf_counter() - dbt_started
    if build_id is not None:
        undo_log.commit(target, build_id, state.con)
    changes.log_build(state, started_at, plan.start, plan.end, select, "success")
    changes.clear_pending(state, marked)  # spark: the days this build marked
    if not select:
        changes.clear_pending(state, plan.pending)
        if plan.registry_state is not None:  # every mart now holds this registry's columns
            changes.record_registry(state, plan.registry_state)
    warnings += outcome.warnings
    try:  # before the snapshot, so that it carries the id too (bizstats.publish)
        warehouse: str | None = ensure_warehouse_id(control, state.con)
    except BizstatsError:
        warehouse = None  # invalidate_days tries again and says why it could not
    result = BuildResult(plan.start, plan.end, outcome.statuses, warnings, dbt_seconds=dbt_seconds)
    return result, warehouse
