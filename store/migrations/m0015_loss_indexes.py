"""An index so that the loss-prevention signals of a day read that day's records only.

- (chain, kind, created_at) on ``fiscal_record``: the cashier rules read a period's logins,
  logouts, voids, overrides and return entries (chain L) and its daily closures (chain G). With no
  index on the time, SQLite read the whole journal for a day's signals: seconds on a shop of a
  few years, where the day's own records are a few hundred.

Indexes, nothing else: no row is touched.
"""

from __future__ import annotations

import peewee


def up(database: peewee.Database) -> None:
    database.execute_sql('CREATE INDEX "fiscal_record_chain_kind_created_at" ON "fiscal_record" '
                         '("chain", "kind", "created_at")')
