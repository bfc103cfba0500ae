"""The payment screen asks head office for a credit note, in a worker, and gives it back on Esc.

The real ``TillApp`` driven with Pilot, on a till whose till.toml has a ``[sync]`` section
pointing at a real head office on loopback.
"""

from __future__ import annotations

import pytest
from tests.support.headoffice import note_of_another_shop, office_balance, write_sync_section
from tests.support.net import free_port
from tests.support.pilot import burst, log_in, settle, status_text

from store.models import Payment, RemoteCreditHold, Ticket
from till.credit import holds as credit_holds
from till.selling.catalogue import forget_cached_rates
from till.shop.running import give_back_credit_holds
from till.i18n import set_language

SIZE = (80, 24)


@pytest.fixture
def lyon_note(headoffice):
    return note_of_another_shop(500)


def _app(shop, url: str, **keys):
    from till.ui.app import TillApp

    shop.ctx.config = write_sync_section(shop.config.path, url, **keys)
    forget_cached_rates()
    set_language("en")
    return TillApp(shop.ctx)


@pytest.fixture(autouse=True)
def _french_afterwards():
    yield
    set_language("fr")


async def _to_payment(pilot, shop) -> None:
    await log_in(pilot)
    burst(pilot.app, shop.barcodes["WIN"])  # 8,95
    await settle(pilot)
    await pilot.press("f2")


async def _tender_note(pilot, code: str) -> None:

    await pilot.press("f4", *[{"-": "minus"}.get(char, char) for char in code.lower()], "enter")
    await settle(pilot)


async def test_another_shops_note_then_cash(shop, headoffice, lyon_note):
    from till.ui.screens.payment import PaymentScreen
    from till.ui.screens.sale import SaleScreen

    app = _app(shop, headoffice.url)
    async with app.run_test(size=SIZE) as pilot:
        await _to_payment(pilot, shop)
        await _tender_note(pilot, lyon_note)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.checkout.due_cents == 395 and office_balance(lyon_note) == 0
        assert "credit note" in status_text(app, "#payment-status").lower()
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
    ticket = Ticket.get()
    assert [(p.means, p.amount_cents, p.reference) for p in ticket.payments.order_by(Payment.position)] == [
        ("credit_note", 500, lyon_note), ("cash", 395, None)]
    assert RemoteCreditHold.get().status == credit_holds.HOLD_SETTLED


async def test_esc_gives_the_note_back_before_leaving(shop, headoffice, lyon_note):
    from till.ui.screens.sale import SaleScreen

    app = _app(shop, headoffice.url)
    async with app.run_test(size=SIZE) as pilot:
        await _to_payment(pilot, shop)
        await _tender_note(pilot, lyon_note)
        assert office_balance(lyon_note) == 0
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen) and not app.screen.basket.is_empty
    assert office_balance(lyon_note) == 500 and Ticket.select().count() == 0
    assert RemoteCreditHold.get().status == credit_holds.HOLD_RELEASED


async def test_head_office_gone_and_policy_refuse_says_why_and_changes_nothing(shop, headoffice, lyon_note):
    from till.ui.screens.payment import PaymentScreen

    app = _app(shop, f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=SIZE) as pilot:
        await _to_payment(pilot, shop)
        await _tender_note(pilot, lyon_note)
        assert isinstance(app.screen, PaymentScreen) and app.screen.checkout.due_cents == 895
        assert "offline redemption is refused" in status_text(app, "#payment-status")
    assert office_balance(lyon_note) == 500


async def test_a_hold_left_by_a_stopped_till_goes_back_when_the_till_starts(shop, headoffice, lyon_note):
    from till.credit.remote import RemoteCreditDesk

    shop.ctx.config = write_sync_section(shop.config.path, headoffice.url)
    RemoteCreditDesk.for_context(shop.ctx).hold(lyon_note, 300)  # then the till stopped
    assert office_balance(lyon_note) == 200

    thread = give_back_credit_holds(shop.ctx)
    thread.join(timeout=20)

    assert office_balance(lyon_note) == 500
    assert RemoteCreditHold.get().status == credit_holds.HOLD_RELEASED
    assert give_back_credit_holds(shop.ctx) is None


async def test_f11_shows_another_shops_note_as_head_office_holds_it(shop, headoffice, lyon_note):
    from till.ui.screens.credit_note_balance import CreditNoteBalanceScreen

    app = _app(shop, headoffice.url)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f11")
        assert isinstance(app.screen, CreditNoteBalanceScreen)
        await pilot.press(*[{"-": "minus"}.get(char, char) for char in lyon_note.lower()], "enter")
        await settle(pilot)
        details = str(app.screen.query_one("#credit-note-details").render())
        assert lyon_note in details and "LYON" in details and "Balance at head office: €5.00" in details
        assert Ticket.select().count() == 0 and RemoteCreditHold.select().count() == 0  # nothing changed


async def test_f11_says_so_when_head_office_cannot_be_reached(shop, headoffice, lyon_note):
    app = _app(shop, f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f11", *[{"-": "minus"}.get(char, char) for char in lyon_note.lower()], "enter")
        await settle(pilot)
        assert "Head office cannot be reached" in status_text(app)
