"""Writing chain P documents: cash in and out of the drawer without a sale, and means corrections.

Money that goes into or out of the drawer without a ticket (an opening float, a withdrawal to the
safe, a petty expense...) is where a drawer's count goes wrong or cash goes missing; a payment
recorded with the wrong means (a card payment keyed as cash) makes the Z and the drawer disagree
for ever after, and a ticket may not be edited (fiscal-fr.md R-INA-04). Each is therefore a
document of its own: numbered in chain P, with the operator, the manager whose PIN approved it, a
reason, and, for a correction, the corrected ticket's code and record signature. The row, its
accounting lines and its sealed record commit together (``Sealer.append``) with the outbox
jobs that print its paper (``till.aftersale.cash_move_slip``) and, when cash moved, open the drawer.

Refused with a message, nothing written: an unknown kind, an amount that is not positive, no
reason, an approver who is not a manager, training mode (a practice session moves no money and a
P record in the training chain would explain nothing: it is refused, never faked), a withdrawal
above the cash the drawer should hold (``till.fiscal.cash_moves.expected_cash``), a correction
above what the ticket paid by the source means less what earlier corrections took from it. The
checks that need no database run first (``check_move``, ``check_correction``), so a screen or a
command refuses before a manager's PIN is asked.
"""

from __future__ import annotations

import datetime as dt

from store.models import MANAGER, TECHNICIAN, AccountingLine, CashMove, FiscalRecord, Ticket, User, utcnow
from till.aftersale import outbox
from till.aftersale.cash_move_slip import PRINT_CASH_MOVE
from till.config.loader import AccountsConfig
from till.errors import TillError
from till.fiscal.cash_moves import (
    CASH_MOVE_CHAIN, CORRECTABLE_MEANS, MEANS_CORRECTION, MOVE_KINDS, drawer_effect, expected_cash, left_to_correct,
    move_code, move_payload,
)
from till.fiscal.chain import Sealer, current_database
from till.fiscal.clock import check_clock, note_sealed
from till.fiscal.closures import require_open_day
from till.means import CASH, is_known
from till.money import shown
from till.selling.accounting import cash_move_postings

__all__ = ["CashMoveError", "MAX_REASON", "check_move", "check_correction", "record_cash_move", "correct_means"]

MAX_REASON = 200
"""The longest reason kept (the column's size); a longer one is refused, never cut."""


class CashMoveError(TillError):
    """A cash move or a means correction was refused; nothing was written."""


def _check_common(amount_cents: int, reason: str, training: bool) -> str:
    if training:
        raise CashMoveError("Cash moves and corrections are not recorded in training mode: leave training first")
    if type(amount_cents) is not int or amount_cents <= 0:
        raise CashMoveError("Type an amount above zero")
    reason = (reason or "").strip()
    if not reason:
        raise CashMoveError("Give a reason: it is printed and signed with the document")
    if len(reason) > MAX_REASON:
        raise CashMoveError("The reason is too long ({count} characters, {limit} at most)", count=len(reason),
                            limit=MAX_REASON)
    return reason


def check_move(kind: str, amount_cents: int, reason: str, *, training: bool = False) -> str:
    """Refuse what no database is needed to refuse; the reason as it will be kept."""
    if kind not in MOVE_KINDS:
        raise CashMoveError("Unknown kind of cash move: {kind}", kind=kind)
    return _check_common(amount_cents, reason, training)


def check_correction(from_means: str, to_means: str, amount_cents: int, reason: str, *,
                     training: bool = False) -> str:
    """Refuse a correction that cannot be right whatever the ticket; the reason as kept."""
    for code in (from_means, to_means):
        if not is_known(code) or code not in CORRECTABLE_MEANS:
            raise CashMoveError("A correction moves an amount between cash and card, not {means}", means=code)
    if from_means == to_means:
        raise CashMoveError("A correction moves an amount from one means to another")
    return _check_common(amount_cents, reason, training)


def _approver(approved_by: User | None) -> User:
    if approved_by is None or approved_by.role not in (MANAGER, TECHNICIAN) or not approved_by.active:
        raise CashMoveError("A manager's PIN approves cash moves and corrections")
    return approved_by


