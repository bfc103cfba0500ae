"""Accounting lines and stock movements are rebuilt from the signed ticket payloads.

With the append-only triggers dropped, or by a plain INSERT, the accounting lines (the FEC's
source), the stock movements and levels could be changed while every record still verifies.
``till journal verify`` rebuilds them from each ticket's sealed payload and reports any row
that differs, is missing, or has no sealed ticket.
"""

from __future__ import annotations

import datetime as dt

import pytest

from store.models import AccountingLine, StockLevel, StockMovement
from till.cli.main import main
from till.shop.ledgers import seal_baseline
from till.selling.stock import location_id, move_stock
from tests.credit.test_credit_notes import refund_into_credit
from tests.support.journal import problems_text, unprotect, verify_shop
from tests.support.shop import sell


@pytest.fixture
def trading(any_shop):
    """The shop with its opening stock and staff sealed, two sales and a refund into credit."""
    shop = any_shop
    seal_baseline(shop.ctx.sealer)
    sale = sell(shop, [("WIN", 2), ("BAG", 3)])
    sell(shop, [("COF", 1)], card=459)
    refund_into_credit(shop, 895)
    report = verify_shop(shop)
    assert report.ok, problems_text(report)
    return shop, sale


def test_a_changed_accounting_amount_is_reported(trading):
    shop, sale = trading
    unprotect(shop.ctx.database)  # an attacker with the database
    AccountingLine.update(credit_cents=AccountingLine.credit_cents - 100).where(
        (AccountingLine.ticket == sale.id) & (AccountingLine.credit_cents > 100)).execute()
    report = verify_shop(shop)
    assert not report.ok
    assert f"accounting line of ticket {sale.id} is in no sealed record" in problems_text(report)
    assert f"accounting line of ticket {sale.id} sealed in its payload is missing" in problems_text(report)


def test_an_inserted_accounting_line_is_reported(trading):
    shop, sale = trading
    line = AccountingLine.get(AccountingLine.ticket == sale.id)
    AccountingLine.create(ticket=sale.id, journal=line.journal, entry_date=line.entry_date, account="6234",
                          label="forged", debit_cents=1000, credit_cents=0)
    AccountingLine.create(ticket=None, journal=line.journal, entry_date=line.entry_date, account="531",
                          label="forged", debit_cents=0, credit_cents=1000)
    text = problems_text(verify_shop(shop))
    assert "forged" in text and "has no sealed ticket" in text


def test_a_deleted_accounting_line_is_reported(trading):
    shop, sale = trading
    unprotect(shop.ctx.database)
    AccountingLine.delete().where((AccountingLine.ticket == sale.id)
                                  & AccountingLine.account.startswith("7")).execute()
    assert "sealed in its payload is missing" in problems_text(verify_shop(shop))


def test_a_changed_or_inserted_stock_movement_and_a_changed_level_are_reported(trading):
    shop, sale = trading
    wine = shop.products["WIN"]
    StockMovement.update(quantity=-1).where((StockMovement.ticket_id == sale.id)
                                             & (StockMovement.product == wine.id)).execute()
    text = problems_text(verify_shop(shop))
    assert f"stock movement of ticket {sale.id} is in no sealed record" in text
    assert f"stock level of product {wine.id}" in text

    move_stock(wine.id, "sellable", 40, "count", None, dt.datetime(2026, 1, 1))  # no sealer: nothing proves it
    assert "has no ticket and no sealed record" in problems_text(verify_shop(shop))


def test_a_level_that_is_not_the_sum_of_its_movements_is_reported(trading):
    shop, _sale = trading
    bag = shop.products["BAG"]
    StockLevel.update(quantity=StockLevel.quantity + 100).where(
        (StockLevel.product == bag.id) & (StockLevel.location == location_id("sellable"))).execute()
    assert f"stock level of product {bag.id}" in problems_text(verify_shop(shop))


def test_a_sealed_adjustment_verifies(trading):
    shop, _sale = trading
    with shop.ctx.database.atomic():
        move_stock(shop.products["SOA"].id, "damaged", 2, "count", None, dt.datetime(2026, 1, 1),
                   sealer=shop.ctx.sealer)
    report = verify_shop(shop)
    assert report.ok, problems_text(report)


def test_till_journal_verify_reports_an_altered_accounting_row(trading, capsys):
    shop, sale = trading
    unprotect(shop.ctx.database)
    AccountingLine.update(account="4711").where((AccountingLine.ticket == sale.id)
                                                & AccountingLine.account.startswith("7")).execute()
    assert main(["journal", "verify", "--config", str(shop.config.path)]) == 1
    assert "4711" in capsys.readouterr().out
