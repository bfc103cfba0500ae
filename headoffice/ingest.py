"""Accept a batch of one till's chain, or refuse all of it: the heart of head office.

A batch is consecutive records of one chain of one till. Head office holds a copy of each chain
that must stay exactly what the till sealed, so a batch is checked whole before anything of it
is written (design.md section 6):

- records at sequences head office already holds must be the very same records (same hash and
  signature): a re-sent batch is then harmless, each record is kept once. A different record at
  a known sequence is a CONFLICT: refused, and raised as an alert (a till restored from an older
  backup that sold again, or a forged record);
- a batch that ends the till's chain (``last``) below what head office holds comes from a till
  that lost records (restored from an older backup): refused and raised (BEHIND);
- new records start right after the held head (no GAP), each links to the previous signature
  (LINK), its hash is the SHA-256 of the signed bytes rebuilt with ``till.fiscal.chain.
  message_bytes`` (the sealer's own definition), and its ECDSA signature verifies with a key
  enrolled for that till (TAMPERED otherwise). A KEY_ROTATED event of chain L, once verified with
  a held key, enrols the key it names for the records after it;
- the first record of chain L must be signed by the root key pinned at enrolment (``TillRoot``,
  ``till.fiscal.key_chain``): a key chain re-rooted in another key is refused (ROOT), even when
  that key is one head office holds.

The write is one transaction: the records, then the head moved with a guarded UPDATE (only if it
is still where the checks found it), so two concurrent copies of one batch cannot both land; the
loser is checked again and finds duplicates. Signatures are checked in worker processes, one
per core (``till.fiscal.signature_pool``), chunk by chunk, before each chunk is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from headoffice.aggregates import add_tickets
from headoffice.store import (RECORD_FIELDS, Alert, Head, Record, TillKey, TillRoot, column_problem, integer_limits,
                              is_postgres, proxy, text_limits, utcnow)
from headoffice.signals import take_batch
from headoffice.webshop_events import queue_returns
from till.fiscal.chain import FORMAT_VERSION, message_bytes
from till.fiscal.key_chain import fingerprint
from till.fiscal.keys import key_id_of, verify_digest
from till.fiscal import signature_pool
from till.fiscal.signature_pool import SignatureJob, check_signatures, shared_pool

__all__ = ["IngestError", "Conflict", "Rejected", "OutOfRange", "ingest_batch", "heads_of", "raise_alert",
           "MAX_BATCH", "start_checkers"]

log = logging.getLogger("headoffice.ingest")

MAX_BATCH = 20_000
"""The most records one request may carry: a bound on what one request holds in memory."""

_CHECK_CHUNK = 250
"""Records checked per pool task, then inserted with one statement once checked."""
_TYPES: dict[str, tuple[type, ...]] = {
    "till_id": (str,), "chain": (str,), "sequence": (int,), "kind": (str,), "created_at": (str,),
    "ticket_id": (int, type(None)), "format_version": (int,), "payload": (str,), "previous_signature": (str,),
    "hash": (str,), "signature": (str,), "key_id": (str,),
}


class IngestError(Exception):
    """A refused batch: ``status`` is the HTTP answer, ``code`` the alert code (if raised)."""

    status = 422

    def __init__(self, code: str, message: str, sequence: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.sequence = sequence

    def answer(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "sequence": self.sequence}


class Conflict(IngestError):
    """What the till sends contradicts what head office holds (409): never merged."""

    status = 409


class Rejected(IngestError):
    """The batch itself is wrong: malformed, a gap, a broken link, a bad hash or signature."""


class OutOfRange(Rejected):
    """A number or text no column holds (a sequence of 2**40, a negative one): refused with 400
    before the database sees it, and raised as an alert."""

    status = 400


class _Moved(Exception):
    """Another request moved the head between the checks and the write: check again."""


@dataclass
class _Held:
    sequence: int
    signature: str
    hash: str


def _executor(records: int) -> Executor | None:
    """The worker processes for ``records`` checks, or None when one chunk is all there is:
    sending it to a worker would only add the round trip."""
    return shared_pool() if records > _CHECK_CHUNK else None


def start_checkers(timeout_s: float = 60.0) -> None:
    """Start the signature workers now, and wait until each one answers.

    A worker is a new Python that imports head office and ``cryptography`` before its first
    check: about half a second of a core each. Started on first use, that cost fell on the first
    batch after a restart, when the till waits; ``till-headoffice serve`` calls this before it
    listens, so every batch finds them ready."""
    pool = shared_pool()
    if pool is None:
        return
    workers, answered = signature_pool.cores(), set()
    deadline = time.monotonic() + timeout_s
    try:
        while len(answered) < workers and time.monotonic() < deadline:
            # One task per worker; a worker still starting leaves its share to one already up.
            futures = [pool.submit(os.getpid) for _ in range(workers)]
            answered.update(future.result(timeout=max(0.1, deadline - time.monotonic())) for future in futures)
            if len(answered) < workers:
                time.sleep(0.02)
    except TimeoutError:
        pass  # a slow machine: the workers go on starting while head office serves
    log.info("signature workers ready: %d of %d", len(answered), workers)


def raise_alert(code: str, message: str, till_id: str = "", chain: str = "", sequence: int | None = None,
                **details: Any) -> None:
    """Write an alert in its own transaction (a refused batch rolls back, its alert must not) and log it."""
    log.warning("ALERT %s till=%s chain=%s sequence=%s: %s %s", code, till_id, chain, sequence, message,
                details or "")
    # What the till sent goes to the details when its column cannot hold it: the alert must land.
    if column_problem(Alert, "sequence", sequence):
        details["sent_sequence"], sequence = str(sequence), None
    if column_problem(Alert, "chain", chain):
        details["sent_chain"], chain = chain[:200], ""
    with proxy.obj.atomic():
        Alert.create(code=code, message=message, till_id=till_id, chain=chain, sequence=sequence,
                     details=json.dumps(details, sort_keys=True, default=str))


def heads_of(till_id: str) -> dict[str, dict[str, Any]]:
    """The highest record held per chain of ``till_id``: where the till resumes."""
    return {h.chain: {"sequence": h.sequence, "signature": h.signature, "hash": h.hash}
            for h in Head.select().where(Head.till_id == till_id)}


def ingest_batch(till_id: str, chain: str, records: list[Any], last: bool = False) -> dict[str, Any]:
    """Check and store ``records`` (dicts as the till sent them) for ``till_id``/``chain``.

    Returns ``{"accepted", "duplicates", "head"}``; raises ``Conflict`` or ``Rejected`` (with an
    alert written) and stores nothing of a refused batch.
    """
    try:
        _check_shape(till_id, chain, records)
    except OutOfRange as error:
        _refuse(error, till_id, chain)
    for _attempt in range(3):
        try:
            answer = _ingest(till_id, chain, records, last)
        except _Moved:
            continue
        if chain == "T":
            _tell_webshops(till_id, records)
        if answer["accepted"]:  # the loss-prevention signals, dismissals and refunds of the new records
            take_batch(till_id, chain, records[answer["duplicates"]:], raise_alert)
        return answer
    raise Rejected("BUSY", "the chain kept moving under this batch; send it again")


def _tell_webshops(till_id: str, records: list[dict[str, Any]]) -> None:
    """Queue the events of the batch's returns of web-shop orders, once it is committed. A failure
    cannot undo the stored batch, and the till would not send it again (it resumes from the
    heads): answered as accepted, and raised for a person (the web shop is not told)."""
    try:
        queue_returns(till_id, records)
    except Exception as error:  # noqa: BLE001 - the batch is stored whatever happens here
        log.exception("till %s: the returns of web-shop orders could not be queued", till_id)
        raise_alert("WEBSHOP_EVENT", f"till {till_id}: returns of web-shop orders among records "
                    f"{records[0]['sequence']}..{records[-1]['sequence']} of chain T could not be queued for "
                    f"their web shops, which are not told: {type(error).__name__}: {error}"[:1000], till_id, "T",
                    records[0]["sequence"])


def _check_shape(till_id: str, chain: str, records: list[Any]) -> None:
    if not isinstance(records, list) or not records:
        raise Rejected("MALFORMED", "a batch holds a non-empty list of records")
    if len(records) > MAX_BATCH:
        raise Rejected("MALFORMED", f"a batch holds at most {MAX_BATCH} records")
    first = records[0].get("sequence") if isinstance(records[0], dict) else None
    types, numbers, texts = (_TYPES.items(), integer_limits(Record, RECORD_FIELDS),
                             text_limits(Record, RECORD_FIELDS))
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise Rejected("MALFORMED", f"record {index} is not an object")
        for name, allowed in types:
            if type(record.get(name)) not in allowed:
                raise Rejected("MALFORMED", f"record {index}: field {name} missing or of the wrong type",
                               record.get("sequence") if type(record.get("sequence")) is int else None)
        # The columns' limits, read once (``column_problem`` per field and record cost as much as
        # the rest of the checks); it names the first field out of its column when one is.
        if (any(record[name] is not None and not low <= record[name] <= high for name, low, high in numbers)
                or any(len(record[name]) > longest for name, longest in texts)):
            for name in RECORD_FIELDS:
                problem = column_problem(Record, name, record[name])
                if problem is not None:
                    raise OutOfRange("OUT_OF_RANGE", f"record {index}: {problem}", record["sequence"])
        if record["sequence"] < 1:
            raise OutOfRange("OUT_OF_RANGE", f"record {index}: sequence {record['sequence']} is below 1",
                             record["sequence"])
        if record["till_id"] != till_id or record["chain"] != chain:
            raise Rejected("MALFORMED", f"record {index} belongs to {record['till_id']}/{record['chain']}, "
                           f"not to {till_id}/{chain}", record["sequence"])
        if record["sequence"] != first + index or first < 1:
            raise Rejected("MALFORMED", "the records of a batch are consecutive sequences from 1 up",
                           record["sequence"])


def _held(till_id: str, chain: str) -> _Held:
    head = Head.get_or_none((Head.till_id == till_id) & (Head.chain == chain))
    return _Held(0, "", "") if head is None else _Held(head.sequence, head.signature, head.hash)


def _ingest(till_id: str, chain: str, records: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    held = _held(till_id, chain)
    known = [r for r in records if r["sequence"] <= held.sequence]
    new = records[len(known):]
    if known:
        _check_known(till_id, chain, known)
    if last and records[-1]["sequence"] < held.sequence:
        _refuse(Conflict("BEHIND", f"the till's chain ends at {records[-1]['sequence']} but head office holds up "
                         f"to {held.sequence}: the till was restored from an older backup and lost records",
                         records[-1]["sequence"]), till_id, chain, held_sequence=held.sequence)
    if not new:
        return {"accepted": 0, "duplicates": len(known), "head": _head_answer(held)}
    _check_links(till_id, chain, held, new)
    if chain == "L" and new[0]["sequence"] == 1:
        _check_root(till_id, new[0])
    keys = _keys_for(till_id, chain, new)
    started = time.perf_counter()
    # Signatures are checked by the workers while the rows already checked are inserted: the
    # ECDSA work of one chunk overlaps PostgreSQL's work on the one before. A failure rolls the
    # whole batch back, so all-or-nothing holds.
    chunks = [new[i:i + _CHECK_CHUNK] for i in range(0, len(new), _CHECK_CHUNK)]
    pool = _executor(len(new))
    checks = [_SealChecks(chunk, keys, pool) for chunk in chunks]
    top = new[-1]
    now = utcnow() if is_postgres() else str(utcnow())
    try:
        with proxy.obj.atomic():
            Head.insert(till_id=till_id, chain=chain, sequence=0, signature="", hash="").on_conflict_ignore().execute()
            moved = (Head.update(sequence=top["sequence"], signature=top["signature"], hash=top["hash"],
                                 updated_at=utcnow())
                     .where((Head.till_id == till_id) & (Head.chain == chain) & (Head.sequence == held.sequence)
                            & (Head.signature == held.signature))
                     .execute())
            if moved != 1:
                raise _Moved()
            for index, chunk in enumerate(chunks):
                found = checks[index].first()
                if found is not None:
                    raise _SealFailure(*found)
                _insert_records(chunk, now)
            if chain == "T":  # the pages' figures, with the records they count (never twice)
                add_tickets(till_id, new)
            for key_id, (pem, _after) in keys.rotated.items():
                TillKey.insert(key_id=key_id, till_id=till_id, public_key_pem=pem,
                               source="rotation").on_conflict_ignore().execute()
    except _SealFailure as failure:
        _refuse(Rejected("TAMPERED", f"record {failure.sequence} is refused: {failure.problem}", failure.sequence),
                till_id, chain)
    finally:
        for check in checks:
            check.cancel()
    log.info("till %s chain %s: %d records accepted (%d..%d), %d already held, in %.3f s", till_id, chain,
             len(new), new[0]["sequence"], top["sequence"], len(known), time.perf_counter() - started)
    return {"accepted": len(new), "duplicates": len(known),
            "head": {"sequence": top["sequence"], "signature": top["signature"], "hash": top["hash"]}}


def _insert_records(records: list[dict[str, Any]], now: Any) -> None:
    """Insert checked records with one statement per chunk, written here rather than by peewee's
    ``insert_many``: building that query cost more than the database's own work on the rows."""
    database = proxy.obj
    meta = Record._meta
    columns = ", ".join(f'"{meta.fields[name].column_name}"' for name in RECORD_FIELDS + ("received_at",))
    cursor = database.cursor()
    if is_postgres():
        # COPY: PostgreSQL's own bulk path, about twice as cheap for the server as INSERT VALUES.
        cursor.copy_expert('COPY "%s" (%s) FROM STDIN' % (meta.table_name, columns),
                           io.StringIO(_copy_text(records, str(now))))
    else:
        rows = [tuple(r[name] for name in RECORD_FIELDS) + (now,) for r in records]
        cursor.executemany('INSERT INTO "%s" (%s) VALUES (%s)' % (meta.table_name, columns,
                                                                 ", ".join("?" * (len(RECORD_FIELDS) + 1))), rows)


