"""The basket as a table: one row per basket line, keyed by the line's id.

A scan must be on the screen within a few tens of milliseconds, on a slow board and with a
long basket. Textual's ``DataTable`` renders every visible cell again through rich after any
change (its line cache is dropped whenever a row is added) and costs more than the scan
itself. This table is drawn line by line (Textual's line API): each row is rendered once, as
plain text cut to its columns, and kept until that row or the table's width changes, so a scan
draws one new row. Rows are diffed against what is shown (``sync``), never cleared and
refilled, which keeps the cursor on the line the cashier selected. The table never takes
focus: the scan field keeps it, and the screens move the cursor with up/down.
"""

from __future__ import annotations

from typing import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from till.i18n import N_, _, language
from till.selling.basket import BasketLine
from till.ui.feedback import money

COLUMNS = (
    ("label", N_("Item"), 20),
    ("quantity", N_("Qty"), 8),
    ("price", N_("Price"), 11),
    ("discount", N_("Discount"), 10),
    ("total", N_("Total"), 11),
)
"""Column key, English header, width; the label's width is then fitted to the table's."""

PADDING = 1
"""Blank cells on each side of a column's text."""

MORE_ABOVE = N_("{item} ({count} more above)")
"""The label column's title when the first rows are scrolled out of view (the table draws no
scrollbar: see ``BasketTable``)."""


def quantity_text(line: BasketLine) -> str:
    """Pieces as a number, weighed goods in kg with three decimals."""
    if line.weighed:
        kilos, grams = divmod(line.quantity, 1000)
        comma = "," if language() == "fr" else "."
        return f"{kilos}{comma}{grams:03d} kg"
    return str(line.quantity)


def cells(line: BasketLine) -> tuple[str, ...]:
    """The texts of one basket line's cells, one per column."""
    return (
        line.label,
        quantity_text(line),
        money(line.unit_price_cents),
        money(-line.discount_cents) if line.discount_cents else "",
        money(line.total_cents),
    )


def row_text(texts: tuple[str, ...], widths: list[int]) -> str:
    """One row as the terminal shows it: the label cut or padded on the left of its column, the
    figures aligned right in theirs. Markup-free by construction: a "[...]" in a product name
    is shown as it is."""
    parts = []
    for index, (text, width) in enumerate(zip(texts, widths)):
        text = " ".join(text.split())  # a tab or newline in a name would break the row
        if index == 0:
            fitted = set_cell_size(text, width)
        else:
            fitted = set_cell_size(text, width) if cell_len(text) >= width else " " * (width - cell_len(text)) + text
        parts.append(" " * PADDING + fitted + " " * PADDING)
    return "".join(parts)


