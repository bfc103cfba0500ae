"""A customer or receipt signal about the return at hand asks for a manager's approval, sealed
with the return: the return workflow without a screen (``ReturnSession``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import FiscalRecord, utcnow
from till.aftersale.duplicates import make_duplicate
from till.fiscal.events import MANAGER_OVERRIDE
from till.loss.return_check import forget_medians
from till.people.customers import create_customer
from till.returns.loss_check import LOSS_SIGNAL
from till.returns.policy import PolicyBreach
from till.returns.session import ReturnSession
from tests.support.clock import sealing_at
from tests.support.loss import close_the_past, return_without_receipt
from tests.support.shop import sell


@pytest.fixture(autouse=True)
def _fresh_medians():
    forget_medians()


def _overrides() -> list[dict]:
    return [json.loads(record.payload)["details"] for record in FiscalRecord.select().where(
        (FiscalRecord.chain == "L") & (FiscalRecord.kind == MANAGER_OVERRIDE))]


def _session(shop, sale=None, user=None) -> ReturnSession:
    close_the_past(shop)
    session = ReturnSession.at(shop.ctx, user or shop.manager)
    if sale is not None:
        session.open(sale)
        for line in session.lines:
            session.pick(line.line_id, line.returnable, reason="defective")
    return session


def test_a_receipt_reprinted_an_hour_ago_needs_a_manager_and_the_approval_seals_the_signal(shop):
    sale = sell(shop, [("WIN", 1)], cash=1000)
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    session = _session(shop, sale)

    [breach] = session.unapproved()
    assert breach.code == LOSS_SIGNAL
    assert breach.error().text("en") == "Ask a manager"  # what the cashier reads: no rule, no figure
    with pytest.raises(PolicyBreach):
        session.complete()
    assert _overrides() == []

    session.approve(shop.manager, "customer known, receipt lost in the car")
    written = session.complete()

    [override] = _overrides()
    assert override["breach"] == LOSS_SIGNAL and override["origin"] == sale.code
    assert override["note"] == "customer known, receipt lost in the car"
    [signal] = override["signals"]
    assert signal["code"] == "receipt_reprinted" and signal["subject_id"] == sale.code
    assert signal["threshold"] == "24" and 0.9 <= float(signal["value"]) <= 1.1
    assert sale.code in signal["evidence"] and len(signal["evidence"]) == 2
    assert "duplicate" in signal["how"] and "hours before its return" in signal["how"]
    assert written.origin_ticket_id == sale.id


def test_a_customer_over_the_thresholds_needs_a_manager(shop):
    customer = create_customer("Inès", "Client")
    return_without_receipt(shop, "SOA", customer)
    return_without_receipt(shop, "BAG", customer)
    session = _session(shop)
    session.without_receipt()
    session.attach_customer(customer)
    session.pick_product(shop.products["COF"], 1, reason="defective")

    assert LOSS_SIGNAL in {breach.code for breach in session.unapproved()}
    session.approve(shop.manager, "regular, checked the items")
    session.complete()
    signals = next(o for o in _overrides() if o["breach"] == LOSS_SIGNAL)["signals"]
    assert [s["code"] for s in signals] == ["customer_no_receipt"]
    assert signals[0]["subject_id"] == str(customer.id) and len(signals[0]["evidence"]) == 2


def test_a_plain_return_and_a_return_with_neither_customer_nor_receipt_see_no_difference(shop, monkeypatch):
    loyal = create_customer("Nadia", "Client")
    sale = sell(shop, [("WIN", 1)], cash=1000, customer=loyal)
    session = _session(shop, sale)
    assert session.breaches() == [] and session.loss_signals() == []
    session.complete()
    assert _overrides() == []

    import till.returns.loss_check as loss_check

    def never(*args, **kwargs):
        raise AssertionError("no check without a customer or a receipt")

    monkeypatch.setattr(loss_check, "signals_for_return", never)
    session = _session(shop)
    session.without_receipt()
    session.pick_product(shop.products["SOA"], 1, reason="defective")
    assert LOSS_SIGNAL not in {breach.code for breach in session.breaches()}


def test_the_check_runs_once_per_customer_and_receipt_and_again_when_they_change(shop, monkeypatch):
    import till.returns.loss_check as loss_check

    sale = sell(shop, [("WIN", 1), ("SOA", 1)], cash=2000)
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    calls = []
    real = loss_check.signals_for_return
    monkeypatch.setattr(loss_check, "signals_for_return", lambda *a, **k: calls.append(a[:2]) or real(*a, **k))
    session = _session(shop, sale)
    for _ in range(5):  # every key the cashier presses reads the breaches
        session.unapproved()
    assert calls == [(None, sale.id)]

    session.approve(shop.manager, "checked")
    assert session.unapproved() == []
    customer = create_customer("Jean", "Client")
    session.attach_customer(customer)  # another subject: checked again, the approval was for other signals
    assert [b.code for b in session.unapproved()] == [LOSS_SIGNAL]
    session.unapproved()
    assert calls == [(None, sale.id), (customer.id, sale.id)]


def test_the_seller_refunding_their_own_sale_does_not_ask_for_a_manager(shop):
    sale = sell(shop, [("WIN", 1)], cash=1000)  # sold by the cashier
    session = _session(shop, sale, user=shop.cashier)
    assert session.breaches() == []
