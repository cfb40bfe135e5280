"""Connections to the two targets and the raw tables' DDL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import duckdb
import pymysql

from bizstats.config import MySQLSettings, Target
from bizstats.contract import LOADED_AT, ROW_ID, TABLES, Column, RawTable
from bizstats.errors import BizstatsError


@contextlib.contextmanager
def connect(target: Target, schema: str | None = None) -> Iterator[Any]:
    """A DB-API connection to the target; closed on exit, never autocommitting on MySQL."""
    if target.name == "duckdb":
        target.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(target.duckdb_path))
        except duckdb.IOException as exc:
            raise BizstatsError(f"cannot open {target.duckdb_path}: {exc}") from exc
    else:
        con = mysql_connect(MySQLSettings.from_env(), schema)
    try:
        yield con
    finally:
        con.close()


def mysql_connect(settings: MySQLSettings, schema: str | None = None) -> pymysql.Connection:
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
            local_infile=False,
        )
    except pymysql.err.OperationalError as exc:
        raise BizstatsError(
            f"cannot connect to MySQL at {settings.host}:{settings.port} as {settings.user}: "
            f"{exc.args[-1]} (set BIZSTATS_MYSQL_HOST/_PORT/_USER/_PASSWORD)"
        ) from exc


def mysql_flavour(settings: MySQLSettings) -> str:
    """`mariadb` or `mysql`: the dbt adapter type that works against this server."""
    con = mysql_connect(settings)
    try:
        with con.cursor() as cur:
            cur.execute("select version()")
            (version,) = cur.fetchone()
    finally:
        con.close()
    return "mariadb" if "mariadb" in version.lower() else "mysql"


def placeholder(target: Target) -> str:
    return "?" if target.name == "duckdb" else "%s"


def quote(target: Target, name: str) -> str:
    return f'"{name}"' if target.name == "duckdb" else f"`{name}`"


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
    schema = target.raw_schema
    cols = [
        f"{quote(target, c.name)} {_column_type(target, c)}{'' if c.nullable else ' not null'}"
        for c in table.columns
    ]
    # event_logs has the seed's surrogate `id`; the business tables get `_row_id`: with
    # `_loaded_at` (microseconds) it orders the deliveries of a key, latest last.
    row_id = "id" if table.name == "event_logs" else ROW_ID
    if target.name == "duckdb":
        cols.append(f"{LOADED_AT} timestamp not null default (now() at time zone 'UTC')")
        seq = f"{schema}.{table.name}_{row_id.strip('_')}_seq"
        cols.insert(0, f"{row_id} bigint primary key default nextval('{seq}')")
        return [
            f"create sequence if not exists {seq}",
            f"create table if not exists {schema}.{table.name} ({', '.join(cols)})",
        ]
    cols.append(f"`{LOADED_AT}` datetime(6) not null default current_timestamp(6)")
    cols.insert(0, f"`{row_id}` bigint not null auto_increment")
    keys = [f"primary key (`{row_id}`)", f"key idx_{LOADED_AT.strip('_')} (`{LOADED_AT}`)"]
    if table.name == "event_logs":
        keys.append("unique key uk_event_id (`event_id`)")
    else:
        keys.append(f"key idx_{table.key} (`{table.key}`)")
    keys += [f"key idx_{c} (`{c}`)" for c in table.indexes]
    keys += [f"key idx_{c} (`{c}`)" for c in table.time_columns if c not in table.indexes]
    return [
        f"create table if not exists `{schema}`.`{table.name}` ({', '.join(cols + keys)}) "
        "engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin"
    ]


def ensure_raw_tables(target: Target) -> None:
    """Create the raw schema and every contract table that is missing."""
    with connect(target) as con:
        cur = con.cursor()
        if target.name == "duckdb":
            cur.execute(f"create schema if not exists {target.raw_schema}")
        else:
            for schema in (target.raw_schema, target.models_schema):
                cur.execute(
                    f"create database if not exists `{schema}` "
                    "character set utf8mb4 collate utf8mb4_bin"
                )
        for table in TABLES.values():
            for stmt in create_table_sql(target, table):
                cur.execute(stmt)
        con.commit()


def fetch_all(con: Any, sql: str, params: tuple | list = ()) -> list[tuple]:
    cur = con.cursor()
    cur.execute(sql, params)
    return list(cur.fetchall())
