"""What a till and head office agree on: paths, headers and the bytes a request signs.

Both sides import this one module, so the signed text can never drift apart. A request is
signed with the till's fiscal key (the one head office enrolled), over

    METHOD \n PATH \n SHA-256(body) hex \n TIMESTAMP \n TILL_ID \n KEY_ID

``TIMESTAMP`` is whole Unix seconds. Head office refuses a timestamp further than
``MAX_SKEW_S`` from its own clock, so a captured request cannot be replayed later; it answers
401 with its own time in ``X-Server-Time``, and the till, whose clock may simply be wrong,
signs again with that offset (a wrong till clock never stops the sync, a stale request does).
Records carry their own signatures; this one only proves who sends the batch.
"""

from __future__ import annotations

import hashlib

__all__ = ["HEADS", "RECORDS", "CATALOGUE", "ORDERS", "CREDIT_NOTES", "TILL_KEYS", "RETURNS", "MAX_SKEW_S", "H_TILL", "H_KEY", "H_TIME",
           "H_SIGNATURE", "H_SERVER_TIME", "request_message", "PROTOCOL_VERSION"]

PROTOCOL_VERSION = 1
HEADS = "/v1/heads"
RECORDS = "/v1/records"
CATALOGUE = "/v1/catalogue"
ORDERS = "/v1/orders"
CREDIT_NOTES = "/v1/credit-notes"
TILL_KEYS = "/v1/till-keys"
"""GET: every enrolled till's key chain, to check the QR code of another shop's receipt."""
RETURNS = "/v1/returns"
"""POST ``/state``, ``/hold``, ``/release``: returns of a receipt across shops, capped at head office."""

MAX_SKEW_S = 300
"""How far a request's timestamp may be from head office's clock (5 minutes, as Kerberos)."""

H_TILL = "X-Till-Id"
H_KEY = "X-Till-Key-Id"
H_TIME = "X-Till-Timestamp"
H_SIGNATURE = "X-Till-Signature"
H_SERVER_TIME = "X-Server-Time"


def request_message(method: str, path: str, body: bytes, timestamp: int, till_id: str, key_id: str) -> bytes:
    """The bytes a request's signature covers (``path`` includes the query string, if any)."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{digest}\n{int(timestamp)}\n{till_id}\n{key_id}".encode("utf-8")
