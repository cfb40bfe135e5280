"""Least privilege (最小权限): one MariaDB/MySQL account per job, each with the grants of its
job only, derived here from the names the code uses (the raw contract's tables, the
bookkeeping tables' constants, the marts of models/marts/), never a hand-kept list.

- loader (`bizstats load`): reads and appends to the raw schema (the raw tables, the load
  ledger, rejected rows) and may create its missing tables; appends to the audit trail; records itself
  as the holder of the warehouse lock (`bizstats_lock` of the models schema). No update,
  no delete, nothing else of the models schema.
- collector (the event collector of `bizstats serve`): appends events to event_logs, their
  ledger rows, the quarantine of too-old events and the daily tally; reads the pseudonym
  secret; appends to the audit trail (`collect ingest`). Nothing of the models schema, no
  other raw table.
- builder (`bizstats build`, rebuild, the jobs, checks, alerts): reads the raw schema,
  appends to the audit trail, owns the models schema (dbt creates, drops and renames
  tables there).
- reader (the query API and BI tools): reads the marts and what the API shows beside them
  (the API keys to check a key, the last build, the quality board's monitors, checks, alerts
  and job runs). Never the raw schema, never a write.
- admin (retention, backups, keys, quarantine, the audit's listing): everything on both
  schemas; reads and appends to the audit trail.

The audit trail (审计日志) is the table audit_log of a database of its own, `<schema>_audit`:
every account that runs a state-changing command may INSERT there, the admin also SELECT,
and no account UPDATE or DELETE — append-only enforced by the server. (The reader runs no
state-changing command: it has no grant there.)
- serve: `bizstats serve` is the collector and the query API in one process: its account
  holds both roles (or run two, one per role).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bizstats.alerts.store import ALERTS
from bizstats.audit_log import TABLE as AUDIT
from bizstats.changes import BUILDS
from bizstats.config import Target, project_dir
from bizstats.errors import BizstatsError
from bizstats.load.collected.tally import TABLE as TALLY
from bizstats.load.ledger import LEDGER_TABLE
from bizstats.load.quarantine import TABLE as QUARANTINE
from bizstats.lock import HOLDERS
from bizstats.ops.job_runs import TABLE as JOB_RUNS
from bizstats.privacy import SECRET_TABLE
from bizstats.web.query.keys import TABLE as API_KEYS

JOBS = ("loader", "collector", "builder", "reader", "admin")
SERVE = "serve"  # the account of `bizstats serve`: collector and reader
FLAVOURS = ("mariadb", "mysql")
RAW, MODELS, AUDIT_SIDE = "raw", "models", "audit"
ALL = ("ALL PRIVILEGES",)

# the quality board and /metrics read these beside the marts (bizstats.web)
_MONITORS = ("monitor_results", "cross_check_results")


@dataclass(frozen=True)
class Grant:
    """Privileges on one table of a side (`raw`: `<schema>_raw`, `models`: `<schema>`,
    `audit`: `<schema>_audit`), or on the whole side when `table` is None."""

    privileges: tuple[str, ...]
    side: str
    table: str | None = None


def marts(project: Path) -> tuple[str, ...]:
    """The marts: the models of models/marts/ (what people query)."""
    return tuple(sorted(p.stem for p in (project / "models" / "marts").glob("*.sql")))


def grants(project: Path) -> dict[str, tuple[Grant, ...]]:
    """Each job's grants."""
    reads = (*marts(project), API_KEYS, BUILDS, ALERTS, JOB_RUNS, *_MONITORS)
    return {
        "loader": (
            # a file with repeated event_ids goes through a temporary table; ON DUPLICATE KEY
            # UPDATE keeps an event's earliest delivery (bizstats.load.write): UPDATE there only
            Grant(("SELECT", "INSERT", "CREATE", "CREATE TEMPORARY TABLES"), RAW),
            Grant(("UPDATE",), RAW, "event_logs"),
            Grant(("SELECT", "INSERT", "DELETE"), MODELS, HOLDERS),
            Grant(("INSERT",), AUDIT_SIDE, AUDIT),
        ),
        "collector": (
            # its tables are created if missing at start (CREATE makes a table, never reads
            # or changes one it has no grant on)
            Grant(("CREATE",), RAW),
            # ON DUPLICATE KEY UPDATE: an event's earliest delivery wins; a quarantined one once
            Grant(("SELECT", "INSERT", "UPDATE"), RAW, "event_logs"),
            Grant(("INSERT",), RAW, LEDGER_TABLE),
            Grant(("SELECT", "INSERT", "UPDATE"), RAW, QUARANTINE),
            Grant(("SELECT", "INSERT", "UPDATE"), RAW, TALLY),
            Grant(("SELECT", "INSERT"), RAW, SECRET_TABLE),
            Grant(("INSERT",), AUDIT_SIDE, AUDIT),
        ),
        "builder": (
            Grant(("SELECT",), RAW),
            Grant(ALL, MODELS),
            Grant(("INSERT",), AUDIT_SIDE, AUDIT),
        ),
        "reader": tuple(Grant(("SELECT",), MODELS, name) for name in reads),
        "admin": (Grant(ALL, RAW), Grant(ALL, MODELS), Grant(("SELECT", "INSERT"), AUDIT_SIDE, AUDIT)),
    }


