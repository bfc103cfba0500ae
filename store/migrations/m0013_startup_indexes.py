"""Two indexes so that start-up (and every checkout) reads a bounded number of rows, whatever
the shop's history.

- (till, chain, kind, sequence) on ``fiscal_record``: at every start the till asks for the
  newest record of a kind in chain L or G (the last APP_START, PROGRAM_INTEGRITY,
  ANCHORS_SIGNED, CLOCK_ACKNOWLEDGED, the last monthly closure...). With only the (till, chain,
  sequence) index SQLite walks the chain backwards until a record of that kind turns up: when
  there is none, or it is old, that is the whole chain, read from disk on a cold start.
- (till, training, created_at) on ``ticket``: the earliest ticket no closure covers (asked at
  start and before every sale) is then the first entry of a range; with the (till, number,
  training) index SQLite read every ticket of the till to find it.

Indexes, nothing else: no row is touched.
"""

from __future__ import annotations

import peewee


def up(database: peewee.Database) -> None:
    database.execute_sql('CREATE INDEX "fiscal_record_till_id_chain_kind_sequence" ON "fiscal_record" '
                         '("till_id", "chain", "kind", "sequence")')
    database.execute_sql('CREATE INDEX "ticket_till_id_training_created_at" ON "ticket" '
                         '("till_id", "training", "created_at")')
