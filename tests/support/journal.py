"""What an attacker with database access does to the fiscal journal, for the tamper tests."""

from __future__ import annotations

import peewee

from store import db
from store.models import FISCAL_TABLES


def unprotect(database: peewee.Database) -> None:
    """Drop the append-only triggers of the fiscal tables."""
    for model in FISCAL_TABLES:
        table = model._meta.table_name
        if db.is_postgres(database):
            database.execute_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for operation in ("update", "delete"):
                database.execute_sql(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
