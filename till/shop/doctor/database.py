"""The database a doctor's run reads, and its health: it opens, SQLite finds no damage, the disk
it lives on has room.

``till doctor`` must go on when the database is broken: it never applies migrations, never
creates a missing SQLite file (``store.db.connect`` would), and opens the database once per
run, read-only (``PRAGMA query_only``), inside ``session``. The checks that read the journal,
the closures or the outbox call ``shop_database``: None when it could not be opened, and they
then stay silent (this module's FAIL already says why). The models' binding is put back as it
was at the end of the run, so a doctor run inside a process that has its shop open (a test, a
screen) leaves that shop bound.
"""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from store import db, migrations
from store.models.base import database_proxy
from till.errors import TillError
from till.i18n import N_
from till.selling.disk_room import DEFAULT_MIN_FREE_MB, MB, WARN_FREE_BYTES, reason_of, room_of
from till.shop.doctor.findings import FAIL, OK, WARN, Finding
from till.shop.permissions import sqlite_file

__all__ = ["session", "shop_database", "database", "disk_verdict", "MESSAGES", "WARN_FREE_BYTES",
           "FAIL_FREE_BYTES"]

DB_MISSING = N_("database {file} is missing: restore it from the last backup (a new shop is made by till init)")
DB_UNREADABLE = N_("database {where} cannot be opened: {reason} (check the URL, the server and the file's owner)")
DB_DAMAGED = N_("database {where} is damaged ({detail}): stop the till, copy the file aside and restore the last "
                "backup")
DB_OK = N_("database {where}: opens, integrity check passed")
DB_CONNECTED = N_("database {where}: connected")
DISK_OK = N_("disk {folder}: {free} MB free of {total} MB")
DISK_LOW = N_("disk {folder}: only {free} MB free of {total} MB: delete old files or move the archives off the till")
DISK_FULL = N_("disk {folder}: {free} MB free: the next sale may not be written; free space now (old logs, "
               "copies, archives already saved elsewhere)")
SCHEMA_BEHIND = N_("database {where} lacks {count} schema steps of this program ({first}...): the till applies them "
                   "at its next start; the checks that read the database wait until then")
SCHEMA_AHEAD = N_("database {where} was written by a newer program (schema steps {steps}): install that version of "
                  "till; the checks that read the database are skipped")
DB_READ_ONLY = N_("database {where} cannot be written ({reason}): sales are refused; remount the disk read-write "
                  "(a card that turned read-only by itself is failing: replace it) or give the file back to the till's "
                  "user")
MESSAGES = (DB_MISSING, DB_UNREADABLE, DB_DAMAGED, DB_OK, DB_CONNECTED, DISK_OK, DISK_LOW, DISK_FULL, SCHEMA_BEHIND,
            SCHEMA_AHEAD, DB_READ_ONLY)

FAIL_FREE_BYTES = DEFAULT_MIN_FREE_MB * MB
"""Below this (``till.min_free_mb``) the till refuses sales (``till.selling.disk_room``): a failure."""
CONNECT_TIMEOUT_S = 5


@dataclass
class _Opened:
    database: peewee.Database | None = None
    error: str | TillError | None = None
    tried: bool = False


_current: contextvars.ContextVar[_Opened | None] = contextvars.ContextVar("doctor_database", default=None)


@contextmanager
def session() -> Iterator[None]:
    """One doctor run: the database is opened at most once inside, closed and unbound after."""
    previous = database_proxy.obj
    opened = _Opened()
    token = _current.set(opened)
    try:
        yield
    finally:
        _current.reset(token)
        if opened.database is not None and not opened.database.is_closed():
            opened.database.close()
        if opened.tried:  # bound by the attempt, even one that failed to connect
            database_proxy.initialize(previous)


def _where(config: Any) -> str:
    """The SQLite file, or the PostgreSQL server and database without the password."""
    path = sqlite_file(config)
    if path is not None:
        return str(path)
    url = config.database_url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _open(config: Any) -> _Opened:
    opened = _Opened(tried=True)
    path = sqlite_file(config)
    if path is not None and not path.is_file():
        opened.error = "missing"
        return opened
    try:
        database = db.connect(config.database_url)
        if isinstance(database, peewee.PostgresqlDatabase):
            database.connect_params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        database.connect(reuse_if_open=True)
        if isinstance(database, peewee.SqliteDatabase):
            database.execute_sql("PRAGMA query_only = 1")  # a doctor reads; it never writes the shop
        else:
            database.execute_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        opened.database = database
    except TillError as error:  # a driver to install: its message says which
        opened.error = error
    except Exception as error:  # noqa: BLE001 - whatever stops it opening is this check's FAIL line
        opened.error = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return opened


