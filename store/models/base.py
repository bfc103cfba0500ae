"""What every model shares: the database they are bound to, and the money column type."""

from __future__ import annotations

import datetime as dt

import peewee

database_proxy = peewee.DatabaseProxy()
"""Bound by ``store.db.open`` to the shop's SQLite or PostgreSQL database."""


class CentsField(peewee.BigIntegerField):
    """An amount in integer cents. Never a float, never a DECIMAL stored as REAL by SQLite."""


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo: what every timestamp column stores."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class BaseModel(peewee.Model):
    """Base of every table; binds to the shop database."""

    class Meta:
        database = database_proxy
        legacy_table_names = False
