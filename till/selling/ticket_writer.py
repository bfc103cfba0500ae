"""Write a finished ticket: everything or nothing, in one database transaction.

A sale, a return and an exchange all end here. In one transaction: the ticket and its lines, the
per-rate VAT split, the payments, the stock movements and levels, the balanced accounting
lines, the signed fiscal record of chain T, and the outbox jobs (receipt, drawer) that run
after the commit. If any part fails, none of it is written.

Store credit is settled here too, in the same transaction: a positive ``credit_note`` payment
redeems the note named by its reference (row locked, refused if unknown, expired or short), and
a negative one (a refund into store credit) issues a new note whose code becomes that payment's
reference before the ticket is sealed, so the signed payload carries it; the voucher is printed
by an outbox job (``print_credit_note``). A note spent through head office (``hold_request``)
has its hold settled here, in the same transaction (``till.credit.holds.settle``); another
shop's note is not in this ledger, so only the hold is settled.

This is the checkout's commit, which the cashier waits for, so it is written for speed (design.md
section 8: within 2.5x of the same rows written with bare SQL): one INSERT statement per table,
whose text is rendered once (``_Insert``), values converted by the model's own fields as peewee
would, and the fiscal payload sealed from the values just inserted rather than read back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Iterable

import peewee

from store.models import (
    SELLABLE,
    AccountingLine,
    OutboxJob,
    Payment,
    Ticket,
    TicketLine,
    TicketVat,
)
from store.models.base import utcnow
from store.models.payments import APPROVED, PENDING, SETTLED, PendingPayment
from till.credit import holds as credit_holds
from till.credit import notes as credit_notes
from till.aftersale import outbox
from till.selling.accounting import ticket_postings
from till.selling.bulk_insert import BulkInsert
from till.selling.disk_room import (DEFAULT_MIN_FREE_MB, DiskUnwritable, disk_failures_refused, record_refusal,
                                    require_room)
from till.selling.priced_item import PricedItem
from till.selling.stock import write_stock
from till.config.loader import AccountsConfig, CreditNotesConfig
from till.errors import TillError
from till.fiscal.chain import Sealer, current_database
from till.fiscal.clock import check_clock, check_ticket_time, note_sealed
from till.fiscal.imported_history import ImportedHistory
from till.fiscal.closures import close_due, require_open_day
from till.fiscal.payloads import NO_ISSUER, seal_ticket_rows
from till.credit.loyalty import LoyaltySettings, loyalty_rows_for_ticket
from till.aftersale.messages.jobs import message_jobs_for_ticket
from till.config.messages import SmtpSettings
from till.means import CREDIT_NOTE
from till.money import vat_breakdown
from till.scanning import ticket_code, training_code

TRAINING_CHAIN = "X"


@dataclass(frozen=True)
class DraftLine(PricedItem):
    """A line about to be written; ``total_cents`` is already rounded and discounted."""

    quantity: int
    unit: str
    discount_cents: int
    total_cents: int
    origin_line_id: int | None = None
    reason: str | None = None
    disposition: str | None = None
    serial: str | None = None
    stock_location: str = SELLABLE
    origin_order_line_id: int | None = None


@dataclass(frozen=True)
class DraftPayment:
    """Money in (positive) or out (negative: change, refund) on the ticket."""

    means: str
    amount_cents: int
    reference: str | None = None
    hold_request: str | None = None
    """A credit note spent through head office: the hold settled with this ticket."""
    redeem_locally: bool = True
    """False for another shop's credit note: only head office's ledger holds it."""
    journal_id: int | None = None
    """A card payment: its card-journal row, settled in this ticket's transaction."""


@dataclass(frozen=True)
class TicketDraft:
    """Everything a ticket needs, gathered by a workflow before it is written."""

    kind: str
    user_id: int
    operator_name: str
    lines: tuple[DraftLine, ...]
    payments: tuple[DraftPayment, ...]
    customer_id: int | None = None
    customer_name: str | None = None
    discount_cents: int = 0
    origin_ticket_id: int | None = None
    origin_reference: str | None = None
    origin_signature: str | None = None
    origin_order_id: int | None = None
    created_at: dt.datetime | None = None
    open_drawer: bool = False
    print_receipt: bool = True
    training: bool = False
    """A training ticket: numbered and sealed in chain X, no stock, no accounting, no credit note."""
    extra_jobs: tuple[tuple[str, dict], ...] = field(default_factory=tuple)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def draft_to_json(draft: TicketDraft) -> str:
    """``draft`` as JSON, so a return waiting on the card terminal can be written from the card
    journal alone (by the till, at a restart, or by a manager's settlement)."""
    data = dataclasses.asdict(draft)
    data["created_at"] = draft.created_at.isoformat() if draft.created_at else None
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def draft_from_json(text: str) -> TicketDraft:
    """The draft ``draft_to_json`` wrote."""
    data = json.loads(text)
    data["lines"] = tuple(DraftLine(**line) for line in data["lines"])
    data["payments"] = tuple(DraftPayment(**payment) for payment in data["payments"])
    data["extra_jobs"] = tuple((kind, payload) for kind, payload in data["extra_jobs"])
    if data["created_at"]:
        data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
    return TicketDraft(**data)


