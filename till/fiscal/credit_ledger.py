"""The credit-note ledger, rebuilt from sealed records only: what every note and balance must be.

The ``CreditNote`` and ``CreditNoteMovement`` tables are append-only by trigger, but a plain
INSERT passes the triggers, so a row there proves nothing. What proves a note is a signed record:

- its **issue** is a technical event of chain L, ``CREDIT_NOTE_ISSUED``, sealed in the very
  transaction that writes the note (``seal_issue``), carrying the code, amount, expiry, issuing
  ticket, customer, till and why it was issued (a refund, a loyalty reward). A note made by a
  refund is also a negative ``credit_note`` payment of its ticket's T payload (the code as its
  reference), which the issue must match;
- each **redemption** is a positive ``credit_note`` payment in the T payload of the ticket that
  spent it (means, amount, the code as reference): nothing more needs sealing for it.

Why an L event and not a new ticket payload version: the T payload already seals the code and
amount of every issue and redemption, only the expiry (and the notes a loyalty reward issues,
which are no payment at all) were missing; one event per issued note carries both, leaves the
payload, its fast text path and every reader of it untouched, and is the same record for any
note issued without a refund. It is written only when a note is issued, never on a plain sale.
The event names the issuing ticket in the record's ``ticket_id`` column, so the till finds it
with the ticket's index when the note is spent (``sealed_issue``).

Notes issued before the event existed (``legacy``) are still proved by their refund payment: code
and amount sealed, the expiry not (the verifier then says so as a warning).

A note's balance is its sealed issue minus its sealed redemptions. ``LedgerRules`` rebuilds that
from any reader's records (the database, an archive, head office's copy), and ``compare``
names every table row that no sealed record explains, every sealed movement missing from the
table, every amount, expiry, ticket or customer that differs, and every balance that differs.
The records themselves are proved by the chain verifier (signature, link, sequence); this module
trusts them as given, so it must run beside it, never instead of it.

A redemption of a code this ledger never issued is another shop's note spent through head
office: it moves head office's ledger, not this one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import peewee

from store.models import CreditNote, CreditNoteMovement, FiscalRecord
from till.fiscal.chain import Sealer, current_database, message_bytes
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.key_chain import key_chain_of
from till.fiscal.keys import verify_digest
from till.fiscal.problems import Problem, finding_at, table_finding
from till.means import CREDIT_NOTE

__all__ = [
    "CREDIT_NOTE_ISSUED", "ISSUED_BY_REFUND", "ISSUED_BY_LOYALTY", "SealedIssue", "LedgerRules", "issue_payload",
    "issue_of", "seal_issue", "sealed_issue", "proved_note", "ledger_records", "check_credit_ledger", "note_rows",
    "movement_rows",
]

CREDIT_NOTE_ISSUED = "CREDIT_NOTE_ISSUED"
"""The code (and record kind) of the chain L event that seals a credit note's issue."""
ISSUED_BY_REFUND = "refund"
ISSUED_BY_LOYALTY = "loyalty"

_MEANS = CREDIT_NOTE  # the payment means that issues and spends notes


@dataclass(frozen=True)
class SealedIssue:
    """A note's issue as a signed record says it. ``expires_on`` is None for a legacy note,
    proved only by the refund payment of its ticket (code and amount, no expiry)."""

    code: str
    amount_cents: int
    expires_on: str | None
    ticket_id: int
    customer_id: int | None
    till_id: str
    origin: str
    where: tuple[str, str, int] = field(compare=False)
    """(till, chain, sequence) of the record that seals it."""

    @property
    def legacy(self) -> bool:
        return self.expires_on is None


def issue_payload(code: str, amount_cents: int, expires_on: dt.date, ticket_id: int, customer_id: int | None,
                  till_id: str, origin: str) -> dict[str, Any]:
    """The payload of a ``CREDIT_NOTE_ISSUED`` event: the shape of every chain L event
    (``till.fiscal.events.record_event``), the note in ``details``."""
    return {"code": CREDIT_NOTE_ISSUED, "description": "credit note issued", "user_id": None,
            "details": {"note": code, "amount_cents": amount_cents, "expires_on": expires_on.isoformat(),
                        "ticket_id": ticket_id, "customer_id": customer_id, "till_id": till_id, "origin": origin}}


def seal_issue(sealer: Sealer, note: CreditNote, origin: str) -> FiscalRecord:
    """Seal the issue of ``note`` in chain L, in the transaction that writes it."""
    payload = issue_payload(note.code, note.amount_cents, note.expires_on, note.issued_ticket_id, note.customer_id,
                            note.till_id, origin)
    with current_database().atomic():
        return sealer.append(EVENT_CHAIN, CREDIT_NOTE_ISSUED, payload, ticket_id=note.issued_ticket_id)


