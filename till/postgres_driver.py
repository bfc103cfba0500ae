"""The PostgreSQL driver is an optional extra: ``pip install 'till[postgres]'``.

A shop on SQLite (the default, and the one-till shop on a Raspberry Pi) installs nothing it does
not use, and a 32-bit system needs no compiler for it. So the driver is looked for only where a
PostgreSQL database is opened (the shop's tills sharing one, or head office), and when it is
missing the technician reads what to install instead of peewee's "psycopg2 postgres driver not
found" as an unexpected error.

peewee itself imports psycopg2 when it is installed; on an install without the extra there is
nothing to import, and SQLite never needs it. The till's own program on a SQLite shop loads
peewee without it (``peewee_without_driver``): its start need not pay for a driver it never uses.
"""

from __future__ import annotations

import importlib
import sys
from urllib.parse import unquote, urlparse

from till.errors import TillError
from till.i18n import N_

DRIVER_MISSING = N_("The PostgreSQL database {database} needs its driver, which is not installed here: "
                    "pip install 'till[postgres]' (in the same virtual environment)")

MESSAGES = (DRIVER_MISSING,)


class PostgresDriverMissing(TillError):
    """The configuration names a PostgreSQL database and psycopg2 is not installed."""


DRIVERS = ("psycopg2", "psycopg2cffi", "psycopg")
"""What peewee looks for when it is imported, each then imported whole if installed."""


def peewee_without_driver() -> None:
    """Import peewee as if no PostgreSQL driver were installed: for a process that only ever
    opens a SQLite database (the till on a SQLite shop). Nothing is left hidden afterwards, but
    peewee in this process then cannot open a PostgreSQL database. Does nothing when peewee is
    already loaded."""
    if "peewee" in sys.modules:
        return
    hidden = [name for name in DRIVERS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # ``import name`` then raises ImportError, as when not installed
    try:
        importlib.import_module("peewee")
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def where(url: str) -> str:
    """``host:port/name`` of a database URL: enough to recognise it, never its password."""
    parsed = urlparse(url)
    host = parsed.hostname or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}/{unquote(parsed.path.lstrip('/'))}"


def require_driver(url: str):
    """The psycopg2 module (the driver peewee uses); ``PostgresDriverMissing`` when it is not installed."""
    try:
        import psycopg2  # deferred: the optional PostgreSQL driver, only for a PostgreSQL database
    except ImportError:
        raise PostgresDriverMissing(DRIVER_MISSING, database=where(url)) from None
    return psycopg2


def connect(url: str):
    """A plain driver connection to ``url``, for what peewee does not offer (a backup's exported
    snapshot, held open while pg_dump copies it); the driver missing is said as at start."""
    return require_driver(url).connect(url)
