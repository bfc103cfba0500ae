"""Paying with a credit note through head office, at the checkout: another shop's note, one of
this shop's that head office knows, an abandoned sale, a till stopped mid-sale, and offline.

A real head office on loopback (PostgreSQL and SQLite), the real checkout and ticket writer on
the shop's SQLite file; nothing is stubbed.
"""

from __future__ import annotations

import pytest
from tests.support.headoffice import note_of_another_shop, office_balance, settings_for, alerts
from tests.support.net import free_port

from store.models import AccountingLine, CreditNote, FiscalRecord, Payment, RemoteCreditHold
from till.credit import holds as credit_holds
from till.credit import notes as credit_notes
from till.fiscal.events import PAYMENT_CANCELLED
from till.fiscal.verify import verify_journal
from till.credit.remote import RemoteCreditDesk, RemoteCreditRefused, report
from till.selling.basket import Basket
from till.sync.client import HeadOfficeClient
from till.sync.pull import register_notes
from till.sync.push import push_chains
from till.selling.checkout import Checkout
from tests.support.credit import issue_note


@pytest.fixture
def other_shops_note(headoffice):
    """A 20,00 € note issued in Lyon, known to head office only."""
    return note_of_another_shop(2000)


def _desk(shop, url: str, **policy) -> RemoteCreditDesk:
    return RemoteCreditDesk(settings_for(url, **policy), shop.ctx.till_id, shop.ctx.sealer.signer, shop.ctx.sealer)


def _checkout(shop, desk, *items) -> Checkout:
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    for sku in items or ("WIN", "COF"):  # 8,95 + 4,59 = 13,54
        basket.add_product(shop.products[sku], 1)
    return Checkout(basket, shop.ctx.terminal, desk)


def _hold(request_id: str) -> RemoteCreditHold:
    return RemoteCreditHold.get(RemoteCreditHold.request_id == request_id)


def _events(code: str) -> list[dict]:
    import json

    return [json.loads(r.payload) for r in FiscalRecord.select().where(FiscalRecord.chain == "L")
            if json.loads(r.payload).get("code") == code]


def test_another_shops_note_pays_through_head_office_once(shop, headoffice, other_shops_note):
    checkout = _checkout(shop, _desk(shop, headoffice.url))
    tender = checkout.add_credit_note(other_shops_note.lower())  # as much as it holds, up to what is due
    assert (tender.amount_cents, tender.remote_only) == (1354, True)
    assert office_balance(other_shops_note) == 2000 - 1354  # held at head office before the ticket
    assert _hold(tender.hold_request).status == credit_holds.HOLD_HELD

    ticket = checkout.complete().ticket

    assert [(p.means, p.amount_cents, p.reference) for p in Payment.select()] == [
        ("credit_note", 1354, other_shops_note)]
    hold = _hold(tender.hold_request)
    assert (hold.status, hold.ticket_id, hold.offline) == (credit_holds.HOLD_SETTLED, ticket.id, False)
    assert CreditNote.select().count() == 0  # not this shop's ledger
    debit = sum(a.debit_cents for a in AccountingLine.select().where(AccountingLine.account == "4197"))
    assert debit == 1354 and sum(a.debit_cents - a.credit_cents for a in AccountingLine.select()) == 0
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok

    # What is left pays another sale; beyond it, head office refuses in the till's own words.
    second = _checkout(shop, _desk(shop, headoffice.url), "WIN")
    with pytest.raises(credit_notes.NotEnoughCredit) as refused:
        second.add_credit_note(other_shops_note, 800)
    assert "6,46" in refused.value.text("fr") and office_balance(other_shops_note) == 646
    assert second.add_credit_note(other_shops_note).amount_cents == 646


def test_abandoned_sale_gives_the_note_back_and_says_so_in_chain_l(shop, headoffice, other_shops_note):
    checkout = _checkout(shop, _desk(shop, headoffice.url))
    tender = checkout.add_credit_note(other_shops_note, 1000)
    assert checkout.holds_credit and office_balance(other_shops_note) == 1000

    assert checkout.cancel() == 1000

    assert office_balance(other_shops_note) == 2000 and not checkout.tenders
    assert _hold(tender.hold_request).status == credit_holds.HOLD_RELEASED
    (event,) = _events(PAYMENT_CANCELLED)
    assert event["details"]["request_id"] == tender.hold_request and event["details"]["amount_cents"] == 1000
    # Asking head office again changes nothing (a counter-redemption is recorded once).
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    assert client.request("POST", f"/v1/credit-notes/{other_shops_note}/release",
                          {"request_id": tender.hold_request})["replayed"] is True
    assert office_balance(other_shops_note) == 2000