def shop_database(config: Any) -> peewee.Database | None:
    """The shop's database, bound to the models, for this run (None: it cannot be opened)."""
    opened = _current.get()
    if opened is None:
        raise RuntimeError("shop_database is used inside doctor.database.session()")
    if not opened.tried:
        found = _open(config)
        opened.database, opened.error, opened.tried = found.database, found.error, True
    return opened.database


def database(config: Any) -> Iterable[Finding]:
    """It opens; SQLite's ``integrity_check`` finds nothing; the disk under it has room."""
    where = _where(config)
    found = shop_database(config)
    opened = _current.get()
    if found is None:
        if opened is not None and opened.error == "missing":
            yield Finding(FAIL, DB_MISSING, {"file": where})
        else:
            yield Finding(FAIL, DB_UNREADABLE, {"where": where, "reason": opened.error if opened else "?"})
    elif isinstance(found, peewee.SqliteDatabase):
        try:
            rows = [row[0] for row in found.execute_sql("PRAGMA integrity_check").fetchall()]
        except (peewee.DatabaseError, sqlite3.DatabaseError) as error:  # "database disk image is malformed"
            rows = [str(error)]
        if rows == ["ok"]:
            yield Finding(OK, DB_OK, {"where": where})
        else:
            detail = "; ".join(str(row) for row in rows[:2])
            yield Finding(FAIL, DB_DAMAGED, {"where": where, "detail": detail})
            _set_aside(opened)  # the checks that read it would only fail one by one
    else:
        found.execute_sql("SELECT 1")
        yield Finding(OK, DB_CONNECTED, {"where": where})
    if shop_database(config) is not None:
        schema = _schema(found, where)
        if schema is not None:
            yield schema
            _set_aside(opened)
    path = sqlite_file(config)
    folder = _existing_folder(path.parent if path is not None else Path(config.path).parent)
    floor = getattr(config.till, "min_free_mb", DEFAULT_MIN_FREE_MB) * MB
    yield disk_verdict(folder, floor_bytes=floor)
    room = room_of(folder, path) if path is not None else None
    if room is not None and room.read_only is not None:  # mounted read-only, or the file or folder not writable
        yield Finding(FAIL, DB_READ_ONLY, {"where": where, "reason": reason_of(room)})


def _schema(found: peewee.Database, where: str) -> Finding | None:
    """None when the database has exactly this program's schema steps (``store.migrations``),
    read without ``migrations.applied``, which would create its table (a doctor never writes)."""
    try:
        done = {row[0] for row in found.execute_sql("SELECT version FROM schema_migration").fetchall()}
    except (peewee.DatabaseError, sqlite3.DatabaseError):
        done = set()
    shipped = dict(migrations.steps())
    unknown = sorted(done - set(shipped))
    if unknown:
        return Finding(FAIL, SCHEMA_AHEAD, {"where": where, "steps": ", ".join(str(n) for n in unknown)})
    missing = [shipped[number] for number in sorted(set(shipped) - done)]
    if missing:
        return Finding(WARN, SCHEMA_BEHIND, {"where": where, "count": len(missing), "first": missing[0]})
    return None


def _set_aside(opened: _Opened | None) -> None:
    if opened is not None and opened.database is not None:
        opened.database.close()
        opened.database, opened.error = None, "damaged"


def _existing_folder(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def disk_verdict(folder: Path, usage: Any = None, floor_bytes: int = FAIL_FREE_BYTES) -> Finding:
    """Free space on ``folder``'s file system (``usage``: anything with ``free`` and ``total``,
    by default the till's own reading, ``disk_room.room_of``), against the till's floor."""
    usage = usage or room_of(folder)
    params = {"folder": str(folder), "free": usage.free // MB, "total": usage.total // MB}
    if usage.free < floor_bytes:
        return Finding(FAIL, DISK_FULL, params)
    if usage.free < WARN_FREE_BYTES or usage.free * 10 < usage.total:
        return Finding(WARN, DISK_LOW, params)
    return Finding(OK, DISK_OK, params)
