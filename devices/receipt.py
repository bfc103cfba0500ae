"""A receipt as a printer-independent document, laid out for 58 or 80 mm paper. No I/O.

The till builds a ``Receipt`` (plain data: no database rows), and this module turns it into
lines of text of the paper's width; printers and the on-screen preview both use those lines,
so the customer sees on screen exactly what is printed. Texts wrap between words and an amount
is never split (``devices.receipt_text``): nothing is cut at the paper's edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.receipt_text import pair, table, wrap


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
    proof: str = ""
    """The receipt's proof (``till.fiscal.receipt_proof``: digits, signed by the till), printed as
    its QR code; empty when there is none (the QR code then holds ``code``). Never laid out as
    text: it is for scanners, and ``code`` is what a person reads and types."""


def _wrapped(texts, width: int, center: bool = False) -> list[str]:
    """Each text on as many lines as it needs: a legal mention is never cut off at the edge."""
    out = []
    for text in texts:
        for piece in wrap(text, width):
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
        out.extend(pair(line.label, f"{line.total} {line.vat_code}", width))
        out.extend(wrap(f"  {line.quantity} x {line.unit_price}", width))
        if line.discount:
            out.extend(wrap(f"  {line.discount}", width))
    out.append("-" * width)
    for label, value in receipt.totals:
        out.extend(pair(label, value, width))
    if receipt.vat_table:
        out.append("")
        out.extend(table(list(receipt.vat_table), width))
    out.append("")
    for label, value in receipt.payments:
        out.extend(pair(label, value, width))
    if receipt.footer:
        out.append("")
        out.extend(_wrapped(receipt.footer, width, center=True))
    if receipt.code:
        out.append(receipt.code.center(width).rstrip())
    return out


def voucher_lines(header: tuple[str, ...], title: str, rows: tuple[tuple[str, str], ...], code: str,
                  width: int = 42, footer: tuple[str, ...] = ()) -> list[str]:
    """A voucher (a credit note, AVOIR) as lines of at most ``width`` characters: the shop, the
    title, its figures as label/value pairs, its code printed large enough to type, then
    ``footer`` (its signature extract)."""
    out: list[str] = _wrapped(header, width, center=True)
    out.append("")
    out.extend(_wrapped([title], width, center=True))
    out.append("=" * width)
    for label, value in rows:
        out.extend(pair(label, value, width))
    out.append("=" * width)
    out.extend(_wrapped([code], width, center=True))
    if footer:
        out.append("")
        out.extend(_wrapped(footer, width, center=True))
    return out
