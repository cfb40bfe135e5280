"""Connections to the two targets, their errors as one-line BizstatsErrors, and the raw
tables' DDL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pymysql
from pyhive import exc as hive_exc
from pyhive import hive
from pymysql.constants import CLIENT
from thrift.transport.TTransport import TTransportException

from bizstats.config import MySQLSettings, Target
from bizstats.contract import LOADED_AT, ROW_ID, TABLES, Column, RawTable
from bizstats.errors import BizstatsError
from bizstats.project_vars import project_vars
from bizstats.settings import SparkSettings, settings

# Everything the three drivers raise: `connect` turns these into BizstatsError.
DB_ERRORS = (duckdb.Error, pymysql.err.MySQLError, hive_exc.Error, TTransportException)

_NOTHING_BUILT = "run `bizstats build` first"
_NOTHING_LOADED = "run `bizstats demo`, or `bizstats load DIR` and `bizstats build`, first"
_SCHEMA_CHANGED = (
    "the table's columns are not the ones this bizstats expects: rebuild it with "
    "`bizstats build --full-refresh`"
)
_BUG = "this looks like a bizstats bug: please report it with the command you ran"
_RETRY = "if it happens again, report it with the command you ran"
_MYSQL_SERVER = "is the server running? check BIZSTATS_MYSQL_HOST/_PORT/_USER/_PASSWORD"
_SPARK_SERVER = (
    "is the Spark Thrift server running? `bizstats spark status` tells (`bizstats spark up` starts "
    "a local one); check BIZSTATS_SPARK_HOST/_PORT/_USER/_AUTH"
)
_MYSQL_ACCESS = "check BIZSTATS_MYSQL_USER/_PASSWORD and the user's grants"
_MYSQL_LOCKED = "another process holds a lock on the table: retry when it has finished"
# MySQL/MariaDB error codes -> what to do
_MYSQL_HINTS = {
    1040: "the server has too many connections: retry later",
    1044: _MYSQL_ACCESS,
    1045: _MYSQL_ACCESS,
    1049: _NOTHING_LOADED,
    1054: _SCHEMA_CHANGED,
    1064: _BUG,
    1142: _MYSQL_ACCESS,
    1146: _NOTHING_BUILT,
    1205: _MYSQL_LOCKED,
    1213: _MYSQL_LOCKED,
    1227: _MYSQL_ACCESS,
    1698: _MYSQL_ACCESS,
    2002: _MYSQL_SERVER,
    2003: _MYSQL_SERVER,
    2005: _MYSQL_SERVER,
    2006: "the server closed the connection: " + _MYSQL_SERVER,
    2013: "the connection to the server was lost: " + _MYSQL_SERVER,
}


def describe(target: Target) -> str:
    """The target as a user knows it: `duckdb <file>` or `mysql <host>:<port>/<schema>`."""
    if target.name == "duckdb":
        return f"duckdb {target.duckdb_path}"
    if target.name == "spark":
        return _describe_spark(settings().spark)
    return _describe_mysql(settings().mysql)


def _describe_spark(settings: SparkSettings) -> str:
    return f"spark {settings.host}:{settings.port}/{settings.schema}"


def _describe_mysql(settings: MySQLSettings) -> str:
    return f"mysql {settings.host}:{settings.port}/{settings.schema}"


def database_error(target: Target, exc: BaseException) -> BizstatsError:
    """A driver exception as one line: the target, the database's first line, what to do."""
    return _translate(describe(target), exc)


def _translate(where: str, exc: BaseException) -> BizstatsError:
    if isinstance(exc, pymysql.err.MySQLError):
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = str(exc.args[-1]) if exc.args else ""
        first = f"({code}) {_first_line(text)}" if code else _first_line(text)
        if isinstance(exc, pymysql.err.InterfaceError):
            hint = "the connection to the server was lost: " + _MYSQL_SERVER
        else:
            hint = _MYSQL_HINTS.get(code or 0, _RETRY)
    elif isinstance(exc, TTransportException | hive_exc.Error):
        message = _hive_message(exc)
        first = _first_line(message or str(exc)).removeprefix("Error running query: ")
        hint = _spark_hint(message, first)
    else:
        first = _first_line(str(exc))
        hint = _duckdb_hint(exc, first)
    return BizstatsError(f"{where}: {first or type(exc).__name__}; {hint}")


def _hive_message(exc: BaseException) -> str:
    """The server's own message of a PyHive error (its status's errorMessage); empty when the
    server said nothing (the connection failed or was lost)."""
    status = getattr(exc.args[0], "status", None) if exc.args else None
    message = getattr(status, "errorMessage", None)
    return str(message) if message else ""


