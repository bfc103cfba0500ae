"""The sale workflow without a screen: basket, tenders, and the one-transaction ticket write."""

from __future__ import annotations

import json
import sqlite3

import peewee
import pytest

from store.models import (
    AccountingLine, FiscalRecord, OutboxJob, Payment, StockMovement, Ticket, TicketLine, TicketVat,
)
from till.selling.catalogue import UnknownProduct
from till.errors import TillError
from till.fiscal.verify import verify_journal
from till.selling.basket import Basket, NeedsManager, SaleError
from till.scanning import InvalidCheckDigit, ScanError, make_ean13
from devices.payment import TerminalResult
from till.selling.checkout import Checkout, PaymentError
from till.selling.ticket_writer import write_ticket
from tests.support.queries import row_counts, total_stock


UNKNOWN = make_ean13("376000009999")
_VALID = make_ean13("376000000001")
BAD_CHECK = _VALID[:-1] + str((int(_VALID[-1]) + 1) % 10)


def basket_of(shop) -> Basket:
    return Basket(shop.config, shop.ctx.sealer, shop.cashier)


COUNTED = (Ticket, TicketLine, TicketVat, Payment, StockMovement, AccountingLine, OutboxJob)


def test_scan_barcode_sku_and_multiplier(shop):
    basket = basket_of(shop)
    line = basket.add_code(shop.barcodes["BAG"])
    assert (line.sku, line.quantity, line.total_cents, line.vat_rate_bp) == ("BAG", 1, 120, 550)
    assert basket.add_code(shop.barcodes["BAG"]).quantity == 2  # same item again merges
    wine = basket.add_code("3*" + shop.barcodes["WIN"])
    assert (wine.quantity, wine.total_cents) == (3, 2685)
    soap = basket.add_code("soa")
    assert soap.sku == "SOA"
    assert basket.totals().total_cents == 240 + 2685 + 350
    assert [rate.rate_bp for rate in basket.totals().vat] == [2000, 550]


def test_weighed_label_gives_grams_and_price(shop):
    basket = basket_of(shop)
    key = shop.barcodes["APPL"]
    label = make_ean13(key[:7] + "01234")  # 1.234 kg
    line = basket.add_code(label)
    assert (line.quantity, line.unit) == (1234, "g")
    assert line.total_cents == 431  # 1.234 x 3.49 = 4.30666 -> 4.31
    with pytest.raises(SaleError):
        basket.set_quantity(line.id, 3)  # a weight is never typed
    with pytest.raises(SaleError, match="scale"):
        basket.add_code("APPL")  # nor is a weighed product rung up by its SKU
    assert len(basket.lines) == 1


@pytest.mark.parametrize("code, error", [
    (UNKNOWN, UnknownProduct),  # valid check digit, unknown product
    (BAD_CHECK, InvalidCheckDigit),
    ("NOPE", UnknownProduct),
    ("", ScanError),
    ("0*3760000000011", ScanError),
    ("-2*3760000000011", ScanError),
])
def test_bad_codes_change_nothing(shop, code, error):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["BAG"])
    before = basket.lines
    with pytest.raises(error) as caught:
        basket.add_code(code)
    assert basket.lines == before
    assert caught.value.text("fr") and caught.value.text("en")


def test_a_receipt_scanned_as_an_item_is_refused_by_its_code_or_its_proof(shop):
    from till.aftersale.receipt_proofs import proof_text
    from tests.support.shop import sell

    sale = sell(shop, [("WIN", 1)], cash=895)
    basket = basket_of(shop)
    for code in (sale.code, proof_text(shop.config, sale, shop.ctx.sealer.signer)):
        with pytest.raises(SaleError) as caught:
            basket.add_code(code)
        assert caught.value.message == "This is a receipt, not an item: use Returns to take it back"
    assert basket.lines == []


def test_unknown_code_message_in_both_languages(shop):
    with pytest.raises(UnknownProduct) as caught:
        basket_of(shop).add_code(UNKNOWN)
    assert caught.value.text("en") == f"Unknown code {UNKNOWN}: nothing was added"
    assert caught.value.text("fr") == f"Code inconnu {UNKNOWN} : rien n'a été ajouté"


@pytest.mark.parametrize("quantity", [0, -1, 1000, 10**9])
def test_absurd_quantities_are_refused(shop, quantity):
    basket = basket_of(shop)
    line = basket.add_code(shop.barcodes["BAG"])
    with pytest.raises(SaleError):
        basket.set_quantity(line.id, quantity)
    assert basket.line(line.id).quantity == 1


def test_void_line_is_a_technical_event(shop):
    basket = basket_of(shop)
    line = basket.add_code(shop.barcodes["WIN"])
    basket.void_line(line.id)
    assert basket.is_empty
    event = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence.desc()).first()
    assert event.kind == "LINE_VOID"
    payload = json.loads(event.payload)
    assert payload["details"]["sku"] == "WIN" and payload["user_id"] == shop.cashier.id
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_discounts_above_the_limit_need_a_manager(shop):
    basket = basket_of(shop)
    line = basket.add_code(shop.barcodes["WIN"])
    assert basket.discount_line(line.id, percent_bp=1000).discount_cents == 90  # 10 % of 8.95, half up
    with pytest.raises(NeedsManager):
        basket.discount_line(line.id, percent_bp=2000)
    assert basket.line(line.id).discount_cents == 90  # unchanged
    assert basket.discount_line(line.id, percent_bp=2000, approved_by=shop.manager).discount_cents == 179
    with pytest.raises(SaleError):
        basket.discount_line(line.id, amount_cents=10_000, approved_by=shop.manager)


