"""Store credit (avoirs): codes, issue, redemption, balance and history of credit notes.

A credit note is a multi-purpose voucher: issuing it is not revenue and carries no VAT (the
return ticket carries the VAT decrease); it is a liability (PCG 4197) that a later tender
consumes. Its balance is the sum of its movements (+ issue, - redemptions), never a column.

The rows prove nothing by themselves (a plain INSERT passes the append-only triggers): each
issue is sealed in chain L in the issuing transaction, each redemption is a payment of a signed
T ticket, and a note is spent only when its issue and every movement are proved by those
records (``till.fiscal.credit_ledger.proved_note``); otherwise the cashier is told to call a
manager and nothing is written.

Both the issue and every redemption are payment lines of a signed T ticket (means
``credit_note``, the note's code as reference), written by ``till.selling.ticket_writer.write_ticket``
in its one transaction, which calls ``issue`` and ``redeem`` here. ``redeem`` locks the note's
row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the writer's ``BEGIN IMMEDIATE``
transaction already serialises writers), so a note is never spent twice, even by two tills at
the same moment, and its balance never goes below zero.

Codes look like ``AV-7K3M-Q9XP-2D4F-H8RT-W``: ``AV``, 80 random bits as 16 Crockford base32
characters (no I, L, O, U; read back tolerantly: any case, O as 0, I and L as 1, dashes and
spaces optional), and a check character, also Crockford, so a mistyped or forged code is
refused before any lookup. The check is a weighted sum in the field GF(32) with a different
non-zero weight per position (a one-symbol Reed-Solomon check): it catches every single wrong
character and every swap of two characters, which ISO 7064 MOD 37,36 (a hybrid system) does
not quite do for swaps, and needs no 37th symbol as MOD 37-2 does (``*``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from devices.receipt import voucher_lines as layout_voucher
from store.models import CreditNote, CreditNoteMovement, FiscalRecord, Ticket
from store.models.base import utcnow
from till.credit.errors import CreditNoteError
from till.fiscal.chain import Sealer
from till.fiscal.closure_totals import business_zone
from till.fiscal.credit_ledger import ISSUED_BY_REFUND, proved_note, seal_issue, sealed_issue
from till.fiscal.extracts import record_extract
from till.fiscal.payloads import printed_issuer
from till.i18n import N_, translate
from till.money import format_cents, shown
from till.note_codes import INVALID_CODE, QUANTITY_ON_CREDIT_NOTE, make_code, parse_code

PRINT_CREDIT_NOTE = "print_credit_note"
"""The outbox job that prints the voucher of a note just issued: payload ``{"credit_note_id": id}``."""

UNKNOWN_CODE = N_("No credit note has the code {code}")
EXPIRED = N_("The credit note {code} expired on {date}")
SPENT = N_("The credit note {code} has been spent in full")
NOT_ENOUGH = N_("The credit note {code} has only {balance} left, not {amount}")
AMOUNT_NOT_POSITIVE = N_("The amount taken from a credit note must be more than zero")
ISSUE_NOT_POSITIVE = N_("A credit note must be issued for more than zero")
NO_CODE = N_("A credit note payment needs the code of the note")
UNSEALED = N_("The credit note {code} has no signed issue record: it cannot be accepted, call a manager")

MESSAGES = (INVALID_CODE, UNKNOWN_CODE, EXPIRED, SPENT, NOT_ENOUGH, AMOUNT_NOT_POSITIVE, ISSUE_NOT_POSITIVE,
            NO_CODE, QUANTITY_ON_CREDIT_NOTE, UNSEALED)


class UnknownCreditNote(CreditNoteError):
    """A well-formed code that no note carries."""


class CreditNoteExpired(CreditNoteError):
    """The note's last day has passed."""


class NotEnoughCredit(CreditNoteError):
    """More than the note's balance was asked (or it is spent)."""


class UnsealedCreditNote(CreditNoteError):
    """A note row no signed record issued, or whose amount, expiry or movements are not the
    sealed ones (added or topped up by hand): never spent."""


def _proved_balance(note: CreditNote) -> int:
    """What is left on ``note`` if its issue and every movement are proved by signed records
    (``till.fiscal.credit_ledger.proved_note``); else the note is refused, nothing written."""
    proved = proved_note(note)
    if proved is None:
        raise UnsealedCreditNote(UNSEALED, code=note.code)
    return proved[1]


