"""Backups with restore drills (备份与恢复演练): `bizstats backup run | list | verify | restore`.

A backup is a folder of BIZSTATS_BACKUP_DIR (a path or any fsspec URL) holding the warehouse's
files, each gzipped and encrypted with BIZSTATS_BACKUP_KEY (AES-256-GCM in chunks:
`backup.crypto`), and a manifest written last with every file's checksums and every table's
row count and checksum (`backup.manifest`). What each target's backup holds: `backup.run`;
verify and the restore drill: `backup.restore`; retention (BIZSTATS_BACKUP_KEEP_DAYS, default
30): `backup.store`. The daily `backup` job runs it at 03:00 (bizstats.ops.schedules).
"""

from bizstats.backup.crypto import Damaged
from bizstats.backup.manifest import Manifest, TableFigure
from bizstats.backup.restore import Restored, restore_backup, verify_backup
from bizstats.backup.run import backup_settings, run_backup
from bizstats.backup.store import BackupStore

__all__ = [
    "BackupStore",
    "Damaged",
    "Manifest",
    "Restored",
    "TableFigure",
    "backup_settings",
    "restore_backup",
    "run_backup",
    "verify_backup",
]