class UnbalancedTicket(TillError):
    """Payments do not add up to the ticket's total."""


_TICKET = BulkInsert(Ticket, ("till_id", "number", "code", "kind", "created_at", "user", "operator_name", "customer",
                           "customer_name", "origin_ticket", "total_cents", "discount_cents", "line_count",
                           "training", "origin_reference", "origin_signature", "origin_order", "shop_name",
                           "shop_address", "shop_siret", "shop_vat_number", "software_version"), returning=("id",))
_LINES = BulkInsert(TicketLine, ("ticket", "position", "product", "sku", "label", "quantity", "unit",
                              "unit_price_cents", "discount_cents", "total_cents", "vat_code", "vat_rate_bp",
                              "origin_line", "reason", "disposition", "serial", "origin_order_line"),
                     returning=("id", "position"))
_VAT = BulkInsert(TicketVat, ("ticket", "rate_bp", "ttc_cents", "ht_cents", "vat_cents"))
_PAYMENTS = BulkInsert(Payment, ("ticket", "position", "means", "amount_cents", "reference"))
_POSTINGS = BulkInsert(AccountingLine, ("ticket", "journal", "entry_date", "account", "label", "debit_cents",
                                     "credit_cents", "created_at"))
_JOBS = BulkInsert(OutboxJob, ("till_id", "kind", "payload"))

