"""The ticket writer seals exactly what the verifier will rebuild from the rows it wrote.

``write_ticket`` inserts each table in one statement and seals the payload from the values it
has just inserted, without reading them back. Hypothesis writes odd tickets (non-NFC labels,
quotes, emoji, returns, missing products, naive and aware times, many lines) and each sealed
payload must equal the one rebuilt from the stored rows; then the rows themselves are checked:
stock levels of a product on several lines, tickets too big for one statement, an SQLite
without RETURNING, and PostgreSQL.
"""

from __future__ import annotations

import contextlib

import dataclasses
import datetime as dt
import json
import unicodedata
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.models import FiscalRecord, OutboxJob, StockMovement, Ticket, TicketLine, utcnow
from till.fiscal.canonical import canonical_json
from till.fiscal.chain import flush_anchors
from till.fiscal.closure_totals import business_day, day_start
from till.fiscal.closures import close_day
from till.fiscal.payloads import ticket_payload
from till.fiscal.verify import verify_journal
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import (
    DraftLine, DraftPayment, TicketDraft, draft_from_json, draft_to_json, write_ticket,
)
from tests.support.clock import sealing_at
from tests.support.queries import total_stock


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20) | st.sampled_from(
    ["Cafe\u0301 cre\u0300me", 'Vin "rouge"', "Œuf, 6", "😀"])
_RATES = {"N": 2000, "I": 1000, "R": 550, "S": 210}
_PARTS = 1_000_000
"""A ticket's time is drawn as a fraction (in millionths) of the open business day so far."""
_PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


@st.composite
def _drafts(draw, product_ids, customer, user_id):
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        code = draw(st.sampled_from(sorted(_RATES)))
        lines.append(DraftLine(
            product_id=draw(st.sampled_from(product_ids) | st.none()), sku=draw(_text)[:32], label=draw(_text),
            quantity=draw(st.integers(-5, 5).filter(bool)), unit=draw(st.sampled_from(["piece", "g"])),
            unit_price_cents=draw(st.integers(0, 10_000)), discount_cents=draw(st.integers(0, 50)),
            total_cents=draw(st.integers(-20_000, 20_000)), vat_code=code, vat_rate_bp=_RATES[code],
            reason=draw(st.none() | _text), disposition=draw(st.none() | st.sampled_from(["sellable", "damaged"])),
            serial=draw(st.none() | _text)))
    total = sum(line.total_cents for line in lines)
    cash = draw(st.integers(0, 5_000))
    payments = (DraftPayment("card", total - cash, draw(st.none() | _text)), DraftPayment("cash", cash))
    # None: the writer dates it; else (fraction of the day so far, aware?), made a time by ``_dated``.
    when = draw(st.none() | st.tuples(st.integers(0, _PARTS - 1), st.booleans()))
    named = draw(st.booleans())
    return when, TicketDraft(
        kind=draw(st.sampled_from(["sale", "return"])), user_id=user_id, operator_name=draw(_text),
        lines=tuple(lines), payments=payments, customer_id=customer.id if named else None,
        customer_name=customer.display_name if named else None, discount_cents=draw(st.integers(0, 100)),
        created_at=None, open_drawer=draw(st.booleans()), print_receipt=draw(st.booleans()),
        extra_jobs=(("email_receipt", {"to": "a@example.fr", "ticket": 1}),) if draw(st.booleans()) else ())


def _dated(draft: TicketDraft, when, now: dt.datetime, zone: dt.tzinfo) -> TicketDraft:
    """``draft`` dated at the drawn moment of the business day of ``now`` so far (microseconds
    included), as naive UTC or as an aware time at UTC+2; None leaves the writer's own now."""
    if when is None:
        return draft
    part, aware = when
    start = day_start(business_day(now, zone), zone)
    created = start + (now - start) * part // _PARTS
    if aware:
        created = created.replace(tzinfo=dt.timezone.utc).astimezone(_PLUS_TWO)
    return dataclasses.replace(draft, created_at=created)


def test_the_sealed_payload_is_the_one_rebuilt_from_the_rows(lite_shop):
    """Tickets dated at any moment of the open business day (the till refuses one while an
    earlier day with tickets is not closed, and on a day already closed)."""
    shop = lite_shop
    product_ids = [product.id for product in shop.products.values()]
    sealer, zone = shop.ctx.sealer, shop.ctx.sealer.zone
    open_day: list[dt.date] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_drafts(product_ids, shop.customer, shop.cashier.id))
    def check(drawn):
        now = utcnow()
        today = business_day(now, zone)
        if open_day and open_day[-1] != today:  # the test ran past midnight: closed as a shop would
            close_day(sealer, open_day[-1])
        open_day[:] = [today]
        draft = _dated(drawn[1], drawn[0], now, zone)
        before = OutboxJob.select().count()
        with sealing_at(draft.created_at) if draft.created_at is not None else contextlib.nullcontext():
            ticket = write_ticket(sealer, shop.config.accounts, draft)  # signed at the ticket's time
        record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.ticket_id == ticket.id))
        assert record.payload == canonical_json(ticket_payload(ticket.id))
        assert record.sequence == ticket.number
        assert ticket.__data__ == Ticket.get_by_id(ticket.id).__data__  # the instance is the row
        assert not ticket.is_dirty()
        if draft.created_at is not None:  # an aware time is stored as naive UTC
            expected = draft.created_at
            if expected.tzinfo is not None:
                expected = expected.astimezone(dt.timezone.utc).replace(tzinfo=None)
            assert ticket.created_at == expected.replace(microsecond=0)
        labels = [unicodedata.normalize("NFC", line.label) for line in draft.lines]
        assert [line["label"] for line in json.loads(record.payload)["lines"]] == labels
        jobs = list(OutboxJob.select().where(OutboxJob.id > before).order_by(OutboxJob.id))
        assert len(jobs) == draft.print_receipt + draft.open_drawer + len(draft.extra_jobs)
        assert all(job.status == "pending" and job.attempts == 0 and job.not_before for job in jobs)

    check()
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def _lines_of(shop, *skus, quantity=1):
    return tuple(
        DraftLine(product_id=shop.products[sku].id, sku=sku, label=shop.products[sku].name, quantity=quantity,
                  unit="piece", unit_price_cents=shop.products[sku].price_cents, discount_cents=0,
                  total_cents=shop.products[sku].price_cents * quantity, vat_code=shop.products[sku].vat_code,
                  vat_rate_bp=550)
        for sku in skus)


