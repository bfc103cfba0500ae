"""A receipt on 32, 42 and 48 columns, read back from the bytes python-escpos sends: long texts
wrap at word boundaries, an amount (thousands grouped by a space or a narrow no-break space,
with its currency sign) is never split across lines, no word is cut by a narrow column, and
every character of the text is printed."""

from __future__ import annotations

import dataclasses
import re

import pytest

from devices.escpos_loader import escpos
from devices.escpos_printer import EscposPrinter
from devices.settings import PrinterSettings
from till.aftersale.receipts import build_receipt
from tests.support.shop import sell

LABEL = "Abîmé pendant le transport : lot de trois bocaux de confiture d'abricots"
LEGAL_NAME = "SARL Épicerie Fine du Vieux Marché de la Place aux Herbes"
CONTROL = re.compile(rb"\x1b@|\x1bt.|\x1bE.|\x1ba.|\x1bd.|\x1dV.", re.DOTALL)
"""ESC/POS commands around the text lines: reset, code page, bold, alignment, feed and cut."""


def printed_lines(receipt, width: int) -> list[str]:
    """The text lines a printer of ``width`` columns receives (the barcode and QR left out)."""
    dummy = escpos().Dummy(profile="default")
    printer = EscposPrinter(PrinterSettings(driver="escpos_file", width=width, barcode=False, qr=False),
                            connect=lambda: dummy)
    printer.print_receipt(receipt)
    return CONTROL.sub(b"", dummy.output).decode("cp858").split("\n")


def squeezed(text: str) -> str:
    """``text`` without its spaces (plain, no-break or narrow no-break): to find every character."""
    return re.sub(r"[\s\u00a0\u202f]+", "", text)


@pytest.mark.parametrize("capital", ["8 000 €", "1\u202f250\u202f000 €"])
@pytest.mark.parametrize("width", [32, 42, 48])
def test_long_texts_wrap_between_words_never_inside_an_amount(shop, width, capital):
    wine = shop.products["WIN"]
    wine.name, wine.price_cents = LABEL, 123456
    wine.save()
    ticket = sell(shop, [("WIN", 1)], cash=200000)
    identity = dataclasses.replace(shop.config.shop, legal_name=LEGAL_NAME, share_capital=capital)
    receipt = build_receipt(dataclasses.replace(shop.config, shop=identity), ticket)

    lines = printed_lines(receipt, width)
    text = "\n".join(lines)

    assert max(len(line) for line in lines) <= width
    # every character of the legal mention and of the label is printed, in order
    assert squeezed(f"{LEGAL_NAME} au capital de {capital}") in squeezed(text)
    [line_total] = [f"{line.total} {line.vat_code}" for line in receipt.lines]  # beside the label
    assert squeezed(LABEL) in squeezed(text.replace(line_total, ""))
    # no word cut: each word of them is whole on some line
    words = set(text.split())
    assert set(LABEL.split()) <= words and set(LEGAL_NAME.split()) <= words
    # no amount split across lines: the capital (its spaces printed as plain ones), the line
    # total, the TOTAL with its euro sign, the cash given and the change
    for amount in (capital.replace("\u202f", " "), "1 234,56", "1 234,56 €", "2 000,00", "-765,44"):
        assert any(amount in line for line in lines), f"{amount!r} split or missing at {width} columns:\n{text}"
    # the VAT table's columns never run into each other: rate, base, tax, total apart
    assert any(re.search(r"20 %\s+1 028,80\s+205,76\s+1 234,56$", line) for line in lines), text
