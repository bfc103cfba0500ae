"""The head-office HTTP API (Starlette, served by uvicorn; behind TLS in production).

Every ``/v1`` endpoint but ``/health`` needs a request signed by an enrolled till (``auth``).
The database work is plain peewee, so each request runs it in Starlette's thread pool with its
own connection (``connection_context``): the event loop never waits on PostgreSQL.

    GET  /v1/heads                         highest sequence, signature, hash held per chain
    POST /v1/records                       {"till_id", "chain", "records": [...], "last": bool}
    GET  /v1/catalogue?since=VERSION       the catalogue document when newer than VERSION
    GET  /v1/orders?after=ID               online orders for the caller's shop, after that row
    POST /v1/credit-notes                  {"notes": [...]}: notes issued by the caller's shop
    GET  /v1/credit-notes/{code}           a note's state, company-wide
    POST /v1/credit-notes/{code}/redeem    {"amount_cents", "request_id", "offline"}
    POST /v1/credit-notes/{code}/release   {"request_id"}  (gives back an abandoned redemption)
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from headoffice import credit, documents
from headoffice.auth import AuthError, Caller, authenticate
from headoffice.ingest import IngestError, heads_of, ingest_batch
from headoffice.store import open_database, proxy
from till.sync_protocol import H_SERVER_TIME, MAX_SKEW_S, PROTOCOL_VERSION

__all__ = ["create_app", "MAX_BODY"]

log = logging.getLogger("headoffice.app")

MAX_BODY = 64 * 1024 * 1024
"""The largest request accepted (a batch of ``MAX_BATCH`` large records fits)."""


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={H_SERVER_TIME: str(int(time.time()))})


def create_app(database_url: str, max_skew_s: int = MAX_SKEW_S) -> Starlette:
    """The ASGI application on head office's database at ``database_url`` (created if new)."""
    open_database(database_url)

    def guarded(work: Callable[[Caller, dict[str, Any], Request], Any]):
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            if len(body) > MAX_BODY:
                return _json({"error": "too_large", "message": "request too large"}, 413)
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")

            def run() -> Response:
                with proxy.obj.connection_context():
                    try:
                        caller = authenticate(request.method, path, request.headers, body, max_skew_s)
                    except AuthError as error:
                        log.warning("refused %s %s from %s: %s", request.method, path,
                                    request.client.host if request.client else "?", error.message)
                        return _json({"error": error.code, "message": error.message}, 401)
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

            return await run_in_threadpool(run)

        return endpoint

    def heads(caller: Caller, _data, _request) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "till_id": caller.till_id, "chains": heads_of(caller.till_id)}

    def records(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        if not isinstance(data, dict) or data.get("till_id") != caller.till_id or not isinstance(data.get("chain"), str):
            raise IngestError("MALFORMED", "a batch names the calling till and one chain")
        return ingest_batch(caller.till_id, data["chain"], data.get("records"), bool(data.get("last")))

    def catalogue(_caller: Caller, _data, request: Request) -> dict[str, Any]:
        return documents.catalogue_since(_int(request.query_params.get("since"), 0))

    def orders(caller: Caller, _data, request: Request) -> dict[str, Any]:
        return documents.orders_for(caller.shop_id, _int(request.query_params.get("after"), 0))

    def notes_register(caller: Caller, data: dict[str, Any], _request) -> dict[str, Any]:
        return credit.register(caller, data.get("notes") if isinstance(data, dict) else None)

    def note_state(_caller: Caller, _data, request: Request) -> dict[str, Any]:
        return credit.state(request.path_params["code"])

    def note_redeem(caller: Caller, data: dict[str, Any], request: Request) -> dict[str, Any]:
        return credit.redeem(caller, request.path_params["code"], data if isinstance(data, dict) else {})

    def note_release(caller: Caller, data: dict[str, Any], request: Request) -> dict[str, Any]:
        return credit.release(caller, request.path_params["code"], data if isinstance(data, dict) else {})

    async def health(_request: Request) -> Response:
        return _json({"ok": True, "protocol": PROTOCOL_VERSION})

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/heads", guarded(heads), methods=["GET"]),
        Route("/v1/records", guarded(records), methods=["POST"]),
        Route("/v1/catalogue", guarded(catalogue), methods=["GET"]),
        Route("/v1/orders", guarded(orders), methods=["GET"]),
        Route("/v1/credit-notes", guarded(notes_register), methods=["POST"]),
        Route("/v1/credit-notes/{code}", guarded(note_state), methods=["GET"]),
        Route("/v1/credit-notes/{code}/redeem", guarded(note_redeem), methods=["POST"]),
        Route("/v1/credit-notes/{code}/release", guarded(note_release), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