def tables_granted(project: Path) -> dict[str, tuple[str, ...]]:
    """By side, the tables granted one by one (they must exist when the grants are applied)."""
    found: dict[str, set[str]] = {RAW: set(), MODELS: set(), AUDIT_SIDE: set()}
    for job_grants in grants(project).values():
        for g in job_grants:
            if g.table is not None:
                found[g.side].add(g.table)
    return {side: tuple(sorted(names)) for side, names in found.items()}


def account(schema: str, job: str) -> str:
    """The account (user) name of a job: `<schema>_<job>`."""
    return f"{schema}_{job}"


def role(schema: str, job: str) -> str:
    return f"{schema}_{job}_role"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _password(job: str) -> str:
    return "${" + f"{job.upper()}_PASSWORD" + "}"


def roles_sql(schema: str, project: Path, flavour: str = "mariadb", host: str = "%") -> str:
    """The SQL creating the roles, the accounts (passwords as `${LOADER_PASSWORD}`-style
    placeholders to fill in, e.g. with envsubst) and the grants for the warehouse `schema`."""
    sides = {RAW: f"{schema}_raw", MODELS: schema, AUDIT_SIDE: f"{schema}_audit"}
    granted = tables_granted(project)
    lines = [
        f"-- bizstats least-privilege accounts (最小权限) for the warehouse {schema} ({flavour}).",
        "-- Apply as an administrator once the tables exist (`bizstats db init`, then a first",
        "-- `bizstats build` and checks run as the administrator): a grant on one table needs the table.",
        "-- Replace every ${..._PASSWORD} first, e.g. `bizstats db roles --print | envsubst | mysql`.",
        f"-- Tables granted one by one: {sides[RAW]}: {', '.join(granted[RAW])};",
        f"-- {sides[MODELS]}: {', '.join(granted[MODELS])};",
        f"-- {sides[AUDIT_SIDE]}: {', '.join(granted[AUDIT_SIDE])} (the audit trail: INSERT, the admin",
        "-- SELECT too; no account may UPDATE or DELETE it).",
    ]
    for job, job_grants in grants(project).items():
        r = _q(role(schema, job))
        lines += ["", f"-- {job}", f"CREATE ROLE IF NOT EXISTS {r};"]
        for g in job_grants:
            where = f"{_q(sides[g.side])}.{_q(g.table) if g.table else '*'}"
            lines.append(f"GRANT {', '.join(g.privileges)} ON {where} TO {r};")
    serve = _q(role(schema, SERVE))
    lines += ["", "-- serve: the collector and the query API in one process",
              f"CREATE ROLE IF NOT EXISTS {serve};",
              f"GRANT {_q(role(schema, 'collector'))} TO {serve};",
              f"GRANT {_q(role(schema, 'reader'))} TO {serve};", "", "-- the accounts"]
    for job in (*JOBS, SERVE):
        user = f"{_q(account(schema, job))}@'{host}'"
        r = _q(role(schema, job))
        default = f"SET DEFAULT ROLE {r} {'FOR' if flavour == 'mariadb' else 'TO'} {user};"
        lines += [f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY '{_password(job)}';",
                  f"GRANT {r} TO {user};", default]
    return "\n".join(lines) + "\n"


def drop_sql(schema: str, host: str = "%") -> str:
    """The SQL dropping the accounts and roles of `schema` (the tables stay)."""
    lines = [f"DROP USER IF EXISTS {_q(account(schema, job))}@'{host}';" for job in (*JOBS, SERVE)]
    lines += [f"DROP ROLE IF EXISTS {_q(role(schema, job))};" for job in (*JOBS, SERVE)]
    return "\n".join(lines) + "\n"


def prepare(target: Target) -> list[str]:
    """Create (as an administrator, before the grants) the schemas and every table the
    accounts are granted on that no build makes: the raw tables and the loader's, the
    collector's, the audit trail, the lock's holder, the API keys, the alerts and job runs
    (each by the code that owns it). The marts, the builds' log and the monitors' results
    come from the first build and checks. Returns the tables made or found."""
    from bizstats import audit_log
    from bizstats.alerts.store import ensure_tables as ensure_alerts
    from bizstats.db import connect, ensure_raw_tables
    from bizstats.load.collected.tally import MySQLTally
    from bizstats.load.ledger import ensure_side_tables
    from bizstats.load.quarantine import ensure_table as ensure_quarantine
    from bizstats.lock import warehouse_lock
    from bizstats.ops.job_runs import list_runs
    from bizstats.privacy import warehouse_secret
    from bizstats.web.query.keys import list_keys

    if target.name != "mysql":
        raise BizstatsError("accounts and grants are MySQL/MariaDB's: use --target mysql")
    ensure_raw_tables(target)
    with connect(target) as con:
        ensure_side_tables(con, target)
        cur = con.cursor()
        ensure_quarantine(cur, target)
        ensure_alerts(cur, target)
        con.commit()
    tally = MySQLTally(target)
    tally.add({})
    tally.close()
    warehouse_secret(target)
    audit_log.ensure(target)
    with warehouse_lock(target, "db init"):  # records its holder: the table exists
        pass
    list_keys(target)
    list_runs(target, 1)
    return [*(f"{target.raw_schema}.{t}" for t in tables_granted(project_dir())[RAW]),
            *(f"{target.models_schema}.{t}" for t in (HOLDERS, API_KEYS, ALERTS, JOB_RUNS)),
            f"{target.audit_schema}.{AUDIT}"]
