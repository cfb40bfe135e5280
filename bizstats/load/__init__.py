"""Loading (装载): rows into the warehouse's raw tables, below the build and above the core
(settings, db, the raw contract).

- Files: `loader.load_dir` checks each file against the raw contract (`checks`), reads its
  records (`records`, `lines`), scans it for bad rows in SQL (`scan`, `sql`), writes it in one
  transaction (`write`) and records it in the load ledger (`ledger`), so a file is loaded once.
- Events from the collector: `collected` (its storage and the spool the build ingests).
- `quarantine`: the collector's browser events too old to store, held in their own table
  until an operator admits or drops them; the build alerts about new ones.
"""
