"""Open the shop database, SQLite (embedded default) or PostgreSQL (several tills, head office).

``open(url)`` binds every model to the database named by the URL and applies the pending
migrations, so the rest of the code never cares which engine it runs on:

- ``sqlite:///path/to/till.db``: WAL journal, ``synchronous=FULL`` (a till commits a few times a
  minute; losing the last sale on power loss is not acceptable: NORMAL keeps a WAL database
  whole too, but a sale the cashier saw done may be gone after the cut, with the receipt in the
  customer's hand; FULL syncs the WAL at each commit), foreign keys on, a busy
  timeout, and ``BEGIN IMMEDIATE`` write transactions so two writers never deadlock on a lock
  upgrade.
- ``postgresql://user:password@host:port/dbname``: the same schema; the chain heads are locked
  with ``SELECT ... FOR UPDATE`` where sequences must stay gap-free. Its driver is the optional
  extra ``till[postgres]`` (``till.postgres_driver``).
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

from store.migrations import apply_pending
from store.models.base import database_proxy
from till.files import create_private
from till.postgres_driver import require_driver

T = TypeVar("T")

BUSY_TIMEOUT_S = 5.0
"""How long a writer waits for another till's transaction before giving up."""


class DatabaseUnavailable(Exception):
    """The database is busy, locked or unreachable even after retrying."""


def connect(url: str) -> peewee.Database:
    """A database object for ``url``, bound to the models, without running migrations."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy reads them.
        path = unquote(url[len("sqlite:///"):].split("?", 1)[0]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"no file in database URL {url!r}")
        if path != ":memory:":
            # Made 0600 before SQLite opens it: SQLite gives its -wal, -shm and -journal files
            # the main file's mode, and the database holds PIN hashes, customers and credit notes.
            create_private(path)
        database: peewee.Database = peewee.SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "full",
                "foreign_keys": 1,
                "busy_timeout": int(BUSY_TIMEOUT_S * 1000),
                "cache_size": -16000,
            },
            timeout=BUSY_TIMEOUT_S,
            lock_type="IMMEDIATE",
        )
    elif parsed.scheme in ("postgresql", "postgres"):
        require_driver(url)  # an optional extra: say what to install, not "driver not found"
        options = dict(parse_qsl(parsed.query))
        database = peewee.PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            **options,
        )
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")
    database_proxy.initialize(database)
    return database


def open(url: str, migrate: bool = True) -> peewee.Database:  # noqa: A001 - the store's own verb
    """Connect to ``url``, bind the models and (by default) apply pending migrations."""
    database = connect(url)
    database.connect(reuse_if_open=True)
    if migrate:

        apply_pending(database)
    return database


def is_postgres(database: peewee.Database | None = None) -> bool:
    """True when the models are bound to PostgreSQL."""
    target = database or database_proxy.obj
    return isinstance(target, peewee.PostgresqlDatabase)


def with_retry(work: Callable[[], T], attempts: int = 3, pause_s: float = 0.2) -> T:
    """Run ``work`` (one transaction) again when the database is briefly busy or locked.

    A till sharing a database with others can meet a lock; a second try usually succeeds. After
    ``attempts`` the caller gets ``DatabaseUnavailable`` to turn into a message for the cashier.
    """
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return work()
        except peewee.OperationalError as error:
            text = str(error).lower()
            if "locked" not in text and "busy" not in text and "could not serialize" not in text:
                raise
            last = error
            time.sleep(pause_s * (attempt + 1))
    raise DatabaseUnavailable(str(last))
