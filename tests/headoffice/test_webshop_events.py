"""Returns reported back: a web shop's order returned in a shop becomes one event for that web
shop, delivered to its webhook (signed, retried until acknowledged) and readable by polling;
the reference client checks the signature and calls the API."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from headoffice.cli import main as headoffice_main
from headoffice.documents import add_orders
from headoffice.ingest import ingest_batch
from headoffice.store import RECORD_FIELDS, Record, WebShopEvent, WebShopOrder, proxy, utcnow
from headoffice.webshop_app import all_routes
from headoffice.webshop_auth import add_webshop
from headoffice.webshop_delivery import deliver_due, signature_header, start_delivery
from till.returns.session import ReturnSession
from till.selling.basket import Basket
from till.sync.push import EXIT_OK, run_sync
from tests.support.headoffice import alerts, note_of_another_shop, settings_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webshop_client.py"
ORDER = {"number": "WEB-1001", "ordered_at": "2026-11-20T14:03:00Z",
         "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
         "payment": {"means": "card", "amount_cents": 2 * 895 + 350},
         "lines": [{"sku": "SOA", "label": "Savon de Marseille", "quantity": 1, "unit_price_cents": 350,
                    "vat_code": "N", "vat_rate_bp": 2000},
                   {"sku": "WIN", "label": "Côtes du Rhône 75 cl", "quantity": 2, "unit_price_cents": 895,
                    "vat_code": "N", "vat_rate_bp": 2000}]}
"""Lines named as the shop's catalogue names them (head office checks an order it is sent with
the catalogue it publishes, which these tests do not)."""


def reference_client():
    spec = importlib.util.spec_from_file_location("webshop_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Webhook:
    """A web shop's webhook on loopback: answers ``statuses`` in turn (then 200), keeps what came."""

    def __init__(self, statuses=(), delay_s: float = 0.0) -> None:
        self.statuses, self.received = list(statuses), []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                threading.Event().wait(delay_s)
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/till-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook([500, 500])
    yield hook
    hook.close()


def _posted_by(webshop: str, webhook_url: str | None = None, office=None) -> tuple[str, str]:
    """Web shop ``webshop`` registered, and order WEB-1001 posted by it: through the API where
    head office serves ``POST /webshop/v1/orders``, else stored as that request stores one."""
    with proxy.obj.connection_context():
        key, secret = add_webshop(webshop, webhook_url=webhook_url)
    if office is not None and _served("POST", "/orders"):
        assert reference_client().WebShopClient(office.url, key).post_order(ORDER)["status"] == "created"
        return key, secret
    with proxy.obj.connection_context():
        add_orders([ORDER])
        WebShopOrder.create(number=ORDER["number"], webshop=webshop, digest="0" * 64)
    return key, secret


def _returned_in_the_shop(shop, office) -> None:
    """The shop's till pulls the order, takes one bottle back for cash, and syncs."""
    assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.find(ORDER["number"])
    wine = next(line for line in session.lines if line.sku == "WIN")
    session.pick(wine.line_id, 1, reason="wrong_size")
    session.complete()
    assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK


def _chain_t(till_id: str) -> list[dict]:
    fields = [getattr(Record, name) for name in RECORD_FIELDS]
    return [dict(zip(RECORD_FIELDS, row)) for row in Record.select(*fields)
            .where((Record.till_id == till_id) & (Record.chain == "T")).order_by(Record.sequence).tuples()]


