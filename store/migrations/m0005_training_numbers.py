"""Training tickets get their own numbers: a ticket is unique by (till, number, training).

Training tickets (chain X) are numbered by their own gap-free chain, so a till's training
ticket 12 and its real ticket 12 both exist; the unique index on (till_id, number) becomes one
on (till_id, number, training), which still serves every lookup by till and number. Never edited
once released.
"""

from __future__ import annotations

import peewee

STATEMENTS = (
    'DROP INDEX "ticket_till_id_number"',
    'CREATE UNIQUE INDEX "ticket_till_id_number_training" ON "ticket" ("till_id", "number", "training")',
)


def up(database: peewee.Database) -> None:
    for statement in STATEMENTS:  # the same SQL on both engines
        database.execute_sql(statement)