def _copy_text(records: list[dict[str, Any]], now: str) -> str:
    """The rows of ``records`` (then ``now``) in COPY's text format.

    Each row is joined as it is, then looked at once: a row with exactly its 12 separators and
    no backslash or line end (but the ``\\N`` of a ticket-less record) needed no escaping, which
    is almost always so (canonical JSON has no raw tab or line end); any other row is written
    field by field with ``_copy_field``. Escaping every field cost head office as much as the
    rest of the batch's checks."""
    lines = []
    for r in records:
        ticket = r["ticket_id"]
        fields = (r["till_id"], r["chain"], str(r["sequence"]), r["kind"], r["created_at"],
                  "\\N" if ticket is None else str(ticket), str(r["format_version"]), r["payload"],
                  r["previous_signature"], r["hash"], r["signature"], r["key_id"], now)
        line = "\t".join(fields)
        if (line.count("\t") != 12 or line.count("\\") != (ticket is None) or "\n" in line or "\r" in line):
            line = "\t".join(_copy_field(value) for value in
                             tuple(r[name] for name in RECORD_FIELDS) + (now,))
        lines.append(line)
    lines.append("")
    return "\n".join(lines)


def _copy_field(value: Any) -> str:
    """A value in COPY's text format (NULL as \\N; backslash, tab and line ends escaped).

    Chained ``str.replace`` rather than ``str.translate``: translate looks every character up
    in a dict, which on ticket payloads cost the server about half as much as verifying the
    signatures; ``replace`` scans in C and returns the string itself when there is nothing to
    escape (almost always: canonical JSON has no raw tab or line end)."""
    if value is None:
        return "\\N"
    if type(value) is str:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def _head_answer(held: _Held) -> dict[str, Any]:
    return {"sequence": held.sequence, "signature": held.signature, "hash": held.hash}


