"""A scan redraws what it changed, not the whole screen.

Scan-to-screen latency is what a cashier feels (issue "Fast at any age", benchmark
``scan_to_screen_*``). Two costs grew with the basket and were paid on every scan: every visible
row of the basket rendered again through rich, and a full layout pass asked by widgets whose
size never changes (the totals, the header line, a one-line status). These tests count that
work, never time it.
"""

from __future__ import annotations

from textual.widget import Widget

from till.ui.widgets import basket_table
from till.ui.widgets.status_line import StatusLine
from till.ui.widgets.totals import TotalsPanel
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle


async def test_a_scan_formats_only_the_new_row(app, shop, monkeypatch):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        codes = [code for sku, code in shop.barcodes.items() if not shop.products[sku].sold_by_weight]
        burst(app, *codes)
        await settle(pilot)
        table = app.screen.table
        assert table.row_count == len(codes) >= 4

        formatted = []
        real_row_text = basket_table.row_text
        monkeypatch.setattr(basket_table, "row_text", lambda texts, widths: formatted.append(texts[0])
                            or real_row_text(texts, widths))
        burst(app, codes[0])  # the first item again: a new line
        await settle(pilot)

        # The new row (under the cursor), and the row the cursor left; not every visible row.
        assert table.row_count == len(codes) + 1
        assert len(formatted) <= 3, formatted
        line = app.screen.basket.lines[-1]
        assert table.selected_line_id == line.id and table.cursor_row == len(codes)
        assert line.label in screen_text(app)


async def test_a_scan_lays_out_no_widget_whose_size_is_fixed(app, shop, monkeypatch):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)

        layouts = []
        real_refresh = Widget.refresh

        def refresh(self, *regions, **kwargs):
            if kwargs.get("layout"):
                layouts.append((type(self).__name__, self.id))
            return real_refresh(self, *regions, **kwargs)

        monkeypatch.setattr(Widget, "refresh", refresh)
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)

        assert [line.sku for line in app.screen.basket.lines] == ["COF", "WIN"]
        fixed = {TotalsPanel.__name__, StatusLine.__name__}
        assert not [(name, ident) for name, ident in layouts if name in fixed or ident == "sale-info"], layouts
