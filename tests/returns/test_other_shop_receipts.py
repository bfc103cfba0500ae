"""A receipt of another shop, opened from its QR code and taken back here: offline under the
shop's policy (no head office in these tests), with the books of this shop."""

from __future__ import annotations

import json

import pytest

from store.models import (User, AccountingLine, FiscalRecord, OnlineOrder, OnlineOrderLine, ReturnHold, Ticket,
                          TicketLine)
from till.fiscal.key_chain import key_chain_records
from till.fiscal.keys import Signer
from till.fiscal.known_tills import keys_of, store_till_keys
from till.fiscal.rotation import rotate_key
from till.demo.build import build_demo
from till.demo.other_shop import OTHER_SHOP, RECEIPT_FILE
from till.fiscal import receipt_proof
from till.fiscal.receipt_proof import ProofError, looks_like_proof
from till.returns import return_holds
from till.returns.receipt_returns import CARD_REFUSED, OFFLINE_CREDIT_ONLY, OFFLINE_LIMIT, OFFLINE_REFUSED
from till.returns.session import ReturnError, ReturnSession
from till.selling.basket import Basket
from till.shop.context import TillContext
from till.shop.running import give_back_return_holds
from tests.support.journal import problems_text, verify_shop
from tests.support.queries import payments, row_counts, stock_level
from tests.support.receipts import lyon_till, proof_of, receipt_session, receipt_text, returns_policy
from tests.support.returns import COUNTED
from tests.support.shop import build_shop, open_shop, sell


def test_a_receipt_of_another_shop_opens_from_its_qr_code_with_this_shops_catalogue(shop, tmp_path):
    lyon = lyon_till(tmp_path)
    proof = proof_of(shop)
    text = receipt_text(lyon, proof)
    session = receipt_session(shop)
    order = session.find(text)
    assert isinstance(order, OnlineOrder) and session.receipt is not None
    assert (order.number, order.source, order.shop_id, order.proof, order.total_cents) == (
        proof.code, "receipt", "LYON", text, 3140)
    rows = [(l.position, l.product_id, l.sku, l.label, l.quantity, l.total_cents, l.vat_code, l.vat_rate_bp)
            for l in OnlineOrderLine.select().where(OnlineOrderLine.order == order).order_by(OnlineOrderLine.position)]
    assert rows == [(1, shop.products["WIN"].id, "WIN", "Côtes du Rhône 75 cl", 2, 1790, "N", 2000),
                    (2, shop.products["SOA"].id, "SOA", "Savon de Marseille", 1, 350, "N", 2000),
                    (3, None, "LYON-777", "Article LYON-777", 1, 1000, "R", 550)]
    assert receipt_session(shop).find(" " + text + "\n").id == order.id  # the same receipt: the same row
    altered = receipt_text(lyon, proof_of(shop, lines=proof.lines[:1]))  # same code, other content
    with pytest.raises(ReturnError, match="already taken here with other content"):
        receipt_session(shop).find(altered)
    assert OnlineOrder.select().count() == 1


def test_a_receipt_of_an_unknown_till_or_a_forged_one_is_refused_and_nothing_is_kept(shop, tmp_path):
    lyon = lyon_till(tmp_path)
    stranger = Signer.create(tmp_path / "stranger.pem")
    with pytest.raises(ProofError) as unknown:
        receipt_session(shop).find(receipt_text(stranger, proof_of(shop, till_id="Z09")))
    assert unknown.value.reason == "unknown_till" and "Z09" in unknown.value.text("en")
    forged = receipt_text(stranger, proof_of(shop))  # L01's receipt, signed by another key
    with pytest.raises(ProofError) as refused:
        receipt_session(shop).find(forged)
    assert refused.value.reason in ("forged", "unknown_key")
    genuine = receipt_text(lyon, proof_of(shop))
    altered = genuine[:40] + ("1" if genuine[40] != "1" else "2") + genuine[41:]
    with pytest.raises(ProofError):
        receipt_session(shop).find(altered)
    body = bytearray()  # a product code of 2**60 digits, as an altered digit can make one: unreadable, not a crash
    for text in ("LYON", "L01"):
        receipt_proof._text(body, text)
    for value in (42, 1_700_000_000):
        receipt_proof._u(body, value)
    body += bytes(8)
    for value in (1, 1, 2, 2**60, 5):  # one line, position 1, a digit-string product, its width, its value
        receipt_proof._u(body, value)
    data = b"\x01" + bytes(body) + bytes(64)
    with pytest.raises(ProofError) as huge:
        receipt_session(shop).find("RQ1" + str(int.from_bytes(data, "big")))
    assert huge.value.reason == "unreadable"
    assert OnlineOrder.select().count() == 0