# --- Ledger ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """One line of a note's history: + its issue, - a redemption, with the ticket that did it."""

    created_at: dt.datetime
    amount_cents: int
    ticket_id: int
    ticket_code: str



def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def issue(sealer: Sealer, till_id: str, amount_cents: int, ticket_id: int, customer_id: int | None,
          validity_days: int, today: dt.date, when: dt.datetime | None = None,
          origin: str = ISSUED_BY_REFUND) -> CreditNote:
    """A new note of ``amount_cents``, issued by ticket ``ticket_id``, spendable for
    ``validity_days`` days from ``today`` (its last day included). Call inside the transaction
    that writes the ticket (``write_ticket`` does).

    The issue is sealed in chain L in the same transaction (``till.fiscal.credit_ledger``):
    a note row without that record is refused when spent and reported by the verifier.
    ``origin`` says why it was issued (a refund, a loyalty reward)."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise CreditNoteError(ISSUE_NOT_POSITIVE)
    when = when or utcnow()
    note = CreditNote.create(code=make_code(), till_id=till_id, issued_ticket=ticket_id, customer=customer_id,
                             amount_cents=amount_cents, expires_on=today + dt.timedelta(days=validity_days),
                             created_at=when)
    CreditNoteMovement.insert(credit_note=note.id, ticket=ticket_id, amount_cents=amount_cents,
                              created_at=when).execute()
    seal_issue(sealer, note, origin)
    return note


def find(code: str) -> CreditNote:
    """The note of ``code`` (typed or scanned), or ``UnknownCreditNote``/``InvalidCreditNoteCode``."""
    printed = parse_code(code)
    note = CreditNote.get_or_none(CreditNote.code == printed)
    if note is None:
        raise UnknownCreditNote(UNKNOWN_CODE, code=printed)
    return note


def balance(note: CreditNote | int) -> int:
    """What is left on ``note``: the sum of its movements (a plain read; ``redeem`` locks)."""
    note_id = note.id if isinstance(note, CreditNote) else note
    total = (CreditNoteMovement.select(peewee.fn.COALESCE(peewee.fn.SUM(CreditNoteMovement.amount_cents), 0))
             .where(CreditNoteMovement.credit_note == note_id).scalar())
    return int(total or 0)


def is_expired(note: CreditNote, today: dt.date) -> bool:
    """A note can be spent up to and including its ``expires_on`` day."""
    return today > note.expires_on


def spendable(code: str, today: dt.date) -> tuple[CreditNote, int]:
    """The note of ``code`` and its balance, if it can pay something today; else a clear refusal.

    No lock: the checkout uses it to refuse early; the redemption itself checks again, locked.
    """
    note = find(code)
    if is_expired(note, today):
        raise CreditNoteExpired(EXPIRED, code=note.code, date=_date(note.expires_on))
    left = _proved_balance(note)
    if left <= 0:
        raise NotEnoughCredit(SPENT, code=note.code)
    return note, left


def _lock(printed: str) -> CreditNote | None:
    """The note of ``printed``, its row locked until the transaction ends (PostgreSQL)."""
    query = CreditNote.select().where(CreditNote.code == printed)
    if isinstance(CreditNote._meta.database.obj, peewee.PostgresqlDatabase):
        query = query.for_update()
    return query.get_or_none()


def redeem(code: str, amount_cents: int, ticket_id: int, today: dt.date,
           when: dt.datetime | None = None) -> int:
    """Take ``amount_cents`` from the note of ``code`` for ticket ``ticket_id``; returns what is left.

    Call inside the transaction that writes the ticket. The note's row is locked first, so two
    tills spending one note at the same moment are serialised: the second sees the first's
    movement and is refused if the balance no longer covers it. Refuses an unknown or expired
    note and any amount above the balance.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise CreditNoteError(AMOUNT_NOT_POSITIVE)
    printed = parse_code(code)
    database = CreditNote._meta.database
    with database.atomic():
        note = _lock(printed)
        if note is None:
            raise UnknownCreditNote(UNKNOWN_CODE, code=printed)
        if is_expired(note, today):
            raise CreditNoteExpired(EXPIRED, code=printed, date=_date(note.expires_on))
        left = _proved_balance(note)
        if left <= 0:
            raise NotEnoughCredit(SPENT, code=printed)
        if amount_cents > left:
            raise NotEnoughCredit(NOT_ENOUGH, code=printed, balance=shown(left), amount=shown(amount_cents))
        CreditNoteMovement.insert(credit_note=note.id, ticket=ticket_id, amount_cents=-amount_cents,
                                  created_at=when or utcnow()).execute()
    return left - amount_cents


