"""Credit notes spent through head office (``remote_credit_hold``): each request, written before it.

A note of another shop is spent at head office while the customer pays; the ticket is written
after. A row committed before head office is asked lets a till that stopped in between give the
money back at restart (``till.credit.remote.reconcile``), and carries the offline redemptions
to the next sync. Not a fiscal table: its status changes, so it is not protected by triggers.

Frozen as SQL for each engine, generated once from ``store.models.credit`` (peewee's
``create_table`` against a recording database), like m0006. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES: tuple[str, ...] = ()

_INDEXES = (
    'CREATE UNIQUE INDEX "remote_credit_hold_request_id" ON "remote_credit_hold" ("request_id")',
    'CREATE INDEX "remote_credit_hold_till_id_status" ON "remote_credit_hold" ("till_id", "status")',
)

SQLITE = (
    'CREATE TABLE "remote_credit_hold" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"request_id" VARCHAR(64) NOT NULL, "code" VARCHAR(40) NOT NULL, "amount_cents" INTEGER NOT NULL, '
    '"status" VARCHAR(16) NOT NULL, "offline" INTEGER NOT NULL, "reported" INTEGER NOT NULL, "ticket_id" INTEGER, '
    '"message" TEXT, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL)',
    *_INDEXES,
)

POSTGRESQL = (
    'CREATE TABLE "remote_credit_hold" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, '
    '"request_id" VARCHAR(64) NOT NULL, "code" VARCHAR(40) NOT NULL, "amount_cents" BIGINT NOT NULL, '
    '"status" VARCHAR(16) NOT NULL, "offline" BOOLEAN NOT NULL, "reported" BOOLEAN NOT NULL, "ticket_id" INTEGER, '
    '"message" TEXT, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL)',
    *_INDEXES,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
