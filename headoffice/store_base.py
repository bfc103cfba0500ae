"""What every table of head office's database shares: the database proxy, the time as stored
(naive UTC, whole seconds) and the model base that names tables ``ho_*``, so a till and a head
office can live in one process. Its own module so the tables can be grouped by concept
(``store``, ``store_aggregates``, ``store_web``, ``store_signals``) without importing each other.
"""

from __future__ import annotations

import datetime as dt

import peewee

__all__ = ["proxy", "utcnow"]

proxy = peewee.DatabaseProxy()


def utcnow() -> dt.datetime:
    """Naive UTC, second precision: the same on both engines."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class _Model(peewee.Model):
    class Meta:
        database = proxy
        legacy_table_names = False
        table_function = lambda model: "ho_" + model.__name__.lower()  # noqa: E731 - never a till table name