def _draft(shop, lines):
    return TicketDraft(kind="sale", user_id=shop.cashier.id, operator_name="Camille", lines=lines,
                       payments=(DraftPayment("cash", sum(line.total_cents for line in lines)),))


def test_one_product_on_several_lines_moves_its_level_by_their_sum(lite_shop):
    shop = lite_shop
    wine, soap = total_stock(shop.products["WIN"]), total_stock(shop.products["SOA"])
    ticket = write_ticket(shop.ctx.sealer, shop.config.accounts,
                          _draft(shop, _lines_of(shop, "WIN", "SOA", "WIN", "WIN", quantity=2)))
    assert total_stock(shop.products["WIN"]) == wine - 6 and total_stock(shop.products["SOA"]) == soap - 2
    moves = StockMovement.select().where(StockMovement.ticket_id == ticket.id).order_by(StockMovement.id)
    assert [(m.product_id, m.quantity) for m in moves] == [
        (shop.products[sku].id, -2) for sku in ("WIN", "SOA", "WIN", "WIN")]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_ticket_of_hundreds_of_lines_is_written_in_several_statements(lite_shop):
    shop = lite_shop
    skus = [sku for sku in shop.products if sku != "APPL"] * 50  # 300 lines: over 999 parameters
    ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, _draft(shop, _lines_of(shop, *skus)))
    assert TicketLine.select().where(TicketLine.ticket == ticket.id).count() == 300
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_without_insert_returning_the_line_ids_are_read_back(lite_shop, monkeypatch):
    import till.selling.bulk_insert as bulk_insert
    import till.selling.ticket_writer as writer

    shop = lite_shop
    monkeypatch.setattr(bulk_insert, "_SQLITE_RETURNING", False)  # an SQLite older than 3.35
    for insert in (writer._TICKET, writer._LINES):
        monkeypatch.setattr(insert, "_sql", {})
    ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, _draft(shop, _lines_of(shop, "WIN", "BAG", "SOA")))
    record = FiscalRecord.get(FiscalRecord.ticket_id == ticket.id)
    assert record.payload == canonical_json(ticket_payload(ticket.id))
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_the_anchor_follows_the_checkout_shortly_after(lite_shop):
    shop = lite_shop
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_code(shop.barcodes["WIN"])
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(895)
    sale = checkout.complete()
    assert flush_anchors(timeout=10)
    assert shop.ctx.sealer.anchors.read("01", "T").sequence == sale.ticket.number


def test_repeated_products_and_big_tickets_on_postgresql(pg_shop):
    shop = pg_shop
    wine = total_stock(shop.products["WIN"])
    write_ticket(shop.ctx.sealer, shop.config.accounts, _draft(shop, _lines_of(shop, "WIN", "SOA", "WIN")))
    write_ticket(shop.ctx.sealer, shop.config.accounts, _draft(shop, _lines_of(shop, *["BAG", "WIN", "COF"] * 30)))
    assert total_stock(shop.products["WIN"]) == wine - 32
    assert [t.number for t in Ticket.select().order_by(Ticket.number)] == [1, 2]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


@settings(max_examples=60, deadline=None)
@given(data=st.data(), created_at=st.none() | st.datetimes() | st.datetimes(timezones=st.just(_PLUS_TWO)))
def test_a_draft_survives_its_json_unchanged(data, created_at):
    """A return waiting on the card terminal is kept as ``draft_to_json``'s text in the card
    journal and written later from it: every field of every line (those ``PricedItem`` declares
    and the line's own) comes back equal, and so does the draft."""
    customer = SimpleNamespace(id=7, display_name="Hélène Dupré")
    _, draft = data.draw(_drafts([1, 2, 3], customer, user_id=1))
    draft = dataclasses.replace(draft, created_at=created_at)
    assert draft_from_json(draft_to_json(draft)) == draft


def test_a_returned_line_keeps_its_origins_and_stock_location_through_json():
    line = DraftLine(product_id=None, sku="SHIRT-M", label="Chemise M", quantity=-1, unit="piece",
                     unit_price_cents=2240, discount_cents=-240, total_cents=-2000, vat_code="N", vat_rate_bp=2000,
                     origin_line_id=None, reason="size: too small", disposition="restock", serial="SN-1",
                     stock_location="damaged", origin_order_line_id=42)
    draft = TicketDraft(kind="return", user_id=1, operator_name="Max", lines=(line,),
                        payments=(DraftPayment("card", -2000, "ref", journal_id=3),), origin_order_id=9)
    back = draft_from_json(draft_to_json(draft))
    assert back == draft and back.lines[0] == line and type(back.lines[0]) is DraftLine
    assert json.loads(draft_to_json(draft))["lines"][0]["unit_price_cents"] == 2240
