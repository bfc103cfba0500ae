"""Who calls the web-shop API: one key per web shop, kept hashed, scoped, revocable, rate-limited.

A web shop is not a till: it has no fiscal key to sign with, and its developers write clients
in any language, so it presents a bearer key (``Authorization: Bearer wsk_<id>_<secret>``) over
HTTPS, as every HTTP API does. The key is shown once, by ``till-headoffice webshop add``; head
office keeps its id and the SHA-256 of its secret. A slow password hash is not needed here: the
secret is 256 random bits, which no one guesses whatever the hash's speed, and each call checks
it, so a fast hash keeps the API fast. ``scopes`` say what a key may do (a key that only posts
orders cannot spend credit notes). ``revoke`` stops a key at once.

Every call, answered or refused, is written to ``ho_webshopcall`` and to the log; a web shop
calling faster than ``RATE_PER_S`` (bursts up to ``BURST``) is answered 429 with
``Retry-After``, so one runaway client cannot starve the tills' API on the same server.

Each feature module declares its routes as ``WebShopRoute``s (``headoffice.webshop_app``
collects them); ``guarded`` turns one into a Starlette endpoint: authentication, scope, rate,
body within the size limit, JSON, the work in a thread with its own connection, the call logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from headoffice.limits import TooLarge, read_within
from headoffice.store import WebShop, WebShopCall, proxy, utcnow

__all__ = ["SCOPES", "RATE_PER_S", "BURST", "WebShopError", "WebShopCaller", "WebShopRoute", "RateLimiter",
           "add_webshop", "revoke_webshop", "list_webshops", "guarded", "new_key", "key_parts"]

log = logging.getLogger("headoffice.webshop")

SCOPES = ("orders", "credit", "returns")
"""``orders``: post orders; ``credit``: check, hold, commit and release credit notes; ``returns``:
read the notifications of orders returned in a shop."""
RATE_PER_S = 10.0
BURST = 40
KEY_PREFIX = "wsk"


class WebShopError(Exception):
    """A call refused or failed: ``status`` and a code the client's program can test."""

    def __init__(self, code: str, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}

    def answer(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@dataclass(frozen=True)
class WebShopCaller:
    """The web shop a call came from, once its key checked."""

    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class WebShopRoute:
    """One request of the web-shop API, and its part of the published schema (OpenAPI 3.1)."""

    method: str
    path: str
    """Under ``/webshop/v1``, with Starlette's ``{name}`` parameters (the same form as OpenAPI)."""
    scope: str
    """One of ``SCOPES``, or "" for any valid key."""
    work: Callable[[WebShopCaller, Any, Request], Any]
    """(caller, the JSON body or None, the request) -> the JSON answer (or a ``Response`` when the
    status depends on the call); raises ``WebShopError``."""
    summary: str
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    status: int = 200
    errors: tuple[tuple[int, str], ...] = ()
    """The refusals of this request beyond those of every request (400, 401, 403, 429), with what
    they mean, for the schema: e.g. ``((404, "unknown: ..."), (409, "short: ..."))``."""


# --- keys -----------------------------------------------------------------------------------------


def new_key() -> tuple[str, str, str]:
    """(key id, the whole key to give the web shop, the hash kept)."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}", hashlib.sha256(secret.encode("ascii")).hexdigest()


def key_parts(text: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or None when it is not shaped as one."""
    prefix, _, rest = text.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret or len(text) > 200:
        return None
    return key_id, secret


def add_webshop(name: str, scopes: tuple[str, ...] = SCOPES, webhook_url: str | None = None) -> tuple[str, str]:
    """Register web shop ``name``; returns (its API key, its webhook secret), shown once."""
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes are some of {', '.join(SCOPES)}; not {', '.join(unknown) or 'none'}")
    if not name or len(name) > 40:
        raise ValueError("a web shop's name is 1 to 40 characters")
    if webhook_url is not None and not webhook_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("a webhook URL is https:// (http:// only on loopback, for tests)")
    key_id, key, digest = new_key()
    webhook_secret = secrets.token_urlsafe(32)
    with proxy.obj.atomic():
        if WebShop.get_or_none(WebShop.name == name) is not None:
            raise ValueError(f"web shop {name} exists already (revoke it, then add it under another name)")
        WebShop.create(name=name, key_id=key_id, key_hash=digest, scopes=" ".join(scopes), webhook_url=webhook_url,
                       webhook_secret=webhook_secret)
    log.info("web shop %s added (key %s, scopes %s)", name, key_id, " ".join(scopes))
    return key, webhook_secret


def revoke_webshop(name: str) -> bool:
    """Stop web shop ``name``'s key at once; False when there is no such web shop."""
    changed = (WebShop.update(revoked=True, revoked_at=utcnow())
               .where((WebShop.name == name) & (WebShop.revoked == False)).execute())  # noqa: E712
    if changed:
        log.warning("web shop %s revoked", name)
    return bool(changed)


def list_webshops() -> list[dict[str, Any]]:
    return [{"name": shop.name, "key_id": shop.key_id, "scopes": shop.scopes.split(), "webhook_url": shop.webhook_url,
             "revoked": shop.revoked, "created_at": shop.created_at.isoformat()}
            for shop in WebShop.select().order_by(WebShop.name)]


def _caller(headers) -> WebShopCaller:
    text = headers.get("authorization", "")
    scheme, _, presented = text.partition(" ")
    parts = key_parts(presented.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        raise WebShopError("unauthorized", "give the web shop's key: Authorization: Bearer wsk_...", 401)
    key_id, secret = parts
    shop = WebShop.get_or_none(WebShop.key_id == key_id)
    digest = hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()
    if shop is None or not hmac.compare_digest(shop.key_hash, digest):
        raise WebShopError("unauthorized", "this key is not a web shop's key", 401)
    if shop.revoked:
        raise WebShopError("revoked", f"the key of web shop {shop.name} was revoked", 401)
    return WebShopCaller(shop.name, frozenset(shop.scopes.split()))


# --- rate -----------------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket per web shop: ``rate`` calls a second, bursts up to ``burst``."""

    def __init__(self, rate: float = RATE_PER_S, burst: int = BURST) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, name: str) -> float:
        """0 when ``name`` may call now (the call is counted), else how long to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1 - tokens) / self.rate


# --- the endpoint ---------------------------------------------------------------------------------


def _json(data: Any, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def guarded(route: WebShopRoute, limiter: RateLimiter, max_body: int):
    """The Starlette endpoint of ``route``: the key, its scope and rate checked before the body is
    read; the work run in a thread on its own connection; every call logged."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_within(request, max_body)
        except TooLarge:
            return _json({"error": "too_large", "message": f"the request is larger than {max_body} bytes"}, 413)
        except ClientDisconnect:
            return Response(status_code=400)

        def run() -> Response:
            with proxy.obj.connection_context():
                name = ""
                try:
                    caller = _caller(request.headers)
                    name = caller.name
                    if route.scope and route.scope not in caller.scopes:
                        raise WebShopError("forbidden", f"this key may not {route.summary.lower()} "
                                           f"(scope {route.scope})", 403)
                    wait = limiter.wait_s(caller.name)
                    if wait:
                        raise WebShopError("rate_limited", "too many calls: wait and call again", 429,
                                           {"Retry-After": str(max(1, round(wait + 0.5)))})
                    try:
                        data = json.loads(body) if body else None
                    except ValueError:
                        raise WebShopError("malformed", "the body is not JSON") from None
                    result = route.work(caller, data, request)  # a Response: its own status (200 or 201)
                    response = result if isinstance(result, Response) else _json(result, route.status)
                except WebShopError as error:
                    response = _json(error.answer(), error.status, error.headers)
                    _log_call(name, request, error.status, error.code)
                    return response
                _log_call(name, request, response.status_code, "")
                return response

        return await run_in_threadpool(run)

    return endpoint


def _log_call(name: str, request: Request, status: int, error: str) -> None:
    remote = request.client.host if request.client else ""
    path = request.url.path[:200]
    try:
        WebShopCall.create(webshop=name, method=request.method, path=path, status=status, error=error, remote=remote)
    except Exception:  # noqa: BLE001 - the answer matters more than its log row; the log line stays
        log.exception("could not record a web-shop call")
    (log.info if status < 400 else log.warning)("web shop %s %s %s -> %s %s", name or "?", request.method, path,
                                                status, error)
