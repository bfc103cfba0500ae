"""The card journal (``pending_payment``): each request to the card terminal, written before it.

A crash between the request and the terminal's answer leaves a ``pending`` row that the next
start resolves (``till.selling.card_journal.reconcile``), so a card is never charged twice nor a charge
forgotten. Not a fiscal table: its status changes, so it is not protected by triggers.

Frozen as SQL for each engine, generated once from ``store.models.payments`` (peewee's
``create_table`` against a recording database), like m0002. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES: tuple[str, ...] = ()

_INDEX = 'CREATE INDEX "pending_payment_till_id_status" ON "pending_payment" ("till_id", "status")'

SQLITE = (
    'CREATE TABLE "pending_payment" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "terminal" VARCHAR(32) NOT NULL, "operation" VARCHAR(16) NOT NULL, "amount_cents" INTEGER NOT NULL, "reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL, "result_reference" VARCHAR(64), "message" TEXT, "started_at" DATETIME NOT NULL, "finished_at" DATETIME)',
    _INDEX,
)

POSTGRESQL = (
    'CREATE TABLE "pending_payment" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "terminal" VARCHAR(32) NOT NULL, "operation" VARCHAR(16) NOT NULL, "amount_cents" BIGINT NOT NULL, "reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL, "result_reference" VARCHAR(64), "message" TEXT, "started_at" TIMESTAMP NOT NULL, "finished_at" TIMESTAMP)',
    _INDEX,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