def _utc(when: dt.datetime) -> dt.datetime:
    """``when`` as the naive UTC second every timestamp column stores (an aware time converted)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _jobs(draft: TicketDraft, till_id: str, ticket_id: int, issued: Iterable[int] = (),
          more: Iterable[tuple[str, dict]] = ()) -> list[tuple[str, str, str]]:
    """The outbox jobs of the ticket, as ``till.aftersale.outbox.enqueue`` writes them (JSON, sorted keys)."""
    jobs: list[tuple[str, dict]] = []
    if draft.open_drawer:  # first: the change is given while the receipt prints (till.aftersale.drawer_kick)
        jobs.append((outbox.OPEN_DRAWER, {"ticket_id": ticket_id}))
    if draft.print_receipt:
        jobs.append((outbox.PRINT_RECEIPT, {"ticket_id": ticket_id}))
    jobs.extend((credit_notes.PRINT_CREDIT_NOTE, {"credit_note_id": note_id}) for note_id in issued)
    jobs.extend(more)
    jobs.extend(draft.extra_jobs)
    return [(till_id, kind, outbox.encode(payload)) for kind, payload in jobs]


def write_ticket(sealer: Sealer, accounts: AccountsConfig, draft: TicketDraft, *,
                 credit_note_validity_days: int | None = None, loyalty: LoyaltySettings | None = None,
                 smtp: SmtpSettings | None = None, history: ImportedHistory | None = None,
                 min_free_mb: int = DEFAULT_MIN_FREE_MB) -> Ticket:
    """Write ``draft`` as a sealed ticket; the one place tickets are created.

    A full or read-only disk refuses it (``DiskUnwritable``) with nothing written: checked
    before the transaction (under ``min_free_mb``, ``till.min_free_mb``), and met during it (the
    transaction rolls back). The refusal is then sealed in chain L when the disk still takes
    that (``disk_room.record_refusal``); a read-only one does not, and only the log says it.
    """
    database = current_database()
    try:
        with disk_failures_refused():
            require_room(database, min_free_mb)
            return _write_ticket(sealer, accounts, draft, credit_note_validity_days=credit_note_validity_days,
                                 loyalty=loyalty, smtp=smtp, history=history)
    except DiskUnwritable as refusal:
        if database.transaction_depth() == 0:  # inside a caller's transaction, the caller rolls back first
            record_refusal(sealer, refusal, draft.user_id)
        raise


def _write_ticket(sealer: Sealer, accounts: AccountsConfig, draft: TicketDraft, *,
                  credit_note_validity_days: int | None, loyalty: LoyaltySettings | None,
                  smtp: SmtpSettings | None, history: ImportedHistory | None) -> Ticket:
    """``write_ticket``'s work, the disk's refusals aside.

    The ticket's time is the time it is signed: a draft dated otherwise (``draft.created_at``
    further than ``clock.TICKET_TIME_SLACK`` from the sealer's clock) is refused, before and
    again after sealing, so no backdated sale is ever sealed. Only the tickets of a declared
    ``history`` (``till.fiscal.imported_history``: the demo's past sales) keep an earlier time.

    ``credit_note_validity_days`` (``config.credit_notes.validity_days``; the configuration's
    default when None) is how long a note issued by this ticket can be spent.
    """
    if not draft.lines:
        raise TillError("A ticket needs at least one line")
    paid = sum(payment.amount_cents for payment in draft.payments)
    if paid != draft.total_cents:
        raise UnbalancedTicket(
            "Payments ({paid}) do not match the total ({total})", paid=paid, total=draft.total_cents
        )
    if draft.training and any(p.means == CREDIT_NOTE for p in draft.payments):
        raise TillError("Credit notes cannot be issued or spent in training mode")
    check_clock(sealer.till_id)
    database = current_database()
    sealing = sealer.now()
    when = _utc(draft.created_at) if draft.created_at is not None else sealing
    imported = history is not None and history.earliest <= when <= history.latest
    check_ticket_time(when, sealing, imported)
    if not draft.training and database.transaction_depth() == 0:
        # The months (years) over, in their own transaction before this sale's: a closure takes
        # chain G then T. Inside a caller's transaction (a return holding its locks) it waits for
        # the next sale or closure rather than take G after what the caller holds.
        close_due(sealer, when)
        if draft.created_at is None:  # closing a month may take a while: the sale is dated as it is sealed
            sealing = when = sealer.now()
    vat = vat_breakdown((line.vat_rate_bp, line.total_cents) for line in draft.lines)
    till_id = sealer.till_id
    with database.atomic():
        chain = TRAINING_CHAIN if draft.training else "T"
        number = sealer.reserve(chain)
        if imported and not (history.chain == chain and history.first <= number <= history.last):
            check_ticket_time(when, sealing)  # beyond what the history declared: the rule again
        if draft.training:
            code = training_code(till_id, number)
        else:
            require_open_day(till_id, when, sealer.zone)  # under the T lock: a running closure is seen
            code = ticket_code(till_id, number)
        (ticket_row,) = _TICKET.rows([(
            till_id, number, code, draft.kind, when, draft.user_id, draft.operator_name, draft.customer_id,
            draft.customer_name, draft.origin_ticket_id, draft.total_cents, draft.discount_cents, len(draft.lines),
            draft.training, draft.origin_reference, draft.origin_signature, draft.origin_order_id,
            *(NO_ISSUER if sealer.issuer is None else sealer.issuer.row()),
        )])
        cursor, returned = _TICKET.execute(database, [ticket_row])
        ticket_id = returned[0][0] if returned else cursor.lastrowid
        lines = _LINES.rows(
            (ticket_id, position, line.product_id, line.sku, line.label, line.quantity, line.unit,
             line.unit_price_cents, line.discount_cents, line.total_cents, line.vat_code, line.vat_rate_bp,
             line.origin_line_id, line.reason, line.disposition, line.serial, line.origin_order_line_id)
            for position, line in enumerate(draft.lines, start=1)
        )
        _cursor, returned = _LINES.execute(database, lines)
        line_ids = {position: line_id for line_id, position in returned or _line_ids(database, ticket_id)}
        vat_rows = _VAT.rows((ticket_id, a.rate_bp, a.ttc, a.ht, a.vat) for a in vat)
        _VAT.execute(database, vat_rows)
        draft_payments, issued = draft.payments, []
        if any(p.means == CREDIT_NOTE for p in draft_payments):
            draft_payments, issued = _settle_credit_notes(sealer, draft, ticket_id, when,
                                                          credit_note_validity_days)
        payments = _PAYMENTS.rows((ticket_id, position, p.means, p.amount_cents, p.reference)
                                  for position, p in enumerate(draft_payments, start=1))
        _PAYMENTS.execute(database, payments)
        journaled = [p for p in draft_payments if p.journal_id is not None]
        if journaled:
            _settle_card_journal(journaled, ticket_id)
        # the entry's date is the shop's business day (the FEC's EcritureDate), not the UTC date
        business_date = when.replace(tzinfo=dt.timezone.utc).astimezone(sealer.zone).date()
        if not draft.training:  # training moves no stock and books nothing
            write_stock(database, draft.lines, draft.kind, ticket_id, when)
            _POSTINGS.execute(database, _POSTINGS.rows(
                (ticket_id, accounts.journal, business_date, p.account, p.label, p.debit_cents, p.credit_cents,
                 when)
                for p in ticket_postings(accounts, code, vat, ((p.means, p.amount_cents) for p in draft.payments))
            ))
        record = seal_ticket_rows(sealer, (
            (ticket_id, *ticket_row),
            [(row[0], line_ids[row[1]], *row[1:17]) for row in lines],
            # as the verifier orders them: VAT by rate descending then id (insertion order)
            sorted(((row[0], *row[1:5]) for row in vat_rows), key=lambda row: -row[1]),
            [row[:5] for row in payments],
        ), chain)
        check_ticket_time(when, _utc(record.created_at), imported)  # a commit that waited too long
        points = loyalty_rows_for_ticket(loyalty, draft, ticket_id, sealer=sealer, when=when,
                                         accounts=accounts, validity_days=credit_note_validity_days
                                         or CreditNotesConfig().validity_days)
        more = [*points.jobs, *message_jobs_for_ticket(smtp, draft, ticket_id, [*issued, *points.rewards])]
        jobs = _jobs(draft, sealer.till_id, ticket_id, issued, more)
        if jobs:
            _JOBS.execute(database, _JOBS.rows(jobs))
    note_sealed(till_id, record.created_at)
    ticket = Ticket(id=ticket_id, **dict(zip(_TICKET.fields, ticket_row)))
    ticket._dirty.clear()  # as ``create`` leaves it: saved
    return ticket


def _settle_credit_notes(sealer: Sealer, draft: TicketDraft, ticket_id: int, when: dt.datetime,
                         validity_days: int | None) -> tuple[tuple[DraftPayment, ...], list[int]]:
    """Redeem and issue the ticket's credit notes; returns its payments as they are written (an
    issued note's code as the reference) and the ids of the notes issued. A negative credit note
    payment always issues a new note: a reference it came with is replaced by the new code.

    Inside the ticket's transaction: a refusal (unknown, expired, short or unsealed note) rolls it
    all back. Each issue is sealed in chain L by ``credit_notes.issue``, in this transaction.
    """
    till_id = sealer.till_id
    today = when.replace(tzinfo=dt.timezone.utc).astimezone(sealer.zone).date()  # the shop's business day
    if validity_days is None:
        validity_days = CreditNotesConfig().validity_days
    payments: list[DraftPayment] = []
    issued: list[int] = []
    spent: list[tuple[str, int]] = []
    for payment in draft.payments:
        if payment.means == CREDIT_NOTE and payment.amount_cents > 0:
            if not payment.reference:
                raise credit_notes.CreditNoteError(credit_notes.NO_CODE)
            code = credit_notes.parse_code(payment.reference)
            if payment.hold_request is not None:
                credit_holds.settle(payment.hold_request, code, ticket_id, when)
            if payment.redeem_locally:
                spent.append((code, payment.amount_cents))
            payment = DraftPayment(payment.means, payment.amount_cents, code)
        elif payment.means == CREDIT_NOTE and payment.amount_cents < 0:
            note = credit_notes.issue(sealer, till_id, -payment.amount_cents, ticket_id, draft.customer_id,
                                      validity_days, today, when)
            issued.append(note.id)
            payment = DraftPayment(payment.means, payment.amount_cents, note.code)
        payments.append(payment)
    # Notes are locked in code order, so two tickets spending the same two notes cannot deadlock.
    for code, amount in sorted(spent):
        credit_notes.redeem(code, amount, ticket_id, today, when)
    return tuple(payments), issued


def _settle_card_journal(payments: list[DraftPayment], ticket_id: int) -> None:
    """Mark the card requests these payments stand on as carried by this ticket, in its own
    transaction: the ticket exists if and only if its card-journal rows say so, so a stop just
    before or after the commit never leaves a charged card looking unrecorded (or the reverse).

    A request is settled only from pending or approved (an unknown outcome a manager settled as
    approved is approved again); a row already settled, declined or unknown makes the ticket roll
    back.
    """
    now = utcnow()
    for payment in payments:
        done = (PendingPayment.update(status=SETTLED, ticket_id=ticket_id, finished_at=now,
                                      result_reference=payment.reference)
                .where((PendingPayment.id == payment.journal_id) & PendingPayment.status.in_((PENDING, APPROVED))
                       & PendingPayment.ticket_id.is_null())
                .execute())
        if not done:
            raise TillError("Card payment {reference} is already on another ticket or was not approved",
                            reference=payment.reference or "")


def _line_ids(database: peewee.Database, ticket_id: int) -> list[tuple[int, int]]:
    """(id, position) of the ticket's lines, read back where INSERT ... RETURNING is missing."""
    return list(TicketLine.select(TicketLine.id, TicketLine.position).where(TicketLine.ticket == ticket_id).tuples())
