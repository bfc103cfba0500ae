"""The card journal: a row committed before each terminal request, resolved after it.

The till can stop (power cut, killed process) between asking the terminal and hearing its
answer, or between the answer and the ticket. Without a trace it would either ask again
(charging or refunding the card twice) or forget that money moved. So every request has a row,
committed **before any byte goes to the terminal** and never inside another transaction:

- ``JournaledTerminal`` writes a ``pending`` row (or takes one its caller prepared, see
  ``prepare``), commits it, asks the terminal with no transaction open, then marks the row
  ``approved``, ``declined``, ``failed`` (the request certainly never reached the terminal) or
  ``unknown`` (it may have moved money: only the terminal's own journal can tell).
- The ticket that carries an approved request settles its row in the ticket's own transaction
  (``till.selling.ticket_writer``), so the ticket exists if and only if its row says ``settled``.
- A return's or exchange's request also carries a **claim** on the sale it returns and the
  ticket draft to write once approved (``prepare``): while the claim is open no other return of
  that sale is written on any till (``open_claims``), and the return can be written from the
  journal alone (``till.selling.card_settlement``).

An ``unknown`` outcome is sealed in chain L at once and waits for a manager
(``till.selling.card_settlement.settle``); ``till.selling.card_settlement.reconcile`` resolves what a stop left
behind, at the start of the till's own program only. Neither Concert E+ nor Caisse-AP, as far
as our reference goes (devices.md section 4), has a "last transaction" request; a driver that
can ask (a ``last_transaction()`` method) is asked first.
"""

from __future__ import annotations

import logging

from devices.payment import TerminalError, TerminalResult
from store.models import Ticket
from store.models.base import utcnow
from store.models.payments import (
    APPROVED,
    DECLINED,
    FAILED,
    OPEN,
    PENDING,
    SETTLED,
    UNKNOWN,
    PendingPayment,
)
from till.errors import TillError
from till.fiscal.chain import current_database
from till.fiscal.events import record_event
from till.i18n import N_, translate

log = logging.getLogger(__name__)

CARD_OUTCOME_UNKNOWN = "CARD_OUTCOME_UNKNOWN"
"""Chain L: the terminal may have moved money and the till cannot tell; check its journal."""
CARD_APPROVED_UNRECORDED = "CARD_APPROVED_UNRECORDED"
"""Chain L: the terminal approved, but no ticket carries the payment (stop before writing)."""
CARD_SETTLED = "CARD_SETTLED"
"""Chain L: a manager settled an unknown outcome, from the terminal's own journal."""


class InsideTransaction(RuntimeError):
    """A terminal request was about to be sent with a database transaction open (a bug)."""


class ClaimOpen(TillError):
    """A card request on this sale is not settled yet: no other return of it is written."""


def terminal_reason(error: TerminalError) -> str:
    """A terminal's failure in the cashier's language (devices keep English message ids)."""
    message = getattr(error, "message", "") or str(error)
    return translate(message, **getattr(error, "params", {}))


def mark(row_id: int, status: str, result: TerminalResult | None = None, message: str | None = None) -> None:
    """Record a request's outcome (joins the caller's transaction when there is one)."""
    with current_database().atomic():
        PendingPayment.update(
            status=status, finished_at=utcnow(), message=message,
            result_reference=(result.reference or None) if result else None,
        ).where(PendingPayment.id == row_id).execute()


