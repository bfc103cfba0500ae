"""The journal verifier's checks of one record alone, a page at a time, in any process.

Most of what ``till journal verify`` does to a record needs nothing but the record and the rows
of its ticket: rebuilding the signed message, its SHA-256 against the stored hash, the ECDSA
signature, the sealed payload against the ticket rows and the ticket's time against its seal.
Only the links (sequence, previous signature, key order) need the record before. So the
verifier hands whole pages of records, with their tickets' rows, as plain tuples, to
``check_page``, in a worker process (``till.fiscal.signature_pool``) or in its own, and reads
back a short answer: only the records where something is wrong (``Verdict``), as their index
in the page. The calling process then walks the page in order and reports exactly what the
single-process walk reports. One submission per page, of rows as the database gave them, keeps
the inter-process traffic to a few large messages: the process that reads is never the one
the others wait for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Iterable, NamedTuple

from till.fiscal.canonical import canonical_json
from till.fiscal.chain import message_bytes
from till.fiscal.imported_history import ImportedHistory, ticket_time_wrong
from till.fiscal.keys import verify_digest
from till.fiscal.payloads import TicketRows, payload_of, payload_text

__all__ = ["GOOD", "NO_TICKET", "PageJob", "TICKET_GONE", "Verdict", "check_page"]

NO_TICKET = "no ticket"
"""``Verdict.ticket`` of a ticket-chain record that names no ticket."""
TICKET_GONE = "gone"
"""``Verdict.ticket`` of a ticket-chain record whose ticket no longer exists."""


class Verdict(NamedTuple):
    """What is wrong with one record alone (``GOOD``: nothing)."""

    error: str | None = None
    """Why its message cannot be rebuilt (a ``TypeError`` or ``ValueError``'s text; any other
    error is a fault of the program and is raised); then ``hashed`` and ``signed`` say nothing."""
    hashed: bool = True
    """The rebuilt message's SHA-256 is the stored hash."""
    signed: bool | None = True
    """The signature is valid with the key its ``key_id`` names (None: no such key given)."""
    ticket: bool | str = True
    """The sealed payload is the one rebuilt from the ticket rows, or the chain seals no tickets
    (False: it is not; ``NO_TICKET``, ``TICKET_GONE``)."""
    time_wrong: tuple[dt.datetime, dt.datetime] | None = None
    """(ticket time, sealing time) when the ticket is not dated when it was sealed."""


GOOD = Verdict()

PageJob = tuple[str, str, dict[str, str], list[ImportedHistory], list[tuple], "dict[int, TicketRows] | None"]
"""(till id, chain, key id -> PEM, declared imported histories of the chain, the page's record
rows as ``verify._RECORD`` columns, the rows of their tickets or None outside ticket chains)."""


def check_page(job: PageJob) -> dict[int, Verdict]:
    """The verdict of every record of the page that is not ``GOOD``, by its index in the page.

    The signatures are checked after the rest of the page, in one tight loop: OpenSSL's
    tables then stay in the processor's cache instead of being pushed out by the payloads
    rebuilt between two checks, which measurably slows each check down."""
    till_id, chain, keys, histories, page, tickets = job
    sha256 = hashlib.sha256
    found: dict[int, Verdict] = {}
    signed: list[tuple[int, str, bytes, str, Verdict]] = []
    for index, (_id, sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature,
                key_id) in enumerate(page):
        ticket = True if tickets is None else _ticket(tickets, ticket_id, payload)
        time_wrong = None if tickets is None else _time(tickets, histories, ticket_id, sequence, created_at)
        try:
            message = message_bytes(
                format_version=version, till_id=till_id, chain=chain, sequence=sequence, kind=kind,
                created_at=created_at, ticket_id=ticket_id, payload=payload, previous_signature=previous)
        except (TypeError, ValueError) as error:  # reported by the caller, in sequence order
            found[index] = Verdict(str(error), False, None, ticket, time_wrong)
            continue
        digest = sha256(message)
        verdict = Verdict(None, digest.hexdigest() == hash_, True, ticket, time_wrong)
        pem = keys.get(key_id)
        if pem is None:
            found[index] = verdict._replace(signed=None)
        else:
            signed.append((index, pem, digest.digest(), signature, verdict))
    for index, pem, digest, signature, verdict in signed:
        if not verify_digest(pem, digest, signature):
            found[index] = verdict._replace(signed=False)
        elif verdict != GOOD:
            found[index] = verdict
    return found


def _ticket(tickets: dict[int, TicketRows] | None, ticket_id: int | None, payload: str) -> bool | str:
    if tickets is None:
        return True
    if ticket_id is None:
        return NO_TICKET
    rows = tickets.get(ticket_id)
    if rows is None:
        return TICKET_GONE
    return payload_text(rows) == payload or same_payload(payload, payload_of(rows))


def same_payload(stored: str, rebuilt: dict[str, Any]) -> bool:
    """Does the sealed payload still describe the rows ``rebuilt`` now?

    Parsing and comparing values runs in C, twice as fast as encoding; only on a difference the
    exact rule (canonical text equal) is applied, so a row's text that is not NFC is no false
    alarm. The fast path takes 1030 and 1030.0 as equal: the same amount, not a tampering.
    """
    try:
        return json.loads(stored) == rebuilt or canonical_json(rebuilt) == stored
    except (TypeError, ValueError):
        return False


def _time(tickets: dict[int, TicketRows] | None, histories: Iterable[ImportedHistory], ticket_id: int | None,
          sequence: int, sealed_at: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """A ticket is dated when it was signed (``clock.TICKET_TIME_SLACK``), unless a declared
    imported history names it. The ticket row's time is the payload's once the payload
    matched the rows (a difference there is reported on its own)."""
    rows = None if tickets is None or ticket_id is None else tickets.get(ticket_id)
    if rows is None:
        return None
    business, sealed = _stamp(rows[0][5]), _stamp(sealed_at)
    return (business, sealed) if ticket_time_wrong(histories, sequence, business, sealed) else None


def _stamp(value: Any) -> dt.datetime:
    """A timestamp as either engine returns it (a datetime, or SQLite's text), naive UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).rstrip("Z"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