def test_a_return_is_queued_once_delivered_signed_and_retried_until_acknowledged(shop, headoffice, webhook):
    _key, secret = _posted_by("boutique", webhook.url, headoffice)
    _returned_in_the_shop(shop, headoffice)
    till_id = shop.ctx.till_id
    with proxy.obj.connection_context():
        (event,) = WebShopEvent.select()
        data = json.loads(event.body)
        assert (event.webshop, event.kind, event.number) == ("boutique", "order.returned", "WEB-1001")
        assert (data["order"], data["shop_id"], data["till_id"]) == ("WEB-1001", "PARIS", till_id)
        assert data["return"]["kind"] == "return" and data["return"]["code"] and data["return"]["at"]
        assert data["lines"] == [{"sku": "WIN", "label": "Côtes du Rhône 75 cl", "quantity": 1, "amount_cents": 895,
                                  "order_line": 2, "reason": "wrong_size"}]
        assert (data["refund"], data["refunded_cents"]) == ([{"means": "cash", "amount_cents": 895}], 895)
        # The till sends its chain T again: the records are held already, nothing new is queued.
        assert ingest_batch(till_id, "T", _chain_t(till_id))["accepted"] == 0
        assert WebShopEvent.select().count() == 1

        start = utcnow()
        later = lambda seconds: start + dt.timedelta(seconds=seconds)  # noqa: E731
        assert deliver_due(start) == {"delivered": 0, "failed": 1}       # 500
        assert deliver_due(later(30)) == {"delivered": 0, "failed": 0}   # not due before a minute
        assert deliver_due(later(61)) == {"delivered": 0, "failed": 1}   # 500 again
        assert deliver_due(later(61 + 119)) == {"delivered": 0, "failed": 0}  # then two minutes
        assert deliver_due(later(61 + 121)) == {"delivered": 1, "failed": 0}
        assert deliver_due(later(86400)) == {"delivered": 0, "failed": 0}  # acknowledged: never again
        event = WebShopEvent.get_by_id(event.id)
        assert event.delivered_at is not None and event.attempts == 3 and event.last_error == ""

    assert len(webhook.received) == 3
    headers, body = webhook.received[-1]
    assert all(seen == body and h["X-Till-Event-Id"] == str(event.id) for h, seen in webhook.received)
    assert json.loads(body) == {"id": event.id, "type": "order.returned",
                                "created_at": event.created_at.isoformat() + "Z", "data": data}
    client = reference_client()
    assert client.verify_signature(secret, headers, body)
    assert not client.verify_signature("another-secret", headers, body)
    assert not client.verify_signature(secret, headers, body.replace(b"895", b"995"))
    forged = dict(headers, **{"X-Till-Signature": headers["X-Till-Signature"].split(",")[0] + ",v1=" + "0" * 64})
    assert not client.verify_signature(secret, forged, body)
    assert client.verify_signature(secret, {name.lower(): value for name, value in headers.items()}, body)
    sent_at = int(headers["X-Till-Signature"].split(",")[0][2:])
    signed_at = lambda t: dict(headers, **{"X-Till-Signature": signature_header(secret, body, t)})  # noqa: E731
    assert not client.verify_signature(secret, signed_at(sent_at - 301), body, now=sent_at)  # an old copy replayed
    assert client.verify_signature(secret, signed_at(sent_at - 299), body, now=sent_at)  # within the 5 minutes


def test_a_web_shop_without_a_webhook_polls_and_acks_each_event_once(shop, headoffice, webhook):
    key, _secret = _posted_by("boutique", office=headoffice)
    other_key, _ = _posted_by_nothing("atelier", webhook.url)
    _returned_in_the_shop(shop, headoffice)
    client = reference_client().WebShopClient(headoffice.url, key)
    (event,) = client.events()
    assert (event["type"], event["data"]["order"], event["acknowledged"]) == ("order.returned", "WEB-1001", False)
    assert client.events(after=event["id"]) == []
    assert reference_client().WebShopClient(headoffice.url, other_key).events() == []  # its own events only
    with pytest.raises(Exception) as refused:
        reference_client().WebShopClient(headoffice.url, other_key).ack(event["id"])
    assert refused.value.status == 404 and refused.value.code == "not_found"
    assert client.ack(event["id"]) == {"id": event["id"], "acknowledged": True}
    assert [e["acknowledged"] for e in client.events()] == [True]
    with proxy.obj.connection_context():
        assert deliver_due(utcnow() + dt.timedelta(days=1)) == {"delivered": 0, "failed": 0}
    assert webhook.received == []


def test_an_acked_event_is_not_sent_to_the_webhook(shop, headoffice, webhook):
    key, _secret = _posted_by("boutique", webhook.url, headoffice)
    _returned_in_the_shop(shop, headoffice)
    client = reference_client().WebShopClient(headoffice.url, key)
    client.ack(client.events()[0]["id"])
    with proxy.obj.connection_context():
        assert deliver_due(utcnow() + dt.timedelta(minutes=5)) == {"delivered": 0, "failed": 0}
    assert webhook.received == []


def _posted_by_nothing(webshop: str, webhook_url: str) -> tuple[str, str]:
    with proxy.obj.connection_context():
        return add_webshop(webshop, webhook_url=webhook_url)


