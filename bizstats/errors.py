"""The one exception type the CLI turns into a clear one-line error."""


class BizstatsError(Exception):
    """A failure the user can act on; its message is printed as is.

    Database errors become one too, in `bizstats.db.connect`: one line naming the target,
    the database's first line and what to do, with the driver's exception chained.
    """
