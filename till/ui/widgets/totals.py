"""Totals of the sale in progress: VAT per rate, items, discount, and the total in big figures.

The big figures are drawn with box-drawing characters found in every Linux console font
(``─│┌┐└┘├┤┴``), not with Textual's ``Digits``, whose half-lines (``╶╷╸``) and bullet are
missing from those fonts: a customer must be able to read the total across the counter.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from till.i18n import _, language
from till.money import format_rate
from till.selling.basket import Totals
from till.ui.feedback import money

_FONT: dict[str, tuple[str, str, str]] = {
    "0": ("┌─┐", "│ │", "└─┘"),
    "1": (" ┐ ", " │ ", " ┴ "),
    "2": ("──┐", "┌─┘", "└──"),
    "3": ("──┐", " ─┤", "──┘"),
    "4": ("│ │", "└─┤", "  │"),
    "5": ("┌──", "└─┐", "──┘"),
    "6": ("┌──", "├─┐", "└─┘"),
    "7": ("──┐", "  │", "  │"),
    "8": ("┌─┐", "├─┤", "└─┘"),
    "9": ("┌─┐", "└─┤", "──┘"),
    ",": (" ", " ", ","),
    ".": (" ", " ", "."),
    "-": ("  ", "──", "  "),
    " ": (" ", " ", " "),
    "€": (" ", "€", " "),
}
"""A three-line font: each character is three rows of equal width."""


def big_text(text: str) -> str:
    """``text`` (an amount) drawn three lines high; unknown characters sit on the middle row."""
    rows = ["", "", ""]
    for char in text:
        glyph = _FONT.get(char, (" ", char, " "))
        gap = " " if char.isdigit() else ""
        for index in range(3):
            rows[index] += glyph[index] + gap
    return "\n".join(rows)


def rate_text(rate_bp: int) -> str:
    """A VAT rate as the cashier writes it: "5,5 %" in French, "5.5 %" in English."""
    return format_rate(rate_bp, language()) + " %"


class TotalsPanel(Static):
    """VAT per rate, the number of items, the discount and the grand total."""

    _shown: tuple | None = None
    """The last ``show`` arguments, to lay the panel out again when its width changes."""

    def show(self, totals: Totals, change_cents: int | None = None, refund_cents: int | None = None) -> None:
        """Redraw for ``totals``: VAT per rate on the left, the total on the right.

        Just after a ticket is written (the basket empty) the big figures are what the drawer
        gives for it, labelled: ``change_cents`` to hand back (a sale, an exchange paid in
        cash), or ``refund_cents`` refunded in cash (a return), until the next scan. Without
        either they are the basket's total, so a ticket with no cash never leaves an older
        figure standing.

        Drawn after every scan, so it is one ``Text`` laid out here, column by column, rather
        than rich tables measured and rendered each time (several times the scan's own cost
        on a slow board). The panel's height is fixed, so no layout pass is asked.
        """
        self._shown = (totals, change_cents, refund_cents)
        summary = _("Items: {count}", count=totals.item_count)
        if totals.discount_cents:
            summary += "   " + _("Discount: {amount}", amount=money(-totals.discount_cents))
        title, amount = _("TOTAL"), totals.total_cents
        if change_cents is not None:
            title, amount, summary = _("CHANGE"), change_cents, ""
        elif refund_cents is not None:
            title, amount, summary = _("TO REFUND"), refund_cents, ""
        self.figure = (title, amount)
        """What the big figures show now: (label, cents)."""
        vat_rows: list[tuple[str, ...]] = []
        if totals.vat:
            vat_rows.append((_("VAT rate"), _("Incl. VAT"), _("Net"), _("VAT")))
        for amounts in totals.vat:
            vat_rows.append((rate_text(amounts.rate_bp), money(amounts.ttc), money(amounts.ht), money(amounts.vat)))
        left = _columns(vat_rows)
        big = big_text(money(amount)).split("\n")
        right = [(summary, ""), (title, "bold")] + [(row, "bold") for row in big]
        width = self.content_region.width or self.app.size.width - 2
        text = Text(no_wrap=True, overflow="crop")
        for row in range(max(len(left), len(right))):
            if row:
                text.append("\n")
            vat_line = left[row] if row < len(left) else ""
            text.append(vat_line, style="bold" if row == 0 else "")
            shown, style = right[row] if row < len(right) else ("", "")
            # The big figures are a block aligned as one: each of their rows is as wide as the widest.
            block = shown.ljust(cell_len(big[0])) if row >= 2 else shown
            text.append(" " * max(1, width - cell_len(vat_line) - cell_len(block)) + block, style=style)
        self.update(text, layout=False)

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    """The VAT table's rows as text: the rate on the left, the amounts right-aligned, two spaces apart."""
    if not rows:
        return []
    widths = [max(cell_len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return ["  ".join(cell.ljust(size) if index == 0 else cell.rjust(size)
                      for index, (cell, size) in enumerate(zip(row, widths))) for row in rows]
