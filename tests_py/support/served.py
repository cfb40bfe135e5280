"""What an answer of the served app must not give away."""

from __future__ import annotations

from bizstats.config import Target
from bizstats.settings import settings as current_settings


def leaks(text: str, target: Target, *more: str) -> list[str]:
    """What of the server `text` gives away: the database's host and port, the schema, the
    warehouse's path or file name, SQL, a traceback (empty: nothing)."""
    if target.name == "mysql":
        settings = current_settings().mysql
        words = [settings.host, f":{settings.port}", target.models_schema]
    else:
        words = [str(target.duckdb_path.parent), target.duckdb_path.name]
    words += ["select ", "insert ", " from ", "Traceback", "File \"", *more]
    return [word for word in words if word and word.lower() in text.lower()]
