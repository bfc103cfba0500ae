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
the same moment. Between ``reserve`` and ``append`` the head is remembered, not read twice.

The tail anchor (outside the database, ``till.fiscal.anchor``) is written ahead: each record's
anchor is written, signed and marked ``intent``, before its transaction commits, so the anchor
never trails the committed tail, even if the till is killed right after the commit. An anchor
that does not agree with the chain (a cut, an edit, a missing file) is never overwritten: the
record is refused (``AnchorMismatch``) until a technician acknowledges (``anchor_check``). Once
the outermost commit succeeded, a background writer rewrites it ``confirmed``; only that second
write is off the cashier's path, and ``flush_anchors`` waits for it (the verifier does, and the
exit).

``signed_message`` is the one definition of the bytes that are hashed and signed; the verifier
uses it too.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import logging
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import peewee

from store.models import ChainHead, FiscalRecord, database_proxy, utcnow
from till.errors import TillError
from till.fiscal.anchor import CONFIRMED, INTENT, Anchor, AnchorStore
from till.fiscal.canonical import RawJSON, canonical_bytes, canonical_json
from till.fiscal.canonical import _encode as _plain_json
from till.fiscal.canonical import _is_nfc
from till.fiscal.keys import Signer, register_public_key

__all__ = [
    "FORMAT_VERSION", "Sealer", "signed_message", "message_bytes", "iso_utc", "current_database", "flush_anchors",
    "AnchorMismatch",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Version of the signed message layout. Never change what a version means: add a version."""

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


_ENVELOPE = ('{"chain":%s,"created_at":%s,"format_version":%s,"kind":%s,"payload":%s,"previous_signature":%s,'
             '"sequence":%s,"ticket_id":%s,"till_id":%s}')
"""The envelope's keys in canonical (sorted) order, for the fast path of ``message_bytes``."""

_string = json.encoder.encode_basestring  # what the C encoder uses with ensure_ascii=False


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
    created = iso_utc(created_at)
    if (type(payload) is str and type(sequence) is int and (ticket_id is None or type(ticket_id) is int)
            and type(till_id) is str and type(chain) is str and type(kind) is str and type(created) is str
            and type(previous_signature) is str and _is_nfc("NFC", till_id) and _is_nfc("NFC", chain)
            and _is_nfc("NFC", kind) and _is_nfc("NFC", created) and _is_nfc("NFC", previous_signature)):
        # The verifier's and the sealer's hot path: the bytes the general path below gives, written
        # field by field with the C encoder's own string and int forms (a test holds the two equal).
        version = int.__repr__(format_version) if type(format_version) is int else _plain_json(format_version)
        return (_ENVELOPE % (
            _string(chain), _string(created), version, _string(kind), payload, _string(previous_signature),
            int.__repr__(sequence), "null" if ticket_id is None else int.__repr__(ticket_id), _string(till_id),
        )).encode("utf-8")
    envelope = {
        "format_version": format_version,
        "till_id": till_id,
        "chain": chain,
        "sequence": sequence,
        "kind": kind,
        "created_at": created,
        "ticket_id": ticket_id,
        "previous_signature": previous_signature,
        "payload": RawJSON(payload),
    }
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


def _names(model: type[peewee.Model], *fields: str) -> tuple[str, ...]:
    """The quoted table name then column names of ``model`` (same quoting on both engines)."""
    meta = model._meta
    return (f'"{meta.table_name}"', *(f'"{meta.fields[name].column_name}"' for name in fields))


_RECORD_FIELDS = ("till_id", "chain", "sequence", "kind", "created_at", "ticket_id", "format_version", "payload",
                  "previous_signature", "hash", "signature", "key_id")
_SQL_TEXT = {
    "head": "SELECT {1}, {2}, {3} FROM {0} WHERE {4} = ? AND {5} = ?".format(
        *_names(ChainHead, "id", "sequence", "signature", "till_id", "chain")),
    "move": "UPDATE {0} SET {2} = ?, {3} = ? WHERE {1} = ? AND {2} = ? AND {3} = ?".format(
        *_names(ChainHead, "id", "sequence", "signature")),
    "record": "INSERT INTO {0} ({1}) VALUES ({2})".format(
        _names(FiscalRecord)[0], ", ".join(_names(FiscalRecord, *_RECORD_FIELDS)[1:]),
        ", ".join("?" * len(_RECORD_FIELDS))),
    "tail": "SELECT {1}, {2}, {3} FROM {0} WHERE {4} = ? AND {5} = ? ORDER BY {1} DESC LIMIT 1".format(
        *_names(FiscalRecord, "sequence", "signature", "hash", "till_id", "chain")),
    "signature_at": "SELECT {1} FROM {0} WHERE {2} = ? AND {3} = ? AND {4} = ?".format(
        *_names(FiscalRecord, "signature", "till_id", "chain", "sequence")),
}
"""The statements of the hot path, written once: peewee would rebuild each query every time,
which cost more than the statement itself. ``?`` becomes the engine's parameter mark."""

_sql_by_engine: dict[tuple[type, str], str] = {}


def _sql(database: peewee.Database, name: str) -> str:
    key = (type(database), name)
    sql = _sql_by_engine.get(key)
    if sql is None:
        sql = _SQL_TEXT[name].replace("?", database.param)
        if isinstance(database, peewee.PostgresqlDatabase):
            sql += {"head": " FOR UPDATE", "record": ' RETURNING "id"'}.get(name, "")
        sql = _sql_by_engine.setdefault(key, sql)
    return sql


Head = tuple[int, int, str]
"""A chain head row as (id, sequence, signature)."""


class AnchorMismatch(TillError):
    """The chain's tail anchor does not agree with the chain: nothing is sealed on it."""


class _AnchorWriter:
    """The process's one anchor confirmer: a background thread, newest record per chain only.

    The anchor of a record is already on disk, as an ``intent``, before its commit (``Sealer``);
    confirming it is two more fsyncs that nothing needs before the commit returns: if the till
    stops first, the intent names the committed record, which the checks accept and the next
    start confirms. So commits hand the tail over here and return; requests for one chain that
    pile up are coalesced to the newest. ``flush_anchors`` waits for the writes: the verifier
    calls it, and so does the process exit.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[tuple[str, str, str], tuple[AnchorStore, int, str, str, Any]] = {}
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, store: AnchorStore, till_id: str, chain: str, sequence: int, signature: str, hash_: str,
               signer: Signer | None = None) -> None:
        key = (str(store.folder), till_id, chain)
        with self._cond:
            queued = self._pending.get(key)
            if queued is None or queued[1] < sequence:
                self._pending[key] = (store, sequence, signature, hash_, signer)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="till-anchor-writer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every anchor handed over so far is written (or failed and logged)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                batch, self._pending, self._busy = self._pending, {}, True
            try:
                for (_folder, till_id, chain), (store, sequence, signature, hash_, signer) in batch.items():
                    self.write(store, till_id, chain, sequence, signature, hash_, signer)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    @staticmethod
    def write(store: AnchorStore, till_id: str, chain: str, sequence: int, signature: str, hash_: str,
              signer: Signer | None = None) -> None:
        """Confirm the committed record unless the file names a later one; a failure is logged,
        never raised (the intent on disk already covers the record).

        Under the folder's lock: a confirm never overwrites another process's newer intent.
        A missing file is left missing (evidence for the checks, not for this writer to hide).
        """
        try:
            with store.locked():
                current = store.read(till_id, chain)
                if current is None:
                    return
                mine = current.sequence == sequence and current.signature == signature
                if (current.sequence < sequence or (mine and current.state == INTENT)
                        or (current.state == INTENT and current.base_sequence < sequence)):
                    store.write(till_id, chain, sequence, signature, hash_, state=CONFIRMED, signer=signer)
            # else already confirmed, or another transaction of this till announced a later record
        except Exception:  # noqa: BLE001 - after commit, nothing may undo the sale
            log.exception("could not confirm the tail anchor of chain %s/%s at %s", till_id, chain, sequence)


_ANCHOR_WRITER = _AnchorWriter()
atexit.register(_ANCHOR_WRITER.flush, 30.0)


def flush_anchors(timeout: float | None = None) -> bool:
    """Wait for the tail anchors of this process's commits to be on disk; False on timeout.

    The verifier calls it before reading the anchor folder; call it too before copying that
    folder or stopping abruptly. The process calls it at exit.
    """
    return _ANCHOR_WRITER.flush(timeout)


class Sealer:
    """Appends signed records to the chains of one till."""

    def __init__(self, till_id: str, signer: Signer, anchors: AnchorStore | None,
                 zone: dt.tzinfo = dt.timezone.utc) -> None:
        self.till_id = till_id
        self.signer = signer
        self.anchors = anchors
        self.zone = zone
        """The shop's time zone: the business day of what this till seals (closures)."""
        self._key_registered = False
        # chain -> (transaction, head): the head this sealer locked or moved in that transaction.
        # It spares ``append`` a second read after ``reserve``; the guarded UPDATE in ``append``
        # still proves it current (a rolled-back savepoint may have undone it), see ``_move_head``.
        self._heads: dict[str, tuple[Any, Head]] = {}
        # (anchor folder, chain) -> the last sequence this sealer had anchored: a commit with
        # nothing newer (several records in one commit, a rolled-back savepoint) stops there.
        self._anchored: dict[tuple[str, str], int] = {}
        # chain -> (transaction, (sequence, signature)): the committed tail the transaction
        # started from, which its intents name as their base.
        self._bases: dict[str, tuple[Any, tuple[int, str]]] = {}
        self._replacing = False
        self.issuer: Any = None
        """The shop and software every ticket this sealer seals names (``till.fiscal.payloads.Issuer``);
        None seals tickets without (as before they carried it)."""
        self.heads_to_headoffice = False
        """Set when head office is configured: each closure queues its signed chain heads for it
        (``till.fiscal.heads``)."""

    @staticmethod
    def now() -> dt.datetime:
        """The time a record sealed now is stamped with (naive UTC, to the second: the same
        text whichever engine stores the column); a ticket's own time is checked against it."""
        return utcnow().replace(microsecond=0)

    @contextmanager
    def replacing_anchors(self) -> Iterator[None]:
        """Seal without comparing the anchors first: only for the events that record an anchor
        failure or its acknowledgement, which carry the anchors as found (``anchor_check``)."""
        self._replacing, before = True, self._replacing
        try:
            yield
        finally:
            self._replacing = before

    def reserve(self, chain: str) -> int:
        """The sequence the next record of ``chain`` will get, with the head locked until commit.

        A ticket prints its number before it is sealed, so the ticket writer asks for it first;
        the lock (or SQLite's IMMEDIATE transaction) guarantees ``append`` then uses this number.
        """
        database = current_database()
        if database.transaction_depth() == 0:
            raise RuntimeError("Sealer.reserve must run inside database.atomic()")
        head = self._lock_head(database, chain)
        self._heads[chain] = (database.top_transaction(), head)
        return head[1] + 1

    def append(
        self, chain: str, kind: str, payload: dict[str, Any] | RawJSON, ticket_id: int | None = None
    ) -> FiscalRecord:
        """Seal ``payload`` as the next record of ``chain``; call inside ``database.atomic()``.

        ``payload`` is a dict, or text already in canonical form wrapped in ``RawJSON``.
        """
        database = current_database()
        if database.transaction_depth() == 0:
            raise RuntimeError(
                "Sealer.append must run inside database.atomic(), with what it seals"
            )
        if not self._key_registered:
            register_public_key(self.signer, self.till_id)
            database.after_commit(self._mark_key_registered)
        transaction = database.top_transaction()
        cached = self._heads.pop(chain, None)
        fresh = cached is None or cached[0] is not transaction
        head = self._lock_head(database, chain) if fresh else cached[1]
        base = self._bases.get(chain)
        if base is None or base[0] is not transaction:
            base = self._bases[chain] = (transaction, (head[1], head[2]))
        created_at = self.now()
        payload_text = canonical_json(payload)
        while True:
            sequence = head[1] + 1
            message = message_bytes(
                format_version=FORMAT_VERSION,
                till_id=self.till_id,
                chain=chain,
                sequence=sequence,
                kind=kind,
                created_at=created_at,
                ticket_id=ticket_id,
                payload=payload_text,
                previous_signature=head[2],
            )
            signature = self.signer.sign(message)
            if self._move_head(database, head, sequence, signature):
                break
            if fresh:  # cannot happen while the head is locked; never seal on a doubt
                raise RuntimeError(f"chain head of {self.till_id}/{chain} moved while locked")
            head, fresh = self._lock_head(database, chain), True  # the remembered head was undone
        hash_ = hashlib.sha256(message).hexdigest()
        if self.anchors is not None:
            self._write_intent(database, chain, sequence, signature, hash_, base[1])
        values = (self.till_id, chain, sequence, kind, created_at, ticket_id, FORMAT_VERSION, payload_text,
                  head[2], hash_, signature, self.signer.key_id)
        cursor = database.execute_sql(_sql(database, "record"), values)
        record_id = cursor.fetchone()[0] if isinstance(database, peewee.PostgresqlDatabase) else cursor.lastrowid
        self._heads[chain] = (transaction, (head[0], sequence, signature))
        if self.anchors is not None:
            database.after_commit(lambda: self._write_anchor(database, chain))
        record = FiscalRecord(id=record_id, **dict(zip(_RECORD_FIELDS, values)))
        record._dirty.clear()  # as ``create`` leaves it: saved
        return record

    def _mark_key_registered(self) -> None:
        self._key_registered = True

    def _lock_head(self, database: peewee.Database, chain: str) -> Head:
        """The chain's head row, locked until the transaction ends (made at the first record)."""
        row = database.execute_sql(_sql(database, "head"), (self.till_id, chain)).fetchone()
        if row is None:
            # Two processes may create it at once: the loser's insert is ignored (it waits for
            # the winner's commit on the unique index), then it reads and locks the committed row.
            ChainHead.insert(
                till_id=self.till_id, chain=chain, sequence=0, signature=""
            ).on_conflict_ignore().execute()
            row = database.execute_sql(_sql(database, "head"), (self.till_id, chain)).fetchone()
        assert row is not None
        return row[0], row[1], row[2]

    @staticmethod
    def _move_head(database: peewee.Database, head: Head, sequence: int, signature: str) -> bool:
        """Point the head at the new record, only if it is still ``head``: the proof that the
        record links to the chain's real last one. Takes the row lock where ``reserve`` did not."""
        cursor = database.execute_sql(_sql(database, "move"), (sequence, signature, *head))
        return cursor.rowcount == 1

    def _write_intent(self, database: peewee.Database, chain: str, sequence: int, signature: str, hash_: str,
                      base: tuple[int, str]) -> None:
        """Before the commit: anchor the record about to be committed, as an intent based on the
        committed tail ``base``; raises (the transaction then rolls back) rather than seal on an
        anchor that does not agree with the chain, or when the file cannot be written.

        The file may name: nothing (only before a chain's first record); a record of the chain
        at or before ``base`` (an older version's or a bulk writer's trailing anchor: not a cut);
        or an intent whose own base is such a record (this transaction's earlier record, or one
        that never committed). Anything else, a record ahead of the tail or one the chain does
        not hold, is what a cut or an edit leaves, and it stays on disk for the checks.
        """
        assert self.anchors is not None
        store = self.anchors
        with store.locked():
            current = store.read(self.till_id, chain)
            if not self._replacing and not self._agrees(database, chain, current, base):
                raise AnchorMismatch(
                    "The tail anchor of chain {chain} does not agree with the journal: nothing is sealed until a "
                    "technician checks it (till journal verify, then till journal acknowledge-anchor)", chain=chain)
            store.write(self.till_id, chain, sequence, signature, hash_, state=INTENT, base=base, signer=self.signer)

    def _agrees(self, database: peewee.Database, chain: str, current: Anchor | None, base: tuple[int, str]) -> bool:
        if current is None:
            return base[0] == 0
        if (current.sequence, current.signature) == base:
            return True
        if current.state == INTENT and (current.base_sequence, current.base_signature) == base:
            return True
        if current.sequence <= base[0] and self._holds(database, chain, current.sequence, current.signature):
            return True
        return current.state == INTENT and current.base_sequence <= base[0] and self._holds(
            database, chain, current.base_sequence, current.base_signature)

    def _holds(self, database: peewee.Database, chain: str, sequence: int, signature: str) -> bool:
        """Is record ``sequence`` of ``chain`` the one signed ``signature`` (0: the empty start)?"""
        if sequence == 0:
            return signature == ""
        row = database.execute_sql(_sql(database, "signature_at"), (self.till_id, chain, sequence)).fetchone()
        return row is not None and row[0] == signature

    def _write_anchor(self, database: peewee.Database, chain: str) -> None:
        """After commit: have the chain's committed tail confirmed, once however many records the
        transaction sealed (the first callback hands it over, the others find nothing newer).

        The tail is read back after the commit rather than remembered, because a rolled-back
        savepoint may have taken this transaction's last records away. The file itself is
        written by ``_ANCHOR_WRITER``, off the checkout's path. Runs after the sale is
        committed, so it must not raise: a failure is logged, and the intent written before
        the commit still names the record.
        """
        assert self.anchors is not None
        try:
            row = database.execute_sql(_sql(database, "tail"), (self.till_id, chain)).fetchone()
        except Exception:  # noqa: BLE001 - after commit, nothing may undo the sale
            log.exception("could not write the tail anchor of chain %s/%s", self.till_id, chain)
            return
        key = (str(self.anchors.folder), chain)
        if row is None or row[0] <= self._anchored.get(key, 0):
            return
        self._anchored[key] = row[0]
        _ANCHOR_WRITER.submit(self.anchors, self.till_id, chain, *row, self.signer)
