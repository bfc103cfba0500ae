"""Numbered, forward-only schema steps, applied in order by ``till init`` and at every start.

Each step is a module ``mNNNN_name.py`` in this package with a function ``up(database)``. A
step runs in its own transaction together with the row that records it in
``schema_migration``, so a failed step leaves the database as it was. Steps are never edited
once released: a change of schema is a new step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.resources
import pkgutil
import re

import peewee

_STEP = re.compile(r"^m(\d{4})_\w+$")


def steps() -> list[tuple[int, str]]:
    """``(number, module name)`` of every step shipped, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = _STEP.match(info.name)
        if match:
            found.append((int(match.group(1)), info.name))
    return sorted(found)


def fingerprint() -> str:
    """A short hash of every step's source: tells a database made by other code (a benchmark
    shop kept between runs, say) from one this code would make."""
    digest = hashlib.sha256()
    for _, name in steps():
        digest.update((importlib.resources.files(__name__) / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def _ensure_history(database: peewee.Database) -> None:
    database.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " version INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, applied_at VARCHAR(32) NOT NULL)"
    )


def applied(database: peewee.Database) -> set[int]:
    """Numbers of the steps already applied to ``database``."""
    _ensure_history(database)
    return {row[0] for row in database.execute_sql("SELECT version FROM schema_migration").fetchall()}


def apply_pending(database: peewee.Database) -> list[str]:
    """Apply every step not yet applied; returns the names applied now."""
    done_now = []
    for number, name in steps():
        with database.atomic():
            if isinstance(database, peewee.PostgresqlDatabase):
                # Two tills starting together on one shop database must not both migrate.
                _ensure_history(database)
                database.execute_sql("LOCK TABLE schema_migration IN EXCLUSIVE MODE")
            if number in applied(database):
                continue
            module = importlib.import_module(f"{__name__}.{name}")
            module.up(database)
            database.execute_sql(
                "INSERT INTO schema_migration (version, name, applied_at) VALUES (%s, %s, %s)"
                if isinstance(database, peewee.PostgresqlDatabase)
                else "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                (number, name, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
            )
            done_now.append(name)
    return done_now
