"""Property tests of till.scanning: what holds for every code, not just the examples."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from till.scanning import (
    DEFAULT_RULES,
    InvalidCheckDigit,
    PriceCodeRule,
    PricedCode,
    ProductCode,
    ScanError,
    SkuCode,
    TicketCode,
    WeighedCode,
    expand_upc_e,
    gtin_check_digit,
    is_valid_gtin,
    make_ean13,
    parse,
    ticket_code,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def body(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


def change_one_digit(code: str, index: int, offset: int) -> str:
    """``code`` with the digit at ``index`` replaced by a different digit."""
    index %= len(code)
    new = str((int(code[index]) + offset) % 10)
    return code[:index] + new + code[index + 1 :]


# --- Properties --------------------------------------------------------------------------------


@given(body(12).filter(lambda b: not b.startswith(("2", "00000"))))
def test_make_ean13_is_valid_and_parses_to_itself(body12: str) -> None:
    code = make_ean13(body12)
    assert len(code) == 13
    assert is_valid_gtin(code)
    assert parse(code) == ProductCode(code)
    assert parse("0" + code) == ProductCode(code)  # as GTIN-14


@given(body(12))
def test_any_ean13_parses_without_rules_to_a_valid_key(body12: str) -> None:
    code = make_ean13(body12)
    scan = parse(code, rules=())
    assert isinstance(scan, ProductCode)
    assert is_valid_gtin(scan.key)
    assert scan.key.lstrip("0") == code.lstrip("0")


@given(body(11).filter(lambda b: not b.startswith("0000")))
def test_upc_a_ean13_and_gtin14_forms_agree(body11: str) -> None:
    upc = body11 + gtin_check_digit(body11)
    assert parse(upc) == parse("0" + upc) == parse("00" + upc) == ProductCode("0" + upc)


@given(
    st.sampled_from([7, 11, 12, 13]).flatmap(body),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=1, max_value=9),
)
def test_a_single_digit_change_is_always_detected(gtin_body: str, index: int, offset: int) -> None:
    code = gtin_body + gtin_check_digit(gtin_body)
    assert is_valid_gtin(code)
    corrupted = change_one_digit(code, index, offset)
    assert not is_valid_gtin(corrupted)
    upc_a = expand_upc_e(corrupted)
    assume(upc_a is None or not is_valid_gtin(upc_a))  # 8 digits that make a valid UPC-E are one
    with pytest.raises(InvalidCheckDigit) as caught:
        parse(corrupted)
    assert caught.value.code == corrupted


@given(
    st.sampled_from(DEFAULT_RULES),
    body(5),
    st.integers(min_value=1, max_value=99_999),
    st.integers(min_value=1, max_value=999),
)
def test_default_labels_read_their_value(rule: PriceCodeRule, item: str, value: int, quantity: int) -> None:
    code = make_ean13(f"{rule.prefix}{item}{value:05d}")
    scan = parse(f"{quantity}*{code}")
    key = make_ean13(f"{rule.prefix}{item}00000")
    if rule.kind == "weight":
        assert scan == WeighedCode(key, grams=value, quantity=quantity)  # 3 decimals of kg
    else:
        assert scan == PricedCode(key, price_cents=value, quantity=quantity)  # 2 decimals of €
    assert is_valid_gtin(scan.key)


@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8),
    st.integers(min_value=0, max_value=10**12),
)
def test_ticket_code_round_trip(till_id: str, number: int) -> None:
    code = ticket_code(till_id, number)
    assert parse(code) == TicketCode(till_id, number)
    assert parse(f"]Q1{code}\r\n") == TicketCode(till_id, number)


@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=1, max_value=9),
)
def test_ticket_single_digit_change_is_detected(till_id: str, number: int, index: int, offset: int) -> None:
    code = ticket_code(till_id, number)
    head, tail = code.split("-")
    with pytest.raises(InvalidCheckDigit):
        parse(f"{head}-{change_one_digit(tail, index, offset)}")


@given(st.text(max_size=30))
def test_parse_only_ever_returns_a_scan_or_raises_scan_error(text: str) -> None:
    try:
        scan = parse(text)
    except ScanError:
        return
    assert isinstance(scan, (ProductCode, WeighedCode, PricedCode, TicketCode, SkuCode))


gs1_text = st.text(alphabet="0123456789()\x1dABLx", max_size=60)


@given(gs1_text.map(lambda rest: "01" + "03012345678902" + rest) | gs1_text.map(lambda rest: "(01)" + rest))
def test_any_gs1_shaped_text_is_a_scan_or_a_scan_error(text: str) -> None:
    try:
        scan = parse(text)
    except ScanError:
        return
    assert isinstance(scan, (ProductCode, WeighedCode, PricedCode, SkuCode))


@given(
    st.permutations(["3103{weight}", "17{expiry}", "10{lot}\x1d", "3922{price}\x1d"]),
    st.integers(min_value=1, max_value=999_999),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=20),
    st.integers(min_value=1, max_value=10**6),
)
def test_gs1_fields_read_the_same_in_any_order(order, weight, expiry, lot, price) -> None:
    gtin = "0301234567890" + gtin_check_digit("0301234567890")
    fields = "".join(order).format(weight=f"{weight:06d}", expiry=expiry.strftime("%y%m%d"), lot=lot,
                                   price=price)
    scan = parse("]C1" + "01" + gtin + fields)
    assert scan == PricedCode(gtin[1:], price, expiry=expiry, lot=lot)