def _spark_hint(server_message: str, first: str) -> str:
    if not server_message:  # no answer from a server: it is down, unreachable or went away
        return _SPARK_SERVER
    low = first.lower()
    if "table_or_view_not_found" in low or "schema_not_found" in low or "not found" in low:
        return _NOTHING_BUILT
    if "parse_syntax_error" in low:
        return _BUG
    return _RETRY


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _duckdb_hint(exc: BaseException, first: str) -> str:
    if isinstance(exc, duckdb.IOException):
        if "lock" in first.lower():
            return "another bizstats (or dbt) process holds the file: wait for it to finish"
        if "not a valid duckdb database" in first.lower():
            return "BIZSTATS_DUCKDB_PATH must name a DuckDB database file"
        return "check the file's path and permissions (BIZSTATS_DUCKDB_PATH)"
    if isinstance(exc, duckdb.CatalogException) and "does not exist" in first:
        return _NOTHING_LOADED if "schema" in first.lower() else _NOTHING_BUILT
    if isinstance(exc, duckdb.BinderException) and "not found" in first:
        return _SCHEMA_CHANGED
    if isinstance(exc, duckdb.ParserException):
        return _BUG
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "DuckDB ran out of memory: free some memory or build a shorter range"
    return _RETRY


@contextlib.contextmanager
def connect(
    target: Target, schema: str | None = None, create: bool = True, local_infile: bool = False
) -> Iterator[Any]:
    """A DB-API connection to the target; closed on exit, never autocommitting on MySQL.

    Database errors raised while connecting or inside the `with` block leave it as one
    BizstatsError naming the target (the driver's exception chained). `create=False` is for
    commands that only read: a missing DuckDB file is an error instead of a new empty
    database (MySQL creates nothing on connect either way). `local_infile=True` lets a MySQL
    connection send files with `LOAD DATA LOCAL INFILE` (the loader's bulk path).
    """
    con: Any
    if target.name == "duckdb":
        con = _duckdb_connect(target, create)
    elif target.name == "spark":
        con = spark_connect(settings().spark)
    else:
        con = mysql_connect(settings().mysql, schema, local_infile)
    try:
        yield con
    except DB_ERRORS as exc:
        raise database_error(target, exc) from exc
    finally:
        with contextlib.suppress(*DB_ERRORS):  # e.g. pymysql's "Already closed"
            con.close()


@contextlib.contextmanager
def using(target: Target, con: Any | None = None) -> Iterator[Any]:
    """The connection to work on: `con` when the caller passes its own (a build passes the one
    it holds, so that it opens one connection, not one per step), else a new one from
    `connect` (closed on exit). Database errors leave it as one BizstatsError either way; a
    connection passed in is left open."""
    if con is None:
        with connect(target) as new:
            yield new
        return
    try:
        yield con
    except DB_ERRORS as exc:
        raise database_error(target, exc) from exc


def require_warehouse(target: Target) -> None:
    """Fail with one line when the DuckDB warehouse file does not exist (the CLI checks this
    before every command but `load` and `demo`, the only ones that create a warehouse, so a
    mistyped BIZSTATS_DUCKDB_PATH never leaves an empty warehouse or folder behind)."""
    if target.name == "duckdb" and not target.duckdb_path.is_file():
        raise BizstatsError(
            f"{describe(target)}: the database file does not exist; {_NOTHING_LOADED} "
            "(or point BIZSTATS_DUCKDB_PATH at your warehouse)"
        )


def _duckdb_connect(target: Target, create: bool) -> duckdb.DuckDBPyConnection:
    path = target.duckdb_path
    if not create:
        require_warehouse(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BizstatsError(
            f"{describe(target)}: cannot create the folder {path.parent}: {exc.strerror}; "
            "check BIZSTATS_DUCKDB_PATH"
        ) from exc
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise database_error(target, exc) from exc


def mysql_connect(
    settings: MySQLSettings,
    schema: str | None = None,
    local_infile: bool = False,
    multi_statements: bool = False,
) -> pymysql.Connection:
    """A pymysql connection (no autocommit, UTC session); errors as one BizstatsError.
    `multi_statements`: several `;`-separated statements in one round trip."""
    try:
        return pymysql.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password,
            database=schema,
            charset="utf8mb4",
            autocommit=False,
            init_command="SET time_zone = '+00:00'",
            local_infile=local_infile,
            client_flag=CLIENT.MULTI_STATEMENTS if multi_statements else 0,
        )
    except pymysql.err.MySQLError as exc:
        raise _translate(_describe_mysql(settings), exc) from exc