class BasketTable(ScrollView, can_focus=False):
    """The lines of the sale in progress (or of an exchange's new items).

    No scrollbar: the cursor (on the line just scanned) is always in view, and the header says
    how many lines are above it. A scrollbar is decided by a layout pass of the whole screen,
    which a scan would then pay for each new row; without one, a new row asks no layout.
    """

    virtual_size = Reactive(Size(0, 0), layout=False)
    """The rows and the header; scrolling reads it, and no scrollbar depends on it."""

    COMPONENT_CLASSES = {"basket-table--header", "basket-table--cursor"}

    DEFAULT_CSS = """
    BasketTable {
        overflow-x: hidden;
        overflow-y: hidden;
    }
    BasketTable > .basket-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    BasketTable > .basket-table--cursor {
        background: $accent;
        color: $foreground;
        text-style: bold;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._keys: list[str] = []
        """Row keys (basket line ids as text), in scan order."""
        self._shown: dict[str, tuple[str, ...]] = {}
        """What each row displays now, by row key, to redraw only the rows that changed."""
        self._figures: dict[str, tuple] = {}
        """The basket line's values each row was formatted from."""
        self._strips: dict[str, Strip] = {}
        """Each row rendered without the cursor, for the widths and styles of ``_drawn_for``."""
        self._drawn_for: tuple = ()
        self._cursor = 0
        self._show_cursor = True

    # -- the API the screens use ---------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def show_cursor(self) -> bool:
        return self._show_cursor

    @show_cursor.setter
    def show_cursor(self, shown: bool) -> None:
        if shown != self._show_cursor:
            self._show_cursor = shown
            self.refresh()

    def sync(self, lines: Iterable[BasketLine]) -> None:
        """Make the rows match ``lines``: add, update in place, remove; order is scan order."""
        wanted = {}
        for line in lines:
            key = str(line.id)
            shown = self._shown.get(key)
            figures = (line.label, line.quantity, line.weighed, line.unit_price_cents, line.discount_cents,
                       line.total_cents)
            # A long basket is redrawn after every scan: format only the lines that changed.
            wanted[key] = shown if shown is not None and self._figures.get(key) == figures else cells(line)
            self._figures[key] = figures
        removed = [key for key in self._keys if key not in wanted]
        changed = [key for key, texts in wanted.items() if self._shown.get(key) != texts]
        if not removed and not changed:
            return
        for key in removed:
            del self._shown[key]
            self._figures.pop(key, None)
            self._strips.pop(key, None)
        for key in changed:
            self._shown[key] = wanted[key]
            self._strips.pop(key, None)
        rows_changed = list(wanted) != self._keys
        self._keys = list(wanted)
        self._cursor = max(0, min(self._cursor, len(self._keys) - 1))
        if rows_changed:  # the scrollable height: the rows and the header
            self.virtual_size = Size(self.size.width, len(self._keys) + 1)
        self.refresh()

    @property
    def selected_line_id(self) -> int | None:
        """The id of the basket line under the cursor, if the basket has any."""
        if not self._keys:
            return None
        return int(self._keys[self._cursor])

    def select_line(self, line_id: int) -> None:
        """Put the cursor on the line ``line_id`` (e.g. the one just scanned)."""
        key = str(line_id)
        if key in self._shown:
            self.move_cursor(row=self._keys.index(key))

    def move_cursor(self, row: int) -> None:
        """Put the cursor on row ``row`` and scroll it into view."""
        if not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        if row != self._cursor:
            self._cursor = row
            self.refresh()
        self._scroll_to_cursor()

    # -- drawing -------------------------------------------------------------------------
    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._keys) + 1)

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)  # one line: the header
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True, force=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True, force=True)

    def _widths(self, width: int) -> list[int]:
        """Each column's text width: the figures' own, the label all that they leave."""
        figures = sum(size for key, _header, size in COLUMNS if key != "label")
        label = max(10, width - figures - 2 * PADDING * len(COLUMNS))
        return [label if key == "label" else size for key, _header, size in COLUMNS]

    def _styles(self) -> tuple[Style, Style, Style]:
        return (self.rich_style, self.get_component_rich_style("basket-table--header"),
                self.get_component_rich_style("basket-table--cursor"))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._widths(self.size.width)
        base, header, cursor = self._styles()
        top = round(self.scroll_y)
        drawn_for = (width, tuple(widths), base, header, cursor, language())
        if drawn_for != self._drawn_for:  # resized, or the theme changed: draw every row again
            self._strips.clear()
            self._drawn_for = drawn_for
        if y == 0:
            titles = [_(title) for _key, title, _size in COLUMNS]
            if top:
                titles[0] = _(MORE_ABOVE, item=titles[0], count=top)
            return self._strip(row_text(tuple(titles), widths), header, width)
        index = top + y - 1
        if index >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[index]
        if self._show_cursor and index == self._cursor:
            return self._strip(row_text(self._shown[key], widths), cursor, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._strip(row_text(self._shown[key], widths), base, width)
        return strip

    @staticmethod
    def _strip(text: str, style: Style, width: int) -> Strip:
        return Strip([Segment(set_cell_size(text, width), style)], width)
