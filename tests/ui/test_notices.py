"""Notices (toasts) never hide the figures: the scanner's keyboard-layout notice on the sale
screen, then at payment, then on the return screen, at 80x24."""

from __future__ import annotations

from textual.widgets._toast import Toast

from devices.keyboard_layout import US_ON_AZERTY
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.payment import PaymentScreen
from tests.support.devices import mangle
from tests.support.pilot import SIZE, burst, foreign_glyphs, log_in, screen_text, settle
from tests.support.shop import sell


def notice_regions(app) -> list:
    regions = [toast.region for toast in app.screen.query(Toast)]
    assert regions, "no notice on screen"
    return regions


def assert_clear_of(app, selector: str) -> None:
    figures = app.screen.query_one(selector).region
    for region in notice_regions(app):
        assert not region.overlaps(figures), f"the notice {region} covers {selector} {figures}"


async def test_the_scanner_layout_notice_leaves_the_totals_and_the_payment_in_view(app, shop):
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await log_in(pilot)
        # GIVEN a scanner set to US on an AZERTY console: its digits arrive as &é"'(...
        burst(app, mangle(shop.barcodes["COF"], US_ON_AZERTY))
        await settle(pilot)
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]
        # THEN the notice says so, and the TOTAL stays in view beside it
        [notice] = app.screen.query(Toast)
        assert "US (QWERTY) layout on a French (AZERTY) keyboard" in str(notice.render())
        text = screen_text(app)
        assert_clear_of(app, "#totals")
        assert "TOTAL" in text and not foreign_glyphs(text)
        # AND at payment, while the notice still shows, the figures stay in view too
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert_clear_of(app, "#payment-figures")
        assert "Total to pay" in screen_text(app)


async def test_a_notice_leaves_the_return_total_in_view(app, shop):
    sale = sell(shop, [("WIN", 1), ("COF", 2)], cash=5000)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        app.notify("The scanner types with a US (QWERTY) layout on a French (AZERTY) keyboard: "
                   "read as 3760000000024. Set the scanner to French (AZERTY) with its programming "
                   "code, or use the evdev source", severity="warning", timeout=15)
        await settle(pilot)
        assert_clear_of(app, "#return-total")
        assert "To refund" in screen_text(app)
