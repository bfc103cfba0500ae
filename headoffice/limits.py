"""How much of a request head office reads: one size limit, enforced while the body streams in.

Reading the whole body first and measuring it afterwards let one unauthenticated 512 MiB POST
make head office hold over a gigabyte. The body is read chunk by chunk instead and given up as
soon as it passes the limit, whatever ``Content-Length`` says (a chunked request says nothing);
a declared length over the limit is refused before the first chunk is read.

A request refused before its body was read leaves that body on the connection. Up to the limit,
uvicorn reads it and throws it away, so the answer reaches a client that writes its whole body
before reading (``http.client``, the till's client) and the connection stays usable; beyond the
limit, or when the length is unknown, the answer says ``Connection: close`` and uvicorn drops the
connection rather than swallow an unbounded body.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

__all__ = ["MAX_BODY", "MIB", "TooLarge", "body_limit", "declared_length", "read_within", "drainable"]

MIB = 1024 * 1024

MAX_BODY = 64 * MIB
"""The default limit (``max_body_mib``): a batch of ``MAX_BATCH`` large records fits."""


class TooLarge(Exception):
    """The body passed the limit: answered 413, the connection closed."""


def body_limit(settings: dict[str, Any]) -> int:
    """The limit in bytes from ``[headoffice] max_body_mib`` (a positive number of MiB)."""
    value = settings.get("max_body_mib", MAX_BODY / MIB)
    if type(value) not in (int, float) or not 0 < value <= 4096:
        raise SystemExit(f"till-headoffice: headoffice.max_body_mib must be a number of MiB above 0 (up to 4096), "
                         f"not {value!r}")
    return int(value * MIB)


def declared_length(request: Request) -> int | None:
    """The body length the request announces, or None (chunked, or no body announced)."""
    text = request.headers.get("content-length")
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None  # uvicorn refuses a malformed length before the application sees it


def drainable(request: Request, limit: int) -> bool:
    """Whether a body left unread may be read and thrown away by the server (announced, within
    ``limit``); otherwise an early answer closes the connection."""
    length = declared_length(request)
    return length is not None and length <= limit and "transfer-encoding" not in request.headers


async def read_within(request: Request, limit: int) -> bytes:
    """The whole body, or ``TooLarge`` as soon as more than ``limit`` bytes have come in."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge()
    return bytes(body)
