"""The head-office HTTP API (Starlette, served by uvicorn; behind TLS in production).

Every ``/v1`` endpoint but ``/health`` needs a request signed by an enrolled till (``auth``): the
till is identified from the headers before any of the body is read, and the body is read within
the size limit (``limits``) before its signature is checked.
The database work is plain peewee, so each request runs it in Starlette's thread pool with its
own connection (``connection_context``): the event loop never waits on PostgreSQL.

    GET  /v1/heads                         highest sequence, signature, hash held per chain
    POST /v1/records                       {"till_id", "chain", "records": [...], "last": bool}
    GET  /v1/records?chain=C&after=N&limit=M   the caller's own records, as signed (``records_out``)
    GET  /v1/catalogue?since=VERSION       the catalogue document when newer than VERSION
    GET  /v1/orders?after=ID               online orders for the caller's shop, after that row
    GET  /v1/orders/{number}               one order, when the caller's shop may take it back (else 404)
    POST /v1/credit-notes                  {"notes": [...]}: notes issued by the caller's shop
    GET  /v1/credit-notes/{code}           a note's state, company-wide
    POST /v1/credit-notes/{code}/redeem    {"amount_cents", "request_id", "offline"}
    POST /v1/credit-notes/{code}/release   {"request_id"}  (gives back an abandoned redemption)
    GET  /v1/till-keys                     every enrolled till's key chain (``till_keys``)
    POST /v1/returns/state                 {"proof"}: a receipt's lines, sold and back already (``returns``)
    POST /v1/returns/hold                  {"proof", "request_id", "lines", "offline", "return_code"}
    POST /v1/returns/release               {"request_id"}  (gives back an abandoned return's hold)
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from headoffice import chain_heads, credit, documents, records_out, returns, till_keys
from headoffice.auth import AuthError, Caller, Claim, identify, signed
from headoffice.ingest import IngestError, heads_of, ingest_batch
from headoffice.limits import MAX_BODY, TooLarge, drainable, read_within
from headoffice.store import Document, OnlineOrder, Record, column_problem, open_database, proxy
from headoffice.webshop_app import webshop_routes
from headoffice.webshop_auth import RateLimiter
from headoffice.web.routes import page_routes
from till.sync.protocol import H_SERVER_TIME, MAX_SKEW_S, PROTOCOL_VERSION, RETURNS, TILL_KEYS

__all__ = ["create_app", "MAX_BODY"]

log = logging.getLogger("headoffice.app")


def _json(data: Any, status: int = 200, close: bool = False) -> JSONResponse:
    headers = {H_SERVER_TIME: str(int(time.time()))}
    if close:
        headers["Connection"] = "close"  # uvicorn then drops the connection and the body left on it
    return JSONResponse(data, status_code=status, headers=headers)


def _refused(request: Request, path: str, status: int, code: str, message: str, drain: bool) -> Response:
    """A request refused before it was processed, logged; ``drain`` False closes the connection
    (the body left on it is not read)."""
    log.warning("refused %s %s from %s: %s", request.method, path,
                request.client.host if request.client else "?", message)
    return _json({"error": code, "message": message}, status, close=not drain)


class BadQuery(ValueError):
    """A number in the query that no column holds: answered 400 before the database sees it."""


def create_app(database_url: str, max_skew_s: int = MAX_SKEW_S, max_body: int = MAX_BODY,
               webshop_limiter: RateLimiter | None = None) -> Starlette:
    """The ASGI application on head office's database at ``database_url`` (created if new);
    a request body over ``max_body`` bytes is refused as it streams in (``limits``). The web-shop
    API (``/webshop/v1``, ``headoffice.webshop_app``) is served beside the tills' one, each web
    shop held to ``webshop_limiter``'s rate."""
    open_database(database_url)
    chain_heads.create_table()

    def guarded(work: Callable[[Caller, dict[str, Any], Request], Any]):
        async def endpoint(request: Request) -> Response:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            try:
                # Who signed is known from the headers alone: a stranger is refused unread.
                claim = await run_in_threadpool(_identify, request.headers)
                body = await read_within(request, max_body)
            except AuthError as error:
                return _refused(request, path, 401, error.code, error.message, drainable(request, max_body))
            except TooLarge:
                return _refused(request, path, 413, "too_large", f"the request is larger than {max_body} bytes",
                                False)
            except ClientDisconnect:
                return Response(status_code=400)

            def run() -> Response:
                with proxy.obj.connection_context():
                    try:
                        caller = claim.verify(request.method, path, body)
                    except AuthError as error:
                        return _refused(request, path, 401, error.code, error.message, True)
                    try:
                        data = json.loads(body) if body else {}
                    except ValueError:
                        return _json({"error": "malformed", "message": "the body is not JSON"}, 400)
                    try:
                        return _json(work(caller, data, request))
                    except IngestError as error:
                        return _json(error.answer(), error.status)
                    except credit.CreditError as error:
                        return _json(error.answer(), error.status)
                    except returns.ReturnError as error:
                        return _json(error.answer(), error.status)
                    except BadQuery as error:
                        return _json({"error": "malformed", "message": str(error)}, 400)

            return await run_in_threadpool(run)

        return endpoint

    def _identify(headers) -> Claim:
        if not signed(headers):
            raise AuthError("unsigned", "the request is not signed")
        with proxy.obj.connection_context():
            return identify(headers, max_skew_s)

    def heads(caller: Caller, _data, _request) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "till_id": caller.till_id, "chains": heads_of(caller.till_id)}

    def records(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        if not isinstance(data, dict) or data.get("till_id") != caller.till_id or not isinstance(data.get("chain"), str):
            raise IngestError("MALFORMED", "a batch names the calling till and one chain")
        return ingest_batch(caller.till_id, data["chain"], data.get("records"), bool(data.get("last")))

    def own_records(caller: Caller, _data, request: Request) -> dict[str, Any]:
        chain = request.query_params.get("chain", "")
        if column_problem(Record, "chain", chain) is not None or not chain:
            raise BadQuery("name one chain: ?chain=T")
        after = _int(request.query_params.get("after"), 0, Record, "sequence")
        limit = _int(request.query_params.get("limit"), records_out.PAGE_DEFAULT, Record, "sequence")
        return records_out.records_of(caller.till_id, chain, after, limit)

    def catalogue(_caller: Caller, _data, request: Request) -> dict[str, Any]:
        return documents.catalogue_since(_int(request.query_params.get("since"), 0, Document, "version"))

    def orders(caller: Caller, _data, request: Request) -> dict[str, Any]:
        return documents.orders_for(caller.shop_id, _int(request.query_params.get("after"), 0, OnlineOrder, "id"))

    def one_order(caller: Caller, _data, request: Request) -> dict[str, Any]:
        order = documents.order_for(caller.shop_id, request.path_params["number"])
        if order is None:
            raise returns.ReturnError("unknown_order", "no such order for this shop", 404)
        return {"order": order}

    def notes_register(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return credit.register(caller, data.get("notes") if isinstance(data, dict) else None)

    def note_state(_caller: Caller, _data, request: Request) -> dict[str, Any]:
        return credit.state(request.path_params["code"])

    def note_redeem(caller: Caller, data: dict[str, Any], request: Request) -> dict[str, Any]:
        return credit.redeem(caller, request.path_params["code"], data if isinstance(data, dict) else {})

    def note_release(caller: Caller, data: dict[str, Any], request: Request) -> dict[str, Any]:
        return credit.release(caller, request.path_params["code"], data if isinstance(data, dict) else {})

    def keys_of_tills(_caller: Caller, _data, _request) -> dict[str, Any]:
        return till_keys.till_keys()

    def return_state(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return returns.state(caller, data if isinstance(data, dict) else {})

    def return_hold(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return returns.hold(caller, data if isinstance(data, dict) else {})

    def return_release(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return returns.release(caller, data if isinstance(data, dict) else {})

    def heads_statement(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return chain_heads.receive(caller.till_id, data)

    def heads_statement_last(caller: Caller, _data, _request) -> dict[str, Any]:
        return chain_heads.last_of(caller.till_id)

    async def health(_request: Request) -> Response:
        return _json({"ok": True, "protocol": PROTOCOL_VERSION})

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/heads", guarded(heads), methods=["GET"]),
        Route("/v1/records", guarded(records), methods=["POST"]),
        Route("/v1/records", guarded(own_records), methods=["GET"]),
        Route("/v1/chain-heads", guarded(heads_statement), methods=["POST"]),
        Route("/v1/chain-heads", guarded(heads_statement_last), methods=["GET"]),
        Route("/v1/catalogue", guarded(catalogue), methods=["GET"]),
        Route("/v1/orders", guarded(orders), methods=["GET"]),
        Route("/v1/orders/{number}", guarded(one_order), methods=["GET"]),
        Route("/v1/credit-notes", guarded(notes_register), methods=["POST"]),
        Route("/v1/credit-notes/{code}", guarded(note_state), methods=["GET"]),
        Route("/v1/credit-notes/{code}/redeem", guarded(note_redeem), methods=["POST"]),
        Route("/v1/credit-notes/{code}/release", guarded(note_release), methods=["POST"]),
        Route(TILL_KEYS, guarded(keys_of_tills), methods=["GET"]),
        Route(RETURNS + "/state", guarded(return_state), methods=["POST"]),
        Route(RETURNS + "/hold", guarded(return_hold), methods=["POST"]),
        Route(RETURNS + "/release", guarded(return_release), methods=["POST"]),
    ]
    routes += webshop_routes(webshop_limiter or RateLimiter(), max_body)
    routes += page_routes()  # the pages for people (headoffice.web): their own login, not the tills'
    return Starlette(routes=routes)


def _int(text: str | None, default: int, model, column: str) -> int:
    """A number of the query string for ``model.column``: ``default`` when absent or not a number,
    ``BadQuery`` when no such column holds it."""
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    problem = column_problem(model, column, value)
    if problem is not None:
        raise BadQuery(problem)
    return value
