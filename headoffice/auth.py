"""Who is calling: every till request is signed with the till's enrolled fiscal key.

No passwords or tokens to leak or rotate: head office already needs each till's public key to
check its records, so the same key proves the requests (``till.sync.protocol.request_message``).
A timestamp outside ``max_skew_s`` is refused (a captured request cannot be replayed later);
a replay inside the window can only re-send a batch, which ingest makes harmless.

The signature covers the body, so it is checked in two steps: ``identify`` reads the headers
alone (signed at all, fresh, by a key enrolled for that till) before a byte of the body is read,
so a stranger is refused without head office holding what it sends; ``Claim.verify`` then checks
the signature over the body, read within the size limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from headoffice.store import Till, TillKey
from till.fiscal.keys import verify_signature
from till.sync.protocol import H_KEY, H_SIGNATURE, H_TILL, H_TIME, request_message

__all__ = ["AuthError", "Caller", "Claim", "identify", "signed"]


class AuthError(Exception):
    """The request is not from an enrolled till, or is stale: answered 401, never processed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Caller:
    till_id: str
    shop_id: str
    key_id: str


def signed(headers) -> bool:
    """Whether the request carries every authentication header (checked without the database)."""
    return all(headers.get(name, "") for name in (H_TILL, H_KEY, H_TIME, H_SIGNATURE))


@dataclass(frozen=True)
class Claim:
    """Who the headers say signed the request, checked but for the signature over the body."""

    caller: Caller
    public_key_pem: str
    timestamp: int
    signature: str

    def verify(self, method: str, path: str, body: bytes) -> Caller:
        """The caller, once the signature over ``method``, ``path`` and ``body`` verifies."""
        message = request_message(method, path, body, self.timestamp, self.caller.till_id, self.caller.key_id)
        if not verify_signature(self.public_key_pem, message, self.signature):
            raise AuthError("bad_signature", "the request signature does not verify")
        return self.caller


def identify(headers, max_skew_s: int, now: float | None = None) -> Claim:
    """The enrolled till the headers name, with a fresh timestamp, or ``AuthError``. Reads the
    database (run it in a worker thread), never the body."""
    if not signed(headers):
        raise AuthError("unsigned", "the request is not signed")
    till_id, key_id = headers.get(H_TILL), headers.get(H_KEY)
    now = time.time() if now is None else now
    try:
        timestamp = int(headers.get(H_TIME))
        skew = timestamp - now  # OverflowError for a number beyond a float
    except (ValueError, OverflowError):
        raise AuthError("unsigned", "the request timestamp is not a number of seconds") from None
    if abs(skew) > max_skew_s:
        raise AuthError("stale", f"the request timestamp is {int(skew)} s from head office's clock")
    key = TillKey.get_or_none((TillKey.key_id == key_id) & (TillKey.till_id == till_id))
    till = Till.get_or_none(Till.till_id == till_id)
    if key is None or till is None or key.revoked:
        raise AuthError("unknown_key", f"key {key_id} is not enrolled for till {till_id}")
    return Claim(Caller(till_id, till.shop_id, key_id), key.public_key_pem, timestamp, headers.get(H_SIGNATURE))
