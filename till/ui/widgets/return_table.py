"""The lines a customer may bring back: sold, already returned, still returnable, and how many
are taken back now. One row per original ticket line (or, without a receipt, per item taken
back), keyed, diffed in place like the basket table; it never takes focus (the scan field keeps
it), and the return screen moves its cursor with up/down.

There is no quantity field to type into, on purpose: a scanner burst landing in a quantity
field is what cashiers hate most in other tills. The quantity to return changes only with
``+``/``-``/Enter on the return screen.

A name or a reason wider than its column wraps between words onto a taller row ("Abîmé pendant
le transport / Abîmé" on two lines at 80 columns), never cut in the middle of a word.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from till.i18n import N_, _

COLUMNS = (
    ("label", N_("Item"), 20),
    ("sold", N_("Sold"), 5),
    ("returned", N_("Returned"), 8),
    ("returnable", N_("Left"), 5),
    ("take", N_("Return"), 7),
    ("why", N_("Reason"), 14),
)
"""Column key, English header, width; the label's and the reason's widths are then fitted to
the table's. The figures are as narrow as their headers (French and English) allow."""

FLEXIBLE = ("label", "why")
WHY_SHARE = (3, 7)
"""The reason gets 3/7 of the width the figures leave (at 80 columns, 18: "Mauvaise taille"
and "Changement d'avis" in full); the item's name the rest (24)."""


@dataclass(frozen=True)
class ReturnRow:
    """What one row shows; ``key`` is ``"l<line id>"`` (ticket line) or ``"p<pick key>"``."""

    key: str
    label: str
    sold: int | None
    returned: int | None
    returnable: int | None
    take: int
    why: str

    def cells(self, label_width: int, why_width: int) -> tuple[tuple[Text, ...], int]:
        """The row's cells, the item and the reason wrapped between words to their columns'
        widths, and the row's height (the taller of the two)."""
        def figure(value: int | None) -> Text:
            return Text("-" if value is None else str(value), justify="right")

        label = wrapped(self.label, label_width)
        why = wrapped(self.why, why_width)
        take = Text(str(self.take), justify="right", style="bold" if self.take else "")
        height = max(len(label), len(why), 1)
        return (Text("\n".join(label)), figure(self.sold), figure(self.returned), figure(self.returnable), take,
                Text("\n".join(why))), height


def wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, cut between words (a single word wider than the
    column, and only it, is cut)."""
    return textwrap.wrap(text, max(1, width), break_on_hyphens=False) or [""]


class ReturnTable(DataTable, can_focus=False):
    """The lines of the ticket being returned."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, tuple[str, ...]] = {}
        self._heights: dict[str, int] = {}
        self._rows: list[ReturnRow] = []

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            justify = "left" if key in ("label", "why") else "right"
            self.add_column(Text(_(header), justify=justify), key=key, width=width)

    def on_resize(self) -> None:
        """Share the width the figures leave between the item and the reason, so the table never
        scrolls sideways and a reason is not cut at 80 columns."""
        figures = sum(width for key, _header, width in COLUMNS if key not in FLEXIBLE)
        padding = 2 * self.cell_padding * len(COLUMNS)
        free = max(24, self.size.width - figures - padding - 1)  # 1: the scrollbar
        why = max(14, free * WHY_SHARE[0] // WHY_SHARE[1])
        changed = False
        for key, width in (("label", free - why), ("why", why)):
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:
            self._require_update_dimensions = True  # no public call to resize (Textual 8.2.8)
            self.sync(self._rows)  # wrapped again to the new widths
            self.refresh()

    def _width(self, key: str) -> int:
        column = self.columns.get(ColumnKey(key))
        return column.width if column is not None else dict((k, w) for k, _h, w in COLUMNS)[key]

    def sync(self, rows: list[ReturnRow]) -> None:
        """Make the rows match ``rows``: remove, add, update changed cells only; when a row
        needs another height (a reason that now wraps), the rows are laid out again, the
        cursor kept on its line."""
        self._rows = rows
        widths = self._width("label"), self._width("why")
        wanted = {row.key: row.cells(*widths) for row in rows}
        if any(key in self._heights and self._heights[key] != height for key, (_cells, height) in wanted.items()):
            selected = self.selected_key
            self.clear()
            self._shown.clear()
            self._heights.clear()
            self._add(wanted)
            if selected is not None:
                self.select(selected)
            return
        for key in [key for key in self._shown if key not in wanted]:
            self.remove_row(key)
            del self._shown[key]
            del self._heights[key]
        self._add(wanted)

    def _add(self, wanted: dict[str, tuple[tuple[Text, ...], int]]) -> None:
        for key, (cells, height) in wanted.items():
            plain = tuple(str(cell) for cell in cells)
            before = self._shown.get(key)
            if before is None:
                self.add_row(*cells, key=key, height=height)
            elif before != plain:
                for (column, _header, _width), cell, old in zip(COLUMNS, cells, before):
                    if str(cell) != old:
                        self.update_cell(key, column, cell)
            self._shown[key] = plain
            self._heights[key] = height

    @property
    def selected_key(self) -> str | None:
        """The row key under the cursor, if there are rows."""
        if not self.row_count:
            return None
        row_key, _column = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def select(self, key: str) -> None:
        if key in self._shown:
            self.move_cursor(row=self.get_row_index(key))

    def step(self, delta: int) -> None:
        if self.row_count:
            self.move_cursor(row=max(0, min(self.row_count - 1, self.cursor_row + delta)))