def issue_of(payload: str | dict[str, Any], where: tuple[str, str, int]) -> SealedIssue | None:
    """The issue an L ``CREDIT_NOTE_ISSUED`` payload seals, or None if it is not one."""
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
        details = data["details"]
        if data.get("code") != CREDIT_NOTE_ISSUED:
            return None
        amount, ticket_id, customer_id = details["amount_cents"], details["ticket_id"], details["customer_id"]
        if type(amount) is not int or type(ticket_id) is not int or not (customer_id is None
                                                                          or type(customer_id) is int):
            return None
        return SealedIssue(str(details["note"]), amount, str(details["expires_on"]), ticket_id, customer_id,
                           str(details["till_id"]), str(details["origin"]), where)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _payments(payload: str | dict[str, Any]) -> list[tuple[str, int]]:
    """(code, amount) of a T payload's credit-note payments: negative issues, positive spends."""
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
        return [(str(p["reference"]), p["amount_cents"]) for p in data.get("payments") or ()
                if p.get("means") == _MEANS and type(p.get("amount_cents")) is int and p.get("reference")]
    except (TypeError, ValueError, AttributeError):
        return []


class LedgerRules:
    """The ledger the sealed records describe; fed record by record by any reader.

    Feed every record of chains L and T (``add``; others are ignored), then ``compare`` with the
    table rows. Only what touches credit notes is kept: issues, and per note its movements.
    """

    def __init__(self) -> None:
        self.issues: dict[str, SealedIssue] = {}
        self.refunds: dict[str, tuple[int, int, tuple[str, str, int]]] = {}
        """code -> (ticket id, amount, where) of the T payment that issued it."""
        self.spends: list[tuple[str, int, int, tuple[str, str, int]]] = []
        """(code, ticket id, amount, where) of every positive credit-note payment."""
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, till_id: str, chain: str, sequence: int, kind: str, ticket_id: int | None,
            payload: str | dict[str, Any]) -> None:
        """Take one record into account; ``payload`` is its text, or its parsed JSON (an archive's)."""
        where = (till_id, chain, sequence)
        if chain == EVENT_CHAIN and kind == CREDIT_NOTE_ISSUED:
            issue = issue_of(payload, where)
            if issue is None:
                self.problems.append(finding_at(where, "credit note issue record cannot be read"))
            elif issue.code in self.issues:
                self.problems.append(finding_at(where, "credit note {code} is sealed as issued twice", code=issue.code))
            else:
                self.issues[issue.code] = issue
        elif chain == "T" and ticket_id is not None:
            for code, amount in _payments(payload):
                if amount < 0:
                    self.refunds[code] = (ticket_id, -amount, where)
                elif amount > 0:
                    self.spends.append((code, ticket_id, amount, where))

    def notes(self) -> dict[str, SealedIssue]:
        """Every sealed note (legacy ones from their refund payment), checking that an issue and
        the refund payment that made it agree (``conflicts``, made afresh at each call)."""
        notes = dict(self.issues)
        self.conflicts: list[Problem] = []
        for code, (ticket_id, amount, where) in self.refunds.items():
            issue = notes.get(code)
            if issue is None:
                notes[code] = SealedIssue(code, amount, None, ticket_id, None, where[0], ISSUED_BY_REFUND, where)
            elif (issue.ticket_id, issue.amount_cents) != (ticket_id, amount):
                self.conflicts.append(finding_at(
                    issue.where, "credit note {code}: its issue record says {amount} by ticket {ticket_id}, the "
                    "ticket's payment says {paid} by ticket {paid_by}", code=code, amount=issue.amount_cents,
                    ticket_id=issue.ticket_id, paid=amount, paid_by=ticket_id))
        return notes

    def sealed_problems(self) -> tuple[dict[str, SealedIssue], list[Problem]]:
        """The notes, and what the sealed records alone get wrong: an issue record that cannot be
        read or is sealed twice, an issue that its refund payment contradicts, a note spent
        beyond its sealed amount (named at the redemption that overdraws it). Needs no table:
        the archive verifier applies it to an archive's records."""
        notes = self.notes()
        problems = [*self.problems, *self.conflicts]
        left = {code: issue.amount_cents for code, issue in notes.items()}
        for code, _ticket_id, amount, where in self.spends:
            if code in left:
                left[code] -= amount
                if left[code] < 0:
                    problems.append(finding_at(where, "credit note {code} is spent beyond its sealed amount ({over} "
                                             "too much)", code=code, over=-left[code]))
                    left[code] = 0
        return notes, problems

    def movements(self, notes: dict[str, SealedIssue]) -> Counter:
        """(code, ticket id, amount) of every movement the sealed records call for, counted."""
        expected: Counter = Counter((code, issue.ticket_id, issue.amount_cents) for code, issue in notes.items())
        for code, ticket_id, amount, _where in self.spends:
            if code in notes:  # else another shop's note, spent through head office
                expected[(code, ticket_id, -amount)] += 1
        return expected

    def compare(self, notes_rows: Iterable[tuple], movements: Iterable[tuple]) -> tuple[list[Problem], list[Problem]]:
        """Problems and warnings: the tables against the sealed ledger.

        ``notes_rows``: (code, till id, issuing ticket id, customer id, amount, expires_on) per
        note row; ``movements``: (code or None, ticket id, amount) per movement row.
        """
        notes, problems = self.sealed_problems()
        warnings = list(self.warnings)
        seen: set[str] = set()
        for code, till_id, ticket_id, customer_id, amount, expires_on in notes_rows:
            seen.add(code)
            sealed = notes.get(code)
            if sealed is None:
                problems.append(table_finding("credit note {code} has no sealed issue record (added outside a ticket)",
                                       code=code))
                continue
            expires = str(expires_on) if expires_on is not None else None
            if amount != sealed.amount_cents:
                problems.append(table_finding("credit note {code}: amount {amount} differs from the sealed {sealed}",
                                       code=code, amount=amount, sealed=sealed.amount_cents))
            if sealed.expires_on is not None and expires != sealed.expires_on:
                problems.append(table_finding("credit note {code}: expiry {expires} differs from the sealed {sealed}",
                                       code=code, expires=expires, sealed=sealed.expires_on))
            if ticket_id != sealed.ticket_id:
                problems.append(table_finding("credit note {code}: issuing ticket {ticket_id} differs from the sealed "
                                       "{sealed}", code=code, ticket_id=ticket_id, sealed=sealed.ticket_id))
            if not sealed.legacy and (customer_id, till_id) != (sealed.customer_id, sealed.till_id):
                problems.append(table_finding("credit note {code}: customer or till differs from the sealed issue",
                                       code=code))
            if sealed.legacy:
                warnings.append(table_finding("credit note {code}: its expiry is not sealed (issued before issue records)",
                                       code=code))
        for code in sorted(set(notes) - seen):
            problems.append(table_finding("credit note {code} sealed by ticket {ticket_id} is missing from the table",
                                   code=code, ticket_id=notes[code].ticket_id))
        expected = self.movements(notes)
        found: Counter = Counter((code, ticket_id, amount) for code, ticket_id, amount in movements)
        for (code, ticket_id, amount), count in sorted((found - expected).items(), key=str):
            problems.append(table_finding("credit note {code}: a movement of {amount} by ticket {ticket_id} is in no sealed "
                                   "record", code=code if code is not None else "?", amount=amount,
                                   ticket_id=ticket_id))
        for (code, ticket_id, amount), count in sorted((expected - found).items(), key=str):
            problems.append(table_finding("credit note {code}: the sealed movement of {amount} by ticket {ticket_id} is "
                                   "missing from the table", code=code, amount=amount, ticket_id=ticket_id))
        sealed_balance: Counter = Counter()
        for (code, _t, amount), count in expected.items():
            sealed_balance[code] += amount * count
        table_balance: Counter = Counter()
        for (code, _t, amount), count in found.items():
            table_balance[code] += amount * count
        for code in sorted(seen | set(notes)):
            if code in notes and table_balance[code] != sealed_balance[code]:
                problems.append(table_finding("credit note {code}: balance {balance} in the table, {sealed} from sealed "
                                       "records", code=code, balance=table_balance[code],
                                       sealed=sealed_balance[code]))
        return problems, warnings


