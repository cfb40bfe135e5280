"""Which failures are worth retrying: a database that is briefly unreachable, a lost
connection, a lock or deadlock timeout, the warehouse lock held by another command. A
failing model or test, a bad setting or bad data fails the same way again: not retried."""

from __future__ import annotations

import duckdb
import pymysql

# MySQL/MariaDB: can't connect (2002, 2003), server gone / lost (2006, 2013), too many
# connections (1040), lock wait timeout (1205), deadlock (1213)
_TRANSIENT_CODES = {1040, 1205, 1213, 2002, 2003, 2006, 2013}
# the one-line messages of bizstats.dbt_runner and bizstats.lock for the same situations
_TRANSIENT_TEXT = ("lost the connection to the database", "retry when it has finished")


def is_transient(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from, is a transient database error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, pymysql.err.InterfaceError):
            return True
        if isinstance(seen, pymysql.err.OperationalError) and seen.args and seen.args[0] in _TRANSIENT_CODES:
            return True
        if isinstance(seen, duckdb.IOException) and "lock" in str(seen).lower():
            return True
        if any(text in str(seen) for text in _TRANSIENT_TEXT):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
