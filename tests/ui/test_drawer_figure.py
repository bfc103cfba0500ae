"""The big figures on the sale screen say what the drawer gives for the ticket just written.

They used to keep the previous sale's change after a return with a cash part (6,61 shown while
the status said "Cash 5,00"): a cashier hands over what the big figures say. The real
``TillApp`` on a real SQLite shop, at 80x24.
"""

from __future__ import annotations

from till.ui.returns.resolution import ResolutionScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle
from tests.support.shop import sell


async def _keys(pilot, *names: str) -> None:
    for name in names:
        await pilot.press(name)
        await settle(pilot)


async def _sell_with_change(app, pilot, shop) -> None:
    """Coffee (4,59) paid with a 10 € note: 5,41 to hand back."""
    burst(app, shop.barcodes["COF"])
    await settle(pilot)
    await _keys(pilot, "f2", "c", "1", "0", "enter")
    assert app.screen.totals_panel.figure == ("CHANGE", 541)


async def test_a_cash_refund_replaces_the_previous_change(app, shop):
    sale = sell(shop, [("SOA", 1)])  # paid in cash: refunded in cash
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await _sell_with_change(app, pilot, shop)
        burst(app, sale.code)
        await settle(pilot)
        await _keys(pilot, "enter", "f3", "enter", "f2")
        assert isinstance(app.screen, ResolutionScreen)
        await _keys(pilot, "enter")
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.totals_panel.figure == ("TO REFUND", 350)
        assert "TO REFUND" in screen_text(app)
        burst(app, shop.barcodes["BAG"])  # the next ticket starts: the basket's total again
        await settle(pilot)
        assert app.screen.totals_panel.figure == ("TOTAL", 120)


async def test_a_card_refund_leaves_no_old_change_standing(app, shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await _sell_with_change(app, pilot, shop)
        burst(app, sale.code)
        await settle(pilot)
        await _keys(pilot, "enter", "f3", "enter", "f2", "enter")
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.totals_panel.figure == ("TOTAL", 0)


async def test_an_exchange_paid_in_cash_shows_its_change(app, shop):
    sale = sell(shop, [("BAG", 1)])
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await _sell_with_change(app, pilot, shop)
        burst(app, sale.code)
        await settle(pilot)
        await _keys(pilot, "enter", "f3", "enter", "f8")
        burst(app, shop.barcodes["WIN"])  # 8,95 for a 1,20 baguette: 7,75 due
        await settle(pilot)
        await _keys(pilot, "f2", "1", "0", "enter")
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.totals_panel.figure == ("CHANGE", 225)