def _write(sealer: Sealer, accounts: AccountsConfig, number: int, when: dt.datetime, fields: dict) -> CashMove:
    """The row, its balanced accounting lines, its record in chain P and the drawer's job; in the
    caller's transaction, after ``sealer.reserve`` gave ``number``."""
    till_id = sealer.till_id
    move = CashMove.create(till_id=till_id, number=number, code=move_code(till_id, number), created_at=when,
                           **fields)
    business_date = when.replace(tzinfo=dt.timezone.utc).astimezone(sealer.zone).date()
    for posting in cash_move_postings(accounts, move.code, move.kind, move.amount_cents, move.means, move.to_means):
        AccountingLine.create(cash_move=move, journal=accounts.cash_journal, entry_date=business_date,
                              account=posting.account, label=posting.label, debit_cents=posting.debit_cents,
                              credit_cents=posting.credit_cents, created_at=when)
    sealer.append(CASH_MOVE_CHAIN, move.kind, move_payload(move))
    if move.drawer_cents:  # first, as for a sale (till.aftersale.drawer_kick)
        outbox.enqueue(till_id, outbox.OPEN_DRAWER, {"cash_move_id": move.id, "code": move.code})
    outbox.enqueue(till_id, PRINT_CASH_MOVE, {"cash_move_id": move.id})
    return move


def _people(user: User, approved_by: User) -> dict:
    return {"user": user.id, "operator_name": user.name, "approved_by": approved_by.id,
            "approver_name": approved_by.name}


def record_cash_move(sealer: Sealer, accounts: AccountsConfig, kind: str, amount_cents: int, reason: str,
                     user: User, approved_by: User | None, *, means: str = CASH, training: bool = False) -> CashMove:
    """Write a cash move of ``kind`` (``MOVE_KINDS``) of ``amount_cents`` (positive; the kind
    says which way) made by ``user`` with ``approved_by``'s approval; the drawer opens after commit."""
    reason = check_move(kind, amount_cents, reason, training=training)
    if means != CASH:
        raise CashMoveError("A cash move is in cash")
    approver = _approver(approved_by)
    check_clock(sealer.till_id)
    when = utcnow().replace(microsecond=0)
    drawer = drawer_effect(kind, amount_cents, means)
    with current_database().atomic():
        number = sealer.reserve(CASH_MOVE_CHAIN)  # under the P lock: two withdrawals never both pass
        require_open_day(sealer.till_id, when, sealer.zone)
        if drawer < 0:
            held = expected_cash(sealer.till_id)
            if amount_cents > held:
                raise CashMoveError("The drawer should hold {held}: {amount} cannot be taken out of it",
                                    held=shown(held), amount=shown(amount_cents))
        move = _write(sealer, accounts, number, when, {
            **_people(user, approver), "kind": kind, "amount_cents": amount_cents, "means": means,
            "to_means": None, "drawer_cents": drawer, "reason": reason})
    note_sealed(sealer.till_id, when)
    return move


def correct_means(sealer: Sealer, accounts: AccountsConfig, ticket_code: str, from_means: str, to_means: str,
                  amount_cents: int, reason: str, user: User, approved_by: User | None, *,
                  training: bool = False) -> CashMove:
    """Write the correction of ``amount_cents`` of ticket ``ticket_code``'s payments from
    ``from_means`` to ``to_means``; the ticket itself is never touched."""
    reason = check_correction(from_means, to_means, amount_cents, reason, training=training)
    approver = _approver(approved_by)
    ticket = Ticket.get_or_none(Ticket.code == (ticket_code or "").strip().upper())
    if ticket is None or ticket.training:
        raise CashMoveError("No ticket has the code {code}", code=ticket_code)
    if ticket.till_id != sealer.till_id:  # its cash went into that till's drawer, not this one's
        raise CashMoveError("Ticket {code} was paid at till {till}: correct it there", code=ticket.code,
                            till=ticket.till_id)
    record = (FiscalRecord.select(FiscalRecord.signature)
              .where((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T")).first())
    if record is None:
        raise CashMoveError("Ticket {code} has no fiscal record: it cannot be corrected", code=ticket.code)
    check_clock(sealer.till_id)
    when = utcnow().replace(microsecond=0)
    with current_database().atomic():
        number = sealer.reserve(CASH_MOVE_CHAIN)  # under the P lock: two corrections never both pass
        require_open_day(sealer.till_id, when, sealer.zone)
        left = left_to_correct(ticket.id, from_means)
        if amount_cents > left:
            raise CashMoveError("Ticket {code} has {left} paid by {means} left to correct: {amount} is too much",
                                code=ticket.code, left=shown(max(left, 0)), means=from_means,
                                amount=shown(amount_cents))
        move = _write(sealer, accounts, number, when, {
            **_people(user, approver), "kind": MEANS_CORRECTION, "amount_cents": amount_cents, "means": from_means,
            "to_means": to_means, "drawer_cents": drawer_effect(MEANS_CORRECTION, amount_cents, from_means, to_means),
            "reason": reason, "origin_ticket": ticket.id, "origin_reference": ticket.code,
            "origin_signature": record.signature})
    note_sealed(sealer.till_id, when)
    return move
