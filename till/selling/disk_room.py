"""Whether the shop's database can take another ticket: room on its disk, and not read-only.

A till's SD card fills up (logs, copies, archives) or fails into read-only, and SQLite then
refuses to commit: "database or disk is full" (SQLITE_FULL), "attempt to write a readonly
database" (SQLITE_READONLY), or the system's ENOSPC/EROFS from a file written beside it (the tail
anchor). Two guards, so the cashier gets a clear refusal and nothing is half written:

- ``require_room``, before a ticket's transaction and before the card terminal is asked (a card
  must not be charged for a sale that cannot be written): one ``statvfs`` of the database's
  folder against a floor (``till.min_free_mb``), its read-only flag, the file's and folder's
  write permission, and ``PRAGMA query_only``. Cheap: no write, no lock.
- ``disk_failures_refused``, around the transaction, for what the check cannot foresee (the
  disk fills during the transaction): the transaction has rolled back by then (``atomic``), and
  the error becomes a ``DiskUnwritable`` the screens show like any refusal.

A refused ticket is sealed in chain L (``WRITE_REFUSED``) when the disk still takes that: a
floor's refusal leaves room for it; a full disk often, a read-only one always, refuses it too,
and only the log (which may not be written either) says it.

The same figures feed ``till doctor`` (``till.shop.doctor.database``) and the manager's
screen (``disk_notice``): one reading of the disk, one floor. PostgreSQL keeps its files on its
server, often another host: nothing is checked here, and its own errors are not translated.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import peewee

from till.errors import TillError
from till.fiscal.chain import Sealer
from till.fiscal.events import record_event
from till.i18n import N_, Phrase

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MIN_FREE_MB = 50
"""Below this SQLite may fail to commit a sale (its WAL grows with each one): sales stop and
``till doctor`` fails. ``till.min_free_mb`` in till.toml changes it."""
WARN_FREE_BYTES = 500 * MB
"""Below this (or a tenth of the disk) a till has weeks left, not months: a warning."""

DISK_FULL = N_("The disk is full ({free} MB free, {floor} MB needed): nothing was written. Call the technician; "
               "the sale is kept and can be paid once space is freed")
DISK_FILLED = N_("The disk is full: nothing was written. Call the technician; the sale is kept and can be paid "
                 "once space is freed")
READ_ONLY = N_("The database cannot be written ({reason}): nothing was written. Call the technician; the sale is "
               "kept and can be paid once it is fixed")
NOTICE_LOW = N_("Disk: only {free} MB free on {folder}; sales stop under {floor} MB: call the technician")
NOTICE_READ_ONLY = N_("Disk: the database cannot be written ({reason}): no sale can be recorded, call the technician")
REASON_MOUNT = N_("the disk is mounted read-only")
REASON_FILE = N_("the file {file} is read-only")
REASON_FOLDER = N_("the folder {folder} is read-only")
REASON_QUERY_ONLY = N_("the database was opened read-only")
REASON_SQLITE = N_("SQLite refused to write")

WRITE_REFUSED = "DISK_WRITE_REFUSED"
"""Chain L: a ticket refused because the disk was full or read-only (when the disk takes it)."""

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskUnwritable(TillError):
    """The database's disk is full or read-only: the ticket was refused, nothing was written."""


@dataclass(frozen=True)
class Room:
    """What the database's file system has: its folder, free and total bytes, and whether it
    can be written (``read_only``: a message id, its parameters in ``read_only_params``)."""

    folder: Path
    free: int
    total: int
    read_only: str | None = None
    read_only_params: tuple[tuple[str, str], ...] = ()

    @property
    def free_mb(self) -> int:
        return self.free // MB

    @property
    def total_mb(self) -> int:
        return self.total // MB


def sqlite_path(database: peewee.Database) -> Path | None:
    """The SQLite file behind ``database``; None for PostgreSQL or an in-memory database."""
    if not isinstance(database, peewee.SqliteDatabase):
        return None
    name = str(database.database)
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(name.split("?", 1)[0].removeprefix("file:"))


def room_of(folder: Path, file: Path | None = None) -> Room:
    """The free space and the read-only state of ``folder``'s file system (``file``: the
    database in it, whose own write permission counts too). ``os.access`` lets root through a
    0444 file; the mount flag (``ST_RDONLY``) stops root as it stops SQLite."""
    usage = os.statvfs(folder)
    free, total = usage.f_bavail * usage.f_frsize, usage.f_blocks * usage.f_frsize
    reason: tuple[str, tuple[tuple[str, str], ...]] | None = None
    if usage.f_flag & os.ST_RDONLY:
        reason = (REASON_MOUNT, ())
    elif file is not None and file.exists() and not os.access(file, os.W_OK):
        reason = (REASON_FILE, (("file", str(file)),))
    elif not os.access(folder, os.W_OK):
        reason = (REASON_FOLDER, (("folder", str(folder)),))
    return Room(folder, free, total, *(reason or (None, ())))


