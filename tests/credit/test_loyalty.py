"""Loyalty points on both engines: earned on a sale, taken back pro rata on returns (never more
than was earned), a reward voucher (a real, spendable credit note) at the threshold with its
cost booked, the balance in the customer 360 and on the receipt.

The ticket writer calls ``loyalty_rows_for_ticket`` inside its transaction; here the same hook
runs right after the real checkout (``apply``) on the ticket as written (``facts_of_ticket``).
"""

from __future__ import annotations

import pytest

from store.models import AccountingLine, CreditNote, LoyaltyEntry
from till.credit import notes as credit_notes
from till.fiscal.chain import current_database
from till.credit.loyalty import (
    LoyaltySettings, facts_of_ticket, loyalty_rows_for_ticket, loyalty_summary, points_balance, points_for,
    receipt_lines,
)
from till.returns.session import ReturnSession
from tests.support.returns import session as returns_session

ON = LoyaltySettings(enabled=True, points_per_euro=1, reward_threshold_points=100, reward_cents=500)


def apply(shop, ticket, settings=ON):
    with current_database().atomic():
        return loyalty_rows_for_ticket(settings, facts_of_ticket(ticket), ticket.id, sealer=shop.ctx.sealer,
                                       when=ticket.created_at,
                                       accounts=shop.config.accounts, validity_days=365)


def sell(shop, items, customer=None, settings=ON):
    from tests.support.shop import sell as checkout

    ticket = checkout(shop, items, customer=customer)
    return ticket, apply(shop, ticket, settings)


def give_back(shop, sale, sku, quantity, settings=ON):
    session = returns_session(shop)  # one receipt in three visits: the loss check stays quiet here
    session.open(sale)
    line = next(line for line in session.lines if line.sku == sku)
    session.pick(line.line_id, quantity, reason="changed_mind")
    ticket = session.complete()
    return ticket, apply(shop, ticket, settings)


def test_points_are_whole_euros_in_integers():
    assert points_for(1299, ON) == 12
    assert points_for(99, ON) == 0
    assert points_for(-500, ON) == 0
    assert points_for(1000, LoyaltySettings(enabled=True, points_per_euro=3)) == 30


def test_a_sale_earns_points_shown_in_the_360_and_on_the_receipt(any_shop):
    shop = any_shop
    ticket, outcome = sell(shop, [("COF", 2)], customer=shop.customer)  # 9,18 €
    assert (outcome.earned, outcome.reversed, outcome.rewards) == (9, 0, ())
    assert points_balance(shop.customer) == 9
    summary = loyalty_summary(shop.customer)
    assert (summary.balance, summary.earned, summary.reversed, summary.rewards) == (9, 9, 0, 0)
    assert receipt_lines(ticket, "fr") == ("Points fidélité : +9", "Solde fidélité : 9 points")
    assert receipt_lines(ticket, "en") == ("Loyalty points: +9", "Loyalty balance: 9 points")
    later, _ = sell(shop, [("WIN", 1)], customer=shop.customer)
    assert points_balance(shop.customer) == 17
    # a copy of the first receipt still prints the balance it had then
    assert receipt_lines(ticket, "en")[-1] == "Loyalty balance: 9 points"


def test_nothing_without_a_customer_when_off_or_in_training(any_shop):
    shop = any_shop
    _, outcome = sell(shop, [("WIN", 1)])
    assert outcome.earned == 0 and LoyaltyEntry.select().count() == 0
    _, outcome = sell(shop, [("WIN", 1)], customer=shop.customer, settings=LoyaltySettings())
    assert outcome.earned == 0 and LoyaltyEntry.select().count() == 0
    from types import SimpleNamespace

    training = SimpleNamespace(training=True, customer_id=shop.customer.id, origin_ticket_id=None, lines=())
    assert loyalty_rows_for_ticket(ON, training, 1, sealer=None, when=None).earned == 0


def test_returns_take_points_back_pro_rata_and_never_more_than_earned(any_shop):
    shop = any_shop
    sale, outcome = sell(shop, [("WIN", 3)], customer=shop.customer)  # 26,85 € -> 26 points
    assert outcome.earned == 26
    taken = []
    for _ in range(3):  # one bottle at a time; the return itself has no customer attached
        ret, outcome = give_back(shop, sale, "WIN", 1)
        taken.append(outcome.reversed)
        assert outcome.customer_id == shop.customer.id
    assert taken == [9, 8, 9]  # round(26/3)=9, round(52/3)=17 (-9), 26 (-17): exactly 26 in all
    assert points_balance(shop.customer) == 0
    entries = list(LoyaltyEntry.select().where(LoyaltyEntry.kind == "reverse").order_by(LoyaltyEntry.id))
    assert [e.points for e in entries] == [-9, -8, -9]
    assert all(e.origin_ticket_id == sale.id for e in entries)
    assert receipt_lines(ret, "fr")[0] == "Points fidélité : -9"
    summary = loyalty_summary(shop.customer)
    assert (summary.earned, summary.reversed, summary.balance) == (26, 26, 0)


