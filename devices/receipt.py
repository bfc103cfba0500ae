"""A receipt as a printer-independent document, laid out for 58 or 80 mm paper. No I/O.

The till builds a ``Receipt`` (plain data: no database rows), and this module turns it into
lines of text of the paper's width; printers and the on-screen preview both use those lines,
so the customer sees on screen exactly what is printed.
"""

from __future__ import annotations

import textwrap

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReceiptLine:
    """An item line as printed."""

    label: str
    quantity: str
    unit_price: str
    total: str
    vat_code: str
    discount: str = ""


@dataclass(frozen=True)
class Receipt:
    """Everything printed on a receipt, already formatted in the shop's language."""

    header: tuple[str, ...]
    title: str
    meta: tuple[str, ...]
    lines: tuple[ReceiptLine, ...]
    totals: tuple[tuple[str, str], ...]
    vat_table: tuple[tuple[str, str, str, str], ...]
    payments: tuple[tuple[str, str], ...]
    footer: tuple[str, ...] = field(default_factory=tuple)
    code: str = ""


def _pair(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    return f"{left[:room]:<{room}} {right}"


def _wrapped(texts, width: int, center: bool = False) -> list[str]:
    """Each text on as many lines as it needs: a legal mention is never cut off at the edge."""
    out = []
    for text in texts:
        for piece in textwrap.wrap(text, width, break_on_hyphens=False) or [""]:
            out.append(piece.center(width).rstrip() if center else piece)
    return out


def layout(receipt: Receipt, width: int = 42) -> list[str]:
    """The receipt as lines of at most ``width`` characters (32 for 58 mm, 42 or 48 for 80 mm)."""
    out: list[str] = _wrapped(receipt.header, width, center=True)
    out.append("")
    out.extend(_wrapped([receipt.title], width, center=True))
    out.extend(_wrapped(receipt.meta, width))
    out.append("-" * width)
    for line in receipt.lines:
        out.append(_pair(line.label, f"{line.total} {line.vat_code}", width))
        out.append(f"  {line.quantity} x {line.unit_price}"[:width])
        if line.discount:
            out.append(f"  {line.discount}"[:width])
    out.append("-" * width)
    for label, value in receipt.totals:
        out.append(_pair(label, value, width))
    if receipt.vat_table:
        out.append("")
        for row in receipt.vat_table:
            out.append(_table_row(row, width))
    out.append("")
    for label, value in receipt.payments:
        out.append(_pair(label, value, width))
    if receipt.footer:
        out.append("")
        out.extend(_wrapped(receipt.footer, width, center=True))
    if receipt.code:
        out.append(receipt.code.center(width).rstrip())
    return out


def _table_row(row: tuple[str, str, str, str], width: int) -> str:
    column = width // 4
    first, *rest = row
    return (first[:column].ljust(column) + "".join(cell[:column].rjust(column) for cell in rest))[:width]


def voucher_lines(header: tuple[str, ...], title: str, rows: tuple[tuple[str, str], ...], code: str,
                  width: int = 42) -> list[str]:
    """A voucher (a credit note, AVOIR) as lines of at most ``width`` characters: the shop, the
    title, its figures as label/value pairs, and its code printed large enough to type."""
    out: list[str] = [text[:width].center(width).rstrip() for text in header]
    out.append("")
    out.append(title[:width].center(width).rstrip())
    out.append("=" * width)
    out.extend(_pair(label, value, width) for label, value in rows)
    out.append("=" * width)
    out.append(code[:width].center(width).rstrip())
    return out