def database_room(database: peewee.Database) -> Room | None:
    """``room_of`` the SQLite file's folder, read-only too when the connection is
    (``PRAGMA query_only``); None for PostgreSQL and in-memory databases."""
    path = sqlite_path(database)
    if path is None:
        return None
    room = room_of(path.parent, path)
    if room.read_only is None and not database.is_closed():
        if database.execute_sql("PRAGMA query_only").fetchone()[0]:
            room = Room(room.folder, room.free, room.total, REASON_QUERY_ONLY)
    return room


def reason_of(room: Room) -> Phrase:
    """Why ``room`` cannot be written, shown in the language of the message it is put in."""
    return Phrase(room.read_only or REASON_SQLITE, room.read_only_params)


def require_room(database: peewee.Database, min_free_mb: int = DEFAULT_MIN_FREE_MB) -> None:
    """Refuse (``DiskUnwritable``) a ticket the database could not hold: a read-only disk,
    file or connection, or less than ``min_free_mb`` free. Call it before the transaction and
    before the card terminal is asked."""
    room = database_room(database)
    if room is None:
        return
    if room.read_only is not None:
        raise DiskUnwritable(READ_ONLY, reason=reason_of(room))
    if room.free < min_free_mb * MB:
        raise DiskUnwritable(DISK_FULL, free=room.free_mb, floor=min_free_mb)


def disk_notice(database: peewee.Database, min_free_mb: int = DEFAULT_MIN_FREE_MB) -> TillError | None:
    """What the manager's screen says about the disk: read-only, or under the doctor's warning
    level (``WARN_FREE_BYTES``, or ten times a higher floor); None when all is well."""
    try:
        room = database_room(database)
    except OSError:
        return None
    if room is None:
        return None
    if room.read_only is not None:
        return TillError(NOTICE_READ_ONLY, reason=reason_of(room))
    if room.free < max(WARN_FREE_BYTES, min_free_mb * 10 * MB):
        return TillError(NOTICE_LOW, free=room.free_mb, folder=str(room.folder), floor=min_free_mb)
    return None


def refusal_for(error: BaseException) -> DiskUnwritable | None:
    """The cashier's refusal for a write that failed on a full or read-only disk; None for any
    other error (a bug or a busy database, handled elsewhere).

    The error raised may be a consequence: SQLite rolls a transaction back by itself on
    SQLITE_FULL, so the ROLLBACK that follows fails ("no transaction is active") with the disk's
    error as its context. The chain of contexts is read for the cause."""
    seen = 0
    cause: BaseException | None = error
    while cause is not None and seen < 5:
        refusal = _refusal_for_one(cause)
        if refusal is not None:
            return refusal
        cause, seen = cause.__context__, seen + 1
    return None


def _refusal_for_one(error: BaseException) -> DiskUnwritable | None:
    if isinstance(error, DiskUnwritable):  # already said, deeper down (the ticket inside a return)
        return error
    if isinstance(error, OSError):
        if error.errno in _FULL_ERRNOS:
            return DiskUnwritable(DISK_FILLED)
        if error.errno == errno.EROFS:
            return DiskUnwritable(READ_ONLY, reason=Phrase(REASON_MOUNT))
        return None
    if isinstance(error, (peewee.DatabaseError, sqlite3.DatabaseError)):
        text = str(error).lower()
        if "database or disk is full" in text:
            return DiskUnwritable(DISK_FILLED)
        if "readonly database" in text or "read-only file system" in text:
            return DiskUnwritable(READ_ONLY, reason=Phrase(REASON_SQLITE))
    return None


@contextmanager
def disk_failures_refused() -> Iterator[None]:
    """Around a ticket's transaction: a full or read-only disk met while writing (the
    transaction already rolled back) becomes a ``DiskUnwritable``; anything else goes through."""
    try:
        yield
    except (OSError, peewee.DatabaseError, sqlite3.DatabaseError) as error:
        refusal = refusal_for(error)
        if refusal is None:
            raise
        raise refusal from None


def record_refusal(sealer: Sealer, refusal: DiskUnwritable, user_id: int | None = None) -> bool:
    """Seal ``refusal`` in chain L, in its own transaction, when the disk still takes it: a
    floor's refusal leaves room for it, a disk that filled during the ticket often does not, a
    read-only one never. False (and a line in the log, which may not be written either) then."""
    try:
        with disk_failures_refused():
            record_event(sealer, WRITE_REFUSED, "ticket refused: the disk is full or read-only", user_id=user_id,
                         details={"message": refusal.text("en")})
        return True
    except DiskUnwritable:
        log.warning("a ticket was refused (%s) and the disk refused its technical event too", refusal)
        return False