def test_a_return_of_a_sale_that_earned_nothing_takes_nothing(any_shop):
    shop = any_shop
    from tests.support.shop import sell as checkout

    sale = checkout(shop, [("WIN", 1)], customer=shop.customer)  # written before loyalty was on
    _, outcome = give_back(shop, sale, "WIN", 1)
    assert outcome.reversed == 0 and LoyaltyEntry.select().count() == 0


def test_reward_voucher_at_the_threshold_is_a_spendable_credit_note(any_shop):
    shop = any_shop
    settings = LoyaltySettings(enabled=True, points_per_euro=1, reward_threshold_points=20, reward_cents=500)
    sale, outcome = sell(shop, [("WIN", 3)], customer=shop.customer, settings=settings)  # 26 points
    (note_id,) = outcome.rewards
    assert outcome.jobs == ((credit_notes.PRINT_CREDIT_NOTE, {"credit_note_id": note_id}),)
    note = CreditNote.get_by_id(note_id)
    assert (note.amount_cents, note.customer_id, note.issued_ticket_id) == (500, shop.customer.id, sale.id)
    assert points_balance(shop.customer) == 6
    reward = LoyaltyEntry.get(LoyaltyEntry.kind == "reward")
    assert (reward.points, reward.credit_note_id) == (-20, note_id)
    # Its cost is booked with the sale, and the sale's postings still balance.
    postings = list(AccountingLine.select().where(AccountingLine.ticket == sale.id))
    assert sum(p.debit_cents for p in postings) == sum(p.credit_cents for p in postings)
    assert {(p.account, p.debit_cents, p.credit_cents) for p in postings if "fidelite" in p.label} == {
        ("6234", 500, 0), (shop.config.accounts.credit_note, 0, 500)}
    assert any(note.code in line for line in receipt_lines(sale, "fr"))
    # Spent like any credit note, at the next sale.
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout
    from till.selling.ticket_writer import write_ticket

    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["SOA"], 1)
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_credit_note(note.code)
    write_ticket(shop.ctx.sealer, shop.config.accounts, checkout.draft())
    assert credit_notes.balance(note) == 150
    assert loyalty_summary(shop.customer).rewards == 1
    from till.fiscal.verify import verify_journal

    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok  # a reward note breaks no fiscal check


def test_a_return_after_a_reward_may_leave_a_negative_balance(any_shop):
    shop = any_shop
    settings = LoyaltySettings(enabled=True, points_per_euro=1, reward_threshold_points=20, reward_cents=500)
    sale, _ = sell(shop, [("WIN", 3)], customer=shop.customer, settings=settings)
    give_back(shop, sale, "WIN", 3, settings=settings)
    assert points_balance(shop.customer) == -20  # the voucher stays; later purchases make it up
    _, outcome = sell(shop, [("WIN", 3)], customer=shop.customer, settings=settings)
    assert outcome.rewards == () and points_balance(shop.customer) == 6


def test_ledger_is_append_only(any_shop):
    import peewee

    shop = any_shop
    sell(shop, [("WIN", 1)], customer=shop.customer)
    with pytest.raises((peewee.IntegrityError, peewee.InternalError, peewee.OperationalError)):
        with current_database().atomic():
            LoyaltyEntry.update(points=1000).execute()
    assert points_balance(shop.customer) == 8


def test_an_exchange_takes_back_the_old_item_and_earns_on_the_new_one(shop):
    from till.selling.basket import Basket

    sale, outcome = sell(shop, [("WIN", 2)], customer=shop.customer)  # 17,90 € -> 17 points
    assert outcome.earned == 17
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.open(sale)
    line = next(line for line in session.lines if line.sku == "WIN")
    session.pick(line.line_id, 1, reason="wrong_size")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["COF"], 3)  # 13,77 €
    session.exchange_with(basket)
    session.pay("cash", session.balance_cents)
    exchange = session.complete()
    outcome = apply(shop, exchange)
    # 895 of 1790 back: round(17 / 2) = 9 taken; 13 earned on the new items, by the sale's customer
    assert (outcome.reversed, outcome.earned, outcome.customer_id) == (9, 13, shop.customer.id)
    assert points_balance(shop.customer) == 17 - 9 + 13
