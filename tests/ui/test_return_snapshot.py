"""A text snapshot of the return screen at 80x24: a ticket open, one line picked, its reason set.

Why text and not ``pytest-textual-snapshot``: that plugin (1.1.0) pins syrupy 4.8, which needs
pytest < 9 and would downgrade the suite's pytest; and an SVG diff is unreadable in a review.
Here the screen is rendered to plain text exactly as ``tests.support.pilot.screen_text`` reads it (the
compositor's render, the same as ``export_screenshot``) and compared line by line with
``tests/ui/snapshots/return_screen_80x24*.txt``; a difference fails with a unified diff.
``TILL_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_return_snapshot.py`` rewrites the files (look
at the diff before committing them).

Everything in the shot is fixed by the test's data: the sale's date, the shop (so the ticket
number), the customer; the product's return window is long so no breach depends on today.
The snapshot also proves the screen fits 80 columns: every key of the footer is there in full,
on its two rows (French, the till's default language, has the longest words), and so are the
header, customer, total and status lines, the items' names and the reason given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
from pathlib import Path

import pytest

from till.i18n import set_language
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket
from tests.support.clock import sealing_at
from till.config.reasons import reason_label
from till.ui.returns.screen import ReturnScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle

SNAPSHOTS = Path(__file__).with_name("snapshots")
SOLD_AT = dt.datetime(2026, 1, 15, 10, 30)
"""The sale's date, as stored (UTC): shown on the screen's first line."""


def sell_on_a_fixed_date(shop):
    """Wine and two baguettes for Hélène, on ``SOLD_AT``; a return window that outlives the test."""
    for sku in ("WIN", "BAG"):
        product = shop.products[sku]
        product.return_days = 100_000
        product.save()
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    basket.add_product(shop.products["BAG"], 2)
    basket.attach_customer(shop.customer)
    checkout = Checkout(basket, None)
    checkout.add_cash(basket.totals().total_cents)
    draft = dataclasses.replace(checkout.draft(), created_at=SOLD_AT)
    with sealing_at(SOLD_AT):  # signed when it was sold
        return write_ticket(shop.ctx.sealer, shop.config.accounts, draft)


def compare_with_snapshot(name: str, text: str) -> None:
    """``text`` (trailing spaces dropped) against ``snapshots/<name>``; rewritten on request."""
    lines = [line.rstrip() for line in text.splitlines()]
    path = SNAPSHOTS / name
    if os.environ.get("TILL_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run with TILL_UPDATE_SNAPSHOTS=1 to write it\n" + "\n".join(lines))
    stored = path.read_text(encoding="utf-8").splitlines()
    if stored != lines:
        diff = "\n".join(difflib.unified_diff(stored, lines, f"stored {name}", "rendered now", lineterm=""))
        pytest.fail(f"the return screen changed (TILL_UPDATE_SNAPSHOTS=1 to accept it):\n{diff}", pytrace=False)


def footer_items(screen) -> list[str]:
    """What the footer must show, "KEY description", from the screen's shown bindings."""
    items = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.show:
            key = binding.key_display or screen.app.get_key_display(binding)
            items.append(f"{key} {binding.description}")
    return items


async def shot(app, shop) -> tuple[str, list[str], list[str]]:
    """The screen's text, its footer's items, and the texts of its header, total and status lines."""
    sale = sell_on_a_fixed_date(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        for key in ("enter", "f3", "enter"):  # all of the first line, first reason
            await pilot.press(key)
            await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        assert [(p.sku, p.quantity, p.reason) for p in screen.session.picks] == [("WIN", 1, "wrong_size")]
        lines = [str(screen.query_one(selector).render()).strip()
                 for selector in ("#return-info", "#return-customer", "#return-total", "#return-status")]
        lines += [line.label for line in screen.session.lines]
        lines += [reason_label(pick.reason) for pick in screen.session.picks]
        return screen_text(app), footer_items(screen), lines


def check_fits(text: str, items: list[str], lines: list[str]) -> None:
    rows = text.splitlines()
    assert len(rows) == SIZE[1] and all(len(row) <= SIZE[0] for row in rows)
    footer = rows[-2:]  # two rows at 80 columns
    missing = [item for item in items if not any(item in row for row in footer)]
    assert not missing, f"cut off the footer: {missing}\n{footer!r}"
    assert len(items) >= 10  # +/-, F2 to F8, F10, Ctrl+T
    for words in lines:
        assert words and words in text, f"cut off: {words!r}"


async def test_return_screen_snapshot_in_french(shop):
    from till.ui.app import TillApp

    set_language("fr")  # before the app: its key labels are translated when it is built
    app = TillApp(shop.ctx)
    text, items, lines = await shot(app, shop)
    assert "F10 Fin" in items and "F8 Éch." in items
    check_fits(text, items, lines)
    compare_with_snapshot("return_screen_80x24.txt", text)


async def test_return_screen_snapshot_in_english(app, shop):
    text, items, lines = await shot(app, shop)
    assert "F10 Quit" in items and "F8 Exch" in items
    check_fits(text, items, lines)
    compare_with_snapshot("return_screen_80x24_en.txt", text)
