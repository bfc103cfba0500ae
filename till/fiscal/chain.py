"""Sealing: append a signed record to a gap-free chain, in the caller's transaction.

Every fiscal chain (T tickets, L technical events, later G, C, A, X) is a per-till sequence
1, 2, 3... with no gap (fiscal-fr.md R-SEQ-01). Each record signs a canonical message that
includes the previous record's signature, so removing, inserting or editing a record breaks
the chain after it (R-SEC-01/02).

``Sealer.append`` must run inside the transaction that writes what it seals: the ticket and its
record commit together or not at all, so there is never a sale without a record nor a record
without its sale. The chain head row is locked for the rest of that transaction (``SELECT ...
FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already lets one writer in), which
makes the sequence number and the previous signature safe against a second till appending at
the same moment. The tail anchor file is written only once the outermost commit succeeded.

``signed_message`` is the one definition of the bytes that are hashed and signed; the verifier
uses it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

import peewee

from store.models import ChainHead, FiscalRecord, database_proxy, utcnow
from till.fiscal.anchor import AnchorStore
from till.fiscal.canonical import RawJSON, canonical_bytes, canonical_json
from till.fiscal.canonical import _encode as _plain_json
from till.fiscal.canonical import _is_nfc
from till.fiscal.keys import Signer, register_public_key

__all__ = ["FORMAT_VERSION", "Sealer", "signed_message", "message_bytes", "iso_utc", "current_database"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Version of the signed message layout. Never change what a version means: add a version."""

_TEXT_FIELDS = ("till_id", "chain", "kind", "created_at", "previous_signature")


def current_database() -> peewee.Database:
    """The database the models are bound to (``store.db.open`` chose it)."""
    database = database_proxy.obj
    if database is None:
        raise RuntimeError("no database is open: call store.db.open(url) first")
    return database


def iso_utc(value: dt.datetime | str) -> str:
    """A stored UTC time as ISO-8601 text: ``2024-05-01T09:30:00Z`` (``.123456`` if any).

    Accepts what either engine returns for a timestamp column (a ``datetime`` from PostgreSQL,
    a ``datetime`` or raw text from SQLite) and gives the same text for the same instant.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat() + "Z"  # microseconds only when not zero


def message_bytes(
    *,
    format_version: int,
    till_id: str,
    chain: str,
    sequence: int,
    kind: str,
    created_at: dt.datetime | str,
    ticket_id: int | None,
    payload: str,
    previous_signature: str,
) -> bytes:
    """The signed bytes, from a record's stored fields (``payload`` is its canonical JSON text)."""
    if format_version != FORMAT_VERSION:
        raise ValueError(f"unknown fiscal record format version {format_version}")
    envelope = {
        "format_version": format_version,
        "till_id": till_id,
        "chain": chain,
        "sequence": sequence,
        "kind": kind,
        "created_at": iso_utc(created_at),
        "ticket_id": ticket_id,
        "previous_signature": previous_signature,
    }
    if type(payload) is str and type(sequence) is int and (ticket_id is None or type(ticket_id) is int) \
            and all(type(envelope[k]) is str and _is_nfc("NFC", envelope[k]) for k in _TEXT_FIELDS):
        # The verifier's hot path: the same bytes as below, with "payload" spliced in at its
        # sorted place between "kind" and "previous_signature" (a test holds the two equal).
        text = _plain_json(envelope)
        cut = text.index(',"previous_signature":')
        return (text[:cut] + ',"payload":' + payload + text[cut:]).encode("utf-8")
    envelope["payload"] = RawJSON(payload)
    return canonical_bytes(envelope)


def signed_message(record: FiscalRecord) -> bytes:
    """The exact bytes ``record`` hashed and signed when it was sealed."""
    return message_bytes(
        format_version=record.format_version,
        till_id=record.till_id,
        chain=record.chain,
        sequence=record.sequence,
        kind=record.kind,
        created_at=record.created_at,
        ticket_id=record.ticket_id,
        payload=record.payload,
        previous_signature=record.previous_signature,
    )


