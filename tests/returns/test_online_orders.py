"""Online orders: imported from a JSON file, then found and returned in the shop like a receipt."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import FiscalRecord, OnlineOrder, OnlineOrderLine, Payment, Ticket, TicketLine, utcnow
from till.cli.main import main
from till.fiscal.chain import Sealer
from till.fiscal.verify import verify_journal
from till.returns.online_orders import OrderImportError, import_file, import_orders
from till.returns.session import ReturnError, ReturnSession
from tests.support.queries import stock_level
from tests.support.shop import complete_together


NOW = utcnow().replace(microsecond=0)
"""One "now" for the whole module: the same order built twice must be the same order (its
digest covers the time), even when the second build falls in the next second."""


def order(number="WEB-1001", days_ago=2, **changes):
    when = NOW - dt.timedelta(days=days_ago)
    data = {
        "number": number, "ordered_at": when.isoformat() + "Z",
        "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
        "payment": {"means": "card", "amount_cents": 2 * 895 + 350},
        "lines": [{"sku": "WIN", "quantity": 2, "unit_price_cents": 895},
                  {"barcode": None, "sku": "SOA", "quantity": 1, "unit_price_cents": 350}],
    }
    data.update(changes)
    return data


def test_an_order_is_imported_with_its_lines_customer_and_vat(shop):
    result = import_orders({"orders": [order()]})
    assert result.imported == ["WEB-1001"] and result.unchanged == []
    row = OnlineOrder.get(OnlineOrder.number == "WEB-1001")
    assert (row.customer_id, row.total_cents, row.paid_cents, row.payment_means) == (shop.customer.id, 2140, 2140,
                                                                                      "card")
    lines = [(line.sku, line.label, line.quantity, line.total_cents, line.vat_code, line.vat_rate_bp)
             for line in OnlineOrderLine.select().order_by(OnlineOrderLine.position)]
    assert lines == [("WIN", "Côtes du Rhône 75 cl", 2, 1790, "N", 2000), ("SOA", "Savon de Marseille", 1, 350,
                                                                             "N", 2000)]


def test_importing_the_same_file_again_changes_nothing_and_other_content_is_refused(shop):
    import_orders({"orders": [order()]})
    again = import_orders({"orders": [order(), order("WEB-1002")]})
    assert (again.imported, again.unchanged) == (["WEB-1002"], ["WEB-1001"])
    changed = order(lines=[{"sku": "WIN", "quantity": 1, "unit_price_cents": 895}],
                    payment={"means": "card", "amount_cents": 895})
    with pytest.raises(OrderImportError, match="already imported with other content"):
        import_orders({"orders": [order("WEB-1003"), changed]})
    assert OnlineOrder.select().count() == 2  # WEB-1003 was not written either: one transaction


@pytest.mark.parametrize("change, message", [
    ({"payment": {"means": "card", "amount_cents": 21.4}}, "whole number of cents"),
    ({"lines": [{"sku": "WIN", "quantity": 2, "unit_price_cents": "8.95"}]}, "whole number of cents"),
    ({"lines": [{"sku": "WIN", "quantity": 0, "unit_price_cents": 895}]}, "quantity of WIN"),
    ({"lines": [{"sku": "NOPE", "quantity": 1, "unit_price_cents": 100}]}, "not in the catalogue"),
    ({"lines": []}, "at least one line"),
    ({"ordered_at": "yesterday"}, "ISO date"),
    ({"payment": {"means": "card", "amount_cents": 100}}, "paid 100 cents for lines worth 2140"),
    ({"lines": [{"sku": "WIN", "quantity": 2, "unit_price_cents": 895, "total_cents": 1000}],
      "payment": {"means": "card", "amount_cents": 1790}}, "total_cents of WIN"),
])
def test_a_bad_order_is_refused_naming_the_order_and_nothing_is_imported(shop, change, message):
    with pytest.raises(OrderImportError) as refused:
        import_orders({"orders": [order("WEB-OK"), order(**change)]})
    assert message in refused.value.text("en") and "WEB-1001" in refused.value.text("en")
    assert "nothing was imported" in refused.value.text("en")
    assert OnlineOrder.select().count() == 0


def test_a_line_of_a_product_the_shop_does_not_sell_is_kept_with_its_own_label_and_rate(shop):
    line = {"sku": "WEB-ONLY", "label": "Coffret cadeau", "vat_code": "N", "vat_rate_bp": 2000, "quantity": 1,
            "unit_price_cents": 2500}
    import_orders({"orders": [order(lines=[line], payment={"means": "card", "amount_cents": 2500})]})
    (row,) = OnlineOrderLine.select()
    assert (row.product_id, row.label, row.total_cents) == (None, "Coffret cadeau", 2500)


def test_the_command_imports_a_file_and_refuses_a_broken_one(shop, tmp_path, capsys):
    config = str(shop.config.path)
    good = tmp_path / "orders.json"
    good.write_text(json.dumps({"orders": [order()]}), encoding="utf-8")
    assert main(["--config", config, "import", "orders", str(good)]) == 0
    assert "1 order(s) imported" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text('{"orders": [', encoding="utf-8")
    assert main(["--config", config, "import", "orders", str(broken)]) == 1
    assert "broken.json, l" in capsys.readouterr().err  # "line 1" in the technician's language
    with pytest.raises(OrderImportError, match="Cannot read order file"):
        import_file(tmp_path / "missing.json")


# --- returned in the shop -------------------------------------------------------------------------

def test_an_online_order_is_found_by_its_number_and_returned_for_cash_with_stock_and_journal(shop):
    import_orders({"orders": [order()]})
    wine = shop.products["WIN"]
    before = stock_level(wine)
    s = ReturnSession.at(shop.ctx, shop.cashier)
    found = s.find("web-1001")  # typed in lower case
    assert isinstance(found, OnlineOrder) and s.customer.id == shop.customer.id
    line = next(line for line in s.lines if line.sku == "WIN")
    assert (line.sold, line.returned, line.returnable, line.from_order) == (2, 0, 2, True)
    s.pick(line.line_id, 1, reason="wrong_size")
    assert [(p.means, p.amount_cents) for p in s.default_refund()] == [("cash", 895)]
    ticket = s.complete()
    assert (ticket.kind, ticket.origin_ticket_id, ticket.origin_order_id, ticket.origin_reference) == (
        "return", None, found.id, "WEB-1001")
    (returned,) = TicketLine.select().where(TicketLine.ticket == ticket.id)
    assert (returned.quantity, returned.total_cents, returned.origin_order_line_id, returned.origin_line_id) == (
        -1, -895, line.line_id, None)
    assert [(p.means, p.amount_cents) for p in Payment.select().where(Payment.ticket == ticket.id)] == [
        ("cash", -895)]
    assert stock_level(wine) == before + 1
    payload = json.loads(FiscalRecord.get(FiscalRecord.ticket_id == ticket.id).payload)
    assert payload["origin"] == {"reference": "WEB-1001", "signature": None, "order_id": found.id}
    assert payload["lines"][0]["origin_order_line_id"] == line.line_id
    assert verify_journal(workers=0).ok

    again = ReturnSession.at(shop.ctx, shop.cashier)
    again.find("WEB-1001")
    assert next(x for x in again.lines if x.sku == "WIN").returnable == 1
    with pytest.raises(ReturnError, match="Only 1"):
        again.pick(line.line_id, 2, reason="wrong_size")


def test_an_online_order_refund_can_be_a_credit_note_but_never_the_web_card(shop):
    import_orders({"orders": [order()]})
    s = ReturnSession.at(shop.ctx, shop.cashier)
    s.find("WEB-1001")
    s.pick(next(x for x in s.lines if x.sku == "SOA").line_id, reason="changed_mind")
    with pytest.raises(ReturnError, match="not allowed"):
        s.refund_to([("card", 350)])
    s.refund_to([("credit_note", 350)])
    ticket = s.complete()
    (payment,) = Payment.select().where(Payment.ticket == ticket.id)
    assert (payment.means, payment.amount_cents) == ("credit_note", -350)
    assert payment.reference.startswith("AV-")


def test_the_return_window_counts_from_the_order_date(shop):
    import_orders({"orders": [order(days_ago=45)]})
    s = ReturnSession.at(shop.ctx, shop.cashier)
    s.find("WEB-1001")
    s.pick(next(x for x in s.lines if x.sku == "WIN").line_id, 1, reason="changed_mind")
    assert [breach.code for breach in s.breaches()] == ["window"]


def test_an_unknown_number_is_still_refused_as_an_unknown_receipt(shop):
    with pytest.raises(ReturnError, match="not a receipt code"):
        ReturnSession.at(shop.ctx, shop.cashier).find("WEB-404")


def test_two_tills_returning_the_last_unit_of_an_order_at_once_one_wins(any_shop):
    """The order line is locked inside the writing transaction (PostgreSQL: FOR UPDATE)."""
    shop = any_shop
    import_orders({"orders": [order(lines=[{"sku": "WIN", "quantity": 1, "unit_price_cents": 895}],
                                    payment={"means": "card", "amount_cents": 895})]})
    ctx = shop.ctx
    sessions = []
    for _ in range(2):
        s = ReturnSession(ctx.config, Sealer(ctx.till_id, ctx.sealer.signer, ctx.sealer.anchors), shop.cashier,
                          ctx.terminal)
        s.find("WEB-1001")
        s.pick(s.lines[0].line_id, 1, reason="defective")
        s.refund_to([("credit_note", 895)])
        sessions.append(s)
    outcomes = complete_together(ctx.database, sessions)
    written = [o for o in outcomes if isinstance(o, Ticket)]
    refused = [o for o in outcomes if isinstance(o, ReturnError)]
    assert len(written) == 1 and len(refused) == 1, outcomes
    assert TicketLine.select().where(TicketLine.origin_order_line.is_null(False)).count() == 1
    assert verify_journal(workers=0).ok
