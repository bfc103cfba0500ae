"""The first schema: catalogue, stock, people, tickets, fiscal journal, outbox, settings.

Frozen as SQL for each engine, as it was released: a later change of the models is a new step
(m0002...), never an edit here, so every database goes through the same history.
``tests/test_store.py`` checks that the models and the migrated schema still agree.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import protect

FISCAL_TABLES = ("ticket", "ticket_line", "ticket_vat", "payment", "accounting_line", "fiscal_record", "signing_key")

SQLITE = (
    'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "login" VARCHAR(32) NOT NULL, "name" VARCHAR(80) NOT NULL, "role" VARCHAR(16) NOT NULL, "pin_hash" VARCHAR(255) NOT NULL, "failed_attempts" INTEGER NOT NULL, "locked" INTEGER NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "user_login" ON "user" ("login")',
    'CREATE TABLE "customer" ("id" INTEGER NOT NULL PRIMARY KEY, "first_name" VARCHAR(80) NOT NULL, "last_name" VARCHAR(80) NOT NULL, "email" VARCHAR(160), "phone" VARCHAR(32), "loyalty_card" VARCHAR(32), "consent_email" INTEGER NOT NULL, "consent_sms" INTEGER NOT NULL, "search_key" VARCHAR(400) NOT NULL, "created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "customer_loyalty_card" ON "customer" ("loyalty_card")',
    'CREATE INDEX "customer_search_key" ON "customer" ("search_key")',
    'CREATE TABLE "ticket" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "number" INTEGER NOT NULL, "code" VARCHAR(40) NOT NULL, "kind" VARCHAR(16) NOT NULL, "created_at" DATETIME NOT NULL, "user_id" INTEGER NOT NULL, "operator_name" VARCHAR(80) NOT NULL, "customer_id" INTEGER, "customer_name" VARCHAR(160), "origin_ticket_id" INTEGER, "total_cents" INTEGER NOT NULL, "discount_cents" INTEGER NOT NULL, "line_count" INTEGER NOT NULL, "training" INTEGER NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT, FOREIGN KEY ("origin_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "ticket_code" ON "ticket" ("code")',
    'CREATE INDEX "ticket_created_at" ON "ticket" ("created_at")',
    'CREATE INDEX "ticket_user_id" ON "ticket" ("user_id")',
    'CREATE INDEX "ticket_customer_id" ON "ticket" ("customer_id")',
    'CREATE INDEX "ticket_origin_ticket_id" ON "ticket" ("origin_ticket_id")',
    'CREATE UNIQUE INDEX "ticket_till_id_number" ON "ticket" ("till_id", "number")',
    'CREATE TABLE "accounting_line" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER, "journal" VARCHAR(8) NOT NULL, "entry_date" DATE NOT NULL, "account" VARCHAR(16) NOT NULL, "label" VARCHAR(120) NOT NULL, "debit_cents" INTEGER NOT NULL, "credit_cents" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "accounting_line_ticket_id" ON "accounting_line" ("ticket_id")',
    'CREATE TABLE "category" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(80) NOT NULL, "parent_id" INTEGER, "return_days" INTEGER, FOREIGN KEY ("parent_id") REFERENCES "category" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "category_name" ON "category" ("name")',
    'CREATE INDEX "category_parent_id" ON "category" ("parent_id")',
    'CREATE TABLE "product" ("id" INTEGER NOT NULL PRIMARY KEY, "sku" VARCHAR(32) NOT NULL, "name" VARCHAR(120) NOT NULL, "price_cents" INTEGER NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "category_id" INTEGER, "sold_by_weight" INTEGER NOT NULL, "serial_tracked" INTEGER NOT NULL, "final_sale" INTEGER NOT NULL, "return_days" INTEGER, "active" INTEGER NOT NULL, FOREIGN KEY ("category_id") REFERENCES "category" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "product_sku" ON "product" ("sku")',
    'CREATE INDEX "product_category_id" ON "product" ("category_id")',
    'CREATE TABLE "barcode" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "product_id" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "barcode_code" ON "barcode" ("code")',
    'CREATE INDEX "barcode_product_id" ON "barcode" ("product_id")',
    'CREATE TABLE "chain_head" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "chain" VARCHAR(2) NOT NULL, "sequence" INTEGER NOT NULL, "signature" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "chain_head_till_id_chain" ON "chain_head" ("till_id", "chain")',
    'CREATE TABLE "fiscal_record" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "chain" VARCHAR(2) NOT NULL, "sequence" INTEGER NOT NULL, "kind" VARCHAR(32) NOT NULL, "created_at" DATETIME NOT NULL, "ticket_id" INTEGER, "format_version" INTEGER NOT NULL, "payload" TEXT NOT NULL, "previous_signature" TEXT NOT NULL, "hash" VARCHAR(64) NOT NULL, "signature" TEXT NOT NULL, "key_id" VARCHAR(64) NOT NULL)',
    'CREATE INDEX "fiscal_record_ticket_id" ON "fiscal_record" ("ticket_id")',
    'CREATE UNIQUE INDEX "fiscal_record_till_id_chain_sequence" ON "fiscal_record" ("till_id", "chain", "sequence")',
    'CREATE TABLE "outbox_job" ("id" INTEGER NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "kind" VARCHAR(32) NOT NULL, "payload" TEXT NOT NULL, "status" VARCHAR(16) NOT NULL, "attempts" INTEGER NOT NULL, "not_before" DATETIME NOT NULL, "last_error" TEXT, "created_at" DATETIME NOT NULL, "done_at" DATETIME)',
    'CREATE INDEX "outbox_job_till_id_status_not_before" ON "outbox_job" ("till_id", "status", "not_before")',
    'CREATE TABLE "payment" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "means" VARCHAR(16) NOT NULL, "amount_cents" INTEGER NOT NULL, "reference" VARCHAR(64), FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "payment_ticket_id" ON "payment" ("ticket_id")',
    'CREATE TABLE "setting" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(64) NOT NULL, "value" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "setting_key" ON "setting" ("key")',
    'CREATE TABLE "signing_key" ("id" INTEGER NOT NULL PRIMARY KEY, "key_id" VARCHAR(64) NOT NULL, "till_id" VARCHAR(16) NOT NULL, "public_key_pem" TEXT NOT NULL, "created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "signing_key_key_id" ON "signing_key" ("key_id")',
    'CREATE TABLE "stock_location" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "name" VARCHAR(80) NOT NULL)',
    'CREATE UNIQUE INDEX "stock_location_code" ON "stock_location" ("code")',
    'CREATE TABLE "stock_level" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "location_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("location_id") REFERENCES "stock_location" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_level_product_id" ON "stock_level" ("product_id")',
    'CREATE INDEX "stock_level_location_id" ON "stock_level" ("location_id")',
    'CREATE UNIQUE INDEX "stock_level_product_id_location_id" ON "stock_level" ("product_id", "location_id")',
    'CREATE TABLE "stock_movement" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "location_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL, "reason" VARCHAR(32) NOT NULL, "ticket_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("location_id") REFERENCES "stock_location" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_movement_product_id" ON "stock_movement" ("product_id")',
    'CREATE INDEX "stock_movement_location_id" ON "stock_movement" ("location_id")',
    'CREATE INDEX "stock_movement_ticket_id" ON "stock_movement" ("ticket_id")',
    'CREATE TABLE "ticket_line" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "product_id" INTEGER, "sku" VARCHAR(32) NOT NULL, "label" VARCHAR(120) NOT NULL, "quantity" INTEGER NOT NULL, "unit" VARCHAR(8) NOT NULL, "unit_price_cents" INTEGER NOT NULL, "discount_cents" INTEGER NOT NULL, "total_cents" INTEGER NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "vat_rate_bp" INTEGER NOT NULL, "origin_line_id" INTEGER, "reason" VARCHAR(64), "disposition" VARCHAR(32), "serial" VARCHAR(64), FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("origin_line_id") REFERENCES "ticket_line" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "ticket_line_ticket_id" ON "ticket_line" ("ticket_id")',
    'CREATE INDEX "ticket_line_product_id" ON "ticket_line" ("product_id")',
    'CREATE INDEX "ticket_line_origin_line_id" ON "ticket_line" ("origin_line_id")',
    'CREATE UNIQUE INDEX "ticket_line_ticket_id_position" ON "ticket_line" ("ticket_id", "position")',
    'CREATE TABLE "ticket_vat" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "rate_bp" INTEGER NOT NULL, "ttc_cents" INTEGER NOT NULL, "ht_cents" INTEGER NOT NULL, "vat_cents" INTEGER NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "ticket_vat_ticket_id" ON "ticket_vat" ("ticket_id")',
    'CREATE TABLE "vat_rate" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(8) NOT NULL, "label" VARCHAR(64) NOT NULL, "rate_bp" INTEGER NOT NULL, "valid_from" DATE NOT NULL, "valid_to" DATE)',
    'CREATE UNIQUE INDEX "vat_rate_code_valid_from" ON "vat_rate" ("code", "valid_from")',
)

POSTGRESQL = (
    'CREATE TABLE "user" ("id" SERIAL NOT NULL PRIMARY KEY, "login" VARCHAR(32) NOT NULL, "name" VARCHAR(80) NOT NULL, "role" VARCHAR(16) NOT NULL, "pin_hash" VARCHAR(255) NOT NULL, "failed_attempts" INTEGER NOT NULL, "locked" BOOLEAN NOT NULL, "active" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL)',
    'CREATE UNIQUE INDEX "user_login" ON "user" ("login")',
    'CREATE TABLE "customer" ("id" SERIAL NOT NULL PRIMARY KEY, "first_name" VARCHAR(80) NOT NULL, "last_name" VARCHAR(80) NOT NULL, "email" VARCHAR(160), "phone" VARCHAR(32), "loyalty_card" VARCHAR(32), "consent_email" BOOLEAN NOT NULL, "consent_sms" BOOLEAN NOT NULL, "search_key" VARCHAR(400) NOT NULL, "created_at" TIMESTAMP NOT NULL)',
    'CREATE UNIQUE INDEX "customer_loyalty_card" ON "customer" ("loyalty_card")',
    'CREATE INDEX "customer_search_key" ON "customer" ("search_key")',
    'CREATE TABLE "ticket" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "number" INTEGER NOT NULL, "code" VARCHAR(40) NOT NULL, "kind" VARCHAR(16) NOT NULL, "created_at" TIMESTAMP NOT NULL, "user_id" INTEGER NOT NULL, "operator_name" VARCHAR(80) NOT NULL, "customer_id" INTEGER, "customer_name" VARCHAR(160), "origin_ticket_id" INTEGER, "total_cents" BIGINT NOT NULL, "discount_cents" BIGINT NOT NULL, "line_count" INTEGER NOT NULL, "training" BOOLEAN NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT, FOREIGN KEY ("origin_ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "ticket_code" ON "ticket" ("code")',
    'CREATE INDEX "ticket_created_at" ON "ticket" ("created_at")',
    'CREATE INDEX "ticket_user_id" ON "ticket" ("user_id")',
    'CREATE INDEX "ticket_customer_id" ON "ticket" ("customer_id")',
    'CREATE INDEX "ticket_origin_ticket_id" ON "ticket" ("origin_ticket_id")',
    'CREATE UNIQUE INDEX "ticket_till_id_number" ON "ticket" ("till_id", "number")',
    'CREATE TABLE "accounting_line" ("id" SERIAL NOT NULL PRIMARY KEY, "ticket_id" INTEGER, "journal" VARCHAR(8) NOT NULL, "entry_date" DATE NOT NULL, "account" VARCHAR(16) NOT NULL, "label" VARCHAR(120) NOT NULL, "debit_cents" BIGINT NOT NULL, "credit_cents" BIGINT NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "accounting_line_ticket_id" ON "accounting_line" ("ticket_id")',
    'CREATE TABLE "category" ("id" SERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(80) NOT NULL, "parent_id" INTEGER, "return_days" INTEGER, FOREIGN KEY ("parent_id") REFERENCES "category" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "category_name" ON "category" ("name")',
    'CREATE INDEX "category_parent_id" ON "category" ("parent_id")',
    'CREATE TABLE "product" ("id" SERIAL NOT NULL PRIMARY KEY, "sku" VARCHAR(32) NOT NULL, "name" VARCHAR(120) NOT NULL, "price_cents" BIGINT NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "category_id" INTEGER, "sold_by_weight" BOOLEAN NOT NULL, "serial_tracked" BOOLEAN NOT NULL, "final_sale" BOOLEAN NOT NULL, "return_days" INTEGER, "active" BOOLEAN NOT NULL, FOREIGN KEY ("category_id") REFERENCES "category" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "product_sku" ON "product" ("sku")',
    'CREATE INDEX "product_category_id" ON "product" ("category_id")',
    'CREATE TABLE "barcode" ("id" SERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "product_id" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "barcode_code" ON "barcode" ("code")',
    'CREATE INDEX "barcode_product_id" ON "barcode" ("product_id")',
    'CREATE TABLE "chain_head" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "chain" VARCHAR(2) NOT NULL, "sequence" INTEGER NOT NULL, "signature" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "chain_head_till_id_chain" ON "chain_head" ("till_id", "chain")',
    'CREATE TABLE "fiscal_record" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "chain" VARCHAR(2) NOT NULL, "sequence" INTEGER NOT NULL, "kind" VARCHAR(32) NOT NULL, "created_at" TIMESTAMP NOT NULL, "ticket_id" INTEGER, "format_version" INTEGER NOT NULL, "payload" TEXT NOT NULL, "previous_signature" TEXT NOT NULL, "hash" VARCHAR(64) NOT NULL, "signature" TEXT NOT NULL, "key_id" VARCHAR(64) NOT NULL)',
    'CREATE INDEX "fiscal_record_ticket_id" ON "fiscal_record" ("ticket_id")',
    'CREATE UNIQUE INDEX "fiscal_record_till_id_chain_sequence" ON "fiscal_record" ("till_id", "chain", "sequence")',
    'CREATE TABLE "outbox_job" ("id" SERIAL NOT NULL PRIMARY KEY, "till_id" VARCHAR(16) NOT NULL, "kind" VARCHAR(32) NOT NULL, "payload" TEXT NOT NULL, "status" VARCHAR(16) NOT NULL, "attempts" INTEGER NOT NULL, "not_before" TIMESTAMP NOT NULL, "last_error" TEXT, "created_at" TIMESTAMP NOT NULL, "done_at" TIMESTAMP)',
    'CREATE INDEX "outbox_job_till_id_status_not_before" ON "outbox_job" ("till_id", "status", "not_before")',
    'CREATE TABLE "payment" ("id" SERIAL NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "means" VARCHAR(16) NOT NULL, "amount_cents" BIGINT NOT NULL, "reference" VARCHAR(64), FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "payment_ticket_id" ON "payment" ("ticket_id")',
    'CREATE TABLE "setting" ("id" SERIAL NOT NULL PRIMARY KEY, "key" VARCHAR(64) NOT NULL, "value" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX "setting_key" ON "setting" ("key")',
    'CREATE TABLE "signing_key" ("id" SERIAL NOT NULL PRIMARY KEY, "key_id" VARCHAR(64) NOT NULL, "till_id" VARCHAR(16) NOT NULL, "public_key_pem" TEXT NOT NULL, "created_at" TIMESTAMP NOT NULL)',
    'CREATE UNIQUE INDEX "signing_key_key_id" ON "signing_key" ("key_id")',
    'CREATE TABLE "stock_location" ("id" SERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "name" VARCHAR(80) NOT NULL)',
    'CREATE UNIQUE INDEX "stock_location_code" ON "stock_location" ("code")',
    'CREATE TABLE "stock_level" ("id" SERIAL NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "location_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("location_id") REFERENCES "stock_location" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_level_product_id" ON "stock_level" ("product_id")',
    'CREATE INDEX "stock_level_location_id" ON "stock_level" ("location_id")',
    'CREATE UNIQUE INDEX "stock_level_product_id_location_id" ON "stock_level" ("product_id", "location_id")',
    'CREATE TABLE "stock_movement" ("id" SERIAL NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "location_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL, "reason" VARCHAR(32) NOT NULL, "ticket_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("location_id") REFERENCES "stock_location" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_movement_product_id" ON "stock_movement" ("product_id")',
    'CREATE INDEX "stock_movement_location_id" ON "stock_movement" ("location_id")',
    'CREATE INDEX "stock_movement_ticket_id" ON "stock_movement" ("ticket_id")',
    'CREATE TABLE "ticket_line" ("id" SERIAL NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "product_id" INTEGER, "sku" VARCHAR(32) NOT NULL, "label" VARCHAR(120) NOT NULL, "quantity" INTEGER NOT NULL, "unit" VARCHAR(8) NOT NULL, "unit_price_cents" BIGINT NOT NULL, "discount_cents" BIGINT NOT NULL, "total_cents" BIGINT NOT NULL, "vat_code" VARCHAR(8) NOT NULL, "vat_rate_bp" INTEGER NOT NULL, "origin_line_id" INTEGER, "reason" VARCHAR(64), "disposition" VARCHAR(32), "serial" VARCHAR(64), FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("origin_line_id") REFERENCES "ticket_line" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "ticket_line_ticket_id" ON "ticket_line" ("ticket_id")',
    'CREATE INDEX "ticket_line_product_id" ON "ticket_line" ("product_id")',
    'CREATE INDEX "ticket_line_origin_line_id" ON "ticket_line" ("origin_line_id")',
    'CREATE UNIQUE INDEX "ticket_line_ticket_id_position" ON "ticket_line" ("ticket_id", "position")',
    'CREATE TABLE "ticket_vat" ("id" SERIAL NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "rate_bp" INTEGER NOT NULL, "ttc_cents" BIGINT NOT NULL, "ht_cents" BIGINT NOT NULL, "vat_cents" BIGINT NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "ticket_vat_ticket_id" ON "ticket_vat" ("ticket_id")',
    'CREATE TABLE "vat_rate" ("id" SERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(8) NOT NULL, "label" VARCHAR(64) NOT NULL, "rate_bp" INTEGER NOT NULL, "valid_from" DATE NOT NULL, "valid_to" DATE)',
    'CREATE UNIQUE INDEX "vat_rate_code_valid_from" ON "vat_rate" ("code", "valid_from")',
)


def up(database: peewee.Database) -> None:
    statements = POSTGRESQL if isinstance(database, peewee.PostgresqlDatabase) else SQLITE
    for statement in statements:
        database.execute_sql(statement)
    for table in FISCAL_TABLES:
        protect(database, table)
