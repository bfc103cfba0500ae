"""The counter when the card terminal's answer is lost: the real ``TillApp`` on a real SQLite shop,
the real Concert driver talking to its simulator on a pty, which takes the request and goes silent.

The cashier is told to check the terminal's own journal, is offered no other means, cannot leave
the payment, and a manager settles it with F9 (or later from F1 then F10); the login screen says
what waits until it is settled.
"""

from __future__ import annotations

import pytest

from store.models import Payment, Ticket
from store.models.payments import DECLINED, SETTLED, UNKNOWN, PendingPayment
from till.ui.dialogs.card_settle import CardSettleScreen
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.login import LoginScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.screens.payment import PaymentScreen
from till.ui.returns.resolution import ResolutionScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text
from tests.support.shop import sell


@pytest.fixture
def silent_terminal(shop, concert):
    """The till's terminal is a Concert one; the request after ``script("timeout")`` gets no answer."""
    simulator, shop.ctx.terminal = concert
    return simulator


async def _manager_settles(pilot, app, reference: str | None) -> None:
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(app.screen, ManagerPinScreen)
    await pilot.press(*"9999", "enter")
    await settle(pilot)
    assert isinstance(app.screen, CardSettleScreen)
    assert "card journal #" in screen_text(app)
    if reference is None:
        await pilot.press("f8")
    else:
        await pilot.press(*reference, "enter")
    await settle(pilot)


async def test_an_unknown_card_payment_is_settled_by_a_manager_at_the_counter(app, shop, silent_terminal):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        silent_terminal.script("timeout")
        await pilot.press("f2", "f2")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        status = status_text(app, "#payment-status")
        assert "may have gone through" in status and "terminal's own journal" in status and "F9" in status
        for key in ("c", "escape", "f2"):  # no cash, no leaving, no second charge
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, PaymentScreen)
            assert "manager" in status_text(app, "#payment-status")
        assert len(silent_terminal.requests) == 1

        await _manager_settles(pilot, app, "A-31")

        assert isinstance(app.screen, SaleScreen)
        ticket = Ticket.get()
        assert [(p.means, p.amount_cents, p.reference) for p in Payment.select()] == [("card", 895, "A-31")]
        row = PendingPayment.get()
        assert (row.status, row.ticket_id, row.settled_by) == (SETTLED, ticket.id, shop.manager.id)


async def test_an_unknown_refund_settled_as_not_approved_then_refunded_in_cash(app, shop, silent_terminal):
    sale = sell(shop, [("WIN", 1)], card=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        silent_terminal.script("timeout")
        for key in ("enter", "f3", "enter", "f2", "enter"):
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(app.screen, ResolutionScreen)
        status = status_text(app)
        assert "terminal's own journal" in status and "F9" in status and "C: cash" not in status
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ResolutionScreen)

        await _manager_settles(pilot, app, None)

        assert isinstance(app.screen, ResolutionScreen)
        assert "another means" in status_text(app)
        assert PendingPayment.get(PendingPayment.operation == "refund").status == DECLINED
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        written = Ticket.get(Ticket.origin_ticket == sale.id)
        assert [(p.means, p.amount_cents) for p in Payment.select().where(Payment.ticket == written.id)] == [
            ("cash", -895)]
        assert len([r for r in silent_terminal.requests if r[0] == "1"]) == 1


async def test_what_waits_is_shown_at_login_and_settled_from_the_managers_screen(app, shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    row = PendingPayment.create(till_id=shop.ctx.till_id, terminal="concert", operation="sale", amount_cents=1250,
                                status=UNKNOWN, message="the till stopped before the terminal answered")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        assert "1 card payment to check" in screen_text(app)
        await log_in(pilot, "manager", "9999")
        await pilot.press("f1")
        await settle(pilot)
        if isinstance(app.screen, ManagerPinScreen):  # F1 asks a manager's PIN of whoever is logged in
            await pilot.press(*"9999", "enter")
            await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "F10" in status_text(app, "#closures-status")
        await pilot.press("f10")
        await settle(pilot)
        assert "€12.50" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        await pilot.press(*"Z-9", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "no ticket carries it" in status_text(app, "#closures-status")
        row = PendingPayment.get_by_id(row.id)
        assert (row.status, row.result_reference, row.settled_by) == (SETTLED, "Z-9", shop.manager.id)
        assert sale.id  # the sale itself is untouched