# --- The database reader -----------------------------------------------------------------------


def note_rows() -> list[tuple]:
    """(code, till id, issuing ticket id, customer id, amount, expires_on) of every note row."""
    return list(CreditNote.select(CreditNote.code, CreditNote.till_id, CreditNote.issued_ticket,
                                  CreditNote.customer, CreditNote.amount_cents, CreditNote.expires_on)
                .order_by(CreditNote.id).tuples())


def movement_rows() -> list[tuple]:
    """(code or None, ticket id, amount) of every movement row."""
    return list(CreditNoteMovement.select(CreditNote.code, CreditNoteMovement.ticket, CreditNoteMovement.amount_cents)
                .join(CreditNote, peewee.JOIN.LEFT_OUTER, on=(CreditNoteMovement.credit_note == CreditNote.id))
                .order_by(CreditNoteMovement.id).tuples())


def ledger_records() -> Iterable[tuple]:
    """The records that can touch the ledger: L issue events, and T records whose payload has a
    credit-note payment (the text filter runs in the database; the rules parse what remains)."""
    query = (FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence, FiscalRecord.kind,
                                 FiscalRecord.ticket_id, FiscalRecord.payload)
             .where(((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == CREDIT_NOTE_ISSUED))
                    | ((FiscalRecord.chain == "T") & FiscalRecord.payload.contains(f'"means":"{_MEANS}"')))
             .order_by(FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence))
    return current_database().execute(query)


