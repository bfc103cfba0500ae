"""The basket as a table: one row per basket line, keyed by the line's id.

Rows are diffed, never cleared and refilled (``sync``): a scan adds one row or changes one
cell, which stays cheap on a slow board however long the basket, and keeps the cursor on the
line the cashier selected. The table never takes focus: the scan field keeps it, and the sale
screen moves the cursor with up/down.
"""

from __future__ import annotations

from typing import Iterable

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

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


def quantity_text(line: BasketLine) -> str:
    """Pieces as a number, weighed goods in kg with three decimals."""
    if line.weighed:
        kilos, grams = divmod(line.quantity, 1000)
        comma = "," if language() == "fr" else "."
        return f"{kilos}{comma}{grams:03d} kg"
    return str(line.quantity)


def cells(line: BasketLine) -> tuple[str | Text, ...]:
    """The cells of one basket line, right-aligned figures."""
    return (
        # A Text, never a str: DataTable would read "[...]" in a product name as markup.
        Text(line.label, no_wrap=True, overflow="crop"),
        Text(quantity_text(line), justify="right"),
        Text(money(line.unit_price_cents), justify="right"),
        Text(money(-line.discount_cents) if line.discount_cents else "", justify="right"),
        Text(money(line.total_cents), justify="right"),
    )


class BasketTable(DataTable, can_focus=False):
    """The lines of the sale in progress."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, tuple[str, ...]] = {}
        """What each row displays now, by row key, to update only the cells that changed."""

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            justify = "left" if key == "label" else "right"
            self.add_column(Text(_(header), justify=justify), key=key, width=width)

    def on_resize(self) -> None:
        """Give the label all the width the figures leave, so the table never scrolls sideways."""
        figures = sum(width for key, _header, width in COLUMNS if key != "label")
        padding = 2 * self.cell_padding * len(COLUMNS)
        label_width = max(10, self.size.width - figures - padding - 1)  # 1: the scrollbar
        column = self.columns.get(ColumnKey("label"))
        if column is not None and column.width != label_width:
            column.width = label_width
            # DataTable has no public call to resize a column (Textual 8.2.8, pinned).
            self._require_update_dimensions = True
            self.refresh()

    def sync(self, lines: Iterable[BasketLine]) -> None:
        """Make the rows match ``lines``: add, update in place, remove; order is scan order."""
        wanted: dict[str, tuple] = {str(line.id): cells(line) for line in lines}
        for key in [key for key in self._shown if key not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, row in wanted.items():
            plain = tuple(str(cell) for cell in row)
            before = self._shown.get(key)
            if before is None:
                self.add_row(*row, key=key)
            elif before != plain:
                for (column, _header, _width), cell, old in zip(COLUMNS, row, before):
                    if str(cell) != old:
                        self.update_cell(key, column, cell)
            self._shown[key] = plain

    @property
    def selected_line_id(self) -> int | None:
        """The id of the basket line under the cursor, if the basket has any."""
        if not self.row_count:
            return None
        row_key, _column = self.coordinate_to_cell_key(self.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

    def select_line(self, line_id: int) -> None:
        """Put the cursor on the line ``line_id`` (e.g. the one just scanned)."""
        key = str(line_id)
        if key in self._shown:
            self.move_cursor(row=self.get_row_index(key))
