"""Returns and exchanges at the till (till.returns.session), on a real small shop."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from store.models import AccountingLine, FiscalRecord, Payment, Ticket, TicketLine, TicketVat
from till.fiscal.verify import verify_journal
from till.i18n import _catalogue
from till.returns.session import ReturnError, customer_summary, find_ticket, purchases
from till.returns.policy import PolicyBreach
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket
from tests.support.queries import payments, row_counts, stock_level
from tests.support.returns import COUNTED, balanced, exchanging, line_of, session
from tests.support.shop import sell


# --- find and pick ---------------------------------------------------------------------------

def test_return_one_of_three_by_scanned_code_refunds_cash(shop):
    sale = sell(shop, [("WIN", 3), ("BAG", 2)], cash=5000, customer=shop.customer)
    wine = shop.products["WIN"]
    before = stock_level(wine)
    s = session(shop)
    assert s.find("\r\n]Q1" + sale.code + "\n").id == sale.id
    wine_line = line_of(s, "WIN")
    assert (wine_line.sold, wine_line.returned, wine_line.returnable) == (3, 0, 3)
    s.pick(wine_line.line_id, 1, reason="changed_mind")
    assert s.balance_cents == -895
    assert [(p.means, p.amount_cents) for p in s.default_refund()] == [("cash", 895)]
    ticket = s.complete()
    assert (ticket.kind, ticket.origin_ticket_id, ticket.total_cents) == ("return", sale.id, -895)
    assert payments(ticket) == [("cash", -895)]
    (line,) = TicketLine.select().where(TicketLine.ticket == ticket.id)
    assert (line.quantity, line.unit_price_cents, line.total_cents, line.vat_rate_bp, line.origin_line_id,
            line.reason, line.disposition) == (-1, 895, -895, 2000, wine_line.line_id, "changed_mind", "restock")
    assert stock_level(wine) == before + 1
    assert balanced(ticket)
    # the sealed payload carries the origin line
    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.ticket_id == ticket.id))
    assert str(wine_line.line_id) in record.payload and json.loads(record.payload)
    # the session cannot be written twice
    with pytest.raises(ReturnError):
        s.complete()
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_find_by_typed_number_and_customer_history(shop):
    first = sell(shop, [("BAG", 1)], customer=shop.customer)
    second = sell(shop, [("COF", 1)], customer=shop.customer)
    sell(shop, [("SOA", 1)])
    assert find_ticket(str(second.number), "01").id == second.id
    assert [t.id for t in purchases(shop.customer, 5)] == [second.id, first.id]
    with pytest.raises(ReturnError) as error:
        find_ticket("999", "01")
    assert "Aucun ticket 999" in error.value.text("fr")
    with pytest.raises(ReturnError):
        find_ticket(shop.barcodes["BAG"], "01")
    bad = second.code[:-1] + str((int(second.code[-1]) + 1) % 10)
    with pytest.raises(Exception) as error:  # InvalidCheckDigit: a TillError from scanning
        find_ticket(bad, "01")
    assert "check" in str(error.value).lower()


def test_more_than_returnable_refused_then_second_partial_then_nothing_left(shop):
    sale = sell(shop, [("SOA", 3)])
    s = session(shop)
    s.open(sale)
    soap = line_of(s, "SOA")
    with pytest.raises(ReturnError) as error:
        s.pick(soap.line_id, 4, reason="defective")
    assert error.value.text("fr") == "Savon de Marseille : il ne reste que 3 à retourner"  # no agreement to get wrong
    s.pick(soap.line_id, 2, reason="defective")
    s.complete()
    s2 = session(shop)
    s2.find(sale.code)
    soap = line_of(s2, "SOA")
    assert (soap.returned, soap.returnable) == (2, 1)
    with pytest.raises(ReturnError):
        s2.pick(soap.line_id, 2, reason="defective")
    s2.pick(soap.line_id, reason="defective")  # all that is left
    s2.complete()
    s3 = session(shop)
    s3.find(sale.code)
    assert line_of(s3, "SOA").returnable == 0
    with pytest.raises(ReturnError):
        s3.pick(line_of(s3, "SOA").line_id, 1, reason="defective")
    total = sum(l.total_cents for l in TicketLine.select().where(TicketLine.origin_line == soap.line_id))
    assert total == -3 * 350  # the returns add up to what was paid


def test_cap_is_rechecked_inside_the_transaction(shop):
    """Two sessions opened on the same ticket: the second to complete is refused, nothing written."""
    sale = sell(shop, [("COF", 1)])
    a, b = session(shop), session(shop)
    for s in (a, b):
        s.open(sale)
        s.pick(line_of(s, "COF").line_id, 1, reason="defective")
    a.complete()
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as error:
        b.complete()
    assert error.value.message == "Only {left} of {label} can still be returned"
    assert row_counts(*COUNTED) == before


def test_reason_and_disposition_rules(shop):
    sale = sell(shop, [("WIN", 1)])
    s = session(shop)
    s.open(sale)
    pick = s.pick(line_of(s, "WIN").line_id)
    assert pick.reason == shop.config.returns.default_reason  # the shop's, until the cashier changes it
    with pytest.raises(ReturnError):
        s.set_reason(pick.key, "because")
    with pytest.raises(ReturnError) as error:
        s.set_reason(pick.key, "other")
    assert error.value.text("fr") == "Le motif « autre » demande une note"
    s.set_reason(pick.key, "other", "cork smell")
    with pytest.raises(ReturnError):
        s.set_disposition(pick.key, "bin")
    s.set_disposition(pick.key, "supplier")
    ticket = s.complete()
    (line,) = TicketLine.select().where(TicketLine.ticket == ticket.id)
    assert (line.reason, line.disposition) == ("other: cork smell", "supplier")
    assert stock_level(shop.products["WIN"], "supplier_return") == 1


def test_stock_per_disposition_restock_vs_damaged(shop):
    sale = sell(shop, [("BAG", 4)])
    bag = shop.products["BAG"]
    sellable = stock_level(bag)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind", disposition="restock")
    s.complete()
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 2, reason="defective", disposition="damaged")
    s.complete()
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="defective", disposition="repair")
    s.complete()
    assert stock_level(bag) == sellable + 1
    assert stock_level(bag, "damaged") == 2
    assert stock_level(bag, "repair") == 1


def test_serial_tracked_product_needs_the_serial_sold(shop):
    phone = shop.products["SOA"]
    phone.serial_tracked = True
    phone.save()
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(phone, 1)
    checkout = Checkout(basket, None)
    checkout.add_cash(350)
    draft = checkout.draft()
    draft = dataclasses.replace(draft, lines=(dataclasses.replace(draft.lines[0], serial="SN-1"),))
    sale = write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    s = session(shop)
    s.open(sale)
    line = line_of(s, "SOA")
    with pytest.raises(ReturnError):
        s.pick(line.line_id, 1, reason="defective")
    with pytest.raises(ReturnError):
        s.pick(line.line_id, 1, serial="SN-2", reason="defective")
    s.pick(line.line_id, 1, serial="SN-1", reason="defective")
    ticket = s.complete()
    assert TicketLine.get(TicketLine.ticket == ticket.id).serial == "SN-1"


def test_discount_share_and_original_vat_rate(shop):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 3)
    basket.add_product(shop.products["BAG"], 1)
    basket.discount_ticket(amount_cents=100)
    checkout = Checkout(basket, None)
    checkout.add_cash(basket.totals().total_cents)
    sale = checkout.complete().ticket
    wine_sold = TicketLine.get((TicketLine.ticket == sale.id) & (TicketLine.sku == "WIN"))
    shares = []
    for _ in range(3):
        s = session(shop)
        s.open(sale)
        s.pick(line_of(s, "WIN").line_id, 1, reason="changed_mind")
        ticket = s.complete()
        line = TicketLine.get(TicketLine.ticket == ticket.id)
        assert line.vat_rate_bp == wine_sold.vat_rate_bp and line.unit_price_cents == 895
        shares.append((line.total_cents, line.discount_cents))
        vat = {v.rate_bp: v.ttc_cents for v in TicketVat.select().where(TicketVat.ticket == ticket.id)}
        assert vat == {2000: line.total_cents}
    assert sum(t for t, _ in shares) == -wine_sold.total_cents
    assert sum(d for _, d in shares) == -wine_sold.discount_cents


# --- resolution ------------------------------------------------------------------------------

def test_split_tender_refund_planned_per_means_and_capped(shop):
    # card 10.00 + cash for the rest of 4 x 8.95 = 35.80
    sale = sell(shop, [("WIN", 4)], card=1000, cash=2580)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 2, reason="changed_mind")
    assert [(p.means, p.amount_cents) for p in s.default_refund()] == [("card", 1000), ("cash", 790)]
    first = s.complete()
    assert payments(first) == [("card", -1000), ("cash", -790)]
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="changed_mind")
    # the card is spent: what is left goes back in cash
    assert [(p.means, p.amount_cents) for p in s.default_refund()] == [("cash", 895)]
    with pytest.raises(ReturnError) as error:
        s.refund_to([("card", 895)])
    assert error.value.message == "At most {amount} can go back to the card"
    s.complete()
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_cashier_mix_must_add_up(shop):
    sale = sell(shop, [("WIN", 2)], cash=1790)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 2, reason="changed_mind")
    with pytest.raises(ReturnError):
        s.refund_to([("cash", 1000)])
    with pytest.raises(ReturnError):
        s.refund_to([("card", 1790)])  # nothing was paid by card


def test_refund_as_store_credit_issues_a_credit_note(shop):
    sale = sell(shop, [("WIN", 2)], cash=1790, customer=shop.customer)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 2, reason="changed_mind")
    s.refund_to([("cash", 790), ("credit_note", 1000)])
    ticket = s.complete()
    assert payments(ticket)[:1] == [("cash", -790)]
    from store.models.credit import CreditNote
    from till.credit import notes as credit_notes
    note = CreditNote.get(CreditNote.issued_ticket == ticket.id)
    assert credit_notes.balance(note) == 1000
    (credit,) = Payment.select().where((Payment.ticket == ticket.id) & (Payment.means == "credit_note"))
    assert (credit.amount_cents, credit.reference) == (-1000, note.code)
    assert balanced(ticket)
    assert [left for _, left in customer_summary(shop.customer).open_credit_notes] == [1000]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok
    from till.aftersale.jobs import receipt_lines
    printed = receipt_lines(shop.config, ticket.id)
    assert "RETOUR" in "\n".join(printed)
    assert f"Reprise de {sale.code}" in "\n".join(printed)  # the receipt names the sale it reverses
    assert any(line.strip() == note.code for line in printed)  # on its own line, never cut


def test_exchange_with_difference_to_pay_is_one_balanced_ticket(shop):
    sale = sell(shop, [("SOA", 1)], cash=350)
    s = exchanging(shop, sale, "SOA", "wrong_size", "WIN")
    assert s.balance_cents == 895 - 350
    with pytest.raises(ReturnError):
        s.complete()  # not paid yet
    s.pay("cash", 1000)
    before = Ticket.select().count()
    ticket = s.complete()
    assert Ticket.select().count() == before + 1
    assert (ticket.kind, ticket.total_cents, ticket.origin_ticket_id) == ("exchange", 545, sale.id)
    assert payments(ticket) == [("cash", 1000), ("cash", -455)]
    quantities = sorted((l.sku, l.quantity) for l in TicketLine.select().where(TicketLine.ticket == ticket.id))
    assert quantities == [("SOA", -1), ("WIN", 1)]
    assert balanced(ticket)


# --- books -----------------------------------------------------------------------------------

def test_postings_reverse_sales_and_vat_per_rate(shop):
    sale = sell(shop, [("WIN", 1), ("BAG", 2)], cash=1135)
    s = session(shop)
    s.open(sale)
    for line in s.lines:
        s.pick(line.line_id, reason="changed_mind")
    ticket = s.complete()

    def by_account(t):
        out = {}
        for p in AccountingLine.select().where(AccountingLine.ticket == t.id):
            out[p.account] = out.get(p.account, 0) + p.debit_cents - p.credit_cents
        return out
    assert by_account(ticket) == {k: -v for k, v in by_account(sale).items()}
    vat = {v.rate_bp: (v.ttc_cents, v.ht_cents, v.vat_cents) for v in TicketVat.select().where(
        TicketVat.ticket == ticket.id)}
    assert vat == {2000: (-895, -746, -149), 550: (-240, -227, -13)}
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_customer_summary(shop):
    sell(shop, [("WIN", 2)], customer=shop.customer)
    sale = sell(shop, [("BAG", 1)], customer=shop.customer)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
    s.complete()
    summary = customer_summary(shop.customer)
    assert summary.visits == 2
    assert summary.average_basket_cents == (1790 + 120) // 2
    assert summary.lifetime_value_cents == 1790
    assert summary.returned_cents == 120
    assert summary.return_rate_bp == 120 * 10_000 // 1910
    assert summary.open_credit_notes == []


def test_a_return_cannot_be_returned(shop):
    sale = sell(shop, [("BAG", 1)])
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
    ticket = s.complete()
    with pytest.raises(ReturnError):
        session(shop).find(ticket.code)


def test_every_returns_message_has_french():
    root = Path(__file__).resolve().parents[2] / "till" / "returns"
    names = {"ReturnError", "RefundError", "PolicyBreach", "Breach", "CardOutcomeUnknown"}
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if called in names:
                    arg = node.args[1] if called in ("Breach", "PolicyBreach") and len(node.args) > 1 else node.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.append(arg.value)
                    elif isinstance(arg, ast.BinOp):
                        found.append("".join(n.value for n in ast.walk(arg) if isinstance(n, ast.Constant)))
    assert len(found) > 30
    missing = [m for m in found if m not in _catalogue("fr")]
    assert not missing


# --- more edges ------------------------------------------------------------------------------

def test_even_exchange_has_no_payment(shop):
    sale = sell(shop, [("WIN", 1)])
    s = exchanging(shop, sale, "WIN", "wrong_size", "WIN")
    assert s.balance_cents == 0
    ticket = s.complete()
    assert (ticket.kind, ticket.total_cents, payments(ticket)) == ("exchange", 0, [])
    assert balanced(ticket)


def test_weighed_line_returned_in_grams(shop):
    apples = shop.products["APPL"]
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(apples, 1500)  # 1.5 kg at 3.49 = 5.24 (rounded)
    checkout = Checkout(basket, None)
    checkout.add_cash(basket.totals().total_cents)
    sale = checkout.complete().ticket
    sold = TicketLine.get(TicketLine.ticket == sale.id)
    before = stock_level(apples)
    amounts = []
    for grams in (500, 1000):
        s = session(shop)
        s.open(sale)
        s.pick(line_of(s, "APPL").line_id, grams, reason="defective", disposition="damaged")
        amounts.append(s.complete().total_cents)
    assert sum(amounts) == -sold.total_cents
    assert stock_level(apples) == before and stock_level(apples, "damaged") == 1500


def test_policy_breach_inside_the_transaction_writes_no_override(shop):
    """Approving one breach does not approve another; nothing (not even the override) is sealed."""
    sandwich = shop.products["SAND"]
    sandwich.final_sale = True
    sandwich.save()
    sale = sell(shop, [("SAND", 1)], days_ago=60)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "SAND").line_id, 1, reason="changed_mind")
    assert sorted(b.code for b in s.breaches()) == ["final_sale", "window"]
    s.approve(shop.manager, "late", codes=["window"])
    before = row_counts(*COUNTED)
    with pytest.raises(PolicyBreach) as error:
        s.complete()
    assert error.value.code == "final_sale"
    assert row_counts(*COUNTED) == before


def test_a_line_has_the_shops_default_reason_and_none_is_never_written(shop):
    """Each line taken back, from a ticket or without one, starts with ``returns.default_reason``
    and keeps the one it has when its quantity changes; a shop whose only reason is "other" has
    no default, and a line without a reason is refused."""
    returns = dataclasses.replace(shop.config.returns, default_reason="defective")
    s = session(shop)
    s.policy = returns
    sale = sell(shop, [("WIN", 2)])
    s.open(sale)
    wine = s.pick(line_of(s, "WIN").line_id, 1)
    assert (wine.reason, wine.disposition) == ("defective", "damaged")
    s.set_reason(wine.key, "changed_mind")
    assert s.pick(line_of(s, "WIN").line_id, 2).reason == "changed_mind"

    s = session(shop)
    s.policy = dataclasses.replace(returns, reasons=("other",), default_reason=None)
    s.open(sale)
    assert s.pick(line_of(s, "WIN").line_id, 1).reason is None
    with pytest.raises(ReturnError) as refused:
        s.complete()
    assert refused.value.message == "Give a reason for {label}"
    assert Ticket.select().where(Ticket.kind == "return").count() == 0


def test_a_defective_item_does_not_go_back_on_the_shelf_by_default(shop):
    """The disposition follows the reason (``returns.dispositions``) unless the cashier chose."""
    sale = sell(shop, [("WIN", 1), ("SOA", 1), ("COF", 1)])
    s = session(shop)
    s.open(sale)
    wine = s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    soap = s.pick(line_of(s, "SOA").line_id, 1, reason="changed_mind")
    coffee = s.pick(line_of(s, "COF").line_id, 1, disposition="restock")
    assert (wine.disposition, soap.disposition) == ("damaged", "restock")
    assert s.set_reason(coffee.key, "defective").disposition == "restock"  # the cashier's choice stands
    assert s.set_reason(soap.key, "damaged_in_transit").disposition == "damaged"
    before = stock_level(shop.products["WIN"], "damaged")
    s.complete()
    assert stock_level(shop.products["WIN"], "damaged") == before + 1


def test_the_disposition_of_each_reason_is_configurable(tmp_path):
    from till.config.loader import ConfigError, load
    from till.config.example import render_example

    path = tmp_path / "till.toml"
    text = render_example().replace('dispositions = { defective = "damaged", damaged_in_transit = "damaged" }',
                                    'dispositions = { defective = "supplier" }')
    path.write_text(text, encoding="utf-8")
    assert load(path).returns.dispositions == {"defective": "supplier"}
    path.write_text(text.replace('"supplier"', '"bin"'), encoding="utf-8")
    with pytest.raises(ConfigError) as wrong:
        load(path)
    assert "returns.dispositions" in wrong.value.text("en") and "bin" in wrong.value.text("en")
