"""Totals of the sale in progress: VAT per rate, items, discount, and the total in big figures.

The big figures are drawn with box-drawing characters found in every Linux console font
(``─│┌┐└┘├┤┴``), not with Textual's ``Digits``, whose half-lines (``╶╷╸``) and bullet are
missing from those fonts: a customer must be able to read the total across the counter.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from rich.align import Align
from rich.console import Group
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

    def show(self, totals: Totals, change_cents: int | None = None, refund_cents: int | None = None) -> None:
        """Redraw for ``totals``: VAT per rate on the left, the total on the right.

        Just after a ticket is written (the basket empty) the big figures are what the drawer
        gives for it, labelled: ``change_cents`` to hand back (a sale, an exchange paid in
        cash), or ``refund_cents`` refunded in cash (a return), until the next scan. Without
        either they are the basket's total, so a ticket with no cash never leaves an older
        figure standing. One renderable rather than a widget per figure: a scan redraws it
        once, cheaply.
        """
        vat = Table.grid(padding=(0, 2))
        for justify in ("left", "right", "right", "right"):
            vat.add_column(justify=justify)
        if totals.vat:
            titles = (_("VAT rate"), _("Incl. VAT"), _("Net"), _("VAT"))
            vat.add_row(*(Text(title, style="bold") for title in titles))
        for amounts in totals.vat:
            vat.add_row(rate_text(amounts.rate_bp), money(amounts.ttc), money(amounts.ht),
                        money(amounts.vat))
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
        total = Group(
            Text(summary, justify="right"),
            Text(title, style="bold", justify="right"),
            # Align the block, not each line: right-justified lines would slide apart.
            Align.right(Text(big_text(money(amount)), style="bold", justify="left", no_wrap=True)),
        )
        outer = Table.grid(expand=True)
        outer.add_column(ratio=1)
        outer.add_column(justify="right")
        outer.add_row(vat, total)
        self.update(outer, layout=False)
