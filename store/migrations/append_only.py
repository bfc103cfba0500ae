"""Database triggers that make fiscal tables append-only, on SQLite and on PostgreSQL.

The signed chain detects tampering after the fact; these triggers stop the ordinary paths
(an admin tool, a buggy migration, a stray UPDATE) from altering records in the first place.
"""

from __future__ import annotations

import peewee

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION till_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fiscal table %% is append-only: %% refused', TG_TABLE_NAME, TG_OP;
END
$$ LANGUAGE plpgsql
"""


def protect(database: peewee.Database, table: str) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on ``table``."""
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql(_PG_FUNCTION)
        database.execute_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION till_refuse_change()"
        )
        database.execute_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION till_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        database.execute_sql(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'fiscal table {table} is append-only: {operation} refused'); END"
        )


def apply_frozen(database: peewee.Database, sqlite: tuple[str, ...], postgresql: tuple[str, ...],
                 fiscal_tables: tuple[str, ...]) -> None:
    """Run a migration step frozen as SQL for each engine, then protect its fiscal tables."""
    statements = postgresql if isinstance(database, peewee.PostgresqlDatabase) else sqlite
    for statement in statements:
        database.execute_sql(statement)
    for table in fiscal_tables:
        protect(database, table)
