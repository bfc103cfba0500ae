"""Receipts of other shops: the tills' keys, the holds asked of head office, the receipt kept.

- ``known_till_key``: every till's key chain as head office distributes it, to check a
  receipt's QR code offline. A cache: each sync replaces a till's rows; not fiscal.
- ``return_hold``: each return of another shop's receipt asked of head office, committed before
  the question (as ``remote_credit_hold``); its status changes, so not fiscal.
- ``online_order`` gets ``shop_id`` and ``proof``: a verified receipt of another shop is kept as
  a sale made elsewhere (source ``receipt``), like an online order. The table stays append-only.

Frozen as SQL for each engine, generated once from ``store.models.other_shops``, like m0008.
Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES: tuple[str, ...] = ()

_SHARED = (
    'ALTER TABLE "online_order" ADD COLUMN "shop_id" VARCHAR(32)',
    'ALTER TABLE "online_order" ADD COLUMN "proof" TEXT',
    'CREATE UNIQUE INDEX "known_till_key_till_id_key_id" ON "known_till_key" ("till_id", "key_id")',
    'CREATE UNIQUE INDEX "return_hold_request_id" ON "return_hold" ("request_id")',
    'CREATE INDEX "return_hold_order_id" ON "return_hold" ("order_id")',
    'CREATE INDEX "return_hold_till_id_status" ON "return_hold" ("till_id", "status")',
)

SQLITE = (
    'CREATE TABLE "known_till_key" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"shop_id" VARCHAR(32) NOT NULL, "key_id" VARCHAR(64) NOT NULL, "public_key_pem" TEXT NOT NULL, '
    '"position" INTEGER NOT NULL, "root_key_id" VARCHAR(64) NOT NULL, "updated_at" DATETIME NOT NULL)',
    'CREATE TABLE "return_hold" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"request_id" VARCHAR(64) NOT NULL, "order_id" INTEGER NOT NULL, "lines" TEXT NOT NULL, '
    '"status" VARCHAR(16) NOT NULL, "offline" INTEGER NOT NULL, "reported" INTEGER NOT NULL, "ticket_id" INTEGER, '
    '"message" TEXT, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("order_id") REFERENCES "online_order" ("id") ON DELETE RESTRICT)',
    *_SHARED,
)

POSTGRESQL = (
    'CREATE TABLE "known_till_key" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"shop_id" VARCHAR(32) NOT NULL, "key_id" VARCHAR(64) NOT NULL, "public_key_pem" TEXT NOT NULL, '
    '"position" INTEGER NOT NULL, "root_key_id" VARCHAR(64) NOT NULL, "updated_at" TIMESTAMP NOT NULL)',
    'CREATE TABLE "return_hold" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"request_id" VARCHAR(64) NOT NULL, "order_id" INTEGER NOT NULL, "lines" TEXT NOT NULL, '
    '"status" VARCHAR(16) NOT NULL, "offline" BOOLEAN NOT NULL, "reported" BOOLEAN NOT NULL, "ticket_id" INTEGER, '
    '"message" TEXT, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
    'FOREIGN KEY ("order_id") REFERENCES "online_order" ("id") ON DELETE RESTRICT)',
    *_SHARED,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