def spark_connect(settings: SparkSettings) -> hive.Connection:
    """A PyHive connection to the Spark Thrift server, its session in UTC (the statistics' day
    boundaries are computed from UTC instants, as on the other targets); errors as one line."""
    auth = None if settings.auth == "NONE" else settings.auth
    try:
        con = hive.connect(
            host=settings.host,
            port=settings.port,
            username=settings.user,
            auth=auth,
            password=settings.password or None if auth in ("LDAP", "CUSTOM") else None,
        )
        cur = con.cursor()
        cur.execute("set spark.sql.session.timeZone=UTC")
        cur.close()
        return con
    except (hive_exc.Error, TTransportException, OSError) as exc:
        if isinstance(exc, OSError):
            exc = TTransportException(message=str(exc))
        raise _translate(_describe_spark(settings), exc) from exc


# the flavour of each server asked so far, by address: asked once per process, not per dbt run
_flavours: dict[tuple[str, int], str] = {}


def mysql_flavour(settings: MySQLSettings) -> str:
    """`mariadb` or `mysql`: the dbt adapter type that works against this server (asked once
    per process and server address)."""
    address = (settings.host, settings.port)
    if address not in _flavours:
        _flavours[address] = _ask_flavour(settings)
    return _flavours[address]


def _ask_flavour(settings: MySQLSettings) -> str:
    con = mysql_connect(settings)
    try:
        with con.cursor() as cur:
            cur.execute("select version()")
            (version,) = single_row(cur)
    except pymysql.err.MySQLError as exc:
        raise _translate(_describe_mysql(settings), exc) from exc
    finally:
        with contextlib.suppress(pymysql.err.MySQLError):
            con.close()
    return "mariadb" if "mariadb" in version.lower() else "mysql"


def placeholder(target: Target) -> str:
    return "?" if target.name == "duckdb" else "%s"


def quote(target: Target, name: str) -> str:
    """An identifier quoted for the target (a quote inside it doubled)."""
    mark = '"' if target.name == "duckdb" else "`"
    return f"{mark}{name.replace(mark, mark * 2)}{mark}"


def qualified(target: Target, schema: str, table: str) -> str:
    """`schema`.`table` (MySQL) / "schema"."table" (DuckDB): safe for any schema name,
    e.g. a BIZSTATS_MYSQL_SCHEMA with a dash."""
    return f"{quote(target, schema)}.{quote(target, table)}"


def _column_type(target: Target, col: Column) -> str:
    if col.kind == "string":
        return f"varchar({col.length})"
    if col.kind == "decimal":
        return "decimal(18,2)"
    if col.kind == "datetime":
        return "timestamp" if target.name == "duckdb" else "datetime"
    if col.kind == "json":
        return "varchar" if target.name == "duckdb" else "json"
    return "varchar" if target.name == "duckdb" else "text"


def create_table_sql(target: Target, table: RawTable) -> list[str]:
    """Statements creating one raw table (idempotent), with the seed's indexes on MySQL."""
    cols = [
        f"{quote(target, c.name)} {_column_type(target, c)}{'' if c.nullable else ' not null'}"
        for c in table.columns
    ]
    raw_table = qualified(target, target.raw_schema, table.name)
    # event_logs has the seed's surrogate `id`; the business tables get `_row_id`: with
    # `_loaded_at` (microseconds) it orders the deliveries of a key, latest last.
    row_id = "id" if table.name == "event_logs" else ROW_ID
    if target.name == "duckdb":
        cols.append(f"{LOADED_AT} timestamp not null default (now() at time zone 'UTC')")
        seq = qualified(target, target.raw_schema, f"{table.name}_{row_id.strip('_')}_seq")
        seq_literal = seq.replace("'", "''")
        cols.insert(0, f"{row_id} bigint primary key default nextval('{seq_literal}')")
        return [
            f"create sequence if not exists {seq}",
            f"create table if not exists {raw_table} ({', '.join(cols)})",
        ]
    cols.append(f"`{LOADED_AT}` datetime(6) not null default current_timestamp(6)")
    cols.insert(0, f"`{row_id}` bigint not null auto_increment")
    keys = [f"primary key (`{row_id}`)", f"key idx_{LOADED_AT.strip('_')} (`{LOADED_AT}`)"]
    if table.name == "event_logs":
        keys.append("unique key uk_event_id (`event_id`)")
    else:
        keys.append(f"key idx_{table.key} (`{table.key}`)")
    keys += [f"key idx_{c} (`{c}`)" for c in table.indexes]
    fact_times = project_vars().fact_time_columns[table.name]
    keys += [f"key idx_{c} (`{c}`)" for c in fact_times if c not in table.indexes]
    return [
        f"create table if not exists {raw_table} ({', '.join(cols + keys)}) "
        "engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin"
    ]


