"""Start-up stays flat in the shop's history: every statement the till runs from launch to the
login screen, and from the login to the first scanned line, is answered through an index.

A shop with a million tickets must start as fast as a new one. SQLite answers a query without a
usable index by reading the whole table (``SCAN``), or by walking the primary key backwards for
``MAX(id)`` / ``ORDER BY id DESC LIMIT 1`` with a filter on another column until a row matches:
when none does, that is the whole table too. So the test captures every statement of the real
start path (``start_till``, the app's mount, the login, the first scan, driven with Pilot) on a
shop with some history, asks SQLite for each one's plan, and fails on a ``SCAN`` of any table
that grows with the shop's history. Plans depend on the indexes, not on the table sizes (the
shop is not ANALYZEd), so a small history is enough.
"""

from __future__ import annotations

import re
import sqlite3

import peewee

from tests.support.pilot import SIZE, burst, log_in, settle
from tests.support.shop import sell
from till.i18n import set_language
from till.shop.running import start_till

SMALL_TABLES = {
    # Tables whose size is the shop's set-up, not its history: a SCAN of them is bounded.
    "user",            # the staff
    "vat_rate",        # a handful of rates and their validity dates
    "chain_head",      # one row per till and chain
    "signing_key",     # one per key rotation
    "schema_migration",  # one per schema migration
    "setting",         # configuration-like values
    "sqlite_master", "sqlite_schema",
}
"""Tables a start-up statement may read whole: fixed or set-up sized."""

PARTITION = {"till_id", "chain"}
"""Columns that narrow a history table only to a till or a chain: a search on them alone is
bounded only when it takes the first rows in the index's own order (``ORDER BY sequence DESC
LIMIT 1`` on (till, chain, sequence)) and filters nothing else."""

_SCAN = re.compile(r"^SCAN (\w+)")
_SEARCH = re.compile(r"^SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(([^)]*)\)")
_ALIAS = re.compile(r'"(\w+)" AS "(\w+)"')
_FILTER = re.compile(r'(?:"(\w+)"\.)?"(\w+)" (?:=|IN) ')


def _capture(monkeypatch) -> list[str]:
    """Every SQL statement run on a SQLite connection from now on, parameters bound in."""
    statements: list[str] = []
    hook = peewee.SqliteDatabase._add_conn_hooks

    def add_hooks(self, connection):
        hook(self, connection)
        connection.set_trace_callback(statements.append)

    monkeypatch.setattr(peewee.SqliteDatabase, "_add_conn_hooks", add_hooks)
    return statements


def _unbounded(path: str, statements: list[str]) -> list[tuple[str, str, str]]:
    """(table, why, statement) for each statement whose plan may read a history table whole:
    a ``SCAN`` of it, or a search that narrows it only to a till or chain and then sorts all
    the rows found, filters them on another column, or takes them all."""
    connection = sqlite3.connect(path)
    found = []
    try:
        seen = set()
        for sql in statements:
            head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            if head not in ("SELECT", "UPDATE", "DELETE", "WITH") or sql in seen:
                continue
            seen.add(sql)
            tables = {alias: table for table, alias in _ALIAS.findall(sql)}
            plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]
            sorts = any(detail.startswith("USE TEMP B-TREE FOR ORDER BY") for detail in plan)
            where = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else ""
            for detail in plan:
                scan, search = _SCAN.match(detail), _SEARCH.match(detail)
                name = (scan or search).group(1) if scan or search else None
                table = tables.get(name, name)
                if table is None or table == "CONSTANT" or table in SMALL_TABLES:
                    continue
                if scan:
                    found.append((table, detail, sql))
                    continue
                used = set(re.findall(r"(\w+)[=<>]", search.group(2)))
                if not used <= PARTITION:
                    continue
                filtered = {column for alias, column in _FILTER.findall(where)
                            if tables.get(alias, alias or table) == table} - used
                if sorts or filtered or " LIMIT " not in sql:
                    why = "sorts them" if sorts else f"filters on {sorted(filtered)}" if filtered else "reads all"
                    found.append((table, f"{detail}: {why}", sql))
    finally:
        connection.close()
    return found


async def test_start_login_and_first_scan_never_scan_a_history_table(make_shop, monkeypatch):
    # GIVEN a shop with some history: sales on past days (closed) and today
    shop = make_shop()
    for days_ago in (3, 2, 1):
        sell(shop, [("BAG", 1), ("COF", 2)], days_ago=days_ago)
    for _ in range(20):
        sell(shop, [("WIN", 1)], card=895)
    config = shop.config
    code = shop.barcodes["COF"]
    shop.ctx.close()
    statements = _capture(monkeypatch)

    # WHEN the till starts, a cashier logs in and scans a first item
    from till.ui.app import TillApp  # deferred: Textual loads only for this test's screens

    ctx = start_till(config)
    try:
        set_language("en")
        app = TillApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await log_in(pilot)
            burst(app, code)
            await settle(pilot)
            assert [line.sku for line in app.screen.basket.lines] == ["COF"]
    finally:
        ctx.close()

    # THEN no statement read a table that grows with the history from end to end
    assert statements
    unbounded = _unbounded(ctx.database.database, statements)
    assert not unbounded, "\n".join(f"{table}: {why}: {sql}" for table, why, sql in unbounded)


