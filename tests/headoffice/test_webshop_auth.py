"""The web-shop API's door: a key per web shop, kept hashed, scoped, revocable, rate-limited,
every call logged, and the published schema the same as the one served."""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.error
import urllib.request

import pytest
from jsonschema import Draft202012Validator
from starlette.requests import Request

from headoffice.cli import main as headoffice_main
from headoffice.store import WebShop, WebShopCall, open_database, proxy
from headoffice.webshop_app import SCHEMA_FILE, openapi_document, schema_text
from headoffice.webshop_auth import RateLimiter, WebShopRoute, add_webshop, guarded, revoke_webshop
from tests.support.headoffice import HeadOffice


def call(office: HeadOffice, method: str, path: str, key: str | None = None, body=None):
    request = urllib.request.Request(office.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode("utf-8"))
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


@pytest.fixture
def office(ho_url):
    office = HeadOffice(ho_url, webshop_limiter=RateLimiter(rate=0.5, burst=3)).start()
    yield office
    office.stop()


def test_a_key_is_shown_once_kept_hashed_and_opens_the_api_until_revoked(office, tmp_path, capsys):
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{office.database_url}"\n', encoding="utf-8")
    assert headoffice_main(["--config", str(config), "webshop", "add", "boutique"]) == 0
    printed = capsys.readouterr().out
    key = next(word for word in printed.split() if word.startswith("wsk_"))
    with proxy.obj.connection_context():
        shop = WebShop.get(WebShop.name == "boutique")
        secret = key.split("_", 2)[2]
        assert shop.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in shop.key_hash
        assert all(secret not in str(value) for value in shop.__data__.values())
    assert call(office, "GET", "/webshop/v1/ping", key)[:2] == (200, {"webshop": "boutique",
                                                                      "scopes": ["credit", "orders", "returns"]})
    status, answer, _ = call(office, "GET", "/webshop/v1/ping", key[:-2] + "xx")
    assert (status, answer["error"]) == (401, "unauthorized")
    assert call(office, "GET", "/webshop/v1/ping")[0] == 401
    assert headoffice_main(["--config", str(config), "webshop", "revoke", "boutique"]) == 0
    status, answer, _ = call(office, "GET", "/webshop/v1/ping", key)
    assert (status, answer["error"]) == (401, "revoked")
    with proxy.obj.connection_context():  # every call is logged, refused ones too
        logged = [(c.webshop, c.path, c.status, c.error) for c in WebShopCall.select().order_by(WebShopCall.id)]
    assert logged == [("boutique", "/webshop/v1/ping", 200, ""), ("", "/webshop/v1/ping", 401, "unauthorized"),
                      ("", "/webshop/v1/ping", 401, "unauthorized"), ("", "/webshop/v1/ping", 401, "revoked")]


def test_a_web_shop_calling_too_fast_is_told_to_wait(office):
    with proxy.obj.connection_context():
        key, _secret = add_webshop("fast")
    statuses = [call(office, "GET", "/webshop/v1/ping", key) for _ in range(4)]
    assert [status for status, _answer, _headers in statuses] == [200, 200, 200, 429]
    assert statuses[-1][1]["error"] == "rate_limited" and int(statuses[-1][2]["Retry-After"]) >= 1


def test_a_key_without_the_scope_of_a_request_is_refused(tmp_path):
    open_database(f"sqlite:///{tmp_path / 'ho.db'}")
    with proxy.obj.connection_context():
        key, _ = add_webshop("orders-only", ("orders",))
        with pytest.raises(ValueError):
            add_webshop("bad", ("everything",))
    route = WebShopRoute("POST", "/credit", "credit", lambda caller, data, request: {"spent": True}, "Spend credit")
    endpoint = guarded(route, RateLimiter(), 1000)
    scope = {"type": "http", "method": "POST", "path": "/credit", "query_string": b"", "root_path": "",
             "headers": [(b"authorization", f"Bearer {key}".encode()), (b"content-length", b"2")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "scheme": "http"}

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    answer = asyncio.run(endpoint(Request(scope, receive)))
    assert answer.status_code == 403 and json.loads(answer.body)["error"] == "forbidden"
    with proxy.obj.connection_context():
        assert revoke_webshop("orders-only") and not revoke_webshop("orders-only")


def test_the_schema_served_is_the_one_kept_in_the_repository(office):
    status, served, _ = call(office, "GET", "/webshop/v1/openapi.json")
    assert status == 200 and served == openapi_document()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), \
        "headoffice/webshop_openapi.json is stale: till-headoffice webshop openapi > headoffice/webshop_openapi.json"
    for path, operations in served["paths"].items():
        assert path.startswith("/webshop/v1/")
        for operation in operations.values():
            body = operation.get("requestBody")
            if body:
                Draft202012Validator.check_schema(body["content"]["application/json"]["schema"])
            for answer in operation["responses"].values():
                schema = answer["content"]["application/json"]["schema"]
                if "$ref" not in schema:
                    Draft202012Validator.check_schema(schema)
