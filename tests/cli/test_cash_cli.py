"""`till cash in|out|correct|expected`: chain P documents from a shell, with a manager's PIN."""

from __future__ import annotations

import json

from store.models import CashMove
from till.cli import main as cli
from tests.support.queries import chain_records, events, row_counts
from tests.support.shop import sell


def _till(shop, *argv: str) -> int:
    return cli.main(["--config", str(shop.config.path), *argv])


def test_cash_in_out_and_expected_with_the_managers_pin(shop, capsys):
    assert _till(shop, "cash", "in", "opening_float", "150,00", "--reason", "float", "--manager", "manager",
                 "--pin", "9999") == 0
    assert "P01-000001" in capsys.readouterr().out
    assert _till(shop, "cash", "out", "withdrawal", "100", "--reason", "safe", "--manager", "manager",
                 "--pin", "9999") == 0
    (float_in, withdrawal) = [json.loads(r.payload) for r in chain_records("P")]
    assert (float_in["kind"], float_in["amount_cents"], float_in["approved_by"]["id"]) == (
        "opening_float", 15000, shop.manager.id)
    assert (withdrawal["kind"], withdrawal["drawer_cents"]) == ("withdrawal", -10000)
    assert [e["description"] for e in events("MANAGER_OVERRIDE")][-2:] == [
        "cash move: opening_float", "cash move: withdrawal"]
    capsys.readouterr()
    assert _till(shop, "cash", "expected") == 0
    assert "50,00" in capsys.readouterr().out


def test_a_wrong_pin_or_a_bad_amount_writes_no_document(shop, capsys):
    before = row_counts(CashMove, chains=("P",))
    assert _till(shop, "cash", "in", "opening_float", "150", "--reason", "float", "--manager", "manager",
                 "--pin", "0000") == 2
    assert _till(shop, "cash", "in", "opening_float", "0", "--reason", "float", "--manager", "manager",
                 "--pin", "9999") == 2
    assert _till(shop, "cash", "out", "withdrawal", "1", "--reason", "safe", "--manager", "manager",
                 "--pin", "9999") == 2  # the drawer holds nothing yet
    err = capsys.readouterr().err
    assert "Type an amount above zero" in err or "supérieur à zéro" in err
    assert row_counts(CashMove, chains=("P",)) == before


def test_cash_correct_moves_a_tickets_cash_to_card(shop, capsys):
    ticket = sell(shop, [("WIN", 1)], cash=895)
    assert _till(shop, "cash", "correct", ticket.code, "8,95", "--from", "cash", "--to", "card", "--reason",
                 "card keyed as cash", "--manager", "manager", "--pin", "9999") == 0
    (correction,) = [json.loads(r.payload) for r in chain_records("P")]
    assert correction["origin"]["code"] == ticket.code and correction["to_means"] == "card"
    assert _till(shop, "cash", "correct", ticket.code, "0,01", "--from", "cash", "--to", "card", "--reason",
                 "again", "--manager", "manager", "--pin", "9999") == 2
    assert len(chain_records("P")) == 1
