"""`bizstats audit list`, and the audit of every state-changing command (审计日志).

AUDITED names, once, every command that changes the warehouse or its keys; cli.py's `main`
calls `record_command` after each of them, whatever its outcome, so no command can forget
it. A command is named by its words (`build`, `keys revoke`, `backup restore`): one not
here is not audited. Each audited command has `--by` (who; default the OS user)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from bizstats import audit_log
from bizstats.config import Target
from bizstats.errors import BizstatsError

NAME = "audit"

# every state-changing command, by its words (those of other command groups too, audited
# from the day they exist)
AUDITED = frozenset({
    "load", "build", "rebuild", "run", "demo",
    "alerts ack", "alerts resolve",
    "keys create", "keys revoke",
    "quarantine admit", "quarantine drop",
    "collect ingest", "realtime rebuild",
    "retention run", "retention restore", "backup run", "backup restore", "pii rotate",
    "db init",
})

# parsed options that are not arguments of the command (its words, the audit's own fields)
_NOT_ARGUMENTS = ("command", "by", "reason", "target")


def os_user() -> str:
    """The login name (or `unknown` when the environment and password database have none)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _sub_action(parser: argparse.ArgumentParser) -> Any:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def command_words(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, list[str]]:
    """The command as words (`keys revoke`) and the names of the parsed values that hold them."""
    words, dests = [], []
    action = _sub_action(parser)
    while action is not None:
        word = getattr(args, action.dest, None)
        if word is None or word not in action.choices:
            break
        words.append(word)
        dests.append(action.dest)
        action = _sub_action(action.choices[word])
    return " ".join(words), dests


def add_by_options(parser: argparse.ArgumentParser) -> None:
    """`--by` on every audited command that lacks it."""

    def walk(p: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        action = _sub_action(p)
        if action is None:
            if " ".join(words) in AUDITED and "--by" not in p._option_string_actions:
                p.add_argument("--by", default=None, help="who runs it, for the audit trail "
                               "(default: the login name)")
            return
        for word, child in action.choices.items():
            walk(child, (*words, word))

    walk(parser, ())


def acted_on(what: str, args: argparse.Namespace) -> str | None:
    """The target whose audit trail a command's row goes to: its --target; for `backup
    restore` without one, the backup's target (its manifest's, else its id's); None when
    there is none (a backup that cannot be read: the command's own error says so)."""
    given = getattr(args, "target", None)
    if given or what != "backup restore":
        return str(given) if given else None
    from bizstats.commands.backup import backup_target

    return backup_target(str(args.backup_id))


def record_command(
    parser: argparse.ArgumentParser, args: argparse.Namespace, status: int, error: str,
    say: Callable[[str], None],
) -> int:
    """Write the audit row of an audited command that ended with exit `status` (and the
    one-line `error` it printed); the status the process ends with: 1 when the row of a
    command that succeeded could not be written (said in one line); a failed command whose
    row cannot be written either (the database unreachable) keeps its own one line."""
    what, dests = command_words(parser, args)
    name = acted_on(what, args) if what in AUDITED else None
    if name is None:
        return status
    try:
        target = Target(name)
        store = target.control  # spark: the trail is in its control database
        if store.name == "duckdb" and not store.duckdb_path.is_file():
            return status  # no warehouse was created: nothing changed
    except BizstatsError as exc:  # a bad setting names no store: the command failed on it
        if status != 0:
            return status
        say(f"bizstats: error: the audit row of `{what}` could not be written: {exc}")
        return 1
    arguments = {k: v for k, v in vars(args).items() if k not in (*_NOT_ARGUMENTS, *dests)}
    entry = audit_log.Entry(
        who=getattr(args, "by", None) or os_user(),
        what=what,
        target=target.name,
        arguments=arguments,
        outcome=audit_log.OK if status == 0 else audit_log.ERROR,
        error=error or ("" if status == 0 else f"exit status {status}"),
        reason=getattr(args, "reason", None) or "",
    )
    try:
        audit_log.record(store, entry)
    except BizstatsError as exc:
        if status != 0:
            # the command's own error is its one line (mostly the same cause: the database
            # cannot be reached or the file is held by another process)
            return status
        say(f"bizstats: error: the audit row of `{what}` could not be written: {exc}")
        return 1
    return status


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    audit = sub.add_parser(
        "audit",
        help="the audit trail: who changed what, when, and how it ended",
        description="Every state-changing command (load, build, rebuild, run, alerts ack/resolve, "
        "keys create/revoke, quarantine admit/drop, retention, backup/restore, pii rotate, ...) "
        "and every run of the scheduled jobs leaves one row in the append-only audit trail, kept "
        "outside the warehouse (MySQL: <schema>_audit.audit_log; DuckDB: <warehouse file>.audit.sqlite): "
        "when (UTC), who (--by, else the login name), what, the "
        "arguments (secrets masked), the reason, ok or error.",
    )
    verbs = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    listing = with_target(verbs.add_parser("list", help="the audit rows, newest first"))
    listing.add_argument("--since", type=_day, metavar="DATE", help="from this day (UTC) on")
    listing.add_argument("--what", metavar="COMMAND", help="one command, e.g. build or 'keys revoke'")
    listing.add_argument("--limit", type=int, default=100, help="at most this many rows (default 100)")


def _day(value: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _cut(text: str, width: int = 100) -> str:
    """A long cell cut to `width` characters (… marks the cut)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    from bizstats.commands.table import columns

    if args.limit < 1:
        raise BizstatsError(f"--limit must be at least 1, got {args.limit}")
    rows = audit_log.list_entries(Target(args.target).control, args.since, args.what, args.limit)
    lines = columns(
        ["AT (UTC)", "WHO", "WHAT", "OUTCOME", "ARGUMENTS", "REASON / ERROR"],
        [[f"{r.at:%Y-%m-%d %H:%M:%S}", r.who, r.what, r.outcome, _cut(r.arguments),
          r.error if r.outcome == audit_log.ERROR else r.reason] for r in rows],
    )
    for line in lines:
        print(line)
    if not rows:
        print(f"no audit rows on {args.target}", file=sys.stderr)
    return 0