def test_two_deliverers_at_once_send_an_event_once(shop, headoffice):
    slow = Webhook(delay_s=0.3)  # the other deliverer reads the event while the first one waits
    try:
        _posted_by("boutique", slow.url, headoffice)
        _returned_in_the_shop(shop, headoffice)
        start, results = threading.Barrier(2), []

        def deliverer():
            with proxy.obj.connection_context():
                start.wait()
                results.append(deliver_due(utcnow() + dt.timedelta(seconds=1)))

        threads = [threading.Thread(target=deliverer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(slow.received) == 1 and sorted(r["delivered"] for r in results) == [0, 1]
    finally:
        slow.close()


def test_serve_delivers_in_the_background_and_cron_with_webshop_deliver(shop, headoffice, tmp_path, capsys):
    hook = Webhook()
    try:
        _posted_by("boutique", hook.url, headoffice)
        _returned_in_the_shop(shop, headoffice)
        config = tmp_path / "headoffice.toml"
        config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
        with proxy.obj.connection_context():
            WebShopEvent.update(next_attempt_at=utcnow() + dt.timedelta(hours=1)).execute()  # not due yet
        assert headoffice_main(["--config", str(config), "webshop", "deliver"]) == 0
        assert "0 events delivered" in capsys.readouterr().out and hook.received == []
        with proxy.obj.connection_context():
            WebShopEvent.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).execute()
        stop = start_delivery(interval_s=0.05)
        try:
            for _ in range(200):
                if hook.received:
                    break
                threading.Event().wait(0.05)
        finally:
            stop.set()
        assert len(hook.received) == 1
        assert headoffice_main(["--config", str(config), "webshop", "deliver"]) == 0
        assert "0 events delivered" in capsys.readouterr().out and len(hook.received) == 1
    finally:
        hook.close()


def _served(method: str, path: str) -> bool:
    return any((route.method, route.path) == (method, path) for route in all_routes())


def test_the_reference_client_posts_an_order_and_spends_a_credit_note(headoffice):
    """The client's other calls against the real head office, once their endpoints are served."""
    missing = [f"{method} {path}" for method, path in (("POST", "/orders"), ("GET", "/credit-notes/{code}"),
                                                       ("POST", "/credit-notes/{code}/holds"),
                                                       ("POST", "/credit-notes/{code}/holds/{hold_id}/commit"))
               if not _served(method, path)]
    client_module = reference_client()
    with proxy.obj.connection_context():
        key, _secret = add_webshop("boutique")
    client = client_module.WebShopClient(headoffice.url, key)
    with pytest.raises(client_module.ApiError) as refused:  # an error that is no JSON is still an ApiError
        client.call("GET", "/nowhere")
    assert refused.value.status == 404 and refused.value.code == "http_404"
    if missing:
        pytest.skip("not served by this head office yet: " + ", ".join(missing))
    order = dict(ORDER, number="WEB-2001", payment={"means": "card", "amount_cents": 1290},
                 lines=[{"sku": "MUG-01", "label": "Mug de la boutique", "quantity": 1, "unit_price_cents": 1290,
                         "vat_code": "N", "vat_rate_bp": 2000}])  # a product of the web shop alone
    assert client.post_order(order) == {"number": "WEB-2001", "status": "created"}
    assert client.post_order(order)["status"] == "unchanged"
    code = note_of_another_shop(2000)
    assert client.credit_note(code)["balance_cents"] == 2000
    assert client.hold(code, "cart-812", 1500)["state"] == "held"
    assert client.commit(code, "cart-812")["state"] == "committed"
    assert client.credit_note(code)["balance_cents"] == 500


def test_an_exchange_is_told_with_its_new_items_and_an_order_no_web_shop_posted_is_not(shop, headoffice, webhook):
    _posted_by("boutique", webhook.url, headoffice)
    with proxy.obj.connection_context():
        add_orders([dict(ORDER, number="WEB-1002")])  # an order of the till's import file: no web shop to tell
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    for number in ("WEB-1001", "WEB-1002"):  # the soap exchanged for a bottle: 5.45 more, paid in cash
        session = ReturnSession.at(shop.ctx, shop.cashier)
        session.find(number)
        session.pick(next(line for line in session.lines if line.sku == "SOA").line_id, 1, reason="changed_mind")
        basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
        basket.add_product(shop.products["WIN"], 1)
        session.exchange_with(basket)
        session.pay("cash", 1000)
        assert session.complete().kind == "exchange"
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    with proxy.obj.connection_context():
        (event,) = WebShopEvent.select()
    data = json.loads(event.body)
    assert (event.number, data["return"]["kind"], data["new_items_cents"]) == ("WEB-1001", "exchange", 895)
    assert [(line["sku"], line["quantity"], line["amount_cents"], line["order_line"]) for line in data["lines"]] == [
        ("SOA", 1, 350, 1)]
    assert (data["refund"], data["refunded_cents"]) == ([{"means": "cash", "amount_cents": -545}], -545)


def test_a_return_that_cannot_be_queued_is_raised_and_the_batch_still_accepted(shop, headoffice):
    _posted_by("boutique", office=headoffice)
    with proxy.obj.connection_context():
        WebShopEvent.drop_table()  # the queue out of reach once the records are committed
    try:
        _returned_in_the_shop(shop, headoffice)  # the till's sync succeeds: its records are held
    finally:
        with proxy.obj.connection_context():
            WebShopEvent.create_table()
    assert "WEBSHOP_EVENT" in alerts()
    with proxy.obj.connection_context():
        assert Record.select().where((Record.till_id == shop.ctx.till_id) & Record.payload.contains(
            '"reference":"WEB-1001"')).count() == 1


def test_the_background_work_of_serve_stops_when_the_server_stops(tmp_path, monkeypatch):
    """Webhook delivery and the expiry of web-shop holds run beside the server, never after it:
    a thread left running would go on working on whatever database head office opens next."""
    import uvicorn

    from headoffice.cli import main as ho_main

    monkeypatch.setattr(uvicorn, "run", lambda _app, **_options: None)  # the server returns at once
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "sqlite:///{tmp_path / "ho.db"}"\n', encoding="utf-8")
    assert ho_main(["--config", str(config), "serve"]) == 0
    names = ("webshop-delivery", "webshop-hold-sweeper")
    for thread in [t for t in threading.enumerate() if t.name in names]:
        thread.join(timeout=5)
    assert [t.name for t in threading.enumerate() if t.name in names] == []
