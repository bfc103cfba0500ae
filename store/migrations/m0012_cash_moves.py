"""Chain P documents: cash in and out of the drawer without a sale, and means corrections.

A new append-only table ``cash_move`` (protected like the ticket tables), and a nullable
``cash_move_id`` on ``accounting_line``: a P document's journal lines sit with the tickets' ones,
naming their document instead of a ticket. Nothing existing is changed.

Frozen as SQL for each engine, generated once from ``store.models.cash_moves`` (peewee's
``create_table``), like m0007. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES = ("cash_move",)
"""The append-only tables this step adds."""

_COLUMNS = (
    '"till_id" VARCHAR(16) NOT NULL, "number" INTEGER NOT NULL, "code" VARCHAR(40) NOT NULL, '
    '"kind" VARCHAR(24) NOT NULL, "created_at" {time} NOT NULL, "user_id" INTEGER NOT NULL, '
    '"operator_name" VARCHAR(80) NOT NULL, "approved_by_id" INTEGER NOT NULL, "approver_name" VARCHAR(80) NOT NULL, '
    '"amount_cents" {cents} NOT NULL, "means" VARCHAR(16) NOT NULL, "to_means" VARCHAR(16), '
    '"drawer_cents" {cents} NOT NULL, "reason" VARCHAR(200) NOT NULL, "origin_ticket_id" INTEGER, '
    '"origin_reference" VARCHAR(40), "origin_signature" TEXT, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("approved_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("origin_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)'
)
_INDEXES = (
    'CREATE UNIQUE INDEX "cash_move_code" ON "cash_move" ("code")',
    'CREATE INDEX "cash_move_created_at" ON "cash_move" ("created_at")',
    'CREATE INDEX "cash_move_user_id" ON "cash_move" ("user_id")',
    'CREATE INDEX "cash_move_approved_by_id" ON "cash_move" ("approved_by_id")',
    'CREATE INDEX "cash_move_origin_ticket_id" ON "cash_move" ("origin_ticket_id")',
    'CREATE UNIQUE INDEX "cash_move_till_id_number" ON "cash_move" ("till_id", "number")',
    'ALTER TABLE "accounting_line" ADD COLUMN "cash_move_id" INTEGER REFERENCES "cash_move" ("id") ON DELETE RESTRICT',
    'CREATE INDEX "accounting_line_cash_move_id" ON "accounting_line" ("cash_move_id")',
)

SQLITE = (
    'CREATE TABLE "cash_move" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _COLUMNS.format(time="DATETIME", cents="INTEGER"),
    *_INDEXES,
)

POSTGRESQL = (
    'CREATE TABLE "cash_move" ("id" SERIAL NOT NULL PRIMARY KEY, ' + _COLUMNS.format(time="TIMESTAMP", cents="BIGINT"),
    *_INDEXES,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
