"""A query whose SQL text is rendered once, then run again and again with new values.

Why: peewee renders a query's SQL node by node at every execution, which for a query of a few
joins costs a millisecond or more in Python, often ten times what SQLite takes to answer it from
an index. Checks that run while a customer waits (the loss-prevention check at the return
screen) run the same few queries with new values each time, so the text is rendered once per
database engine, with marker values standing where the real ones go, and kept.

The rows come back raw (no field conversion): a timestamp is text on SQLite and a ``datetime``
on PostgreSQL; ``as_datetime`` reads either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import peewee

__all__ = ["PreparedQuery", "as_datetime"]


class PreparedQuery:
    """``build(*markers)`` is a peewee query; ``rows(database, *values)`` runs its SQL with
    ``values`` where the markers were.

    A marker must be a value no real call passes and that the query renders as one parameter
    each time it is used (an integer or a datetime compared with a column); markers are found
    in the rendered parameters by equality, so two markers must differ.
    """

    def __init__(self, build: Callable[..., peewee.Query], *markers: Any) -> None:
        if len(set(markers)) != len(markers):
            raise ValueError("two markers are equal")
        self._build = build
        self._markers = markers
        self._rendered: dict[type, tuple[str, list[Any], list[int | None]]] = {}

    def _render(self, database: peewee.Database) -> tuple[str, list[Any], list[int | None]]:
        key = type(database)
        if key not in self._rendered:
            sql, params = self._build(*self._markers).sql()  # rendered for the engine the models are bound to
            slots: list[int | None] = []
            for param in params:
                slots.append(self._markers.index(param) if param in self._markers else None)
            missing = set(range(len(self._markers))) - set(slot for slot in slots if slot is not None)
            if missing:
                raise ValueError(f"markers not found in the rendered query: {sorted(missing)}")
            self._rendered[key] = (sql, list(params), slots)
        return self._rendered[key]

    def rows(self, database: peewee.Database, *values: Any) -> list[tuple]:
        """The query's rows for ``values`` (in the markers' order), as tuples."""
        if len(values) != len(self._markers):
            raise TypeError(f"{len(self._markers)} values expected, {len(values)} given")
        sql, params, slots = self._render(database)
        bound = [values[slot] if slot is not None else param for param, slot in zip(params, slots)]
        return database.execute_sql(sql, bound).fetchall()


def as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp as a raw row holds it: text on SQLite, a ``datetime`` on PostgreSQL."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
