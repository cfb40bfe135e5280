"""Command groups of the `bizstats` CLI kept out of cli.py: one module per group, each a thin
layer over the library, with

- `NAME`: the sub-command (`bizstats NAME ...`);
- `add_parser(sub, with_target) -> None`: adds its argparse sub-parser to `sub` (`with_target`
  adds the shared `--target` option to a parser and returns it);
- `run(args) -> int`: runs it (exit status), raising BizstatsError for a one-line error.

cli.py registers every module of GROUPS; a new group is a module here and one line below.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType
from typing import Protocol


class CommandGroup(Protocol):
    NAME: str

    def add_parser(
        self, sub: argparse._SubParsersAction,  # type: ignore[type-arg]
        with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
    ) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def groups() -> list[ModuleType]:
    """The command-group modules, in the order of `bizstats --help`."""
    import importlib

    return [importlib.import_module(f"bizstats.commands.{name}") for name in GROUPS]


# module names under bizstats/commands/, one per line (each helper adds its own)
GROUPS: list[str] = [
    "retention",
    "audit",
    "db",
    "backup",
    "pii",
    "spark",
]
