"""Settling what the card journal left open: a return written from its journal row, an unknown
outcome decided by a manager, and what a stop left behind, resolved at the next start.

Three writers share one path, ``write_intent``: the return session right after the terminal
approved, the start-up ``reconcile`` when the till stopped between the approval and the ticket,
and a manager's ``settle`` of an unknown outcome as approved. Each writes the return or exchange
that the row's intent holds, with the card's reference, in one transaction that also settles the
row, so the card moves once and the ticket is written once.

A manager's settlement is sealed in chain L (``CARD_SETTLED``), with the terminal's reference,
from the terminal's own journal: the till cannot know, so a person who looked decides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field

from devices.payment import TerminalError
from store.db import is_postgres
from store.models import MANAGER, TECHNICIAN, OnlineOrder, Payment, Ticket, User
from store.models.base import utcnow
from store.models.payments import APPROVED, DECLINED, PENDING, SETTLED, UNKNOWN, PendingPayment
from till.errors import TillError
from till.fiscal.chain import current_database
from till.fiscal.events import record_event
from till.means import codes_where
from till.selling.card_journal import (
    CARD_APPROVED_UNRECORDED,
    CARD_OUTCOME_UNKNOWN,
    CARD_SETTLED,
    mark,
    seal,
)

__all__ = ["SettlementError", "Reconciled", "Settled", "intent_json", "write_intent", "settle", "reconcile",
           "entry"]

NO_TICKET = "approved by the terminal with no ticket: refund the card or ring the sale again"


class SettlementError(TillError):
    """A settlement was refused; nothing changed."""


def intent_json(draft, events: list[tuple[str, str, int | None, dict]]) -> str:
    """A row's intent: the ticket draft to write, and the events (manager overrides) sealed with it."""
    from till.selling.ticket_writer import draft_to_json  # deferred: the till's start reconciles without it

    return json.dumps({"draft": draft_to_json(draft), "events": [list(event) for event in events]},
                      sort_keys=True, separators=(",", ":"))


def _locked(row_id: int) -> PendingPayment:
    query = PendingPayment.select().where(PendingPayment.id == row_id)
    if is_postgres():
        query = query.for_update()
    row = query.first()
    if row is None:
        raise SettlementError("No card journal entry #{id}", id=row_id)
    return row


def lock_claim(claim: str | None) -> None:
    """Take the row lock of the sale (or order) ``claim`` names, on PostgreSQL (SQLite's writer
    lock already serialises): every return of one sale checks its claims and caps in turn."""
    if not claim or not is_postgres():
        return
    kind, _, key = claim.partition(":")
    model = Ticket if kind == "T" else OnlineOrder
    list(model.select(model.id).where(model.id == int(key)).for_update().tuples())


def write_intent(row_id: int, sealer, config, reference: str | None = None) -> Ticket:
    """Write the return or exchange that row ``row_id`` holds, settling the row in the same
    transaction; ``reference`` is the terminal's (default: the one the terminal answered)."""
    from till.selling.ticket_writer import draft_from_json, write_ticket  # deferred: not at the till's start

    with current_database().atomic():
        row = _locked(row_id)
        if row.intent is None:
            raise SettlementError("Card journal entry #{id} holds no return to write", id=row.id)
        if row.status not in (PENDING, APPROVED) or row.ticket_id is not None:
            raise SettlementError("Card journal entry #{id} is already settled", id=row.id)
        intent = json.loads(row.intent)
        draft = draft_from_json(intent["draft"])
        reference = reference or row.result_reference
        draft = dataclasses.replace(draft, payments=tuple(
            dataclasses.replace(p, reference=reference) if p.journal_id == row.id else p for p in draft.payments))
        lock_claim(row.claim)
        for code, description, user_id, details in intent.get("events", []):
            record_event(sealer, code, description, user_id=user_id, details=details)
        return write_ticket(sealer, config.accounts, draft,
                            credit_note_validity_days=config.credit_notes.validity_days,
                            loyalty=config.loyalty, smtp=config.smtp)


@dataclass(frozen=True)
class Settled:
    """What a settlement did: the row, and the ticket written from it (a return approved)."""

    row: PendingPayment
    ticket: Ticket | None = None


def settle(row_id: int, manager: User, sealer, config=None, *, approved: bool, reference: str | None = None,
           note: str = "", for_tender: bool = False) -> Settled:
    """A manager's decision on an unknown outcome, read off the terminal's own journal.

    - not approved: the row is declined (its claim released: the return may be made again,
      by any means);
    - approved, with the terminal's ``reference``: a return or exchange is written from the
      row (``write_intent``); a sale's payment is left approved for the payment screen still
      open on it (``for_tender``) to carry, or else settled with no ticket (the manager refunds
      the card or rings the sale again: the sealed event says so).
    Sealed in chain L with the manager, in the same transaction.
    """
    if manager is None or manager.role not in (MANAGER, TECHNICIAN):
        raise SettlementError("Only a manager can settle a card payment")
    reference = (reference or "").strip()
    if approved and not reference:
        raise SettlementError("Type the reference the terminal's journal shows for this payment")
    with current_database().atomic():
        row = _locked(row_id)
        if row.status != UNKNOWN:
            raise SettlementError("Card journal entry #{id} is not waiting for a settlement ({status})",
                                  id=row.id, status=row.status)
        now = utcnow()
        decision = "approved" if approved else "declined"
        PendingPayment.update(
            status=APPROVED if approved else DECLINED, result_reference=reference[:64] or None,
            settled_by=manager.id, settled_at=now, finished_at=now,
            message=f"settled by a manager: {decision}" + (f" ({note.strip()})" if note.strip() else ""),
        ).where(PendingPayment.id == row.id).execute()
        seal(sealer, CARD_SETTLED, f"card {row.operation} settled by a manager: {decision}", row,
             note.strip(), manager.id, decision=decision, terminal_reference=reference[:64])
        ticket = None
        if approved and row.intent is not None:
            ticket = write_intent(row.id, sealer, config, reference)
        elif approved and not for_tender:
            PendingPayment.update(status=SETTLED, message=NO_TICKET).where(PendingPayment.id == row.id).execute()
    return Settled(PendingPayment.get_by_id(row.id), ticket)


