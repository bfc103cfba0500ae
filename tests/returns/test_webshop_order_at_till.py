"""An order the web shop posted to head office, typed at a till that has not synced since: the
till asks head office for it, imports it and opens it at once; it is returned, and after the
sync the web shop reads what came back. Head office out of reach: the till says so."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from headoffice.documents import publish_catalogue
from headoffice.store import proxy
from headoffice.webshop_auth import add_webshop
from store.models import OnlineOrder, utcnow
from till.returns.remote_orders import fetch_or_refuse
from till.returns.session import ReturnError, ReturnSession
from till.sync.push import EXIT_OK, run_sync
from till.ui.app import TillApp
from till.ui.returns.screen import ReturnScreen
from tests.headoffice.test_webshop_auth import call
from tests.support.headoffice import settings_for, write_sync_section
from tests.support.net import free_port
from tests.support.pilot import SIZE, burst, open_returns, settle, status_text
from tests.support.queries import payments
from tests.support.receipts import headoffice  # noqa: F401 - fixture


ORDERED_AT = (utcnow() - dt.timedelta(days=2)).replace(microsecond=0).isoformat() + "Z"
CATALOGUE = {"products": [{"sku": "WIN", "name": "Côtes du Rhône 75 cl", "price_cents": 895, "vat_code": "N"},
                          {"sku": "SOA", "name": "Savon de Marseille", "price_cents": 350, "vat_code": "N"}]}
"""What head office published: the web shop's lines name these products by SKU alone."""


def web_order(number="WEB-3001", **changes):
    data = {"number": number, "ordered_at": ORDERED_AT, "shop": "PARIS",
            "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
            "payment": {"means": "card", "amount_cents": 2 * 895 + 350},
            "lines": [{"sku": "WIN", "quantity": 2, "unit_price_cents": 895},
                      {"sku": "SOA", "quantity": 1, "unit_price_cents": 350}]}
    data.update(changes)
    return data


def post(office, order) -> str:
    with proxy.obj.connection_context():
        publish_catalogue(CATALOGUE)
        key, _ = add_webshop(f"boutique-{order['number']}", ("orders",))
    status, _answer, _ = call(office, "POST", "/webshop/v1/orders", key, order)
    assert status == 201
    return key


def session_at(shop, url: str) -> ReturnSession:
    return ReturnSession(dataclasses.replace(shop.config, sync=settings_for(url)), shop.ctx.sealer, shop.cashier)


def typed(session: ReturnSession, number: str) -> OnlineOrder:
    """What the return screen does with a typed number (the head-office part in its worker)."""
    try:
        return session.find(number)
    except ReturnError as refusal:
        desk = session.order_desk(number)
        if desk is None:
            raise
        return session.open(fetch_or_refuse(desk, number, refusal))


def test_an_order_posted_by_the_web_shop_opens_at_once_and_its_return_is_read_back(shop, headoffice):
    key = post(headoffice, web_order())
    session = session_at(shop, headoffice.url)
    with pytest.raises(ReturnError):
        session.find("WEB-3001")  # the till has not synced since the order was posted
    order = typed(session, "web-3001")  # typed in any case, as the till's own orders are found
    assert (order.number, order.paid_cents, session.reference) == ("WEB-3001", 2140, "WEB-3001")
    session.pick(session.lines[1].line_id, 1)
    ticket = session.complete()
    assert ticket.kind == "return" and payments(ticket) != []

    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK  # the order again: unchanged
    assert OnlineOrder.select().count() == 1
    status, answer, _ = call(headoffice, "GET", "/webshop/v1/orders/WEB-3001", key)
    assert status == 200 and [(r["shop"], r["ticket"], r["lines"]) for r in answer["returned"]] == [
        ("PARIS", ticket.code, [{"sku": "SOA", "label": "Savon de Marseille", "quantity": 1}])]


def test_an_order_for_another_shop_is_not_given_and_the_usual_refusal_stands(shop, headoffice):
    post(headoffice, web_order("WEB-3002", shop="LYON"))
    with pytest.raises(ReturnError) as refused:
        typed(session_at(shop, headoffice.url), "WEB-3002")
    assert refused.value.text("en") == "WEB-3002 is not a receipt code"  # what the till says of it alone
    assert OnlineOrder.select().count() == 0


def test_head_office_out_of_reach_is_said_beside_the_refusal(shop):
    with pytest.raises(ReturnError) as refused:
        typed(session_at(shop, f"http://127.0.0.1:{free_port()}"), "WEB-3003")
    text = refused.value.text("en")
    assert text.startswith("WEB-3003 is not a receipt code (head office could not be asked: Head office")


async def test_the_return_screen_asks_head_office_for_a_typed_order_number(shop, headoffice):
    post(headoffice, web_order())
    shop.ctx.config = write_sync_section(shop.config.path, headoffice.url)
    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_returns(pilot)
        burst(app, "WEB-3001")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert app.screen.session.reference == "WEB-3001", status_text(app)
        assert [line.sku for line in app.screen.session.lines] == ["WIN", "SOA"]
