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
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle


def record_layouts(monkeypatch) -> list[tuple[str, str | None]]:
    """(widget class, id) of every widget that asks a layout of the screen from now on."""
    layouts = []
    real_refresh = Widget.refresh

    def refresh(self, *regions, **kwargs):
        if kwargs.get("layout"):
            layouts.append((type(self).__name__, self.id))
        return real_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", refresh)
    return layouts


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


async def test_a_scan_asks_no_layout_of_the_screen(app, shop, monkeypatch):
    """Every widget a scan changes keeps its size: the field (its text scrolls inside it), the
    basket (its rows scroll inside it, no scrollbar), the totals, the header and status lines."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)

        layouts = record_layouts(monkeypatch)
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)

        assert [line.sku for line in app.screen.basket.lines] == ["COF", "WIN"]
        assert layouts == []


async def test_the_first_line_of_a_basket_asks_no_layout_either(app, shop, monkeypatch):
    """The first line enables keys (void, pay...): the footer is redrawn, on the same rows; the
    status line says one line after another. After login, and after the last line was voided."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await settle(pilot)
        layouts = record_layouts(monkeypatch)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]
        assert layouts == []

        await pilot.press("f4")  # the line voided: the basket is empty again
        await settle(pilot)
        assert app.screen.basket.is_empty
        layouts.clear()
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        assert [line.sku for line in app.screen.basket.lines] == ["WIN"]
        assert layouts == []


async def test_a_long_basket_keeps_the_scanned_line_in_view_and_says_how_many_are_above(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        codes = [code for sku, code in shop.barcodes.items() if not shop.products[sku].sold_by_weight]
        burst(app, *(codes * 6))
        await settle(pilot)
        table = app.screen.table
        assert table.row_count == len(codes) * 6 > 24  # more lines than the screen has rows
        visible = table.scrollable_content_region.height - 1  # the header takes one
        hidden = table.row_count - visible

        # The line just scanned is the last one shown, under the cursor; the header counts the rest.
        assert table.cursor_row == table.row_count - 1
        assert f"({hidden} more above)" in screen_text(app)

        # Up to the first line: the table scrolls back, and the count goes.
        for _ in range(table.row_count - 1):
            app.screen.action_cursor(-1)
        await settle(pilot)
        assert table.cursor_row == 0 and round(table.scroll_y) == 0
        assert "more above" not in screen_text(app)
        assert app.screen.basket.lines[0].label in screen_text(app)


async def test_a_burst_is_inserted_in_the_field_at_once_and_in_order(app, shop, monkeypatch):
    """A scanner's keys arrive together: they are inserted together (each insert is a round of
    the field's updates and messages), in the order they came, before its Enter is read."""
    from textual.widgets import Input

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await settle(pilot)
        inserts = []
        real_replace = Input.replace
        monkeypatch.setattr(Input, "replace", lambda self, text, start, end: inserts.append(text)
                            or real_replace(self, text, start, end))
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])
        await settle(pilot)

        assert [line.sku for line in app.screen.basket.lines] == ["COF", "WIN"]
        assert inserts == [shop.barcodes["COF"], shop.barcodes["WIN"]]
        assert app.screen.scan_input.value == ""