def _refuse(error: IngestError, till_id: str, chain: str, **details: Any) -> None:
    raise_alert(error.code, error.message, till_id, chain, error.sequence, **details)
    raise error


def _check_known(till_id: str, chain: str, known: list[dict[str, Any]]) -> None:
    """Records at held sequences must be the held ones: same hash, signature and key, and a content
    whose hash is the held hash (the same hash and signature over an altered payload is no
    duplicate: it is raised like any other difference)."""
    low, high = known[0]["sequence"], known[-1]["sequence"]
    stored = {seq: (h, s, k) for seq, h, s, k in
              Record.select(Record.sequence, Record.hash, Record.signature, Record.key_id)
              .where((Record.till_id == till_id) & (Record.chain == chain) & (Record.sequence.between(low, high)))
              .tuples()}
    for record in known:
        mine = stored.get(record["sequence"])
        if mine is None or mine != (record["hash"], record["signature"], record["key_id"]):
            _refuse(Conflict("CONFLICT", f"record {record['sequence']} differs from the one head office holds",
                             record["sequence"]), till_id, chain,
                    held_hash=mine[0] if mine else None, sent_hash=record["hash"])
        content_hash = _content_hash(record)
        if content_hash != mine[0]:
            _refuse(Conflict("CONFLICT", f"record {record['sequence']} has the hash and signature of the one head "
                             f"office holds but another content (altered)", record["sequence"]), till_id, chain,
                    held_hash=mine[0], content_hash=content_hash)


