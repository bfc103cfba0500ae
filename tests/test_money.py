"""Money and VAT exactly as design.md section 2, with property tests."""

from __future__ import annotations

import ast
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.money import (
    MoneyError, allocate, format_cents, format_rate, line_total, parse_amount, parse_rate, percent_of,
    round_half_up, split_vat, vat_breakdown,
)
from tests.support.source import parse_python

RATES = st.sampled_from([2000, 1000, 550, 210, 0])
CENTS = st.integers(min_value=-10_000_000, max_value=10_000_000)


def test_round_half_up_ties_go_away_from_zero():
    assert round_half_up(5, 10) == 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(-5, 10) == -1
    assert round_half_up(15, 10) == 2
    assert round_half_up(25, 10) == 3  # not banker's rounding


def test_split_vat_known_values():
    # 12.00 TTC at 20 %: HT 10.00, VAT 2.00
    assert (split_vat(1200, 2000).ht, split_vat(1200, 2000).vat) == (1000, 200)
    # 1.00 TTC at 5.5 %: HT = 100 / 1.055 = 94.786... -> 95, VAT 5
    assert (split_vat(100, 550).ht, split_vat(100, 550).vat) == (95, 5)
    # 0.99 at 2.1 %: 96.96... -> 97, VAT 2
    assert (split_vat(99, 210).ht, split_vat(99, 210).vat) == (97, 2)


def test_vat_is_split_once_per_rate_not_per_line():
    lines = [(2000, 10)] * 3  # three lines of 0.10 at 20 %
    [rate] = vat_breakdown(lines)
    assert (rate.ttc, rate.ht, rate.vat) == (30, 25, 5)
    per_line = sum(split_vat(10, 2000).ht for _ in range(3))
    assert per_line == 24  # what per-line rounding would have drifted to


def test_line_total_pieces_and_weight():
    assert line_total(250, 3) == 750
    assert line_total(250, 3, discount_cents=50) == 700
    assert line_total(1899, 1234, per=1000) == 2343  # 1.234 kg at 18.99 / kg = 23.43366
    assert line_total(1899, 500, per=1000) == 950  # 9.495 -> 9.50 (half up)


@given(ttc=CENTS, rate=RATES)
def test_ht_plus_vat_is_ttc(ttc, rate):
    amounts = split_vat(ttc, rate)
    assert amounts.ht + amounts.vat == ttc
    assert isinstance(amounts.ht, int) and isinstance(amounts.vat, int)
    # HT is the nearest cent to TTC / (1 + rate)
    assert abs(amounts.ht * (10_000 + rate) - ttc * 10_000) <= (10_000 + rate) // 2 + 1


@given(lines=st.lists(st.tuples(RATES, CENTS), max_size=30))
def test_a_ticket_balances(lines):
    breakdown = vat_breakdown(lines)
    total = sum(ttc for _, ttc in lines)
    assert sum(r.ttc for r in breakdown) == total
    assert sum(r.ht + r.vat for r in breakdown) == total
    assert len({r.rate_bp for r in breakdown}) == len(breakdown)


@given(total=CENTS, weights=st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=20))
def test_allocate_sums_exactly(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(isinstance(s, int) for s in shares)


@given(cents=st.integers(min_value=-99_999_999, max_value=99_999_999))
def test_format_and_parse_round_trip(cents):
    assert parse_amount(format_cents(cents, "fr")) == cents
    if abs(cents) < 100_000:  # English groups thousands with commas, which are refused as ambiguous
        assert parse_amount(format_cents(cents, "en", symbol=False)) == cents


def test_parse_amount_accepts_what_cashiers_type_and_refuses_the_rest():
    assert parse_amount("12") == 1200
    assert parse_amount("12,5") == 1250
    assert parse_amount("12.50") == 1250
    assert parse_amount("12,50 €") == 1250
    assert parse_amount("0,05") == 5
    for bad in ("", "abc", "12,505", "1.234,56", "12..5", "1e3"):
        with pytest.raises(MoneyError):
            parse_amount(bad)


def test_rates_and_percentages():
    assert parse_rate("5,5") == 550
    assert parse_rate("20 %") == 2000
    assert format_rate(550) == "5.5"
    assert format_rate(210) == "2.1"
    assert format_rate(2000) == "20"
    assert format_rate(550, "fr") == "5,5"
    assert percent_of(1999, 1000) == 200


def test_floats_are_refused():
    with pytest.raises(TypeError):
        line_total(2.5, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        split_vat(100.0, 2000)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_half_up(1.5, 1)  # type: ignore[arg-type]


MONEY_MODULES = ["till/money.py", "till/selling/basket.py", "till/selling/checkout.py", "till/selling/ticket_writer.py", "till/selling/accounting.py"]


@pytest.mark.parametrize("path", MONEY_MODULES)
def test_no_float_literal_or_float_call_in_money_code(path):
    """No float reaches money: the modules that compute amounts contain no float at all."""
    tree = parse_python((pathlib.Path(__file__).parent.parent / path).read_text())
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), f"float literal in {path}"
        assert not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float"), f"float() in {path}"
        assert not isinstance(node, ast.Div) or path == "till/aftersale/receipts.py", f"true division in {path}"
