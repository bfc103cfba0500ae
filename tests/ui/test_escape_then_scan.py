"""Esc, then a scan at once: over a terminal, ESC followed within the escape delay by a
character reaches Textual as one key (Alt+T, or "£" for ESC 3), so the scan lost its first
character and the Esc did nothing. The whole code must be read, and the Esc still done on the
screen it was pressed on."""

from __future__ import annotations

import time

import pytest
from textual import constants
from textual._xterm_parser import XTermParser

from till.ui.screens.sale import SaleScreen
from till.ui.widgets.scan_input import keys_after_escape
from tests.support.pilot import SIZE, open_returns, settle


def terminal_keys(data: str) -> list:
    """The key events Textual's terminal parser makes of ``data``, as the driver posts them."""
    parser = XTermParser()
    events = list(parser.feed(data))
    time.sleep(constants.ESCAPE_DELAY * 1.5)  # what the driver's tick does after a lone ESC
    events += list(parser.tick())
    return events


@pytest.mark.parametrize("code", ["3760000000024", "2100007000008", "T01-0000018", "WEB-100234", "avoir-7kq2"])
def test_the_bytes_after_an_escape_give_the_escape_and_the_whole_code(code):
    raw = terminal_keys("\x1b" + code + "\r")
    assert "escape" not in [key.key for key in raw]  # the parser alone loses the Esc (and "3" as "£")
    keys = [split for key in raw for split in keys_after_escape(key)]
    assert keys[0].key == "escape" and keys[-1].key == "enter"
    assert "".join(key.character for key in keys[1:-1]) == code


def test_keys_without_an_escape_are_left_as_they_are():
    for key in terminal_keys("3760000000024\r") + terminal_keys("\x1b") + terminal_keys("\x1b[A"):
        assert keys_after_escape(key) == [key]


async def test_esc_leaves_the_return_screen_and_the_scan_lands_whole_on_the_sale(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        # ESC 3 reaches Textual as "pound_sign" (£), then the rest of the code and Enter
        code = shop.barcodes["COF"]
        assert code.startswith("3")
        await pilot.press("pound_sign", *code[1:], "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]


async def test_a_burst_right_after_esc_reaches_the_sale_whole(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        # the keys exactly as the terminal driver posts them, all at once: no pause after Esc
        for key in terminal_keys("\x1b" + shop.barcodes["WIN"] + "\r" + shop.barcodes["BAG"] + "\r"):
            app.post_message(key)
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert [line.sku for line in app.screen.basket.lines] == ["WIN", "BAG"]