def _check_root(till_id: str, first: dict[str, Any]) -> None:
    """The till's first event must be signed by the root pinned at its enrolment (tills enrolled
    before roots were pinned have none: their enrolled keys alone decide, as before)."""
    pinned = TillRoot.get_or_none(TillRoot.till_id == till_id)
    if pinned is not None and first["key_id"] != pinned.root_key_id:
        _refuse(Rejected("ROOT", f"the till's key chain starts at key {fingerprint(first['key_id'])}, not at the "
                         f"root pinned at enrolment ({fingerprint(pinned.root_key_id)})", 1), till_id, "L")


def _check_links(till_id: str, chain: str, held: _Held, new: list[dict[str, Any]]) -> None:
    if new[0]["sequence"] != held.sequence + 1:
        _refuse(Rejected("GAP", f"head office holds up to {held.sequence}; the batch starts at "
                         f"{new[0]['sequence']}", new[0]["sequence"]), till_id, chain)
    previous = held.signature
    for record in new:
        if record["previous_signature"] != previous:
            code = "LINK" if record is not new[0] or held.sequence == 0 else "CONFLICT"
            error_type = Conflict if code == "CONFLICT" else Rejected
            _refuse(error_type(code, f"record {record['sequence']} does not link to the record before it",
                               record["sequence"]), till_id, chain)
        previous = record["signature"]