def test_a_till_stopped_mid_sale_gives_the_note_back_at_restart(shop, headoffice, other_shops_note):
    desk = _desk(shop, headoffice.url)
    checkout = _checkout(shop, desk)
    tender = checkout.add_credit_note(other_shops_note, 1200)
    checkout.add_cash(154)
    # The till stops here: the checkout is lost, the hold stays committed. At the next start:
    (stale,) = credit_holds.reconcile(shop.ctx.till_id, shop.ctx.sealer)
    assert stale.request_id == tender.hold_request
    assert _hold(tender.hold_request).status == credit_holds.HOLD_TO_RELEASE
    assert _events(PAYMENT_CANCELLED)[0]["details"]["request_id"] == tender.hold_request
    assert desk.release_pending() == 1
    assert office_balance(other_shops_note) == 2000
    # A ticket still standing on that hold is refused whole: nothing written.
    with pytest.raises(credit_holds.HoldLost):
        checkout.complete()
    assert Payment.select().count() == 0 and [t.means for t in checkout.tenders] == ["cash"]
    assert _hold(tender.hold_request).status == credit_holds.HOLD_RELEASED and checkout.due_cents == 1200


def test_offline_policy_refuses_or_takes_the_typed_amount_then_reports_it(shop, headoffice, other_shops_note):
    dead = f"http://127.0.0.1:{free_port()}"
    refusing = _checkout(shop, _desk(shop, dead))
    with pytest.raises(RemoteCreditRefused) as refused:
        refusing.add_credit_note(other_shops_note, 500)
    assert "hors ligne est refusé" in refused.value.text("fr")
    assert RemoteCreditHold.get().status == credit_holds.HOLD_TO_RELEASE  # it may have arrived: given back

    accepting = _desk(shop, dead, offline_credit_policy="accept", offline_credit_max_cents=1000)
    checkout = _checkout(shop, accepting, "WIN", "WIN")  # 17,90
    with pytest.raises(RemoteCreditRefused) as no_amount:
        checkout.add_credit_note(other_shops_note)  # the amount must be read off the voucher
    assert "montant imprimé" in no_amount.value.text("fr")
    with pytest.raises(RemoteCreditRefused):
        checkout.add_credit_note(other_shops_note, 1500)  # above the offline limit
    tender = checkout.add_credit_note(other_shops_note, 1000)
    checkout.add_cash(790)
    ticket = checkout.complete().ticket
    hold = _hold(tender.hold_request)
    assert (hold.status, hold.offline, hold.reported, hold.ticket_id) == ("settled", True, False, ticket.id)

    # Meanwhile the note is spent elsewhere; the next sync reports the offline redemption.
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    client.request("POST", f"/v1/credit-notes/{other_shops_note}/redeem",
                   {"amount_cents": 1500, "request_id": "LYON-spent"})
    assert report(client, shop.ctx.till_id) == (1, 2)  # reported; the two refused attempts given back
    assert report(client, shop.ctx.till_id) == (0, 0)
    assert _hold(tender.hold_request).reported
    assert office_balance(other_shops_note) == 2000 - 1500 - 1000
    assert alerts() == ["CREDIT_OVERDRAWN"]


def test_this_shops_note_known_to_head_office_is_spent_there_too(shop, headoffice):
    note = issue_note(shop, 2000)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    push_chains(client, shop.ctx.till_id, settings_for(headoffice.url))  # as till sync does: records first
    assert register_notes(client) == 1 and register_notes(client) == 0
    assert office_balance(note.code) == 2000
    # Another shop spends 15,00 of it at head office; this shop's ledger does not know.
    client.request("POST", f"/v1/credit-notes/{note.code}/redeem", {"amount_cents": 1500, "request_id": "LYON-1"})

    checkout = _checkout(shop, _desk(shop, headoffice.url))
    with pytest.raises(credit_notes.NotEnoughCredit):
        checkout.add_credit_note(note.code, 1000)  # the local ledger says 20,00; head office 5,00
    tender = checkout.add_credit_note(note.code, 500)
    assert tender.hold_request is not None and not tender.remote_only
    checkout.add_cash(checkout.due_cents)
    checkout.complete()
    assert credit_notes.balance(note) == 1500 and office_balance(note.code) == 0


def test_a_note_registered_with_what_is_left_of_it(shop, headoffice):
    note = issue_note(shop, 2000)
    checkout = _checkout(shop, None)  # before the sync: this shop's ledger alone
    checkout.add_credit_note(note.code, 700)
    checkout.add_cash(checkout.due_cents)
    checkout.complete()
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    push_chains(client, shop.ctx.till_id, settings_for(headoffice.url))  # as till sync does: records first
    register_notes(client)
    assert office_balance(note.code) == 1300


def test_every_refusal_of_a_remote_note_has_its_french():
    from till.i18n import translate
    from till.credit.remote import MESSAGES

    for message in MESSAGES:
        assert translate(message, "fr") != message, message
