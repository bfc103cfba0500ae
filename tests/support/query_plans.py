"""What SQLite does with the statements a path runs: captured, then asked for their plans.

A path that must stay flat in the shop's history (start-up, the loss-prevention signals of a
day) fails its test when a statement may read a table that grows with the history whole: a
``SCAN`` of it, or a search narrowed only to a till or chain that then sorts, filters or takes
every row found. Plans depend on the indexes, not on the table sizes, so a small history shows
them.
"""

from __future__ import annotations

import re
import sqlite3

import peewee

__all__ = ["SMALL_TABLES", "capture_statements", "unbounded_reads"]

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


def capture_statements(monkeypatch) -> list[str]:
    """Every SQL statement run on a SQLite connection from now on, parameters bound in."""
    statements: list[str] = []
    hook = peewee.SqliteDatabase._add_conn_hooks

    def add_hooks(self, connection):
        hook(self, connection)
        connection.set_trace_callback(statements.append)

    monkeypatch.setattr(peewee.SqliteDatabase, "_add_conn_hooks", add_hooks)
    return statements


def unbounded_reads(path: str, statements: list[str]) -> list[tuple[str, str, str]]:
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