@dataclass
class _Keys:
    held: dict[str, str]
    rotated: dict[str, tuple[str, int]]
    """key id -> (public key, the sequence after which it signs), from KEY_ROTATED records."""

    def pem_for(self, key_id: str, sequence: int) -> str | None:
        pem = self.held.get(key_id)
        if pem is not None:
            return pem
        rotated = self.rotated.get(key_id)
        return rotated[0] if rotated is not None and sequence > rotated[1] else None


def _keys_for(till_id: str, chain: str, new: list[dict[str, Any]]) -> _Keys:
    held = {k: pem for k, pem in TillKey.select(TillKey.key_id, TillKey.public_key_pem)
            .where((TillKey.till_id == till_id) & (TillKey.revoked == False)).tuples()}  # noqa: E712
    rotated: dict[str, tuple[str, int]] = {}
    if chain == "L":
        for record in new:
            if record["kind"] != "KEY_ROTATED":
                continue
            try:
                details = json.loads(record["payload"])["details"]
                pem, key_id = details["new_public_key"], details["new_key_id"]
                if key_id_of(pem) == key_id and key_id not in held:
                    rotated[key_id] = (pem, record["sequence"])
            except (ValueError, KeyError, TypeError):
                continue  # its own signature decides; an unreadable one enrols nothing
    return _Keys(held, rotated)


