"""Orders in from the web shop: checked by the till's own rules, stored for the tills, idempotent
by number (the same again is unchanged, other content or another web shop's number refused)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from headoffice.documents import publish_catalogue
from headoffice.store import OnlineOrder, WebShopOrder, proxy
from headoffice.webshop_auth import RateLimiter, add_webshop
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from tests.headoffice.test_webshop_auth import call
from tests.support.headoffice import HeadOffice

CATALOGUE = {"products": [{"sku": "WIN", "name": "Côtes du Rhône 75 cl", "price_cents": 895, "vat_code": "N",
                           "barcodes": ["3760000000031"]}]}


def web_order(number="WEB-2001", **changes):
    data = {"number": number, "ordered_at": "2026-11-20T14:03:00Z",
            "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
            "payment": {"means": "card", "amount_cents": 2 * 895 + 350},
            "lines": [{"barcode": "3760000000031", "quantity": 2, "unit_price_cents": 895},
                      {"sku": "MUG", "label": "Mug", "vat_code": "N", "vat_rate_bp": 2000, "quantity": 1,
                       "unit_price_cents": 350}]}
    data.update(changes)
    return data


@pytest.fixture
def office(ho_url):
    office = HeadOffice(ho_url, webshop_limiter=RateLimiter(rate=1000, burst=1000)).start()
    with proxy.obj.connection_context():
        publish_catalogue(CATALOGUE)
    yield office
    office.stop()


def stored() -> list[tuple[str, str | None, str]]:
    with proxy.obj.connection_context():
        orders = {o.number: o.shop_id for o in OnlineOrder.select()}
        return sorted((w.number, orders.get(w.number), w.webshop) for w in WebShopOrder.select())


def test_an_order_is_created_once_then_unchanged_and_a_changed_resend_is_refused(office):
    with proxy.obj.connection_context():
        key, _ = add_webshop("boutique", ("orders",))
        other, _ = add_webshop("marketplace", ("orders",))
    assert call(office, "POST", "/webshop/v1/orders", key, web_order(shop="PARIS"))[:2] == (
        201, {"number": "WEB-2001", "status": "created"})
    assert call(office, "POST", "/webshop/v1/orders", key, web_order(shop="PARIS"))[:2] == (
        200, {"number": "WEB-2001", "status": "unchanged"})
    status, answer, _ = call(office, "POST", "/webshop/v1/orders", key, web_order(shop="LYON"))
    assert (status, answer["error"]) == (409, "changed")
    status, answer, _ = call(office, "POST", "/webshop/v1/orders", other, web_order())
    assert (status, answer["error"]) == (409, "taken")
    assert stored() == [("WEB-2001", "PARIS", "boutique")]
    with proxy.obj.connection_context():  # the form the tills pull: the order without "shop"
        body = json.loads(OnlineOrder.get(OnlineOrder.number == "WEB-2001").body)
    assert body == web_order()

    status, answer, _ = call(office, "GET", "/webshop/v1/orders/WEB-2001", key)
    assert (status, answer["order"], answer["shop"], answer["returned"]) == (200, web_order(), "PARIS", [])
    assert call(office, "GET", "/webshop/v1/orders/WEB-2001", other)[0] == 404


@pytest.mark.parametrize("change, named", [
    ({"ordered_at": "yesterday"}, "ordered_at"),
    ({"lines": [{"sku": "MUG", "quantity": 1, "unit_price_cents": 350}]}, "MUG is not in the catalogue"),
    ({"lines": [{"sku": "WIN", "quantity": 0, "unit_price_cents": 895}]}, "quantity of WIN"),
    ({"lines": [{"sku": "WIN", "quantity": 1, "unit_price_cents": 8.95}]}, "unit_price_cents"),
    ({"payment": {"means": "card", "amount_cents": 1}}, "paid 1 cents for lines worth 2140 cents"),
    ({"number": "W" * 41}, "number is longer than 40"),
    ({"shop": 7}, "shop must be"),
])
def test_an_invalid_order_is_refused_with_its_field_named_and_nothing_stored(office, change, named):
    with proxy.obj.connection_context():
        key, _ = add_webshop("boutique", ("orders",))
    status, answer, _ = call(office, "POST", "/webshop/v1/orders", key, web_order(**change))
    assert (status, answer["error"]) == (400, "invalid") and named in answer["message"]
    assert stored() == []


def test_a_key_without_the_orders_scope_cannot_post(office):
    with proxy.obj.connection_context():
        key, _ = add_webshop("credit-only", ("credit",))
    assert call(office, "POST", "/webshop/v1/orders", key, web_order())[0] == 403
    assert stored() == []


def test_the_same_order_posted_twice_at_once_is_created_once(office):
    """A web shop retrying while its first calls still run: one 201, the others 200, one order."""
    with proxy.obj.connection_context():
        key, _ = add_webshop("boutique", ("orders",))
    start = threading.Barrier(6)

    def post() -> int:
        start.wait()
        return call(office, "POST", "/webshop/v1/orders", key, web_order("WEB-2002"))[0]

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(lambda _: post(), range(6)))
    assert statuses == [200] * 5 + [201]
    assert stored() == [("WEB-2002", None, "boutique")]


def test_a_till_asks_for_one_order_of_its_shop_or_of_any_shop(office, shop):
    from headoffice.cli import enroll

    with proxy.obj.connection_context():
        key, _ = add_webshop("boutique", ("orders",))
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
    for number, for_shop in (("WEB-1", "PARIS"), ("WEB-2", None), ("WEB-3", "LYON")):
        assert call(office, "POST", "/webshop/v1/orders", key, web_order(number, shop=for_shop))[0] == 201
    client = HeadOfficeClient(office.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    assert client.request("GET", "/v1/orders/WEB-1")["order"] == web_order("WEB-1")
    assert client.request("GET", "/v1/orders/web-2")["order"] == web_order("WEB-2")
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("GET", "/v1/orders/WEB-3")
    assert (refused.value.status, refused.value.body["error"]) == (404, "unknown_order")
