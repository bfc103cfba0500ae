"""The card journal: a row committed before each terminal request, resolved after it or at restart.

The till can crash (power cut, killed process) between asking the terminal and hearing its
answer. Without a trace it would either ask again (charging the card twice) or forget that the
customer paid (a sale counted unpaid). So ``JournaledTerminal`` writes a ``pending`` row and
commits it before the request, then marks it ``approved``, ``declined``, ``failed`` (the request
certainly never reached the terminal) or ``unknown``. ``reconcile`` runs at start and resolves
what a crash left behind; it never sends a payment request itself.

Neither Concert E+ nor Caisse-AP, as far as our reference goes (devices.md section 4), has a
"last transaction" request, so a pending row becomes ``unknown`` and an event in chain L tells
a manager to check the terminal's own journal. A driver that can ask (a ``last_transaction()``
method returning the last ``TerminalResult`` or ``None``) is asked first.

Limit: when the caller already holds a database transaction (returns call the terminal inside
theirs), the row cannot be committed first on the same connection; it is then written in that
transaction and only protects what commits with it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from devices.payment import TerminalError, TerminalResult
from store.models import Payment, Ticket
from store.models.base import utcnow
from store.models.payments import (
    APPROVED, DECLINED, FAILED, PENDING, SETTLED, UNKNOWN, PendingPayment,
)
from till.fiscal.chain import current_database
from till.i18n import translate

log = logging.getLogger(__name__)

CARD_OUTCOME_UNKNOWN = "CARD_OUTCOME_UNKNOWN"
"""Chain L: the terminal may have moved money and the till cannot tell; check its journal."""
CARD_APPROVED_UNRECORDED = "CARD_APPROVED_UNRECORDED"
"""Chain L: the terminal approved, but no ticket carries the payment (crash before writing)."""

_MATCH_WINDOW = dt.timedelta(hours=12)


def terminal_reason(error: TerminalError) -> str:
    """A terminal's failure in the cashier's language (devices keep English message ids)."""
    message = getattr(error, "message", "") or str(error)
    return translate(message, **getattr(error, "params", {}))


def _mark(row_id: int, status: str, result: TerminalResult | None = None, message: str | None = None) -> None:
    with current_database().atomic():
        PendingPayment.update(
            status=status, finished_at=utcnow(), message=message,
            result_reference=(result.reference or None) if result else None,
        ).where(PendingPayment.id == row_id).execute()


class JournaledTerminal:
    """A ``PaymentTerminal`` that journals every request of the terminal it wraps."""

    def __init__(self, terminal, till_id: str, sealer=None, user_id: int | None = None) -> None:
        self.terminal = terminal
        self.till_id = till_id
        self.sealer = sealer
        """When given, an ``unknown`` outcome is sealed in chain L at once (else at restart)."""
        self.user_id = user_id
        self.name = getattr(terminal, "name", "terminal")

    _OWN = frozenset({"terminal", "till_id", "sealer", "user_id", "name"})

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

    def _begin(self, operation: str, amount_cents: int, reference: str) -> int:
        database = current_database()
        if database.in_transaction():
            log.warning("card journal row written inside the caller's transaction: not committed first")
        with database.atomic():
            row = PendingPayment.create(till_id=self.till_id, terminal=self.name[:32], operation=operation,
                                        amount_cents=amount_cents, reference=(reference or "")[:64])
        return row.id

    def _request(self, operation: str, amount_cents: int, reference: str) -> TerminalResult:
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
            raise TypeError(f"amount must be integer cents, not {amount_cents!r}")
        row_id = self._begin(operation, amount_cents, reference)
        try:
            result = getattr(self.terminal, operation)(amount_cents, reference=reference)
        except TerminalError as error:
            if getattr(error, "maybe_charged", True):
                with current_database().atomic():  # the status and its event commit together
                    _mark(row_id, UNKNOWN, message=str(error)[:500])
                    self._report_unknown(row_id, str(error))
            else:
                _mark(row_id, FAILED, message=str(error)[:500])
            raise
        except BaseException as error:  # a bug or KeyboardInterrupt mid-request: outcome unknown
            _mark(row_id, UNKNOWN, message=f"{type(error).__name__}: {error}"[:500])
            raise
        try:
            _mark(row_id, APPROVED if result.approved else DECLINED, result, result.message or None)
        except Exception:  # noqa: BLE001 - the answer matters more: the row stays pending for reconcile
            log.exception("card journal row %s could not be updated after the terminal answered", row_id)
        return result

    def _report_unknown(self, row_id: int, why: str) -> None:
        if self.sealer is None:
            return
        row = PendingPayment.get_by_id(row_id)
        _seal(self.sealer, CARD_OUTCOME_UNKNOWN, "card terminal outcome unknown: check the terminal's journal",
              row, why, self.user_id)

    def sale(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._request("sale", amount_cents, reference)

    def refund(self, amount_cents: int, reference: str) -> TerminalResult:
        return self._request("refund", amount_cents, reference)

    def cancel(self, amount_cents: int, reference: str) -> TerminalResult:
        """Cancel a transaction, when the wrapped driver can (Concert, Caisse-AP)."""
        if not hasattr(self.terminal, "cancel"):
            raise TerminalError("this card terminal cannot cancel a transaction", maybe_charged=False)
        return self._request("cancel", amount_cents, reference)

    def abort(self) -> None:
        """Stop waiting for the running request (the cashier gave up); its row turns ``unknown``."""
        stop = getattr(self.terminal, "abort", None)
        if stop is not None:
            stop()

    def health(self) -> str:
        return self.terminal.health()

    def settle(self) -> int:
        """Mark this till's approved requests as carried by a written ticket or sealed event.

        Call it right after the ticket (or the cancellation's event) is committed; what is still
        ``approved`` at the next start is checked against the tickets by ``reconcile``.
        """
        with current_database().atomic():
            return (PendingPayment.update(status=SETTLED)
                    .where((PendingPayment.till_id == self.till_id) & (PendingPayment.status == APPROVED))
                    .execute())


@dataclass
class Reconciled:
    """What ``reconcile`` found: row ids by the status it gave them."""

    settled: list[int] = field(default_factory=list)
    declined: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)

    @property
    def needs_manager(self) -> bool:
        return bool(self.unknown)


def reconcile(terminal, till_id: str, sealer=None, user_id: int | None = None) -> Reconciled:
    """Resolve what a crash left in this till's journal; never sends a payment request.

    - ``pending`` (no answer was recorded): the terminal is asked for its last transaction if
      its driver can; a ticket carrying the payment settles it; otherwise it becomes ``unknown``.
    - ``approved`` but never settled: settled when a ticket of this till carries a card payment
      of that amount (and authorisation) after the request; else ``unknown``.
    Each ``unknown`` is sealed in chain L when ``sealer`` is given, for a manager to check.
    """
    done = Reconciled()
    rows = list(PendingPayment.select()
                .where((PendingPayment.till_id == till_id) & (PendingPayment.status.in_([PENDING, APPROVED])))
                .order_by(PendingPayment.id))
    for row in rows:
        status, why = row.status, ""
        if status == PENDING:
            status, why = _ask_terminal(terminal, row)
            if status == UNKNOWN and _on_a_ticket(row):
                # a ticket carries it, so the terminal approved (the row's update was lost);
                # reconcile runs at start, so every ticket it finds predates the restart
                status = APPROVED
        if status == APPROVED:
            if _on_a_ticket(row):
                status = SETTLED
            else:
                status, why = UNKNOWN, why or "approved by the terminal but no ticket carries it"
        with current_database().atomic():  # the status and its event in chain L commit together
            changed = _mark_reconciled(row, status, why)
            if changed and status == UNKNOWN and sealer is not None:
                code = CARD_APPROVED_UNRECORDED if row.status == APPROVED else CARD_OUTCOME_UNKNOWN
                _seal(sealer, code, "card payment left unresolved by a stop: check the terminal's journal", row,
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
    """Whether a ticket of the row's till, written after it, has this card payment."""
    amount = row.amount_cents if row.operation == "sale" else -row.amount_cents
    query = (Payment.select(Payment.id).join(Ticket)
             .where((Payment.means == "card") & (Payment.amount_cents == amount)
                    & (Ticket.till_id == row.till_id) & (Ticket.created_at >= row.started_at)
                    & (Ticket.created_at <= row.started_at + _MATCH_WINDOW)))
    if row.result_reference:
        query = query.where(Payment.reference == row.result_reference)
    return query.exists()


def _mark_reconciled(row: PendingPayment, status: str, why: str) -> bool:
    """Move ``row`` on from the status it was read with; ``False`` if another process did first."""
    return bool(PendingPayment.update(status=status, finished_at=row.finished_at or utcnow(),
                                      message=(why or row.message or None))
                .where((PendingPayment.id == row.id) & (PendingPayment.status == row.status)).execute())


def _seal(sealer, code: str, description: str, row: PendingPayment, why: str, user_id: int | None) -> None:
    from till.fiscal.events import record_event

    record_event(sealer, code, description, user_id=user_id, details={
        "journal_id": row.id, "operation": row.operation, "amount_cents": row.amount_cents,
        "reference": row.reference, "terminal": row.terminal,
        "started_at": row.started_at.replace(microsecond=0).isoformat() + "Z", "why": why[:200],
    })


def unresolved(till_id: str) -> list[PendingPayment]:
    """This till's requests a manager must check on the terminal (for a screen or a report)."""
    return list(PendingPayment.select()
                .where((PendingPayment.till_id == till_id) & (PendingPayment.status == UNKNOWN))
                .order_by(PendingPayment.id))