def history(code: str) -> list[Movement]:
    """Every movement of the note of ``code``, oldest first, with the code of its ticket."""
    note = find(code)
    rows = (CreditNoteMovement
            .select(CreditNoteMovement.created_at, CreditNoteMovement.amount_cents, Ticket.id, Ticket.code)
            .join(Ticket, on=(CreditNoteMovement.ticket == Ticket.id))
            .where(CreditNoteMovement.credit_note == note.id)
            .order_by(CreditNoteMovement.id)
            .tuples())
    return [Movement(created_at, amount, ticket_id, ticket_code) for created_at, amount, ticket_id, ticket_code in rows]


@dataclass(frozen=True)
class IssuedNote:
    """A note a ticket has just issued, as the cashier reads it out: code, amount, last day."""

    code: str
    amount_cents: int
    expires_on: dt.date


def issued_by(ticket: Ticket | int) -> list[IssuedNote]:
    """The notes issued by ``ticket`` (a refund as store credit), oldest first: the screen shows
    their codes once written, in case the voucher does not print or is lost before it is handed over."""
    ticket_id = ticket.id if isinstance(ticket, Ticket) else ticket
    rows = CreditNote.select().where(CreditNote.issued_ticket == ticket_id).order_by(CreditNote.id)
    return [IssuedNote(row.code, row.amount_cents, row.expires_on) for row in rows]


# --- The voucher -----------------------------------------------------------------------------


VOUCHER_ISSUED_ON = N_("Issued on")
VOUCHER_NUMBER = N_("Credit note No.")


def _issue_record(note: CreditNote) -> FiscalRecord | None:
    """The signed record of ``note``'s issue (chain L; the refund's T record for a note issued
    before that event existed), or None if no genuine record proves it."""
    issue = sealed_issue(note)
    if issue is None:
        return None
    till_id, chain, sequence = issue.where
    return FiscalRecord.get_or_none((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                                    & (FiscalRecord.sequence == sequence))


def voucher_lines(config, credit_note_id: int) -> list[str]:
    """The printed voucher (AVOIR) of a note: the shop (with its VAT number) as the issuing
    ticket sealed it, the day it was issued, its own number (its issue record: till, chain,
    sequence), amount, balance, expiry, issuing ticket, code, and its record's signature extract,
    so the paper is tied to the journal as a receipt is."""

    lang = config.shop.locale
    note = CreditNote.get_by_id(credit_note_id)
    ticket = Ticket.get_by_id(note.issued_ticket_id)
    shop = config.shop
    ticket_record = FiscalRecord.get_or_none((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T"))
    issuer = printed_issuer(ticket_record, shop)
    header = tuple(x for x in (issuer.name, issuer.address, issuer.siret and f"SIRET {issuer.siret}",
                               issuer.vat_number and translate("VAT no. {number}", lang, number=issuer.vat_number))
                   if x)
    record = _issue_record(note)
    issued_on = note.created_at.replace(tzinfo=dt.timezone.utc).astimezone(business_zone(config)).date()

    def money(cents: int) -> str:
        return format_cents(cents, lang)

    rows = (
        (translate(VOUCHER_ISSUED_ON, lang), _date(issued_on)),
        *(((translate(VOUCHER_NUMBER, lang), f"{record.till_id}-{record.chain}-{record.sequence}"),)
          if record is not None else ()),
        (translate("Amount", lang), money(note.amount_cents)),
        (translate("Balance", lang), money(balance(note))),
        (translate("Valid until", lang), _date(note.expires_on)),
        (translate("Issued by ticket", lang), ticket.code),
    )
    footer = (translate("Signature {extract}", lang, extract=record_extract(record) if record else "----"),)
    return layout_voucher(header, translate("CREDIT NOTE", lang), rows, note.code, config.printer.width, footer)
