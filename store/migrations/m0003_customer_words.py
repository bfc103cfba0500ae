"""Customer search by word: one indexed row per word of each customer's search key.

Frozen as SQL for each engine; on PostgreSQL the words compare byte by byte (COLLATE "C"), as
on SQLite, so a prefix is a plain index range whatever the cluster's locale. Existing customers are indexed here; from now on
``till.people.customers`` keeps the words in step with the key.
"""

from __future__ import annotations

import peewee

from store.migrations.append_only import apply_frozen

SQLITE = (
    'CREATE TABLE "customer_word" ("id" INTEGER NOT NULL PRIMARY KEY, "word" VARCHAR(64) NOT NULL, "customer_id" INTEGER NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "customer_word_customer_id" ON "customer_word" ("customer_id")',
    'CREATE UNIQUE INDEX "customer_word_word_customer_id" ON "customer_word" ("word", "customer_id")',
)

POSTGRESQL = (
    'CREATE TABLE "customer_word" ("id" SERIAL NOT NULL PRIMARY KEY, "word" VARCHAR(64) COLLATE "C" NOT NULL, "customer_id" INTEGER NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "customer_word_customer_id" ON "customer_word" ("customer_id")',
    'CREATE UNIQUE INDEX "customer_word_word_customer_id" ON "customer_word" ("word", "customer_id")',
)


def up(database: peewee.Database) -> None:
    apply_frozen(database, SQLITE, POSTGRESQL, ())
    placeholder = "%s" if isinstance(database, peewee.PostgresqlDatabase) else "?"
    rows = []
    for customer_id, key in database.execute_sql("SELECT id, search_key FROM customer").fetchall():
        rows.extend((word[:64], customer_id) for word in sorted(set((key or "").split())))
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        database.execute_sql(
            "INSERT INTO customer_word (word, customer_id) VALUES "
            + ", ".join(f"({placeholder}, {placeholder})" for _ in chunk),
            [value for row in chunk for value in row],
        )
