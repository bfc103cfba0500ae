"""One multi-row INSERT per table, its SQL text rendered once: the writing path of a checkout.

A checkout is the commit the cashier waits for (design.md section 8: within 2.5x of the same rows
written with bare SQL). Building the same peewee query object for every ticket cost more than
running it, so the ticket writer and the stock ledger write through ``BulkInsert``.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

import peewee

class BulkInsert:
    """One multi-row INSERT into ``model``'s ``fields``, its text rendered once per engine and size.

    Building the same peewee query object for every checkout cost more than running it. Values go
    through each field's ``db_value`` (what peewee does), and fields left out get the model's
    defaults, so the rows are the ones ``Model.insert`` would have written.
    """

    def __init__(self, model: type[peewee.Model], fields: tuple[str, ...], returning: tuple[str, ...] = (),
                 suffix: str = "") -> None:
        meta = model._meta
        self.defaults = tuple((name, f.default) for name, f in meta.fields.items()
                              if name not in fields and not f.primary_key and f.default is not None)
        self.fields = fields + tuple(name for name, _ in self.defaults)
        self.convert = tuple(meta.fields[name].db_value for name in self.fields)
        # The type a field stores unchanged (its ``db_value`` would return the very value).
        self.as_is = tuple(_stored_as_is(meta.fields[name]) for name in self.fields)
        self.table = quote(meta.table_name)
        self.columns = ", ".join(quote(meta.fields[name].column_name) for name in self.fields)
        self.returning = ", ".join(quote(meta.fields[name].column_name) for name in returning)
        self.suffix = suffix
        self.per_statement = max(1, _MAX_PARAMETERS // len(self.fields))
        self._sql: dict[tuple[type, int], str] = {}

    def rows(self, rows: Iterable[tuple]) -> list[tuple]:
        """``rows`` completed with defaults and converted as stored (what the payload must see)."""
        defaults = [default for _, default in self.defaults]
        out = []
        for row in rows:
            if defaults:
                row = (*row, *(d() if callable(d) else d for d in defaults))
            out.append(tuple([value if value is None or type(value) is same else convert(value)
                              for convert, same, value in zip(self.convert, self.as_is, row)]))
        return out

    def sql(self, database: peewee.Database, count: int) -> str:
        key = (type(database), count)
        sql = self._sql.get(key)
        if sql is None:
            one = "(" + ", ".join([database.param] * len(self.fields)) + ")"
            sql = f"INSERT INTO {self.table} ({self.columns}) VALUES {', '.join([one] * count)}{self.suffix}"
            if self.returning and returns_rows(database):
                sql += f" RETURNING {self.returning}"
            if len(self._sql) > 64:  # row counts vary: keep the cache small
                self._sql.clear()
            self._sql[key] = sql
        return sql

    def execute(self, database: peewee.Database, stored: list[tuple]) -> tuple[Any, list[tuple]]:
        """Insert rows already passed through ``rows``: (the last cursor, the ``RETURNING`` rows).

        One statement, or a few for a huge ticket (SQLite takes 999 parameters at most)."""
        cursor, returned = None, []
        for start in range(0, len(stored), self.per_statement):
            chunk = stored[start:start + self.per_statement]
            cursor = database.execute_sql(self.sql(database, len(chunk)), [v for row in chunk for v in row])
            if self.returning and returns_rows(database):
                returned.extend(cursor.fetchall())
        return cursor, returned


_MAX_PARAMETERS = 999
"""The bound parameters of one statement: SQLite's historical limit, far under PostgreSQL's."""
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


def _stored_as_is(field: peewee.Field) -> type | None:
    """int for integer columns (foreign keys too), str for text ones; None: always convert."""
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    if isinstance(field, peewee.IntegerField):
        return int
    if isinstance(field, (peewee.CharField, peewee.TextField)):
        return str
    return None


def quote(name: str) -> str:
    return f'"{name}"'  # SQL standard identifiers, as peewee writes them on both engines


def returns_rows(database: peewee.Database) -> bool:
    """Can INSERT ... RETURNING be used (PostgreSQL; SQLite from 3.35)?"""
    return isinstance(database, peewee.PostgresqlDatabase) or _SQLITE_RETURNING
