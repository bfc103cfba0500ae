"""Shared fixtures for the whole test suite.

Databases
---------
``sqlite_url``       a SQLite file in the test's tmp_path.
``pg_url``           a fresh, empty PostgreSQL database for this test only.
``db_url``           parametrized: each test using it runs once on ``sqlite`` and
                     once on ``postgres`` (the latter marked ``postgres``).
``postgres_server``  the session's one PostgreSQL server (tests/postgres_server.py);
                     started on first use, stopped at the end of the session.

All URLs are understood by ``playhouse.db_url.connect``.  Tests that use the
server are marked ``postgres`` automatically, so ``pytest -m "not postgres"``
runs without it.  Where PostgreSQL can't be run, those tests are skipped, with
the reason in pytest's summary; with ``TILL_REQUIRE_POSTGRES=1`` (set by
.ci/run) they fail instead, so CI can't go green without the server.

Keep this file to fixtures that many test files share; put the others next
to their tests.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re

import pytest

# tests/ has no __init__.py, so pytest puts it on sys.path (import mode "prepend").
from postgres_server import PostgresServer, PostgresUnavailable

_PG_FIXTURES = {"postgres_server", "pg_url"}


def pytest_collection_modifyitems(items):
    # Mark tests that use the server directly; db_url's postgres param carries its own mark.
    for item in items:
        if _PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server(request):
    """The session's PostgreSQL server, started lazily on first request."""
    try:
        server = PostgresServer()
        # Registered before start(): start() cleans up after itself if it fails,
        # and stop() is idempotent, so stopping twice (finalizer, atexit) is harmless.
        request.addfinalizer(server.stop)
        atexit.register(server.stop)
        server.start()
    except PostgresUnavailable as exc:
        message = f"PostgreSQL unavailable: {exc.reason}"
        if os.environ.get("TILL_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (TILL_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    return server


_db_counter = itertools.count(1)


@pytest.fixture
def pg_url(request, postgres_server):
    """URL of a fresh database, named after the test, dropped afterwards."""
    stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:40]
    name = f"t{next(_db_counter)}_{stem}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)  # WITH (FORCE): leaked connections don't block it


@pytest.fixture
def sqlite_url(tmp_path):
    """URL of a SQLite database file (not yet created) in the test's tmp_path."""
    return f"sqlite:///{tmp_path / 'till.db'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def db_url(request):
    """URL of an empty database, once per engine: store tests run on both."""
    # getfixturevalue, not a fixture argument: the sqlite run must not start PostgreSQL.
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def shop(tmp_path):
    """A small real shop on a SQLite file (see tests/shopkit.py)."""
    from shopkit import build_shop

    built = build_shop(tmp_path / "shop")
    yield built
    built.ctx.close()