class Sealer:
    """Appends signed records to the chains of one till."""

    def __init__(self, till_id: str, signer: Signer, anchors: AnchorStore | None) -> None:
        self.till_id = till_id
        self.signer = signer
        self.anchors = anchors
        self._key_registered = False

    def reserve(self, chain: str) -> int:
        """The sequence the next record of ``chain`` will get, with the head locked until commit.

        A ticket prints its number before it is sealed, so the ticket writer asks for it first;
        the lock (or SQLite's IMMEDIATE transaction) guarantees ``append`` then uses this number.
        """
        database = current_database()
        if database.transaction_depth() == 0:
            raise RuntimeError("Sealer.reserve must run inside database.atomic()")
        return self._lock_head(database, chain).sequence + 1

    def append(
        self, chain: str, kind: str, payload: dict[str, Any], ticket_id: int | None = None
    ) -> FiscalRecord:
        """Seal ``payload`` as the next record of ``chain``; call inside ``database.atomic()``."""
        database = current_database()
        if database.transaction_depth() == 0:
            raise RuntimeError(
                "Sealer.append must run inside database.atomic(), with what it seals"
            )
        if not self._key_registered:
            register_public_key(self.signer, self.till_id)
            database.after_commit(self._mark_key_registered)
        head = self._lock_head(database, chain)
        sequence = head.sequence + 1
        # Second precision: the same text whichever engine stores the column.
        created_at = utcnow().replace(microsecond=0)
        payload_text = canonical_json(payload)
        message = message_bytes(
            format_version=FORMAT_VERSION,
            till_id=self.till_id,
            chain=chain,
            sequence=sequence,
            kind=kind,
            created_at=created_at,
            ticket_id=ticket_id,
            payload=payload_text,
            previous_signature=head.signature,
        )
        signature = self.signer.sign(message)
        record = FiscalRecord.create(
            till_id=self.till_id,
            chain=chain,
            sequence=sequence,
            kind=kind,
            created_at=created_at,
            ticket_id=ticket_id,
            format_version=FORMAT_VERSION,
            payload=payload_text,
            previous_signature=head.signature,
            hash=hashlib.sha256(message).hexdigest(),
            signature=signature,
            key_id=self.signer.key_id,
        )
        updated = (
            ChainHead.update(sequence=sequence, signature=signature)
            .where((ChainHead.id == head.id) & (ChainHead.sequence == head.sequence))
            .execute()
        )
        if updated != 1:  # cannot happen while the head is locked; never seal on a doubt
            raise RuntimeError(f"chain head of {self.till_id}/{chain} moved while locked")
        if self.anchors is not None:
            database.after_commit(
                lambda: self._write_anchor(chain, sequence, signature, record.hash)
            )
        return record

    def _mark_key_registered(self) -> None:
        self._key_registered = True

    def _lock_head(self, database: peewee.Database, chain: str) -> ChainHead:
        """The chain's head row, locked until the transaction ends (made at the first record)."""
        def locked() -> ChainHead | None:
            query = ChainHead.select().where(
                (ChainHead.till_id == self.till_id) & (ChainHead.chain == chain)
            )
            if isinstance(database, peewee.PostgresqlDatabase):
                query = query.for_update()
            return query.first()

        head = locked()
        if head is None:
            # Two processes may create it at once: the loser's insert is ignored (it waits for
            # the winner's commit on the unique index), then it reads and locks the committed row.
            ChainHead.insert(
                till_id=self.till_id, chain=chain, sequence=0, signature=""
            ).on_conflict_ignore().execute()
            head = locked()
        assert head is not None
        return head

    def _write_anchor(self, chain: str, sequence: int, signature: str, hash_: str) -> None:
        """After commit: anchor the record, unless a rolled-back savepoint took it away.

        Runs after the sale is committed, so it must not raise: a failed anchor write is logged
        and the verifier reports the chain as ahead of its anchor (a warning) until the next one.
        """
        assert self.anchors is not None
        try:
            committed = (
                FiscalRecord.select(FiscalRecord.id)
                .where(
                    (FiscalRecord.till_id == self.till_id)
                    & (FiscalRecord.chain == chain)
                    & (FiscalRecord.sequence == sequence)
                    & (FiscalRecord.signature == signature)
                )
                .exists()
            )
            if not committed:
                return
            current = self.anchors.read(self.till_id, chain)
            if current is not None and current.sequence >= sequence:
                return  # another process of this till anchored a later record already
            self.anchors.write(self.till_id, chain, sequence, signature, hash_)
        except Exception:  # noqa: BLE001 - after commit, nothing may undo the sale
            log.exception("could not write the tail anchor of chain %s/%s at %s", self.till_id, chain, sequence)
