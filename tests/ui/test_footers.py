"""Every screen's footer shows its keys, uncut, at 80x24, in French and in English.

The till's smallest terminal is 80x24 (SSH, the Linux console). Each screen and dialog is
reached as a cashier reaches it (``tests.support.tour``), the screen is rendered to text, and
each key the screen declares shown (Textual's own list of its active bindings) must be in one
of the footer's rows, whole: "F8 Réimpr." cut into "F8 Réimpr. Es", or F12 left out because
the row was full, fail here. The help key, the same on every screen, is in every footer.
"""

from __future__ import annotations

import pytest

from till.i18n import _, set_language
from tests.support.pilot import SIZE, keys, log_in, screen_text
from tests.support.tour import every_screen

FOOTER_ROWS = 2
"""A footer takes two rows at most: the screen above keeps its room."""

HELP = ("Ctrl+T", "Keys")
"""The help overlay's key and its footer word, on every screen."""


def footer_rows(app) -> list[str]:
    """The bottom rows of the terminal, where the footer is."""
    return screen_text(app).splitlines()[-FOOTER_ROWS:]


def shown_items(screen) -> list[str]:
    """What the footer must show, "KEY word", from the screen's active bindings marked shown."""
    items = []
    for active in screen.active_bindings.values():
        if active.binding.show:
            items.append(f"{screen.app.get_key_display(active.binding)} {active.binding.description}")
    return items + [f"{HELP[0]} {_(HELP[1])}"]


def missing(rows: list[str], items: list[str]) -> list[str]:
    """The items not written whole on one row (split or cut words do not count)."""
    return [item for item in items if not any(f" {item} " in f" {row} " for row in rows)]


@pytest.fixture(params=["fr", "en"])
def language(request, shop) -> str:
    set_language(request.param)  # before the app: its key words are translated when it is built
    return request.param


async def test_every_footer_shows_its_keys_whole_at_80x24(language, shop):
    from till.ui.app import TillApp

    app = TillApp(shop.ctx)
    cut: dict[str, list[str]] = {}
    visited = []
    async with app.run_test(size=SIZE) as pilot:
        async for name in every_screen(app, pilot, shop):
            visited.append(name)
            rows = footer_rows(app)
            assert all(len(row) <= SIZE[0] for row in rows)
            lost = missing(rows, shown_items(app.screen))
            if lost:
                cut[name] = lost + rows
    assert len(visited) >= 20
    assert not cut, "\n".join(f"{name}: {lost}" for name, lost in cut.items())


async def test_sale_footer_shows_returns_manager_and_credit_note(language, shop):
    from till.ui.app import TillApp

    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        rows = footer_rows(app)
        wanted = [f"F12 {_('Returns')}", f"F1 {_('Mgr')}", f"F11 {_('Credit note')}", f"F2 {_('Pay')}",
                  f"F10 {_('Quit')}"]
        assert not missing(rows, wanted), rows


async def test_manager_footer_shows_all_its_keys_with_esc(language, shop):
    from till.ui.app import TillApp
    from till.ui.screens.closures import ClosuresScreen

    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await keys(pilot, "f1")
        assert isinstance(app.screen, ClosuresScreen)
        rows = footer_rows(app)
        wanted = [f"{key} {_(word)}" for key, word in (
            ("F2", "Close day"), ("F3", "Close month"), ("F4", "Print"), ("F5", "X"), ("F6", "Reports"),
            ("F7", "Drawer"), ("F8", "Reprint"), ("F9", "Unlock"), ("F10", "Cards"), ("Esc", "Back"))]
        assert not missing(rows, wanted), rows
