"""Tail anchors from the command line, real processes: a cut chain stops the till's start (exit
2, a clear line), fails ``till journal verify`` (exit 1, sealed), and a manager acknowledges it
(``till journal acknowledge-anchor --note``), after which the till starts again."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli.test_cli import _sell
from tests.support.processes import till


@pytest.fixture
def cut_shop(tmp_path):
    folder = tmp_path / "shop"
    assert till("init", "--dir", str(folder), "--till-id", "02").returncode == 0
    config = folder / "till.toml"
    _sell(config, 4)
    assert till("--config", str(config), "user", "add", "max", "--role", "manager", "--pin", "9999").returncode == 0
    with sqlite3.connect(folder / "till.db") as con:  # the last sale's record, ticket and rows go
        for trigger in ("fiscal_record", "ticket_line", "payment", "ticket_vat", "accounting_line", "ticket"):
            con.execute(f"DROP TRIGGER {trigger}_no_delete")
        con.execute("PRAGMA foreign_keys = OFF")
        ticket = con.execute("SELECT ticket_id FROM fiscal_record WHERE chain = 'T' AND sequence = 4").fetchone()[0]
        con.execute("DELETE FROM fiscal_record WHERE chain = 'T' AND sequence = 4")
        for table in ("ticket_line", "payment", "ticket_vat", "accounting_line"):
            con.execute(f"DELETE FROM {table} WHERE ticket_id = ?", (ticket,))
        # and its stock movements, the levels put back: a cut that leaves no trace but the anchors
        for product, location, quantity in con.execute(
                "SELECT product_id, location_id, quantity FROM stock_movement WHERE ticket_id = ?", (ticket,)).fetchall():
            con.execute("UPDATE stock_level SET quantity = quantity - ? WHERE product_id = ? AND location_id = ?",
                        (quantity, product, location))
        con.execute("DELETE FROM stock_movement WHERE ticket_id = ?", (ticket,))
        con.execute("DELETE FROM ticket WHERE id = ?", (ticket,))
        signature = con.execute("SELECT signature FROM fiscal_record WHERE chain = 'T' AND sequence = 3").fetchone()[0]
        con.execute("UPDATE chain_head SET sequence = 3, signature = ? WHERE chain = 'T'", (signature,))
    return folder


def _events(folder, kind):
    with sqlite3.connect(folder / "till.db") as con:
        return [json.loads(row[0]) for row in con.execute(
            "SELECT payload FROM fiscal_record WHERE chain = 'L' AND kind = ? ORDER BY sequence", (kind,))]


def test_a_cut_chain_stops_the_start_until_acknowledged(cut_shop):
    config = str(cut_shop / "till.toml")
    started = till("--config", config, "run")
    assert started.returncode == 2, started.stdout + started.stderr
    assert "ancrages de fin" in started.stderr and "Traceback" not in started.stderr  # the till speaks French
    assert _events(cut_shop, "ANCHOR_CHECK_FAILED")[-1]["details"]["where"] == "start"
    assert not _events(cut_shop, "APP_START")  # nothing sold, nothing started

    verified = till("--config", config, "journal", "verify")
    assert verified.returncode == 1
    assert "chaîne T de la caisse 02, enregistrement 4" in verified.stdout

    refused = till("--config", config, "journal", "acknowledge-anchor", "--note", " ", "--manager", "max",
                   "--pin", "9999")
    assert refused.returncode == 2
    done = till("--config", config, "journal", "acknowledge-anchor", "--note", "ticket 4 lost in a disk repair",
                "--manager", "max", "--pin", "9999")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _events(cut_shop, "ANCHOR_ACKNOWLEDGED")[-1]["details"]["note"] == "ticket 4 lost in a disk repair"
    again = till("--config", config, "journal", "verify")
    assert again.returncode == 0, again.stdout + again.stderr


def test_journal_verify_seals_an_anchor_failure_once_and_exits_1(cut_shop):
    config = str(cut_shop / "till.toml")
    first = till("--config", config, "journal", "verify")
    assert first.returncode == 1
    assert [event["details"]["where"] for event in _events(cut_shop, "ANCHOR_CHECK_FAILED")] == ["verify"]
    failure = _events(cut_shop, "ANCHOR_CHECK_FAILED")[0]["details"]
    assert any(anchor["chain"] == "T" and anchor["sequence"] == 4 for anchor in failure["anchors"])
    assert till("--config", config, "journal", "verify").returncode == 1  # still cut, sealed again
    closed = till("--config", config, "close", "day")
    assert closed.returncode == 2 and "ancrages de fin" in closed.stderr
    assert not _events(cut_shop, "CHAIN_HEADS")  # no closure on a cut chain
