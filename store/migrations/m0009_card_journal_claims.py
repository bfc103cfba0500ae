"""The card journal learns what each request is for (``pending_payment`` columns).

- ``claim``: the sale or online order a return's or exchange's card request stands on
  (``T:<ticket id>``, ``O:<order id>``). While such a request is not settled, no other return of
  that sale is written, on any till: its lines and its means' caps are spoken for.
- ``intent``: the return or exchange to write once the terminal approved (its ticket draft, as
  JSON), so that the till, a restart or a manager's settlement writes it from the journal alone.
- ``ticket_id``: the ticket that carries the request, set in that ticket's own transaction.
- ``settled_by`` / ``settled_at``: the manager who settled an unknown outcome, and when.

Not a fiscal table. Never edited once released.
"""

from __future__ import annotations

import peewee

_COLUMNS = (
    ('claim', 'VARCHAR(32)'),
    ('intent', 'TEXT'),
    ('ticket_id', 'INTEGER'),
    ('settled_by', 'INTEGER'),
    ('settled_at', '{timestamp}'),
)

_INDEXES = (
    'CREATE INDEX "pending_payment_claim_status" ON "pending_payment" ("claim", "status")',
    'CREATE INDEX "pending_payment_status" ON "pending_payment" ("status")',
)


def up(database: peewee.Database) -> None:
    timestamp = "TIMESTAMP" if isinstance(database, peewee.PostgresqlDatabase) else "DATETIME"
    for name, kind in _COLUMNS:
        database.execute_sql(f'ALTER TABLE "pending_payment" ADD COLUMN "{name}" {kind.format(timestamp=timestamp)}')
    for statement in _INDEXES:
        database.execute_sql(statement)
