"""GS1 element strings (GS1-128, GS1 DataBar) and UPC-E, read as a scanner sends them, to the
same results as in-store labels; and in a real basket, to the same product and price rules."""

from __future__ import annotations

import datetime as dt

import pytest

from till import gs1
from till.errors import ScanError
from till.scanning import (
    InvalidCheckDigit, PricedCode, ProductCode, SkuCode, WeighedCode, expand_upc_e, gtin_check_digit, parse,
)

GS = "\x1d"
GTIN = "0301234567890" + gtin_check_digit("0301234567890")   # a GTIN-14, indicator 0
KEY = GTIN[1:]                                               # its catalogue key (EAN-13)


# --- reading the fields -------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [
    "]C1" + "01" + GTIN + "3103001250" + "17270331" + "10L42B" + GS + "3922000499",   # GS1-128
    "]e0" + "01" + GTIN + "3103001250" + "17270331" + "10L42B" + GS + "3922000499",   # DataBar
    "01" + GTIN + "3103001250" + "17270331" + "3922000499" + GS + "10L42B",           # lot last
    "(01)" + GTIN + "(3103)001250(17)270331(10)L42B(3922)000499",                     # typed
])
def test_a_gs1_code_gives_its_gtin_price_expiry_and_lot(sent):
    assert parse(sent) == PricedCode(KEY, 499, expiry=dt.date(2027, 3, 31), lot="L42B")


def test_fixed_length_fields_need_no_separator():
    # a wedge scanner whose FNC1 the terminal swallowed: weight and expiry have fixed lengths
    assert parse("01" + GTIN + "3102012340" + "17261200") == WeighedCode(
        KEY, grams=123_400, expiry=dt.date(2026, 12, 31))   # day 00: the month's last day


@pytest.mark.parametrize("ai, value, grams", [("3103", "001250", 1250), ("3100", "000002", 2000),
                                              ("3105", "012345", 123)])   # 0.12345 kg: 123.45 g -> 123
def test_the_weight_decimals_are_in_the_identifier(ai, value, grams):
    assert parse("01" + GTIN + ai + value) == WeighedCode(KEY, grams=grams)


def test_a_price_in_euros_with_its_currency():
    assert parse("01" + GTIN + "3932" + "978" + "1250") == PricedCode(KEY, 1250)


def test_a_gs1_code_with_only_a_gtin_is_the_product():
    assert parse("01" + GTIN + "10ABC") == ProductCode(KEY, lot="ABC")
    assert parse("01" + GTIN) == ProductCode(KEY)


@pytest.mark.parametrize("sent, words", [
    ("01" + GTIN + "99ABC", "unknown application identifier"),
    ("01" + GTIN + "3103" + "0012", "(3103) \"0012\" is not valid"),
    ("01" + GTIN + "17271301", "(17) \"271301\" is not valid"),
    ("01" + GTIN + "17270230", "(17) \"270230\" is not valid"),
    ("01" + GTIN + "10" + "L" * 21, "(10)"),
    ("01" + GTIN + "3103001250" + "3102012340", "(3102) is given twice"),
    ("01" + GTIN + "3932" + "840" + "1250", "currency 840, not in euros"),
    ("17270331" + GS + "10ABC", "names no product"),
    ("(01)" + GTIN + "(99)ABC", "unknown application identifier"),
    ("01" + GTIN + "3103000000", "shows no weight"),
    ("01" + GTIN + "3922" + "000", "shows no price"),
])
def test_bad_gs1_codes_are_refused_with_a_reason(sent, words):
    with pytest.raises(ScanError) as refused:
        parse(sent)
    assert words in refused.value.text("en")
    assert refused.value.text("fr") != refused.value.text("en")


def test_a_gs1_code_with_a_wrong_gtin_check_digit_is_a_check_digit_error():
    wrong = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
    with pytest.raises(InvalidCheckDigit):
        parse("01" + wrong + "3103001250")


def test_a_sku_in_brackets_is_still_a_sku():
    assert parse("(A)-12") == SkuCode("(A)-12")


def test_gs1_fields_are_read_in_order_with_separators():
    assert gs1.split("01" + GTIN + "10AB" + GS + "21S9" + GS + "3103001250") == [
        ("01", GTIN), ("10", "AB"), ("21", "S9"), ("3103", "001250")]


# --- UPC-E --------------------------------------------------------------------------------------

def test_upc_e_is_expanded_to_upc_a_before_its_check_digit_is_tested():
    assert expand_upc_e("04252614") == "042100005264"
    assert parse("04252614") == ProductCode("0042100005264")
    assert parse("]E0" + "04252614") == ProductCode("0042100005264")


@pytest.mark.parametrize("upc_e, upc_a", [
    ("01234565", "012345000065"),   # sixth digit 5-9: zeros before it
    ("01234531", "012300000451"),   # 3
    ("01234543", "012340000053"),   # 4
    ("11202309", "112000000239"),   # 0-2, number system 1
])
def test_every_upc_e_layout(upc_e, upc_a):
    assert expand_upc_e(upc_e) == upc_a


def test_an_8_digit_code_valid_both_ways_is_an_ean8_unless_the_scanner_says_upc_e():
    assert parse("01234565") == ProductCode("01234565")                  # EAN-8
    assert parse("]E0" + "01234565") == ProductCode("0012345000065")     # UPC-E per its AIM id


def test_a_upc_e_with_a_wrong_check_digit_is_refused():
    with pytest.raises(InvalidCheckDigit):
        parse("04252615")


# --- in a basket: the same product and rules as in-store labels --------------------------------

def test_gs1_labels_ring_up_as_in_store_labels_do(shop):
    from till.selling.basket import Basket, SaleError

    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    apples = "0" + shop.barcodes["APPL"]                     # sold by weight, 3.49 EUR/kg
    line = basket.add_code("]e0" + "01" + apples + "3103001234" + "17270331")
    assert (line.sku, line.quantity, line.unit, line.total_cents) == ("APPL", 1234, "g", 431)
    wine = "0" + shop.barcodes["WIN"]
    line = basket.add_code("01" + wine + "3922" + "0750")   # its price printed on the label
    assert (line.sku, line.quantity, line.total_cents) == ("WIN", 1, 750)
    with pytest.raises(SaleError, match="not sold by weight"):
        basket.add_code("01" + wine + "3103001234")
    assert len(basket.lines) == 2
