"""Each receipt line names its VAT rate by a letter; a legend under the totals maps each letter
to its rate with its HT, VAT and TTC amounts. On 32, 42 and 48 columns, read back from the bytes
the printer gets: lines fit, the letters and the legend's amounts stay in their columns, and no
amount is split."""

from __future__ import annotations

import re

import pytest

from devices.receipt import Receipt, ReceiptLine, layout
from store.models import TicketVat
from till.aftersale.receipts import build_receipt, vat_letters
from tests.aftersale.test_receipt_wrapping import printed_lines
from tests.support.shop import sell

AMOUNT = re.compile(r"-?\d{1,3}(?: \d{3})*,\d{2}")


def test_letters_follow_the_rates_from_the_highest():
    assert vat_letters([550, 2000, 210, 1000, 2000]) == {2000: "A", 1000: "B", 550: "C", 210: "D"}


@pytest.mark.parametrize("width", [32, 42, 48])
def test_each_line_prints_its_letter_and_the_legend_maps_it(shop, width):
    shop.config.shop  # French shop: "TVA", "HT", "TTC"
    ticket = sell(shop, [("WIN", 2), ("SAND", 1), ("BAG", 3), ("NEWS", 1)])
    receipt = build_receipt(shop.config, ticket)
    assert [line.vat_code for line in receipt.lines] == ["A", "B", "C", "D"]
    lines = printed_lines(receipt, width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    for label, letter in (("Côtes du Rhône", "A"), ("Sandwich", "B"), ("Baguette", "C"), ("Le Monde", "D")):
        [item] = [line for line in lines if line.startswith(label[:10])]
        assert item.endswith(f" {letter}"), item
    legend = [line for line in lines if re.match(r"^[A-D] ", line)]
    rates = {row.rate_bp: row for row in TicketVat.select().where(TicketVat.ticket == ticket.id)}
    assert [line.split()[0] for line in legend] == ["A", "B", "C", "D"]
    for line, rate_bp in zip(legend, (2000, 1000, 550, 210)):
        row = rates[rate_bp]
        assert AMOUNT.findall(line)[-3:] == [f"{c // 100},{c % 100:02d}" for c in (row.ht_cents, row.vat_cents,
                                                                                  row.ttc_cents)]
    assert len({len(line) for line in legend}) == 1  # amounts right-aligned in the same columns
    header = lines[lines.index(legend[0]) - 1]
    assert header.split() == ["TVA", "HT", "TVA", "TTC"] and len(header) == len(legend[0])
    assert "TOTAL TTC" in text


@pytest.mark.parametrize("width", [32, 42, 48])
def test_a_legend_too_wide_for_the_paper_never_splits_an_amount(width):
    big = "1 234 567,89"
    receipt = Receipt(
        header=("Shop",), title="VENTE", meta=(), payments=(),
        lines=(ReceiptLine("Lot", "1", big, big, "A"),),
        totals=(("TOTAL TTC", big),),
        vat_table=(("TVA", "HT", "TVA", "TTC"), ("A 20 %", "1 028 806,58", "205 761,31", big)),
    )
    lines = layout(receipt, width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    for amount in ("1 028 806,58", "205 761,31", big):
        assert any(amount in line for line in lines), text
    assert any(line.startswith("A 20 %") for line in lines)