def test_offline_under_refuse_a_receipt_of_another_shop_is_not_taken_and_nothing_is_written(shop, tmp_path):
    text = receipt_text(lyon_till(tmp_path), proof_of(shop))
    session = receipt_session(shop)
    session.find(text)
    session.pick(session.lines[0].line_id, 1)
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as refused:
        session.complete()
    assert refused.value.message == OFFLINE_REFUSED and row_counts(*COUNTED) == before
    assert [h.status for h in ReturnHold.select()] == ["to_release"]  # given back at the next sync


def test_offline_under_credit_note_the_return_is_a_credit_note_up_to_the_maximum(shop, tmp_path):
    proof = proof_of(shop)
    text = receipt_text(lyon_till(tmp_path), proof)
    config = returns_policy(shop, offline_other_shop="credit_note", offline_other_shop_max_cents=1000)
    session = receipt_session(shop, config)
    session.find(text)
    session.pick(session.lines[0].line_id, 2)  # 17.90 > 10.00
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as over:
        session.complete()
    assert over.value.message == OFFLINE_LIMIT and "10.00" in over.value.text("en").replace(",", ".")
    assert row_counts(*COUNTED) == before
    session.pick(session.lines[0].line_id, 1)
    session.refund_to([("cash", 895)])
    with pytest.raises(ReturnError) as cash:
        session.complete()
    assert cash.value.message == OFFLINE_CREDIT_ONLY and row_counts(*COUNTED) == before

    session = receipt_session(shop, config)
    session.find(text)
    session.pick(session.lines[0].line_id, 1)
    ticket = session.complete()
    assert payments(ticket) == [("credit_note", -895)]
    assert (ticket.origin_reference, ticket.origin_signature, ticket.origin_order_id) == (
        proof.code, session.receipt.signed.signature_text, session.order.id)
    hold = ReturnHold.get(ReturnHold.ticket_id == ticket.id)
    assert (hold.status, hold.offline, hold.reported, json.loads(hold.lines)) == (
        "settled", True, False, [{"position": 1, "quantity": 1}])


def test_the_same_receipt_returned_in_two_visits_is_capped_on_its_lines(any_shop, tmp_path):
    shop = any_shop  # SQLite and PostgreSQL
    text = receipt_text(lyon_till(tmp_path), proof_of(shop))
    config = returns_policy(shop, offline_other_shop="credit_note")
    first = receipt_session(shop, config)
    first.find(text)
    first.pick(first.lines[0].line_id, 1)
    first.complete()
    second = receipt_session(shop, config)
    second.find(text)
    assert [(line.sold, line.returned, line.returnable) for line in second.lines][0] == (2, 1, 1)
    with pytest.raises(ReturnError, match="Only 1 of"):
        second.pick(second.lines[0].line_id, 2)
    second.pick(second.lines[0].line_id, 1)
    second.complete()
    third = receipt_session(shop, config)
    third.find(text)
    assert third.lines[0].returnable == 0


