"""The tills' chain heads at each closure, kept by head office: an anchor outside the shop.

At each closure a till with ``[sync]`` sends the signed statement of its chain heads
(``till.fiscal.heads``) through its outbox, at once and retried until it lands here. Head office
checks it was signed by a key enrolled for the calling till (the request's own signature
already proved the caller), that its digest is the statement's, and keeps it, never updated.
``GET /v1/chain-heads`` gives a till its last statement back, for ``till journal verify
--headoffice``: a journal cut or rewritten on the till no longer holds those heads.
"""

from __future__ import annotations

import json
from typing import Any

import peewee

from headoffice.ingest import IngestError
from headoffice.store import TillKey, _Model, proxy, utcnow
from till.fiscal.heads import statement_digest, statement_signed_by

__all__ = ["HeadsStatement", "create_table", "receive", "last_of"]


class HeadsStatement(_Model):
    """One signed statement of a till's chain heads, as the till signed it."""

    till_id = peewee.CharField(max_length=16)
    closure = peewee.IntegerField()
    digest = peewee.CharField(max_length=64)
    body = peewee.TextField()
    """The signed statement as received: {statement, key_id, signature, digest}."""
    received_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "heads_statement"
        indexes = ((("till_id", "digest"), True), (("till_id", "closure"), False))
        """(till_id, closure): a till's last statement found at once (the Shops page reads one per till)."""


def create_table() -> None:
    with proxy.obj.connection_context():
        proxy.obj.create_tables([HeadsStatement], safe=True)


def receive(till_id: str, signed: Any) -> dict[str, Any]:
    """Check and keep ``signed`` (idempotent: the same statement again is answered the same)."""
    statement = signed.get("statement") if isinstance(signed, dict) else None
    if not isinstance(statement, dict) or statement.get("till_id") != till_id \
            or not isinstance(statement.get("closure"), int) or not isinstance(statement.get("heads"), list):
        raise IngestError("MALFORMED", "a statement of chain heads names the calling till, a closure and its heads")
    key = TillKey.get_or_none((TillKey.key_id == signed.get("key_id")) & (TillKey.till_id == till_id)
                              & (TillKey.revoked == False))  # noqa: E712
    if key is None or not statement_signed_by(signed, key.public_key_pem):
        raise IngestError("TAMPERED", "the statement of chain heads is not signed by a key of this till")
    digest = statement_digest(statement)
    if signed.get("digest") != digest:
        raise IngestError("TAMPERED", "the statement's digest is not its own")
    body = json.dumps({k: signed[k] for k in ("statement", "key_id", "signature", "digest")}, sort_keys=True)
    HeadsStatement.insert(till_id=till_id, closure=statement["closure"], digest=digest,
                          body=body).on_conflict_ignore().execute()
    return {"stored": True, "closure": statement["closure"], "digest": digest}


def last_of(till_id: str) -> dict[str, Any]:
    """The till's last statement (the highest closure), or ``{"signed": None}``."""
    row = (HeadsStatement.select().where(HeadsStatement.till_id == till_id)
           .order_by(HeadsStatement.closure.desc(), HeadsStatement.id.desc()).first())
    return {"signed": None if row is None else json.loads(row.body)}
