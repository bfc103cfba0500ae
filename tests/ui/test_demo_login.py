"""The demo's login screen shows its PINs and the receipts still to return; a real shop's never does."""

from __future__ import annotations

from till.config.loader import load
from till.demo.build import build_demo
from till.demo.offered import receipts_to_return
from till.i18n import set_language
from till.money import format_cents
from till.shop.context import TillContext
from tests.support.pilot import SIZE, screen_text


async def test_the_demo_login_screen_shows_pins_and_receipts_to_return(tmp_path):
    config = build_demo(tmp_path / "shop", days=2)  # two days: never only the Monday it is closed
    set_language("fr")
    ctx = TillContext.open(load(config.path))
    try:
        from till.ui.app import TillApp

        app = TillApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = screen_text(app)
            assert "cashier 1111, manager 9999" in shown
            offered = receipts_to_return()
            assert offered
            for code, total, _means in offered:
                assert code in shown and format_cents(total, "fr") in shown  # the till's language
            assert "Entrée : champ suivant, puis connexion" in shown  # all of it within 80x24
    finally:
        ctx.close()


async def test_a_real_shop_shows_no_pin_at_login(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "1111" not in screen_text(app) and "9999" not in screen_text(app)