def test_ticket_discount_is_spread_over_lines_exactly(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    basket.add_code(shop.barcodes["BAG"])
    basket.add_code(shop.barcodes["NEWS"])
    basket.discount_ticket(amount_cents=100)
    lines = basket.lines
    assert sum(line.discount_cents for line in lines) == 100
    assert basket.totals().total_cents == 895 + 120 + 320 - 100


def test_cash_sale_writes_everything_in_one_ticket(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    basket.add_code("2*" + shop.barcodes["BAG"])
    basket.attach_customer(shop.customer)
    wine_before = total_stock(shop.products["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(2000)
    sale = checkout.complete()
    ticket = sale.ticket
    assert sale.change_cents == 2000 - 1135
    assert (ticket.total_cents, ticket.line_count, ticket.customer_name) == (1135, 2, "Hélène Dupré")
    assert ticket.code.startswith("T01-") and ticket.number == 1
    payments = [(p.means, p.amount_cents) for p in ticket.payments.order_by(Payment.position)]
    assert payments == [("cash", 2000), ("cash", -865)]
    vat = {v.rate_bp: (v.ttc_cents, v.ht_cents, v.vat_cents) for v in ticket.vat_lines}
    assert vat == {2000: (895, 746, 149), 550: (240, 227, 13)}
    assert total_stock(shop.products["WIN"]) == wine_before - 1
    postings = list(AccountingLine.select().where(AccountingLine.ticket == ticket))
    assert sum(p.debit_cents for p in postings) == sum(p.credit_cents for p in postings) == 1135
    assert {p.account for p in postings} == {"531", "707120", "4457120", "707155", "4457155"}
    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.ticket_id == ticket.id))
    assert record.sequence == ticket.number
    assert json.loads(record.payload)["total_cents"] == 1135
    kinds = sorted(job.kind for job in OutboxJob.select())
    assert kinds == ["open_drawer", "print_receipt"]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_split_card_and_cash(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    basket.add_code(shop.barcodes["SOA"])
    checkout = Checkout(basket, shop.ctx.terminal)
    card = checkout.pay_card(1000)
    assert card.reference.startswith("SIM") and checkout.due_cents == 245
    checkout.add_cash(300)
    sale = checkout.complete()
    payments = [(p.means, p.amount_cents, p.reference) for p in sale.ticket.payments.order_by(Payment.position)]
    assert payments == [("card", 1000, card.reference), ("cash", 300, None), ("cash", -55, "change")]
    assert sum(amount for _, amount, _ in payments) == sale.ticket.total_cents


def test_a_declined_card_says_why_in_the_cashiers_language(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    shop.ctx.terminal.fail_next = "decline"
    with pytest.raises(PaymentError) as declined:
        Checkout(basket, shop.ctx.terminal).pay_card()
    assert declined.value.text("fr") == "Carte refusée : refusée par la banque de la carte"
    assert declined.value.text("en") == "Card declined: declined by the card issuer"


def test_a_decline_reason_the_till_does_not_know_is_quoted_as_the_terminal_said_it(shop, monkeypatch):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    terminal = getattr(shop.ctx.terminal, "terminal", shop.ctx.terminal)  # the driver under the journal
    monkeypatch.setattr(terminal, "sale", lambda amount_cents, reference: TerminalResult(
        False, amount_cents, message="CODE 51 SOLDE"))
    with pytest.raises(PaymentError) as declined:
        Checkout(basket, shop.ctx.terminal).pay_card()
    assert declined.value.text("fr") == "Carte refusée : « CODE 51 SOLDE »"
    assert declined.value.text("en") == 'Card declined: "CODE 51 SOLDE"'


def test_declined_or_silent_card_records_nothing(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    before = row_counts(*COUNTED, chains=("T",))
    shop.ctx.terminal.fail_next = "decline"
    with pytest.raises(PaymentError, match="declined"):
        checkout.pay_card()
    shop.ctx.terminal.fail_next = "timeout"
    with pytest.raises(PaymentError, match="did not answer"):
        checkout.pay_card()
    with pytest.raises(PaymentError):
        checkout.pay_card(5000)  # more than due
    assert checkout.tenders == [] and checkout.due_cents == 895
    with pytest.raises(PaymentError, match="still due"):
        checkout.complete()
    assert row_counts(*COUNTED, chains=("T",)) == before


def test_tender_short_of_total_is_refused(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(500)
    with pytest.raises(PaymentError) as caught:
        checkout.complete()
    assert "3,95" in caught.value.text("fr")
    with pytest.raises(PaymentError):
        checkout.add_cash(0)


def test_a_failure_mid_write_leaves_nothing(shop, monkeypatch):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    before, wine_before = row_counts(*COUNTED, chains=("T",)), total_stock(shop.products["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(1000)

    def broken_sign(message: bytes) -> str:
        raise RuntimeError("signing device failed")

    monkeypatch.setattr(shop.ctx.sealer.signer, "sign", broken_sign)
    with pytest.raises(RuntimeError):
        checkout.complete()
    assert row_counts(*COUNTED, chains=("T",)) == before
    assert total_stock(shop.products["WIN"]) == wine_before
    monkeypatch.undo()
    assert checkout.complete().ticket.number == 1  # the sequence did not move


def test_a_locked_database_is_retried_then_explained(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(1000)
    shop.ctx.database.execute_sql("PRAGMA busy_timeout = 50")
    shop.ctx.database.connection().execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(shop.config.database_url[len("sqlite:///"):], timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(PaymentError) as caught:
            checkout.complete()
        assert "busy" in caught.value.text("en")
    finally:
        other.rollback()
        other.close()
    assert Ticket.select().count() == 0
    assert checkout.complete().ticket.total_cents == 895


def test_checkout_on_postgresql(pg_shop):
    shop = pg_shop
    for _ in range(3):
        basket = basket_of(shop)
        basket.add_code(shop.barcodes["WIN"])
        checkout = Checkout(basket, shop.ctx.terminal)
        checkout.add_cash(895)
        checkout.complete()
    assert [t.number for t in Ticket.select().order_by(Ticket.number)] == [1, 2, 3]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_empty_basket_cannot_be_paid(shop):
    with pytest.raises(TillError):
        Checkout(basket_of(shop), shop.ctx.terminal)


def test_cancelling_a_payment_refunds_the_card_and_logs_it(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    card = checkout.pay_card(500)
    checkout.add_cash(100)
    assert checkout.cancel() == 500
    assert shop.ctx.terminal.requests[-1] == ("refund", 500, card.reference)
    assert [t.means for t in checkout.tenders] == ["cash"] and checkout.due_cents == 795
    event = FiscalRecord.select().where(FiscalRecord.kind == "PAYMENT_CANCELLED").get()
    assert json.loads(event.payload)["details"]["reference"] == card.reference
    assert Ticket.select().count() == 0


def test_a_refund_the_terminal_refuses_keeps_the_card_tender(shop):
    basket = basket_of(shop)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.pay_card(500)
    shop.ctx.terminal.fail_next = "timeout"
    with pytest.raises(PaymentError, match="not refunded"):
        checkout.cancel()
    assert [t.means for t in checkout.tenders] == ["card"]


def test_a_stock_location_made_in_a_rolled_back_transaction_is_not_remembered(shop):
    from store.models import StockLocation
    from till.selling.stock import location_id

    class Abort(Exception):
        pass

    with pytest.raises(Abort), shop.ctx.database.atomic():
        location_id("quarantine")
        raise Abort
    assert StockLocation.get_or_none(StockLocation.code == "quarantine") is None
    made = location_id("quarantine")  # made again, for real this time
    assert StockLocation.get_by_id(made).code == "quarantine"
    assert location_id("quarantine") == made


def test_a_typed_quantity_keeps_its_separator(shop):
    """"1,5" used to become 15 (the separator was dropped): a weight in kilograms for goods sold
    by weight, a clear refusal for anything sold by the piece."""
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    wine = basket.add_product(shop.products["WIN"], 1)
    apples = basket.add_product(shop.products["APPL"], 500)
    for typed in ("1,5", "2.5"):
        with pytest.raises(SaleError) as refused:
            basket.set_typed_quantity(wine.id, typed)
        assert "nombre entier" in refused.value.text("fr") and typed in refused.value.text("fr")
    assert basket.line(wine.id).quantity == 1
    assert basket.set_typed_quantity(wine.id, "3").quantity == 3
    assert basket.set_typed_quantity(apples.id, "1,5").quantity == 1500
    assert basket.set_typed_quantity(apples.id, "0.250").quantity == 250
    for typed in ("", "1,,5", "1,5,2", "abc", "1,2345"):
        with pytest.raises(SaleError):
            basket.set_typed_quantity(wine.id, typed)


def test_the_next_sale_is_written_without_building_a_query(shop, monkeypatch):
    """The ticket's commit runs statements written once (``ticket_writer``, ``Sealer``, the day
    check of ``closures``): once the till has sold, writing the next sale builds no peewee query,
    which costs more than its statement. The demo's build writes 1,080 sales this way."""
    def paid_checkout() -> Checkout:
        basket = basket_of(shop)
        basket.add_code(shop.barcodes["WIN"])
        checkout = Checkout(basket, None)
        checkout.add_cash(checkout.total_cents)
        return checkout

    paid_checkout().complete()
    checkout = paid_checkout()
    built: list[str] = []
    real = peewee.Database.execute

    def recording(self, query, *args, **kwargs):
        built.append(self.get_sql_context().sql(query).query()[0])
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(peewee.Database, "execute", recording)
    ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, checkout.draft())
    monkeypatch.undo()
    assert ticket.number == 2
    assert built == []
