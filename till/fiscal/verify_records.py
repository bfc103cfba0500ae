"""The journal verifier's checks of one record alone, a page at a time, in any process.

Most of what ``till journal verify`` does to a record needs nothing but the record and, for a
ticket, its rows: the signed message rebuilt, its SHA-256 against the stored hash, the ECDSA
signature (``check_page``), the sealed payload against the ticket rows and the ticket's time
against its seal (``check_tickets``). Only the links (sequence, previous signature, key order)
need the record before. So the verifier hands whole pages of records, as the database gave
them, to ``check_page`` in a worker process (``till.fiscal.signature_pool``), one submission a
page, and checks the tickets of the page itself meanwhile, where their rows were read (sending
them would cost the workers more than checking them here). Each answer names only the records
where something is wrong, by their index in the page; the calling process then walks the page
in order and reports exactly what the single-process walk (everything here) reports.
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

__all__ = ["GOOD", "GOOD_TICKET", "NO_TICKET", "PageJob", "TICKET_GONE", "TicketVerdict", "Verdict", "check_page",
           "check_tickets", "same_payload"]

NO_TICKET = "no ticket"
"""``TicketVerdict.ticket`` of a ticket-chain record that names no ticket."""
TICKET_GONE = "gone"
"""``TicketVerdict.ticket`` of a ticket-chain record whose ticket no longer exists."""


class Verdict(NamedTuple):
    """What is wrong with one record's own bytes (``GOOD``: nothing)."""

    error: str | None = None
    """Why its message cannot be rebuilt (a ``TypeError`` or ``ValueError``'s text; any other
    error is a fault of the program and is raised); then ``hashed`` and ``signed`` say nothing."""
    hashed: bool = True
    """The rebuilt message's SHA-256 is the stored hash."""
    signed: bool | None = True
    """The signature is valid with the key its ``key_id`` names (None: no such key given)."""


class TicketVerdict(NamedTuple):
    """What is wrong between a ticket record and its ticket's rows (``GOOD_TICKET``: nothing)."""

    ticket: bool | str = True
    """The sealed payload is the one rebuilt from the ticket rows (False: it is not;
    ``NO_TICKET``, ``TICKET_GONE``)."""
    time_wrong: tuple[dt.datetime, dt.datetime] | None = None
    """(ticket time, sealing time) when the ticket is not dated when it was sealed."""


GOOD = Verdict()
GOOD_TICKET = TicketVerdict()

PageJob = tuple[str, str, dict[str, str], list[tuple]]
"""(till id, chain, key id -> PEM, the page's record rows as ``verify._RECORD`` columns)."""


def check_page(job: PageJob) -> dict[int, Verdict]:
    """The verdict of every record of the page that is not ``GOOD``, by its index in the page:
    what a worker process runs (only the records' own rows cross: a few kilobytes a page).

    The signatures are checked after the messages, in one tight loop: OpenSSL's tables then
    stay in the processor's cache instead of being pushed out by the Python in between."""
    till_id, chain, keys, page = job
    sha256 = hashlib.sha256
    found: dict[int, Verdict] = {}
    signed: list[tuple[int, str, bytes, str, bool]] = []
    for index, (_id, sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature,
                key_id) in enumerate(page):
        try:
            message = message_bytes(
                format_version=version, till_id=till_id, chain=chain, sequence=sequence, kind=kind,
                created_at=created_at, ticket_id=ticket_id, payload=payload, previous_signature=previous)
        except (TypeError, ValueError) as error:  # reported by the caller, in sequence order
            found[index] = Verdict(str(error), False, None)
            continue
        digest = sha256(message)
        hashed = digest.hexdigest() == hash_
        pem = keys.get(key_id)
        if pem is None:
            found[index] = Verdict(None, hashed, None)
        else:
            signed.append((index, pem, digest.digest(), signature, hashed))
    for index, pem, digest, signature, hashed in signed:
        valid = verify_digest(pem, digest, signature)
        if not (valid and hashed):
            found[index] = Verdict(None, hashed, valid)
    return found


def check_tickets(page: list[tuple], tickets: dict[int, TicketRows],
                  histories: Iterable[ImportedHistory]) -> dict[int, TicketVerdict]:
    """For a page of a ticket chain, the verdict of every record whose ticket rows do not say
    what it sealed (or whose ticket is not dated when it was sealed), by its index in the page.
    It runs where the ticket rows were read: sending them to a worker would cost more than this."""
    found: dict[int, TicketVerdict] = {}
    for index, row in enumerate(page):
        ticket_id, payload = row[4], row[6]
        ticket = _ticket(tickets, ticket_id, payload)
        time_wrong = _time(tickets, histories, ticket_id, row[1], row[3])
        if ticket is not True or time_wrong is not None:
            found[index] = TicketVerdict(ticket, time_wrong)
    return found


def _ticket(tickets: dict[int, TicketRows], ticket_id: int | None, payload: str) -> bool | str:
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


def _time(tickets: dict[int, TicketRows], histories: Iterable[ImportedHistory], ticket_id: int | None,
          sequence: int, sealed_at: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """A ticket is dated when it was signed (``clock.TICKET_TIME_SLACK``), unless a declared
    imported history names it. The ticket row's time is the payload's once the payload
    matched the rows (a difference there is reported on its own)."""
    rows = None if ticket_id is None else tickets.get(ticket_id)
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
