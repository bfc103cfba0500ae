"""Store credit (avoirs): the credit note and the ledger of its movements, both append-only.

Frozen as SQL for each engine, generated once from ``store.models.credit`` (peewee's
``create_table`` against a recording database), like m0001. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES = ("credit_note", "credit_note_movement")
"""The append-only tables this step adds (m0001 has its own list; the models' list is the union)."""

SQLITE = (
    'CREATE TABLE "credit_note" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(40) NOT NULL, "till_id" VARCHAR(16) NOT NULL, "issued_ticket_id" INTEGER NOT NULL, "customer_id" INTEGER, "amount_cents" INTEGER NOT NULL, "expires_on" DATE NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("issued_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "credit_note_code" ON "credit_note" ("code")',
    'CREATE INDEX "credit_note_issued_ticket_id" ON "credit_note" ("issued_ticket_id")',
    'CREATE INDEX "credit_note_customer_id" ON "credit_note" ("customer_id")',
    'CREATE TABLE "credit_note_movement" ("id" INTEGER NOT NULL PRIMARY KEY, "credit_note_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "amount_cents" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("credit_note_id") REFERENCES "credit_note" ("id") ON DELETE RESTRICT, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "credit_note_movement_credit_note_id" ON "credit_note_movement" ("credit_note_id")',
    'CREATE INDEX "credit_note_movement_ticket_id" ON "credit_note_movement" ("ticket_id")',
)

POSTGRESQL = (
    'CREATE TABLE "credit_note" ("id" SERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(40) NOT NULL, "till_id" VARCHAR(16) NOT NULL, "issued_ticket_id" INTEGER NOT NULL, "customer_id" INTEGER, "amount_cents" BIGINT NOT NULL, "expires_on" DATE NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("issued_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "credit_note_code" ON "credit_note" ("code")',
    'CREATE INDEX "credit_note_issued_ticket_id" ON "credit_note" ("issued_ticket_id")',
    'CREATE INDEX "credit_note_customer_id" ON "credit_note" ("customer_id")',
    'CREATE TABLE "credit_note_movement" ("id" SERIAL NOT NULL PRIMARY KEY, "credit_note_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "amount_cents" BIGINT NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("credit_note_id") REFERENCES "credit_note" ("id") ON DELETE RESTRICT, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "credit_note_movement_credit_note_id" ON "credit_note_movement" ("credit_note_id")',
    'CREATE INDEX "credit_note_movement_ticket_id" ON "credit_note_movement" ("ticket_id")',
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
