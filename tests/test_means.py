"""The means of payment are declared once, in ``till.means``, and nowhere else.

Each means says everything the till decides from it; the refund planner follows its refund
order; and no product module declares a means code of its own (``CASH = "cash"``, a label
table keyed by codes), so a new means stays one entry in the registry.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from till.config.loader import AccountsConfig
from till.i18n import _catalogue
from till.means import ALL, CARD, CASH, CODES, CREDIT_NOTE, REFUND_ORDER, Means, codes_where, is_known, means
from till.returns import refunds
from till.selling.accounting import means_account
from tests.support.source import parse_python

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("till", "reports", "store", "devices", "headoffice")
REGISTRY = ROOT / "till" / "means.py"


@pytest.mark.parametrize("entry", ALL, ids=[m.code for m in ALL])
def test_every_means_has_each_property(entry):
    for field in dataclasses.fields(Means):
        value = getattr(entry, field.name)
        assert value is not None, field.name
    assert entry.known and is_known(entry.code) and means(entry.code) is entry
    assert entry.code and len(entry.code) <= 16  # Payment.means is a 16-character column
    assert entry.label in _catalogue("fr"), f"no French for {entry.label!r}"
    assert entry.text("fr") == _catalogue("fr")[entry.label] and entry.text("en") == entry.label
    assert entry.account in {f.name for f in dataclasses.fields(AccountsConfig)}
    assert means_account(AccountsConfig(), entry.code) == getattr(AccountsConfig(), entry.account)
    assert entry.refunded_as in CODES


def test_codes_and_ranks_are_distinct():
    assert len(set(CODES)) == len(ALL) == 3
    assert sorted(m.refund_rank for m in ALL) == list(range(1, len(ALL) + 1))
    assert set(REFUND_ORDER) == set(CODES)


def test_what_each_means_decides():
    assert [m.code for m in ALL if m.opens_drawer] == [CASH]
    assert [m.code for m in ALL if m.uses_terminal] == [CARD]
    assert [m.code for m in ALL if m.refund_needs_original] == [CARD]
    assert [m.code for m in ALL if m.reference_shown] == [CREDIT_NOTE]
    assert all(m.refunded_as == m.code for m in ALL)


def test_a_code_the_till_does_not_know_is_taken_as_cash_in_the_books_and_refunds():
    other = means("cheque")
    assert not other.known and not is_known("cheque")
    assert other.text("fr") == "cheque"
    assert other.refunded_as == CASH and other.account == means(CASH).account
    assert not other.opens_drawer and not other.uses_terminal and not other.refund_needs_original
    assert other.refund_rank > max(m.refund_rank for m in ALL)


def test_the_refund_order_is_the_planners_default_order():
    assert refunds.ORDER == REFUND_ORDER
    paid = [(CREDIT_NOTE, 1000, "AV-1"), (CASH, 1000), (CARD, 1000, "A1")]
    plan = refunds.plan_refund(paid, 3000)
    assert [part.means for part in plan] == list(REFUND_ORDER)
    for step, code in enumerate(REFUND_ORDER):  # a partial refund reaches the means in that order
        assert refunds.plan_refund(paid, 1000 * step + 1)[-1].means == code
    mixed = refunds.check_choice(paid, [refunds.RefundPart(c, 1000) for c in reversed(CODES)], 3000)
    assert [part.means for part in mixed] == list(REFUND_ORDER)


def declarations(source: str) -> list[tuple[int, str]]:
    """Upper-case names assigned a means code, or a literal table naming two means or more."""
    found = []
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]
        if not names:
            continue
        if isinstance(value, ast.Dict):
            items = value.keys
        elif isinstance(value, (ast.Tuple, ast.List, ast.Set)):
            items = value.elts
        else:
            items = [value]
        codes = {i.value for i in items if isinstance(i, ast.Constant) and i.value in CODES}
        if codes and (len(codes) > 1 or len(items) == 1):
            found.append((node.lineno, names[0]))
    return found


def test_the_scan_sees_a_declaration():
    assert declarations('CASH = "cash"\nCARD: str = "card"\nMEANS = {"cash": "Cash", "card": "Card"}\n'
                        'ORDER = ("card", "cash")\nTABLES = ("credit_note", "credit_note_movement")\n'
                        'x = "cash"\n') == [(1, "CASH"), (2, "CARD"), (3, "MEANS"), (4, "ORDER")]


def test_no_module_but_the_registry_declares_a_means():
    found = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == REGISTRY:
                continue
            found += [f"{path.relative_to(ROOT)}:{line} {name}"
                      for line, name in declarations(path.read_text(encoding="utf-8"))]
    assert not found, "declare means in till/means.py only: " + ", ".join(found)


def test_codes_where_picks_by_property():
    assert codes_where() == CODES
    assert codes_where(uses_terminal=True) == (CARD,)
    assert codes_where(refund_needs_original=False) == (CASH, CREDIT_NOTE)