def check_credit_ledger() -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the bound database's credit-note tables against its sealed records."""
    rules = LedgerRules()
    for row in ledger_records():
        rules.add(*row)
    return rules.compare(note_rows(), movement_rows())


# --- At the till: is this note sealed? -----------------------------------------------------------


def _genuine(record: tuple, admitted: dict[str, dict[str, str]]) -> bool:
    """Does ``record`` (FiscalRecord columns as ``_SEALS``) carry a valid signature of a key its
    till's key chain admits? ``admitted``: till -> its key chain's keys, filled as tills come up
    (never a key merely listed in the ``SigningKey`` table, which a plain INSERT fills)."""
    till_id, chain, sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature, key_id = record
    if till_id not in admitted:
        admitted[till_id] = key_chain_of(till_id).pems()
    pem = admitted[till_id].get(key_id)
    try:
        message = message_bytes(format_version=version, till_id=till_id, chain=chain, sequence=sequence, kind=kind,
                                created_at=created_at, ticket_id=ticket_id, payload=payload,
                                previous_signature=previous)
    except (TypeError, ValueError):
        return False
    digest = hashlib.sha256(message)
    return pem is not None and digest.hexdigest() == hash_ and verify_digest(pem, digest.digest(), signature)


_SEALS = (FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence, FiscalRecord.kind, FiscalRecord.created_at,
          FiscalRecord.ticket_id, FiscalRecord.format_version, FiscalRecord.payload, FiscalRecord.previous_signature,
          FiscalRecord.hash, FiscalRecord.signature, FiscalRecord.key_id)


def sealed_issue(note: CreditNote) -> SealedIssue | None:
    """The signed record that issued ``note``, if there is one and it says what the row says
    (amount, expiry, issuing ticket); else None: the note was not issued by this till's software."""
    proved = proved_note(note)
    return None if proved is None else proved[0]


def proved_note(note: CreditNote) -> tuple[SealedIssue, int] | None:
    """(its sealed issue, its balance) if every row of ``note`` is proved by a signed record,
    else None: what the till checks before it lets a note be spent.

    The issue must be sealed and say what the row says (amount, expiry, issuing ticket), and
    each movement row must be one the sealed records call for: the issue itself, or a
    redemption that the T payload of its ticket carries. So a note INSERTed by hand, a top-up
    movement, or a changed amount or expiry makes the note unspendable. Reads only the records
    of the note's own tickets (by the ticket index) and checks their signatures, so a record
    added with the note is no proof either. A redemption deleted with the triggers dropped is
    not seen here (finding it would read every ticket): the journal verifier reports it.
    """
    rows = list(CreditNoteMovement.select(CreditNoteMovement.ticket, CreditNoteMovement.amount_cents)
                .where(CreditNoteMovement.credit_note == note.id).tuples())
    tickets = sorted({note.issued_ticket_id, *(ticket_id for ticket_id, _amount in rows)})
    records = (FiscalRecord.select(*_SEALS)
               .where(FiscalRecord.ticket_id.in_(tickets) & FiscalRecord.chain.in_((EVENT_CHAIN, "T")))
               .order_by(FiscalRecord.id).tuples())
    admitted: dict[str, dict[str, str]] = {}
    rules = LedgerRules()
    for row in records:
        if _genuine(row, admitted):
            rules.add(row[0], row[1], row[2], row[3], row[5], row[7])
    issue = rules.notes().get(note.code)
    if issue is None or issue.amount_cents != note.amount_cents or issue.ticket_id != note.issued_ticket_id:
        return None
    if issue.expires_on is not None and issue.expires_on != str(note.expires_on):
        return None
    found = Counter((note.code, ticket_id, amount) for ticket_id, amount in rows)
    if found - rules.movements({note.code: issue}) or found[(note.code, issue.ticket_id, issue.amount_cents)] != 1:
        return None
    return issue, sum(amount for _ticket_id, amount in rows)
