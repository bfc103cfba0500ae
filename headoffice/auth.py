"""Who is calling: every till request is signed with the till's enrolled fiscal key.

No passwords or tokens to leak or rotate: head office already needs each till's public key to
check its records, so the same key proves the requests (``till.sync_protocol.request_message``).
A timestamp outside ``max_skew_s`` is refused (a captured request cannot be replayed later);
a replay inside the window can only re-send a batch, which ingest makes harmless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from headoffice.store import Till, TillKey
from till.fiscal.keys import verify_signature
from till.sync_protocol import H_KEY, H_SIGNATURE, H_TILL, H_TIME, request_message

__all__ = ["AuthError", "Caller", "authenticate"]


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


def authenticate(method: str, path: str, headers, body: bytes, max_skew_s: int, now: float | None = None) -> Caller:
    """The enrolled till that signed this request, or ``AuthError``. Runs in a worker thread."""
    till_id, key_id = headers.get(H_TILL, ""), headers.get(H_KEY, "")
    stamp, signature = headers.get(H_TIME, ""), headers.get(H_SIGNATURE, "")
    if not (till_id and key_id and stamp and signature):
        raise AuthError("unsigned", "the request is not signed")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise AuthError("unsigned", "the request timestamp is not a number") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > max_skew_s:
        raise AuthError("stale", f"the request timestamp is {int(timestamp - now)} s from head office's clock")
    key = TillKey.get_or_none((TillKey.key_id == key_id) & (TillKey.till_id == till_id))
    till = Till.get_or_none(Till.till_id == till_id)
    if key is None or till is None or key.revoked:
        raise AuthError("unknown_key", f"key {key_id} is not enrolled for till {till_id}")
    if not verify_signature(key.public_key_pem, request_message(method, path, body, timestamp, till_id, key_id),
                            signature):
        raise AuthError("bad_signature", "the request signature does not verify")
    return Caller(till_id, till.shop_id, key_id)
