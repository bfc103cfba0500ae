"""A receipt scanned by a US-layout scanner on a French AZERTY console (``T01-0028837`` arrives
as ``Tà&)ààé__"è``) opens its return, on the sale screen and on the return screen (Pilot, a real
SQLite shop)."""

from __future__ import annotations

from tests.support.devices import mangle
from tests.support.pilot import SIZE, burst, log_in, settle, status_text
from tests.support.shop import sell
from devices.keyboard_layout import US_ON_AZERTY
from till.ui.returns.screen import ReturnScreen


async def test_a_mangled_receipt_code_on_the_sale_screen_opens_its_return(app, shop):
    sale = sell(shop, [("WIN", 1)], cash=895)
    seen = mangle(sale.code, US_ON_AZERTY)
    assert seen != sale.code
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, seen)
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen), status_text(app)
        assert app.screen.session.original.id == sale.id


async def test_a_mangled_receipt_code_on_the_return_screen_opens_it(app, shop):
    sale = sell(shop, [("WIN", 1)], cash=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        burst(app, mangle(sale.code, US_ON_AZERTY))
        await settle(pilot)
        assert app.screen.session.original is not None, status_text(app)
        assert app.screen.session.original.id == sale.id
        assert sale.code in status_text(app)