def prepare(till_id: str, terminal: str, operation: str, amount_cents: int, reference: str,
            claim: str | None = None, intent: str | None = None) -> PendingPayment:
    """A ``pending`` row for a request about to be sent, inside the caller's transaction.

    A return writes it in the transaction that checks its lines and caps, so its claim is
    taken under the same lock; it commits before ``JournaledTerminal`` sends anything.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise TypeError(f"amount must be positive integer cents, not {amount_cents!r}")
    return PendingPayment.create(till_id=till_id, terminal=(terminal or "terminal")[:32], operation=operation,
                                 amount_cents=amount_cents, reference=(reference or "")[:64], claim=claim,
                                 intent=intent)


def open_claims(claim: str, exclude: int | None = None) -> list[PendingPayment]:
    """Requests on ``claim`` whose money is not accounted for yet (any till)."""
    query = PendingPayment.select().where((PendingPayment.claim == claim) & PendingPayment.status.in_(OPEN))
    if exclude is not None:
        query = query.where(PendingPayment.id != exclude)
    return list(query.order_by(PendingPayment.id))


def check_no_open_claim(claim: str, code: str, exclude: int | None = None) -> None:
    """Refuse a return of a sale while a card request on it is open (call under the sale's lock)."""
    for row in open_claims(claim, exclude):
        if row.status == UNKNOWN:
            raise ClaimOpen("A card {operation} on ticket {code} has an unknown outcome (card journal #{id}, till "
                            "{till}): a manager must settle it first", operation=operation_word(row.operation),
                            code=code, id=row.id, till=row.till_id)
        raise ClaimOpen("A card {operation} on ticket {code} is in progress at till {till} (card journal #{id}): "
                        "wait for it to finish", operation=operation_word(row.operation), code=code, id=row.id,
                        till=row.till_id)


OPERATION_WORDS = {"sale": N_("payment"), "refund": N_("refund")}


def operation_word(operation: str) -> str:
    """"payment" or "refund", in the cashier's language."""
    return translate(OPERATION_WORDS.get(operation, operation))


class JournaledTerminal:
    """A ``PaymentTerminal`` that journals every request of the terminal it wraps."""

    def __init__(self, terminal, till_id: str, sealer=None, user_id: int | None = None) -> None:
        self.terminal = terminal
        self.till_id = till_id
        self.sealer = sealer
        """When given, an ``unknown`` outcome is sealed in chain L at once (else at restart)."""
        self.user_id = user_id
        self.name = getattr(terminal, "name", "terminal")
        self.last_journal_id: int | None = None
        """The row of the last request (what a tender or a settlement refers to)."""

    _OWN = frozenset({"terminal", "till_id", "sealer", "user_id", "name", "last_journal_id"})

    def __getattr__(self, name: str):
        """What the driver offers beyond the protocol (a simulator's log, a decline switch) stays
        reachable through the journal: it wraps requests, not the device."""
        if name == "terminal":  # not set yet (during unpickling, say): no recursion
            raise AttributeError(name)
        return getattr(self.terminal, name)

    def __setattr__(self, name: str, value) -> None:
        if name in self._OWN or hasattr(type(self), name) or "terminal" not in self.__dict__ \
                or not hasattr(self.terminal, name):
            object.__setattr__(self, name, value)
        else:
            setattr(self.terminal, name, value)

    def request(self, operation: str, amount_cents: int, reference: str, row_id: int | None = None
                ) -> TerminalResult:
        """Send ``operation`` for ``amount_cents``: journaled and committed first, never inside a
        transaction. ``row_id``: a row ``prepare`` wrote (and its caller committed).

        A ``TerminalError`` raised here carries ``journal_id``; its ``maybe_charged`` says
        whether the row is ``unknown`` (sealed when a sealer is set) or ``failed``.
        """
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
            raise TypeError(f"amount must be integer cents, not {amount_cents!r}")
        database = current_database()
        if database.in_transaction():
            raise InsideTransaction("a card request is never sent inside a database transaction")
        if row_id is None:
            with database.atomic():
                row_id = prepare(self.till_id, self.name, operation, amount_cents, reference).id
        self.last_journal_id = row_id
        try:
            result = getattr(self.terminal, operation)(amount_cents, reference=reference)
        except TerminalError as error:
            error.journal_id = row_id
            if getattr(error, "maybe_charged", True):
                with database.atomic():  # the status and its event commit together
                    mark(row_id, UNKNOWN, message=str(error)[:500])
                    self._report_unknown(row_id, str(error))
            else:
                mark(row_id, FAILED, message=str(error)[:500])
            raise
        except BaseException as error:  # a bug or KeyboardInterrupt mid-request: outcome unknown
            mark(row_id, UNKNOWN, message=f"{type(error).__name__}: {error}"[:500])
            raise
        try:
            mark(row_id, APPROVED if result.approved else DECLINED, result, result.message or None)
        except Exception:  # noqa: BLE001 - the answer matters more: the row stays pending for reconcile
            log.exception("card journal row %s could not be updated after the terminal answered", row_id)
        return result

    def _report_unknown(self, row_id: int, why: str) -> None:
        if self.sealer is None:
            return
        row = PendingPayment.get_by_id(row_id)
        seal(self.sealer, CARD_OUTCOME_UNKNOWN, "card terminal outcome unknown: check the terminal's journal",
             row, why, self.user_id)

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        return self.request("sale", amount_cents, reference)

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        return self.request("refund", amount_cents, reference)

    def cancel(self, amount_cents: int, reference: str) -> TerminalResult:
        """Cancel a transaction, when the wrapped driver can (Concert, Caisse-AP)."""
        if not hasattr(self.terminal, "cancel"):
            raise TerminalError("this card terminal cannot cancel a transaction", maybe_charged=False)
        return self.request("cancel", amount_cents, reference)

    def abort(self) -> None:
        """Stop waiting for the running request (the cashier gave up); its row turns ``unknown``."""
        stop = getattr(self.terminal, "abort", None)
        if stop is not None:
            stop()

    def health(self) -> str:
        return self.terminal.health()


def close_without_ticket(row_ids: list[int], why: str) -> None:
    """Approved requests that no ticket will carry and that a sealed event accounts for (a card
    payment refunded before the sale ended, and that refund): settled, inside the caller's
    transaction with the event."""
    if row_ids:
        PendingPayment.update(status=SETTLED, finished_at=utcnow(), message=why[:500]).where(
            PendingPayment.id.in_(row_ids) & PendingPayment.status.in_((PENDING, APPROVED))).execute()


def seal(sealer, code: str, description: str, row: PendingPayment, why: str, user_id: int | None,
         **more) -> None:
    """Seal an event about ``row`` in chain L (in the caller's transaction when there is one)."""

    record_event(sealer, code, description, user_id=user_id, details={
        "journal_id": row.id, "operation": row.operation, "amount_cents": row.amount_cents,
        "reference": row.reference, "terminal": row.terminal,
        "started_at": row.started_at.replace(microsecond=0).isoformat() + "Z", "why": why[:200], **more,
    })


def unresolved(till_id: str | None = None) -> list[PendingPayment]:
    """Requests a manager must check on the terminal (this till's, or every till's with None)."""
    query = PendingPayment.select().where(PendingPayment.status == UNKNOWN)
    if till_id is not None:
        query = query.where(PendingPayment.till_id == till_id)
    return list(query.order_by(PendingPayment.id))


def claim_of(ticket: Ticket | None = None, order=None) -> str | None:
    """The claim a return of ``ticket`` (or of an online ``order``) takes on it."""
    if ticket is not None:
        return f"T:{ticket.id}"
    if order is not None:
        return f"O:{order.id}"
    return None
