"""`bizstats db roles --print` and `bizstats db init`: the least-privilege accounts (最小权限)
of a MySQL/MariaDB warehouse (bizstats.roles)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bizstats.errors import BizstatsError

NAME = "db"


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    db = sub.add_parser(
        "db",
        help="MySQL/MariaDB accounts: one per job with its grants only (least privilege)",
        description="Accounts per job (loader, collector, builder, reader, admin; serve = "
        "collector + reader) with the grants of that job only: docs/mysql.md.",
    )
    verbs = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    roles = verbs.add_parser(
        "roles", help="print the SQL creating the roles, accounts and grants of a warehouse",
        description="Print CREATE ROLE / CREATE USER / GRANT statements for the warehouse "
        "--schema (default BIZSTATS_MYSQL_SCHEMA): <schema> holds the models, <schema>_raw the "
        "raw tables. Passwords are ${JOB_PASSWORD} placeholders to fill in (e.g. envsubst). "
        "Apply it as an administrator after `bizstats db init` and a first build and checks.",
    )
    roles.add_argument("--print", action="store_true", dest="show", required=True,
                       help="print the SQL to stdout (nothing is changed)")
    roles.add_argument("--schema", help="the models schema (default: BIZSTATS_MYSQL_SCHEMA)")
    roles.add_argument("--flavour", choices=("mariadb", "mysql"), default="mariadb",
                       help="server kind: the syntax of SET DEFAULT ROLE (default mariadb)")
    roles.add_argument("--host", default="%", help="the accounts' host part (default %%: any)")
    roles.add_argument("--drop", action="store_true", help="print the SQL dropping them instead")
    with_target(verbs.add_parser(
        "init", help="create (as an administrator) the tables the accounts are granted on",
    ))


def run(args: argparse.Namespace) -> int:
    from bizstats import roles
    from bizstats.config import SCHEMA_NAME, Target, project_dir

    if args.db_command == "init":
        made = roles.prepare(Target(args.target))
        print(f"{len(made)} tables ready for the grants of `bizstats db roles --print`")
        return 0
    schema = args.schema or Target("mysql").models_schema
    if not SCHEMA_NAME.fullmatch(schema):
        raise BizstatsError(f"--schema must be 1 to 58 letters, digits, _, $ or -, got {schema!r}")
    if "'" in args.host or "\\" in args.host or not args.host:
        raise BizstatsError(f"--host must be a host name, address or pattern, got {args.host!r}")
    sql = roles.drop_sql(schema, args.host) if args.drop else roles.roles_sql(
        schema, project_dir(), args.flavour, args.host)
    sys.stdout.write(sql)
    return 0
