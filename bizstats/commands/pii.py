"""`bizstats pii rotate`: re-encrypt the personal numbers of extra_data with the first key of
BIZSTATS_COLLECT_FERNET_KEY (密钥轮换; bizstats.load.rekey). State-changing: the audit trail
(审计日志) records it as `pii rotate` (bizstats.commands.audit.AUDITED, written by the CLI
around `run`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

NAME = "pii"


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    pii = sub.add_parser(
        "pii",
        help="personal data at rest: re-encrypt extra_data after a Fernet key rotation",
        description="Personal data at rest (个人信息保护): docs/collecting.md, key rotation.",
    )
    verbs = pii.add_subparsers(dest="pii_command", required=True, metavar="ACTION")
    with_target(verbs.add_parser(
        "rotate",
        help="re-encrypt every extra_data value with the first key of BIZSTATS_COLLECT_FERNET_KEY",
        description="Set BIZSTATS_COLLECT_FERNET_KEY=NEW,OLD (the first key encrypts, all "
        "decrypt), run this, then drop OLD. Values already under NEW are left alone: a re-run "
        "changes nothing, and a run stopped midway is finished by the next. Holds the "
        "warehouse lock; prints a line per batch.",
    ))


def run(args: argparse.Namespace) -> int:
    from bizstats.config import Target
    from bizstats.load.rekey import rotate_pii

    rotation = rotate_pii(Target(args.target), progress=print)
    print(
        f"re-encrypted {rotation.reencrypted:,} values with the first key "
        f"({rotation.current:,} already under it) in {len(rotation.tables)} tables"
    )
    if args.target == "spark":
        print("spark: the control database's raw rows are re-encrypted and the lake synced; "
              "Spark's models keep copies of extra_data (stg_event_logs): run `bizstats build "
              "--full-refresh --target spark` before you drop the old key")
    return 0