def test_the_books_of_another_shops_receipt_are_this_shops_at_the_receipts_rates(any_shop, tmp_path):
    shop = any_shop  # SQLite and PostgreSQL
    proof = proof_of(shop)
    text = receipt_text(lyon_till(tmp_path), proof)
    session = receipt_session(shop, returns_policy(shop, offline_other_shop="credit_note"))
    session.find(text)
    wine, unknown = session.lines[0], session.lines[2]
    session.pick(wine.line_id, 1)
    session.pick(unknown.line_id, 1)
    stock_before = stock_level(shop.products["WIN"])
    ticket = session.complete()
    lines = [(l.sku, l.quantity, l.total_cents, l.vat_rate_bp, l.origin_order_line_id)
             for l in TicketLine.select().where(TicketLine.ticket == ticket).order_by(TicketLine.position)]
    assert lines == [("WIN", -1, -895, 2000, wine.line_id), ("LYON-777", -1, -1000, 550, unknown.line_id)]
    assert stock_level(shop.products["WIN"]) == stock_before + 1  # into this shop's stock
    postings = sorted((p.account, p.debit_cents, p.credit_cents)
                      for p in AccountingLine.select().where(AccountingLine.ticket == ticket))
    # sales and VAT reversed at the receipt's rates (8.95 at 20 %, 10.00 at 5.5 %), a credit note owed
    assert postings == [("4197", 0, 1895), ("4457120", 149, 0), ("4457155", 52, 0), ("707120", 746, 0),
                        ("707155", 948, 0)]
    record = FiscalRecord.get((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T"))
    origin = json.loads(record.payload)["origin"]
    assert origin["reference"] == proof.code and origin["signature"] == session.receipt.signed.signature_text
    report = verify_shop(shop)
    assert report.ok, problems_text(report)


def test_a_receipt_of_this_till_opens_its_ticket_or_when_the_ticket_is_lost_the_receipt(shop):
    sale = sell(shop, [("WIN", 1)], cash=1000)
    own = shop.ctx.sealer.signer
    here = proof_of(shop, number=sale.number, till_id=shop.ctx.sealer.till_id)
    assert receipt_session(shop).find(receipt_text(own, here)) == sale  # the ticket path wins
    lost = proof_of(shop, number=sale.number + 50, till_id=shop.ctx.sealer.till_id)  # a restore lost it
    session = receipt_session(shop, returns_policy(shop, offline_other_shop="credit_note"))
    order = session.find(receipt_text(own, lost))
    assert isinstance(order, OnlineOrder) and order.number == lost.code and session.receipt is not None
    session.pick(session.lines[1].line_id, 1)
    assert payments(session.complete()) == [("credit_note", -350)]
    assert Ticket.select().where(Ticket.origin_order == order).count() == 1


def test_a_hold_of_a_return_never_written_goes_back_at_the_next_start(shop, tmp_path):
    text = receipt_text(lyon_till(tmp_path), proof_of(shop))
    session = receipt_session(shop)
    order = session.find(text)
    pending = return_holds.open_hold(shop.ctx.till_id, order, [{"position": 1, "quantity": 1}])
    held = return_holds.open_hold(shop.ctx.till_id, order, [{"position": 2, "quantity": 1}])
    return_holds.mark(held, return_holds.HELD)
    assert give_back_return_holds(shop.ctx) is None  # no head office here: the next sync sends them
    assert [ReturnHold.get_by_id(h.id).status for h in (pending, held)] == ["to_release", "to_release"]
    assert [h.id for h in return_holds.to_release(shop.ctx.till_id)] == [pending.id, held.id]


def test_a_receipt_signed_before_the_selling_till_rotated_its_key_still_opens(shop, tmp_path):
    """Lyon's till rotates its key between two sales; head office's key list brings its chain
    (the KEY_ROTATED record signed by the old key): both receipts verify here."""
    lyon = build_shop(tmp_path / "lyon", till_id="L01")
    old = lyon.ctx.sealer.signer
    before = receipt_text(old, proof_of(lyon, number=7))
    new = rotate_key(lyon.ctx.sealer)
    after = receipt_text(new, proof_of(lyon, number=8))
    records = [dict(r._asdict(), created_at=str(r.created_at)) for r in key_chain_records("L01")]
    entry = {"till_id": "L01", "shop_id": "LYON", "root_key_id": old.key_id,
             "keys": {old.key_id: old.public_pem, new.key_id: new.public_pem}, "records": records}
    lyon.ctx.close()
    here = open_shop(shop.config.path.parent)
    try:
        assert store_till_keys([entry], own_till_id=here.ctx.till_id) == []
        assert [key for key, _ in keys_of("L01")] == [old.key_id, new.key_id]
        for text, number in ((before, 7), (after, 8)):
            session = receipt_session(here)
            assert session.find(text).number == proof_of(here, number=number, till_id="L01").code
    finally:
        here.ctx.close()


def test_an_exchange_on_another_shops_receipt_is_not_paid_by_card(shop, tmp_path, concert):
    text = receipt_text(lyon_till(tmp_path), proof_of(shop))
    _simulator, terminal = concert
    session = ReturnSession(returns_policy(shop, offline_other_shop="credit_note"), shop.ctx.sealer, shop.cashier,
                            terminal)
    session.find(text)
    session.pick(session.lines[1].line_id, 1)  # the soap, 3.50
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)  # 8.95: 5.45 to pay
    session.exchange_with(basket)
    session.pay("card")
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as refused:
        session.complete()
    assert refused.value.message == CARD_REFUSED and row_counts(*COUNTED) == before
    assert ReturnHold.select().count() == 0


def test_the_demos_receipt_of_another_shop_comes_back_as_a_credit_note(tmp_path):
    """The demo has no head office: its receipt "from another shop" is taken offline, as its
    configuration says, and refunded as a credit note."""
    config = build_demo(tmp_path / "shop", days=2)  # two days: never only the Monday it is closed
    assert config.returns.offline_other_shop == "credit_note"
    ctx = TillContext.open(config)
    try:
        lines = (tmp_path / "shop" / RECEIPT_FILE).read_text(encoding="utf-8").splitlines()
        text = next(line for line in lines if looks_like_proof(line))
        session = ReturnSession.at(ctx, User.get(User.login == "cashier"))
        order = session.find(text)
        assert order.shop_id == OTHER_SHOP and session.receipt is not None
        for line in session.lines:
            session.pick(line.line_id)
        ticket = session.complete()
        assert [means for means, _cents in payments(ticket)] == ["credit_note"]
    finally:
        ctx.close()
