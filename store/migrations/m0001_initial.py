"""The first schema: catalogue, stock, people, tickets, fiscal journal, outbox, settings."""

from __future__ import annotations

import peewee

from store.migrations.append_only import protect
from store.models import ALL_MODELS, FISCAL_TABLES


def up(database: peewee.Database) -> None:
    with database.bind_ctx(ALL_MODELS):
        database.create_tables(ALL_MODELS, safe=False)
    for model in FISCAL_TABLES:
        protect(database, model._meta.table_name)
