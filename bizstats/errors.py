"""The one exception type the CLI turns into a clear one-line error."""


class BizstatsError(Exception):
    """A failure the user can act on; its message is printed as is."""
