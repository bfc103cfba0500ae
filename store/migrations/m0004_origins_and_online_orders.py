"""Returns name what they reverse; online orders are kept so that they can come back in store.

- ``ticket.origin_reference`` and ``ticket.origin_signature``: the original receipt's code and its
  fiscal record's signature, sealed in the return's own record (design.md section 3: a return
  references the original ticket's number and signature).
- ``online_order`` and ``online_order_line`` (append-only), and the columns that point a return
  at them: ``ticket.origin_order_id`` and ``ticket_line.origin_order_line_id``.

Frozen as SQL for each engine (the tables as peewee's ``create_table`` writes them); columns
added with ALTER TABLE ... ADD COLUMN, nullable, so existing rows and their sealed payloads
stay as they were. Never edited once released.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

FISCAL_TABLES = ("online_order", "online_order_line")

_COMMON_TAIL = (
    'CREATE UNIQUE INDEX "online_order_number" ON "online_order" ("number")',
    'CREATE INDEX "online_order_ordered_at" ON "online_order" ("ordered_at")',
    'CREATE INDEX "online_order_customer_id" ON "online_order" ("customer_id")',
)
_LINE_INDEXES = (
    'CREATE INDEX "online_order_line_order_id" ON "online_order_line" ("order_id")',
    'CREATE INDEX "online_order_line_product_id" ON "online_order_line" ("product_id")',
    'CREATE UNIQUE INDEX "online_order_line_order_id_position" ON "online_order_line" ("order_id", "position")',
)
_COLUMNS = (
    'ALTER TABLE "ticket" ADD COLUMN "origin_reference" VARCHAR(40)',
    'ALTER TABLE "ticket" ADD COLUMN "origin_signature" TEXT',
    'ALTER TABLE "ticket" ADD COLUMN "origin_order_id" INTEGER REFERENCES "online_order" ("id") ON DELETE RESTRICT',
    'CREATE INDEX "ticket_origin_order_id" ON "ticket" ("origin_order_id")',
    'ALTER TABLE "ticket_line" ADD COLUMN "origin_order_line_id" INTEGER REFERENCES "online_order_line" ("id") '
    'ON DELETE RESTRICT',
    'CREATE INDEX "ticket_line_origin_order_line_id" ON "ticket_line" ("origin_order_line_id")',
)

SQLITE = (
    'CREATE TABLE "online_order" ("id" INTEGER NOT NULL PRIMARY KEY, "number" VARCHAR(40) NOT NULL, "source" VARCHAR(40) NOT NULL, "ordered_at" DATETIME NOT NULL, "customer_id" INTEGER, "customer_name" VARCHAR(160), "email" VARCHAR(160), "total_cents" INTEGER NOT NULL, "paid_cents" INTEGER NOT NULL, "payment_means" VARCHAR(32) NOT NULL, "digest" VARCHAR(64) NOT NULL, "imported_at" DATETIME NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT)',
    *_COMMON_TAIL,
    'CREATE TABLE "online_order_line" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "product_id" INTEGER, "sku" VARCHAR(32) NOT NULL, "label" VARCHAR(120) NOT NULL, "quantity" INTEGER NOT NULL, "unit" VARCHAR(8) NOT NULL, "unit_price_cents" INTEGER NOT NULL, "discount_cents" INTEGER NOT NULL, "total_cents" INTEGER NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "vat_rate_bp" INTEGER NOT NULL, "serial" VARCHAR(64), FOREIGN KEY ("order_id") REFERENCES "online_order" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT)',
    *_LINE_INDEXES,
    *_COLUMNS,
)

POSTGRESQL = (
    'CREATE TABLE "online_order" ("id" SERIAL NOT NULL PRIMARY KEY, "number" VARCHAR(40) NOT NULL, "source" VARCHAR(40) NOT NULL, "ordered_at" TIMESTAMP NOT NULL, "customer_id" INTEGER, "customer_name" VARCHAR(160), "email" VARCHAR(160), "total_cents" BIGINT NOT NULL, "paid_cents" BIGINT NOT NULL, "payment_means" VARCHAR(32) NOT NULL, "digest" VARCHAR(64) NOT NULL, "imported_at" TIMESTAMP NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT)',
    *_COMMON_TAIL,
    'CREATE TABLE "online_order_line" ("id" SERIAL NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "product_id" INTEGER, "sku" VARCHAR(32) NOT NULL, "label" VARCHAR(120) NOT NULL, "quantity" INTEGER NOT NULL, "unit" VARCHAR(8) NOT NULL, "unit_price_cents" BIGINT NOT NULL, "discount_cents" BIGINT NOT NULL, "total_cents" BIGINT NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "vat_rate_bp" INTEGER NOT NULL, "serial" VARCHAR(64), FOREIGN KEY ("order_id") REFERENCES "online_order" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT)',
    *_LINE_INDEXES,
    *_COLUMNS,
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, FISCAL_TABLES)
