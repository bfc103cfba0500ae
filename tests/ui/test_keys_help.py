"""Ctrl+T, on every screen, lists all of the screen's keys in full; Esc or Ctrl+T closes the list.

The list is read from the screen's bindings: each one's whole description (its tooltip, else its
word) is there, those the footer leaves out too (arrows, ``-``, the manager's rare keys). Closing
the list leaves the screen underneath as it was: same basket, same text typed in the scan field,
same focus.
"""

from __future__ import annotations

import os

import pytest

from till.i18n import _, set_language
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import BOX, SIZE, burst, foreign_glyphs, keys, log_in, screen_text, settle
from tests.support.shop import sell


def full_description(binding) -> str:
    return _(binding.tooltip or binding.description)


async def open_help(pilot) -> str:
    """Ctrl+T; the text of the list (scrolled through when it is longer than the screen)."""
    await keys(pilot, "ctrl+t")
    app = pilot.app
    assert type(app.screen).__name__ == "KeysHelpScreen"
    text = screen_text(app)
    for _step in range(20):  # a long list scrolls: read it all
        await keys(pilot, "down")
        text += screen_text(app)
    assert not foreign_glyphs(text)
    if os.environ.get("TILL_SHOW_SCREENS"):  # to look at it: TILL_SHOW_SCREENS=1 pytest -s
        print(text)
    return text


def lists_every_binding(text: str, screen) -> list[str]:
    """The descriptions of ``screen``'s bindings that the list leaves out."""
    flat = " ".join("".join(" " if char in BOX else char for char in text).split())
    return [full_description(binding) for binding in type(screen).BINDINGS
            if " ".join(full_description(binding).split()) not in flat]


async def test_the_sale_screen_lists_its_hidden_keys_and_is_unchanged_after(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["WIN"], shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("up", *"321")
        sale = app.screen
        before = ([(line.sku, line.quantity) for line in sale.basket.lines], sale.table.cursor_row,
                  sale.scan_input.value)

        text = await open_help(pilot)
        assert "Select the line above" in text and "Select the line below" in text  # Up, Down: hidden
        assert "Take items back: return or refund" in text and "F12" in text
        assert "Quit the till (needs a manager's PIN)" in text  # the app's F10
        assert not lists_every_binding(text, sale)
        await keys(pilot, "escape")

        assert app.screen is sale and sale.scan_input.has_focus
        assert ([(line.sku, line.quantity) for line in sale.basket.lines], sale.table.cursor_row,
                sale.scan_input.value) == before
        await keys(pilot, "ctrl+t", "ctrl+t")  # the same key closes it
        assert app.screen is sale and sale.scan_input.value == "321"


async def test_the_return_screen_lists_minus_and_the_arrows(app, shop):
    sale = sell(shop, [("SOA", 2)], cash=1000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        picked = [(pick.sku, pick.quantity) for pick in screen.session.picks]

        text = await open_help(pilot)
        assert "One less of the selected line" in text  # "-", not in the footer
        assert "Previous line" in text and "Next line" in text
        assert not lists_every_binding(text, screen)
        await keys(pilot, "ctrl+t")
        assert app.screen is screen and [(p.sku, p.quantity) for p in screen.session.picks] == picked


async def test_the_manager_screen_and_a_dialog_list_their_keys_in_french(shop):
    from till.ui.app import TillApp

    set_language("fr")
    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await keys(pilot, "f1")
        screen = app.screen
        assert isinstance(screen, ClosuresScreen)
        text = await open_help(pilot)
        assert "Touches de cet écran" in text
        assert "Faire défiler le rapport vers le haut" in text  # Up: not in the footer
        assert not lists_every_binding(text, screen)
        await keys(pilot, "escape", "escape")
        assert isinstance(app.screen, SaleScreen)

        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        await keys(pilot, "f3")  # a dialog: the quantity
        dialog = app.screen
        assert type(dialog).__name__ == "QuantityScreen"
        text = await open_help(pilot)
        assert "Valider ce qui est tapé ou choisi" in text and "Fermer, rien ne change" in text
        await keys(pilot, "escape")
        assert app.screen is dialog  # Esc closed the list only


@pytest.mark.parametrize("key", ["escape", "ctrl+t"])
async def test_the_login_screen_lists_its_keys_and_the_fields_keep_what_was_typed(app, shop, key):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"cashier")
        login = app.screen
        text = await open_help(pilot)
        assert "Unlock an account locked by wrong PINs" in text and "F5" in text
        await keys(pilot, key)
        assert app.screen is login and login.login_input.value == "cashier" and login.login_input.has_focus