def mysql_exists(cur: Any, schema: str, table: str | None = None) -> bool:
    """Whether the MySQL/MariaDB database `schema` (or its `table`) exists and this account
    holds a grant on it. The creators below ask first, so an account without CREATE (the
    least-privilege accounts, `bizstats db roles`) runs `create ... if not exists` only where
    something is missing, never on every call."""
    if table is None:
        cur.execute("select count(*) from information_schema.schemata where schema_name = %s", (schema,))
    else:
        cur.execute("select count(*) from information_schema.tables where table_schema = %s "
                    "and table_name = %s", (schema, table))
    return bool(single_row(cur)[0])


def create_mysql_database(cur: Any, target: Target, schema: str) -> None:
    """A MySQL/MariaDB database as bizstats makes them (if missing): utf8mb4, binary collation
    (ids compare exactly, as on DuckDB)."""
    if mysql_exists(cur, schema):
        return
    cur.execute(
        f"create database if not exists {quote(target, schema)} "
        "character set utf8mb4 collate utf8mb4_bin"
    )


def drop_mysql_warehouse(schema: str) -> None:
    """Drop a MySQL/MariaDB warehouse: the models database `schema`, its `<schema>_raw` twin and
    its audit trail `<schema>_audit` (what tests and benchmarks make and throw away)."""
    con = mysql_connect(settings().mysql)
    try:
        with con.cursor() as cur:
            for database in (schema, f"{schema}_raw", f"{schema}_audit"):
                cur.execute(f"drop database if exists `{database}`")
    finally:
        con.close()


# How bizstats makes a MySQL/MariaDB table: InnoDB, utf8mb4 with the binary collation (text
# compares exactly, as on DuckDB).
MYSQL_TABLE_OPTIONS = "engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin"


def create_table(
    cur: Any,
    target: Target,
    schema: str,
    name: str,
    columns: Sequence[tuple[str, str, str]],
    mysql_keys: Sequence[str] = (),
) -> str:
    """Create the table `schema.name` if it is missing, from (column, DuckDB type, MySQL type)
    columns (on MySQL also its database, the index clauses `mysql_keys`, e.g. "key idx_x
    (col)", and MYSQL_TABLE_OPTIONS); returns its qualified name."""
    table = qualified(target, schema, name)
    duck = target.name == "duckdb"
    parts = [
        f"{quote(target, column)} {duck_type if duck else mysql_type}"
        for column, duck_type, mysql_type in columns
    ]
    if duck:
        cur.execute(f"create table if not exists {table} ({', '.join(parts)})")
    elif not mysql_exists(cur, schema, name):
        create_mysql_database(cur, target, schema)
        definition = ", ".join([*parts, *mysql_keys])
        cur.execute(f"create table if not exists {table} ({definition}) {MYSQL_TABLE_OPTIONS}")
    return table


def ensure_raw_tables(target: Target, con: Any | None = None) -> None:
    """Create the raw schema and every contract table that is missing (over `con` when given,
    see `using`)."""
    with using(target, con) as live:
        cur = live.cursor()
        if target.name == "duckdb":
            cur.execute(f"create schema if not exists {quote(target, target.raw_schema)}")
        else:
            for schema in (target.raw_schema, target.models_schema):
                create_mysql_database(cur, target, schema)
        for table in TABLES.values():
            if target.name == "mysql" and mysql_exists(cur, target.raw_schema, table.name):
                continue
            for stmt in create_table_sql(target, table):
                cur.execute(stmt)
        live.commit()


def single_row(cursor: Any) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate, `select version()`),
    from a cursor that executed it (DuckDB's `execute` returns the connection, which fetches)."""
    row = cursor.fetchone()
    assert row is not None, "a one-row query returned no row"
    return tuple(row)


def fetch_all(con: Any, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
    """All rows of a query on a connection from `connect` (whose `with` block turns a
    database error into a BizstatsError)."""
    cur = con.cursor()
    cur.execute(sql, params)
    return list(cur.fetchall())
