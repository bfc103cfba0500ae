"""Loyalty: the append-only ledger of customers' points (``loyalty_entry``).

Points earned on a sale, taken back pro rata on a return, spent on a reward voucher (a credit
note): every change is a row, never an update, so the table is protected like the fiscal ones.

Frozen as SQL for each engine, generated once from ``store.models.loyalty`` (peewee's
``create_table`` against a recording database), like m0002. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES = ("loyalty_entry",)
"""The append-only tables this step adds."""

_FOREIGN_KEYS = (
    'FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("origin_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("credit_note_id") REFERENCES "credit_note" ("id") ON DELETE RESTRICT)'
)
_INDEXES = (
    'CREATE INDEX "loyalty_entry_customer_id" ON "loyalty_entry" ("customer_id")',
    'CREATE INDEX "loyalty_entry_ticket_id" ON "loyalty_entry" ("ticket_id")',
    'CREATE INDEX "loyalty_entry_origin_ticket_id" ON "loyalty_entry" ("origin_ticket_id")',
    'CREATE INDEX "loyalty_entry_credit_note_id" ON "loyalty_entry" ("credit_note_id")',
)

SQLITE = (
    'CREATE TABLE "loyalty_entry" ("id" INTEGER NOT NULL PRIMARY KEY, "customer_id" INTEGER NOT NULL, '
    '"ticket_id" INTEGER NOT NULL, "kind" VARCHAR(16) NOT NULL, "points" INTEGER NOT NULL, '
    '"origin_ticket_id" INTEGER, "credit_note_id" INTEGER, "created_at" DATETIME NOT NULL, ' + _FOREIGN_KEYS,
    *_INDEXES,
)

POSTGRESQL = (
    'CREATE TABLE "loyalty_entry" ("id" SERIAL NOT NULL PRIMARY KEY, "customer_id" INTEGER NOT NULL, '
    '"ticket_id" INTEGER NOT NULL, "kind" VARCHAR(16) NOT NULL, "points" INTEGER NOT NULL, '
    '"origin_ticket_id" INTEGER, "credit_note_id" INTEGER, "created_at" TIMESTAMP NOT NULL, ' + _FOREIGN_KEYS,
    *_INDEXES,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