def entry(row_id: int) -> PendingPayment:
    """One card-journal row, for a screen or a command to show."""
    row = PendingPayment.get_or_none(PendingPayment.id == row_id)
    if row is None:
        raise SettlementError("No card journal entry #{id}", id=row_id)
    return row


# --- at start ---------------------------------------------------------------------------------

@dataclass
class Reconciled:
    """What ``reconcile`` found: row ids by what became of them."""

    settled: list[int] = field(default_factory=list)
    declined: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    """Rows whose return was written from the journal (approved before the stop)."""

    @property
    def needs_manager(self) -> bool:
        return bool(self.unknown)


_MATCH_WINDOW = dt.timedelta(hours=12)


def reconcile(terminal, till_id: str, sealer=None, user_id: int | None = None, config=None) -> Reconciled:
    """Resolve what a stop left in this till's journal; never sends a payment request.

    Run by the till's own program at its start, under its run lock (``till.run_lock``), never by
    another command: a request in flight belongs to a running till.

    - ``pending`` (no answer recorded): the terminal is asked for its last transaction if its
      driver can; else the outcome is ``unknown``.
    - ``approved`` with a return to write: written now (``write_intent``).
    - ``approved`` with nothing carrying it: ``unknown`` (CARD_APPROVED_UNRECORDED), for a manager.
    Rows from before tickets settled their own rows are matched to a ticket of the same amount.
    Each ``unknown`` is sealed in chain L when ``sealer`` is given.
    """
    done = Reconciled()
    rows = list(PendingPayment.select()
                .where((PendingPayment.till_id == till_id) & (PendingPayment.status.in_([PENDING, APPROVED]))
                       & PendingPayment.ticket_id.is_null())
                .order_by(PendingPayment.id))
    for row in rows:
        status, why = row.status, ""
        if status == PENDING:
            status, why = _ask_terminal(terminal, row)
            if status == APPROVED:
                mark(row.id, APPROVED, message="approved, read back from the terminal")
                row = PendingPayment.get_by_id(row.id)
        if status == APPROVED and row.intent is not None and config is not None and sealer is not None:
            try:
                write_intent(row.id, sealer, config)
                done.written.append(row.id)
                continue
            except TillError as error:
                status, why = UNKNOWN, f"approved, but the return could not be written: {error}"
        elif status in (PENDING, APPROVED, UNKNOWN) and row.intent is None and _on_a_ticket(row):
            status = SETTLED  # written by a version whose tickets did not settle their rows
        elif status == APPROVED:
            status, why = UNKNOWN, why or "approved by the terminal but no ticket carries it"
        with current_database().atomic():  # the status and its event in chain L commit together
            changed = _mark_reconciled(row, status, why)
            if changed and status == UNKNOWN and sealer is not None:
                code = CARD_APPROVED_UNRECORDED if row.status == APPROVED else CARD_OUTCOME_UNKNOWN
                seal(sealer, code, "card payment left unresolved by a stop: check the terminal's journal", row,
                     why, user_id)
        if changed:
            {SETTLED: done.settled, DECLINED: done.declined, UNKNOWN: done.unknown}[status].append(row.id)
    return done


def _ask_terminal(terminal, row: PendingPayment) -> tuple[str, str]:
    ask = getattr(terminal, "last_transaction", None)
    if ask is None:
        return UNKNOWN, "the till stopped before the terminal answered"
    try:
        last = ask()
    except TerminalError as error:
        return UNKNOWN, f"the terminal could not tell its last transaction: {error}"
    if last is None or last.amount_cents != row.amount_cents:
        return UNKNOWN, "the terminal's last transaction is not this one"
    return (APPROVED if last.approved else DECLINED), ""


def _on_a_ticket(row: PendingPayment) -> bool:
    """Whether a ticket of the row's till, written after it, has this card payment (rows from
    before tickets settled their own). Tickets store whole seconds: the row's start is cut to
    its second before comparing, or a ticket of the same second would be missed."""
    amount = row.amount_cents if row.operation == "sale" else -row.amount_cents
    started = row.started_at.replace(microsecond=0)
    carried = PendingPayment.select(PendingPayment.ticket_id).where(PendingPayment.ticket_id.is_null(False))
    query = (Payment.select(Payment.id).join(Ticket)
             .where(Payment.means.in_(codes_where(uses_terminal=True)) & (Payment.amount_cents == amount)
                    & (Ticket.till_id == row.till_id) & (Ticket.created_at >= started)
                    & (Ticket.created_at <= started + _MATCH_WINDOW)
                    & Ticket.id.not_in(carried)))  # a ticket that settled its own row carries no other
    if row.result_reference:
        query = query.where(Payment.reference == row.result_reference)
    return query.exists()


def _mark_reconciled(row: PendingPayment, status: str, why: str) -> bool:
    """Move ``row`` on from the status it was read with; ``False`` if another process did first."""
    return bool(PendingPayment.update(status=status, finished_at=row.finished_at or utcnow(),
                                      message=(why or row.message or None))
                .where((PendingPayment.id == row.id) & (PendingPayment.status == row.status)).execute())
