"""On the return screen, each returned item's code is noted as scanned (a scanner's burst) or
keyed (typed one key at a time), and the tally is sealed with the return in chain L: what the
cashier signal ``cashier_keyed_returns`` counts. The real ``TillApp``, driven with Pilot."""

from __future__ import annotations

import json

import pytest

from store.models import FiscalRecord, Ticket
from till.i18n import set_language
from till.loss.cashier_facts import RETURN_ENTRY
from till.ui.returns.screen import ReturnScreen
from tests.support.pilot import SIZE, burst, keys, log_in, settle
from tests.support.shop import sell


@pytest.fixture
def app(shop):
    """A ``TillApp`` on the shop, in English (not started: the test runs it)."""
    from till.ui.app import TillApp  # deferred: the app is loaded only by the screen tests

    set_language("en")
    return TillApp(shop.ctx)


async def type_slowly(pilot, code: str) -> None:
    """Keys typed by a person: well apart, as the burst detector reads typing."""
    for char in code:
        await pilot.press(char)
        await pilot.pause(0.06)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_keyed_and_a_scanned_item_are_sealed_with_the_return(app, shop):
    sale = sell(shop, [("SOA", 2), ("WIN", 1)], cash=2000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)  # the receipt, scanned at the sale screen
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)

        await type_slowly(pilot, shop.barcodes["SOA"])  # one soap keyed by hand
        burst(app, shop.barcodes["WIN"])  # the wine scanned
        await settle(pilot)
        assert {pick.sku: pick.quantity for pick in app.screen.session.picks} == {"SOA": 1, "WIN": 1}
        await keys(pilot, "f2", "enter")

    [written] = Ticket.select().where(Ticket.kind == "return")
    [entry] = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == RETURN_ENTRY))
    payload = json.loads(entry.payload)
    assert payload["details"] == {"return": written.code, "keyed": 1, "scanned": 1}
    assert payload["user_id"] == shop.cashier.id


async def test_lines_taken_from_the_list_are_not_counted(app, shop):
    """Enter on the ticket's only line takes it without any code: neither keyed nor scanned,
    so no entry is sealed (nothing to say about how a code came)."""
    sale = sell(shop, [("WIN", 1)], cash=1000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f2", "enter")
    assert Ticket.select().where(Ticket.kind == "return").count() == 1
    assert not FiscalRecord.select().where(FiscalRecord.kind == RETURN_ENTRY).exists()
