"""A table as the commands print it (aligned columns)."""

from __future__ import annotations

import unicodedata


def columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """A table as aligned lines (a column as wide as its widest cell on a terminal: CJK
    characters count twice), two spaces between columns; nothing when there are no rows."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    if not rows:
        return []
    widths = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
