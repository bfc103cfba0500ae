"""The web-shop API's routes (``/webshop/v1``) and its published schema (OpenAPI 3.1).

Separate from the tills' API (``/v1``, signed with fiscal keys): a web shop authenticates with
its own key (``headoffice.webshop_auth``) and reaches only what a web shop may do. Each feature
module lists its requests as ``WebShopRoute``s in ``ROUTES``; this module mounts them and builds
the schema from the same list, so the schema cannot forget a request. The schema is served at
``/webshop/v1/openapi.json`` (no key needed: it is public, like any API's documentation) and
kept in the repository as ``headoffice/webshop_openapi.json`` (a test checks they are the same;
``till-headoffice webshop openapi`` prints it), so a web-shop developer can write a client in
any language without running head office.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from headoffice.webshop_auth import SCOPES, RateLimiter, WebShopCaller, WebShopRoute, guarded

__all__ = ["PREFIX", "ROUTE_MODULES", "all_routes", "webshop_routes", "openapi_document", "schema_text", "SCHEMA_FILE"]

PREFIX = "/webshop/v1"
ROUTE_MODULES: tuple[str, ...] = (
    "headoffice.webshop_orders",
    "headoffice.webshop_credit",
    "headoffice.webshop_events",
)
"""The feature modules whose ``ROUTES`` make the API, in the schema's order."""
SCHEMA_FILE = Path(__file__).with_name("webshop_openapi.json")
VERSION = "1.0.0"

_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


def _ping(caller: WebShopCaller, _data: Any, _request: Request) -> dict[str, Any]:
    return {"webshop": caller.name, "scopes": sorted(caller.scopes)}


PING = WebShopRoute("GET", "/ping", "", _ping, "Check the key: the web shop it names and what it may do",
                    response_schema={"type": "object", "required": ["webshop", "scopes"],
                                     "properties": {"webshop": {"type": "string"},
                                                    "scopes": {"type": "array", "items": {"enum": list(SCOPES)}}}})


def all_routes() -> list[WebShopRoute]:
    routes = [PING]
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).ROUTES)
    return routes


def webshop_routes(limiter: RateLimiter, max_body: int) -> list[Route]:
    """Starlette routes of the whole web-shop API, the schema first."""
    schema = openapi_document()

    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(schema)

    return [Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"])] + [
        Route(PREFIX + route.path, guarded(route, limiter, max_body), methods=[route.method])
        for route in all_routes()]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route, with the errors every request may answer."""
    paths: dict[str, dict[str, Any]] = {}
    for route in all_routes():
        parameters = [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                      for part in route.path.split("/") if part.startswith("{") and part.endswith("}")]
        errors = {"400": "the request is malformed", "401": "no key, an unknown key or a revoked one",
                  "403": f"the key lacks scope {route.scope!r}" if route.scope else "not allowed",
                  "429": "too many calls (see Retry-After)",
                  **{str(status): text for status, text in route.errors}}
        operation: dict[str, Any] = {
            "summary": route.summary, "operationId": _operation_id(route),
            "security": [{"webshopKey": []}],
            "responses": {str(route.status): {"description": "done", "content": {
                "application/json": {"schema": route.response_schema}}},
                **{status: {"description": text, "content": {"application/json": {"schema": {"$ref":
                   "#/components/schemas/Error"}}}} for status, text in errors.items()}},
        }
        if route.scope:
            operation["x-scope"] = route.scope
        if parameters:
            operation["parameters"] = parameters
        if route.request_schema is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema":
                                                                                           route.request_schema}}}
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "till head office: web-shop API", "version": VERSION,
                 "description": "Orders in, credit notes spent online, returns reported back. Amounts are integer "
                                "cents. Authenticate with the key `till-headoffice webshop add` printed: "
                                "`Authorization: Bearer wsk_...`."},
        "paths": paths,
        "components": {"securitySchemes": {"webshopKey": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": _ERROR}},
    }


def _operation_id(route: WebShopRoute) -> str:
    words = [part for part in route.path.replace("{", "").replace("}", "").replace("-", "_").split("/") if part]
    return route.method.lower() + "_" + "_".join(words)


def schema_text() -> str:
    """The schema as kept in the repository: sorted keys, two-space indent, a final newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
