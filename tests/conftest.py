"""Shared fixtures for the whole test suite.

Databases
---------
``sqlite_url``       a SQLite file in the test's tmp_path.
``pg_url``           a fresh, empty PostgreSQL database for this test only.
``db_url``           parametrized: each test using it runs once on ``sqlite`` and
                     once on ``postgres`` (the latter marked ``postgres``).
``postgres_server``  the session's one PostgreSQL server (tests/support/postgres.py);
                     started on first use, stopped at the end of the session.

All URLs are understood by ``playhouse.db_url.connect``.  Tests that use the
server are marked ``postgres`` automatically, so ``pytest -m "not postgres"``
runs without it.  Where PostgreSQL can't be run, those tests are skipped, with
the reason in pytest's summary; with ``TILL_REQUIRE_POSTGRES=1`` (set by
.ci/run) they fail instead, so CI can't go green without the server.

Shops (tests/support/shop.py)
-----------------------------
``shop``             the small real shop on SQLite, the test's own copy of a template shop
                     built once per session (building costs migrations, scrypt and a key).
``any_shop``         the same, once on ``sqlite`` and once on ``postgres`` (a database made
                     with ``CREATE DATABASE ... TEMPLATE`` from the session's template shop).
``pg_shop``          the same on PostgreSQL only.
``make_shop``        ``make_shop(engine="sqlite", folder=None)``: more shops in one test.

Keep this file to fixtures that many test files share; put the others in the conftest.py of
their folder, and helpers (plain functions) in tests/support/.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import re

import pytest

from devices.payment.concert import ConcertTerminal, ConcertTimeouts
from devices.simulators.concert_sim import ConcertSimulator
from till.selling.card_journal import JournaledTerminal
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.shop import ShopTemplates
from till.i18n import set_language

_PG_FIXTURES = {"postgres_server", "pg_url"}


def pytest_collection_modifyitems(items):
    # Mark tests that use the server directly; db_url's postgres param carries its own mark.
    for item in items:
        if _PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)



@pytest.fixture(autouse=True)
def english_at_each_start():
    """Every test starts, and leaves, with messages in English: a command run in-process sets the
    shop's language (French in the example configuration), which would otherwise carry over to
    the next test and make its outcome depend on the order the tests run in."""
    set_language("en")
    yield
    set_language("en")

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


@pytest.fixture(scope="session")
def shop_templates(tmp_path_factory) -> ShopTemplates:
    """The template shops, copied for each test: SQLite's built now (before any test's own
    fixtures, which may set the clock), PostgreSQL's on first use."""
    templates = ShopTemplates(tmp_path_factory.mktemp("templates"))
    templates.template("sqlite")
    return templates


@pytest.fixture
def make_shop(request, tmp_path, shop_templates):
    """``make_shop(engine="sqlite", folder=None)``: a copy of the template shop, in ``folder``
    (``tmp_path / "shop"`` by default); closed (and its PostgreSQL database dropped) afterwards."""
    made = []

    def make(engine: str = "sqlite", folder=None):
        # getfixturevalue: a SQLite shop must not start PostgreSQL.
        server = request.getfixturevalue("postgres_server") if engine == "postgres" else None
        shop, database = shop_templates.copy(folder or tmp_path / "shop", engine, server)
        made.append((shop, server, database))
        return shop

    yield make
    for shop, server, database in reversed(made):
        shop.ctx.close()
        if database is not None:
            server.drop_database(database)


@pytest.fixture
def shop(make_shop):
    """The small real shop on a SQLite file (see tests/support/shop.py)."""
    return make_shop()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def any_shop(request, make_shop):
    """The small real shop, once on SQLite and once on PostgreSQL."""
    return make_shop(request.param)


@pytest.fixture
def pg_shop(postgres_server, make_shop):
    """The small real shop on PostgreSQL."""
    return make_shop("postgres")


@pytest.fixture
def concert(shop):
    """(the simulator, the shop's journaled Concert terminal on it): the real driver on a pty,
    with short timeouts, journaled as the till's own terminal is."""
    with ConcertSimulator(step_s=0.2) as simulator:
        driver = ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(0.2, 1.0, 2))
        yield simulator, JournaledTerminal(driver, shop.ctx.till_id, sealer=shop.ctx.sealer)


@pytest.fixture
def own_logging():
    """For tests of the log files: ``setup_logging`` replaces the root handlers: give the test runner's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
