"""Every glyph on screen exists in a Linux console font (Lat15/Uni2 tables): no ▁▔▊ blocks.

Renders the main screens at 80x24, in French (accents, €), with a full basket, and checks
each character against a whitelist: Latin-1, the euro sign and the box-drawing characters the
console fonts carry. Also checks that the footer's keys all fit in its two 80-column rows.
"""

from __future__ import annotations

import os

import pytest

from till.i18n import set_language
from tests.support.pilot import SIZE, burst, foreign_glyphs, log_in, screen_text, settle

@pytest.fixture
def french(shop):
    set_language("fr")


async def test_screens_use_console_safe_glyphs(french, app, shop):
    shots: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        shots["login"] = screen_text(app)
        await log_in(pilot)
        codes = [shop.barcodes[sku] for sku in ("BAG", "COF", "WIN", "SOA", "NEWS", "SAND")]
        burst(app, *codes, *codes, *codes)  # more lines than fit: the scrollbar shows
        await settle(pilot)
        await pilot.press("f6", *"5%", "enter")
        await pilot.pause()
        shots["sale"] = screen_text(app)
        svg = app.export_screenshot()
        await pilot.press("f7", *"hel")
        shots["customer"] = screen_text(app)
        await pilot.press("escape", "f3")
        shots["quantity"] = screen_text(app)
        await pilot.press("escape", "f2")
        shots["payment"] = screen_text(app)
        await pilot.press("c", "enter")
        await settle(pilot)
        shots["change"] = screen_text(app)
        await pilot.press("f8")
        await pilot.pause()
        shots["receipt"] = screen_text(app)
        await pilot.press("escape", "f10")
        shots["manager"] = screen_text(app)

    assert "Qté" in shots["sale"] and "€" in shots["sale"] and "5,5 %" in shots["sale"]
    if os.environ.get("TILL_SHOW_SCREENS"):  # to look at the screens: TILL_SHOW_SCREENS=1 pytest -s
        print("\n\n".join(shots.values()))
    for name, text in shots.items():
        assert not foreign_glyphs(text), f"{name}: {sorted(foreign_glyphs(text))}\n{text}"
    for glyph in "▁▔▊▎▏▃▇▀▄▌█":
        assert glyph not in svg


async def test_footer_fits_80_columns_in_french(french, app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        footer = "\n".join(screen_text(app).splitlines()[-2:])  # two rows at 80 columns
        for key in ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "Ctrl+T"):
            assert f"{key} " in footer, footer
        assert "Payer" in footer and "Fin" in footer and "Touches" in footer
