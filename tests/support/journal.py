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


def verify_shop(shop):
    """``till journal verify`` of ``shop`` as the command runs it, with every ledger check (the
    rows proved by signed records), in this process."""
    from till.fiscal.verify import verify_journal
    from till.shop.ledgers import journal_checks

    return verify_journal(workers=0, checks=journal_checks(shop.ctx))


def problems_text(report) -> str:
    """A verification report's problems, one per line, in English."""
    return "\n".join(p.text("en") for p in report.problems)
