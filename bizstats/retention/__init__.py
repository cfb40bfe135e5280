"""Retention and archive (数据归档与保留): how long each kind of data stays where it is.

- Raw rows (原始数据) stay in the live raw tables BIZSTATS_RETENTION_RAW_DAYS days (default
  183, six months), then `bizstats retention run` moves whole local days of them to compressed
  Parquet files (the archive, cold storage) and deletes exactly the rows it wrote: `rules`
  decides which rows, `parts` writes and reads the files, `manifest` records them, `archive`
  runs the steps, `restore` puts archived rows back for a rebuild.
- Statistics (the marts) are kept forever unless BIZSTATS_RETENTION_STATS_DAYS is set.
- Real-time counters (Redis) expire after BIZSTATS_REALTIME_TTL_DAYS days (default 7).

The settings are the section `retention` of bizstats.settings (RetentionSettings).
"""