def _seal_problem(record: dict[str, Any], keys: _Keys) -> str | None:
    """What is wrong with one record's hash or signature, or None."""
    problem, job = _before_signature(record, keys)
    if job is not None and not check_signatures([job])[0]:
        return _BAD_SIGNATURE
    return problem


_BAD_SIGNATURE = "its signature does not verify with the till's key"


def _before_signature(record: dict[str, Any], keys: _Keys) -> tuple[str | None, SignatureJob | None]:
    """(what is wrong with the record before its signature, None), or (None, the signature
    check left to do): the checks in order, the ECDSA one split off to run on a worker."""
    if record["format_version"] != FORMAT_VERSION:
        return f"unknown format version {record['format_version']}", None
    try:
        digest = hashlib.sha256(_message(record)).digest()
    except (ValueError, TypeError) as error:
        return f"cannot rebuild the signed message: {error}", None
    if digest.hex() != record["hash"]:
        return "its hash is not the hash of its content (altered)", None
    pem = keys.pem_for(record["key_id"], record["sequence"])
    if pem is None:
        return f"it is signed by key {record['key_id']}, which is not enrolled for this till", None
    return None, (pem, digest, record["signature"])


class _SealChecks:
    """The seal problems of a chunk of records, its signatures checked by ``pool`` (or here
    when None): each record's problem is the one ``_seal_problem`` gives it."""

    def __init__(self, chunk: list[dict[str, Any]], keys: _Keys, pool: Executor | None) -> None:
        self.chunk = chunk
        self.before = [_before_signature(record, keys) for record in chunk]
        jobs = [job for _problem, job in self.before if job is not None]
        self.verdicts: Future | None = pool.submit(check_signatures, jobs) if pool is not None and jobs else None

    def problems(self) -> list[str | None]:
        """Per record of the chunk, in order: its problem, or None."""
        verdicts = iter(self.verdicts.result() if self.verdicts is not None else
                        check_signatures([job for _problem, job in self.before if job is not None]))
        return [problem if job is None else None if next(verdicts) else _BAD_SIGNATURE
                for problem, job in self.before]

    def first(self) -> tuple[int, str] | None:
        """(sequence, problem) of the chunk's first record with a problem, or None."""
        for record, problem in zip(self.chunk, self.problems()):
            if problem is not None:
                return record["sequence"], problem
        return None

    def cancel(self) -> None:
        if self.verdicts is not None:
            self.verdicts.cancel()


def _message(record: dict[str, Any]) -> bytes:
    """The bytes the till signed, rebuilt from what it sent (``ValueError``/``TypeError`` if it cannot be)."""
    return message_bytes(
        format_version=record["format_version"], till_id=record["till_id"], chain=record["chain"],
        sequence=record["sequence"], kind=record["kind"], created_at=record["created_at"],
        ticket_id=record["ticket_id"], payload=record["payload"], previous_signature=record["previous_signature"])


def _content_hash(record: dict[str, Any]) -> str | None:
    """The SHA-256 of what ``record`` holds, or None when no signed message can be rebuilt from it."""
    try:
        return hashlib.sha256(_message(record)).hexdigest()
    except (ValueError, TypeError):
        return None


class _SealFailure(Exception):
    def __init__(self, sequence: int, problem: str) -> None:
        super().__init__(problem)
        self.sequence, self.problem = sequence, problem
