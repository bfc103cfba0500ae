"""Dismissing a signal (sealed in chain L, kept in the report) and `till report signals`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from store.models import FiscalRecord
from till.cli.main import main
from till.fiscal.events import SIGNAL_DISMISSED
from till.loss.dismissal import DismissalError, dismiss
from tests.support.loss import return_all, signals_today, today
from tests.support.shop import sell


def _signal(shop):
    """A sale refunded by the cashier who made it: one receipt signal today."""
    sale = sell(shop, [("WIN", 1)])
    refund = return_all(shop, sale)
    [signal] = signals_today(shop)
    return sale, refund, signal


def _report(shop, capsys, form: str) -> str:
    day = today(shop).start.isoformat()
    capsys.readouterr()
    assert main(["--config", str(shop.config.path), "report", "signals", "--from", day, "--to", day,
                 "--format", form]) == 0
    return capsys.readouterr().out


def test_a_dismissal_is_sealed_in_chain_l_and_kept_in_the_report(shop, capsys):
    sale, refund, signal = _signal(shop)
    made = dismiss(shop.ctx.sealer, signal.key, shop.manager.id, "the cashier's own purchase, checked")

    record = FiscalRecord.get((FiscalRecord.chain == "L") & (FiscalRecord.kind == SIGNAL_DISMISSED))
    assert made.record == f"L01-{record.sequence}"
    assert json.loads(record.payload)["details"]["key"] == signal.key
    [row] = json.loads(_report(shop, capsys, "json"))["rows"]
    assert row["key"] == signal.key and row["evidence"] == f"{sale.code} {refund.code}"
    assert shop.manager.name in row["dismissed"] and "the cashier's own purchase, checked" in row["dismissed"]
    assert made.record in row["dismissed"]


def test_a_dismissal_needs_a_manager_and_a_note(shop):
    _, _, signal = _signal(shop)
    before = FiscalRecord.select().count()
    with pytest.raises(DismissalError):
        dismiss(shop.ctx.sealer, signal.key, shop.cashier.id, "not me")
    with pytest.raises(DismissalError):
        dismiss(shop.ctx.sealer, signal.key, shop.manager.id, "  ")
    assert FiscalRecord.select().count() == before


def test_the_report_in_its_three_formats(shop, capsys):
    sale, refund, signal = _signal(shop)

    table = _report(shop, capsys, "table")
    # the shop speaks French: the table is in its language
    assert "Remboursé par le vendeur" in table and sale.code in table and refund.code in table
    assert "Vente remboursée par le caissier qui l'a faite (Camille Martin)" in table
    rows = list(csv.DictReader(io.StringIO(_report(shop, capsys, "csv"))))
    assert [(r["key"], r["value"], r["threshold"], r["dismissed"]) for r in rows] == [(signal.key, "1", "1", "")]
    document = json.loads(_report(shop, capsys, "json"))
    assert document["report"] == "signals" and [r["key"] for r in document["rows"]] == [signal.key]


def test_a_quiet_period_reports_nothing_to_report(shop, capsys):
    assert "Rien à signaler pour Signaux de prévention des pertes" in _report(shop, capsys, "table")
