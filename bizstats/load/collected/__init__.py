"""The collector's storage: where the events the HTTP layer (bizstats.web.collect) has checked
are committed, and how the build takes them in.

It lives under `load`, not under `web`, because storing an event is loading it: the MySQL
store writes raw `event_logs` rows with the loader's upsert (`load.write.keep_earliest`) and
load ledger entries, and the DuckDB spool is ingested by every build (`ingest`). So the build
and the real-time rebuild reach the spool without importing the web layer, and the HTTP layer
imports storage downwards.

- `group_commit`: one writer thread commits the rows of every waiting request at once.
- `store_mysql` (MySQL/MariaDB) and `spool` (DuckDB: a SQLite file beside the warehouse):
  the stores; `ingest`: the spool's rows into the warehouse, under the warehouse lock.
- `tally`: what the collector did with what it received, per local day.
"""
