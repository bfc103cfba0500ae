"""Chain P: what a cash move or a means correction is, what it signs, and what it adds up to.

Cash that enters or leaves the drawer without a sale (an opening float, a withdrawal to the
safe...) and the correction of a payment's means after the sale (a card payment recorded as cash)
are fiscal documents of their own, sealed in chain P (fiscal-fr.md R-SEC-01, R-INA-04): without
them the cash the drawer should hold, the Z's per-means totals and the books could not be
explained. The workflow that writes them is ``till.selling.cash_moves``; this module is the part
the closures, the X report and the verifier need too, so none of them depends on a workflow:

- the closed list of kinds and which way each moves the drawer's cash;
- ``move_payload``, the one definition of the signed payload, rebuilt from the row by the
  verifier (``till.fiscal.cash_move_check``);
- ``counted_cash_moves`` (what a closure adds up), ``period_cash_moves`` (the X report's day), ``expected_cash`` (what the drawer should hold)
  and ``left_to_correct`` (what a ticket's payment by a means can still be corrected by).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from peewee import fn

from store.models import CashMove, Payment, Ticket
from till.fiscal.chain import iso_utc
from till.i18n import N_
from till.means import CASH, codes_where

__all__ = [
    "CASH_MOVE_CHAIN", "DOCUMENT_VERSION", "OPENING_FLOAT", "FLOAT_TOP_UP", "WITHDRAWAL", "BANK_DEPOSIT",
    "PETTY_EXPENSE", "MEANS_CORRECTION", "MOVE_KINDS", "KIND_LABELS", "CORRECTABLE_MEANS", "move_code",
    "drawer_effect", "move_payload", "period_cash_moves", "counted_cash_moves", "add_up_moves", "expected_cash",
    "left_to_correct",
]

CASH_MOVE_CHAIN = "P"
DOCUMENT_VERSION = 1
"""Version of the payload of a P record (``document_version``): a new shape is a new version, and a
record of an earlier version keeps verifying with the rules of its own."""

OPENING_FLOAT = "opening_float"
FLOAT_TOP_UP = "float_top_up"
WITHDRAWAL = "withdrawal"
BANK_DEPOSIT = "bank_deposit"
PETTY_EXPENSE = "petty_expense"
MEANS_CORRECTION = "means_correction"

MOVE_KINDS: dict[str, int] = {
    OPENING_FLOAT: +1, FLOAT_TOP_UP: +1, WITHDRAWAL: -1, BANK_DEPOSIT: -1, PETTY_EXPENSE: -1,
}
"""The closed list of cash moves and their direction for the drawer (+1 in, -1 out). The codes are
signed (the record's kind): renaming one would be a new kind, never an edit."""

KIND_LABELS: dict[str, str] = {
    OPENING_FLOAT: N_("Opening float"),
    FLOAT_TOP_UP: N_("Float top-up"),
    WITHDRAWAL: N_("Withdrawal to the safe"),
    BANK_DEPOSIT: N_("Cash taken to the bank"),
    PETTY_EXPENSE: N_("Petty expense"),
    MEANS_CORRECTION: N_("Means correction"),
}

CORRECTABLE_MEANS: tuple[str, ...] = codes_where(reference_shown=False)
"""The means a correction moves money between (cash and card): a credit note's payment is a
redemption of its own ledger, never corrected into another means."""


def move_code(till_id: str, number: int) -> str:
    """The printed code of P document ``number`` of ``till_id``: ``P`` + till + ``-`` + 6 digits."""
    return f"P{till_id}-{number:06d}"


def drawer_effect(kind: str, amount_cents: int, means: str, to_means: str | None = None) -> int:
    """The change a document makes to the cash the drawer should hold (+ in, - out)."""
    if kind == MEANS_CORRECTION:
        return (amount_cents if to_means == CASH else 0) - (amount_cents if means == CASH else 0)
    return MOVE_KINDS[kind] * amount_cents if means == CASH else 0


def move_payload(move: CashMove) -> dict[str, Any]:
    """The signed payload of ``move``: everything its paper and the books show."""
    origin = None
    if move.origin_ticket_id is not None:
        origin = {"ticket_id": move.origin_ticket_id, "code": move.origin_reference,
                  "signature": move.origin_signature}
    return {
        "document_version": DOCUMENT_VERSION,
        "till_id": move.till_id,
        "number": move.number,
        "code": move.code,
        "kind": move.kind,
        "created_at": iso_utc(move.created_at),
        "operator": {"id": move.user_id, "name": move.operator_name},
        "approved_by": {"id": move.approved_by_id, "name": move.approver_name},
        "amount_cents": move.amount_cents,
        "means": move.means,
        "to_means": move.to_means,
        "drawer_cents": move.drawer_cents,
        "reason": move.reason,
        "origin": origin,
    }


def period_cash_moves(till_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """What the P documents of ``till_id`` made in ``[start, end)`` (naive UTC) add up to (the X
    report's live day). JSON-friendly, ints and strings only::

        {"count": 3, "first_number": 1, "last_number": 3, "drawer_cents": -2000,
         "kinds": {"withdrawal": {"count": 1, "amount_cents": 5000}, ...},
         "corrections": {"card": 3000, "cash": -3000}}

    ``corrections`` is the net change per means the period's corrections make to the tickets'
    per-means totals; ``drawer_cents`` the net change to the cash the drawer should hold.
    """
    return _add_up(till_id, (CashMove.created_at >= start) & (CashMove.created_at < end))


def counted_cash_moves(till_id: str, through: int, after: int | None, start: dt.datetime | None
                       ) -> dict[str, Any]:
    """``period_cash_moves``'s figures for a closure (R-CON-03 "non-sale movements"): the
    documents numbered up to ``through`` and after ``after`` (the previous closure's last),
    counted by number as the closure counts its other records, so a document made after a
    day's Z (a withdrawal at 21:00) counts on the next Z, never twice and never lost. Without
    ``after``: those made from ``start`` on (the previous closure predates these counts), or
    all of them (the till's first closure of its kind)."""
    where = CashMove.number <= through
    if after is not None:
        where &= CashMove.number > after
    elif start is not None:
        where &= CashMove.created_at >= start
    return _add_up(till_id, where)


def _add_up(till_id: str, where: Any) -> dict[str, Any]:
    return add_up_moves(CashMove.select(CashMove.number, CashMove.kind, CashMove.amount_cents, CashMove.means,
                                        CashMove.to_means, CashMove.drawer_cents)
                        .where((CashMove.till_id == till_id) & where)
                        .order_by(CashMove.number).tuples())


def add_up_moves(rows: Iterable[tuple[int, str, int, str, str | None, int]]) -> dict[str, Any]:
    """What P documents ``(number, kind, amount_cents, means, to_means, drawer_cents)`` add up to
    (the shape ``period_cash_moves`` describes): from the rows, or from an archive's signed
    payloads (``till.fiscal.archive_closures``), the same figures."""
    kinds: dict[str, dict[str, int]] = {}
    corrections: dict[str, int] = {}
    numbers: list[int] = []
    drawer = 0
    for number, kind, amount, means, to_means, drawer_cents in rows:
        numbers.append(number)
        totals = kinds.setdefault(kind, {"count": 0, "amount_cents": 0})
        totals["count"] += 1
        totals["amount_cents"] += amount
        drawer += drawer_cents
        if kind == MEANS_CORRECTION:
            corrections[means] = corrections.get(means, 0) - amount
            corrections[to_means] = corrections.get(to_means, 0) + amount
    return {"count": len(numbers), "first_number": min(numbers) if numbers else 0,
            "last_number": max(numbers) if numbers else 0, "drawer_cents": drawer, "kinds": kinds,
            "corrections": {means: net for means, net in sorted(corrections.items()) if net}}


def expected_cash(till_id: str) -> int:
    """The cash the drawer of ``till_id`` should hold now: every cash payment of its real tickets
    (change and cash refunds are negative) plus every P document's drawer effect.

    Counted over the till's whole life, so a float left in the drawer overnight is still there
    the next morning: a shop that empties its drawer records the withdrawal. Training tickets
    move no money and are left out.
    """
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0))
            .join(Ticket, on=(Payment.ticket == Ticket.id))
            .where((Ticket.till_id == till_id) & (Ticket.training == False) & (Payment.means == CASH))  # noqa: E712
            .scalar())
    moved = (CashMove.select(fn.COALESCE(fn.SUM(CashMove.drawer_cents), 0))
             .where(CashMove.till_id == till_id).scalar())
    return int(paid or 0) + int(moved or 0)


def left_to_correct(ticket_id: int, means: str) -> int:
    """What ticket ``ticket_id``'s payments by ``means`` can still be corrected by: what it paid by
    that means (net of change), plus what corrections moved into it, less what they moved out."""
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0))
            .where((Payment.ticket == ticket_id) & (Payment.means == means)).scalar())
    moved = 0
    for amount, source, target in (CashMove.select(CashMove.amount_cents, CashMove.means, CashMove.to_means)
                                   .where((CashMove.origin_ticket == ticket_id)
                                          & (CashMove.kind == MEANS_CORRECTION)).tuples()):
        moved += (amount if target == means else 0) - (amount if source == means else 0)
    return int(paid or 0) + moved


def with_corrections(payments: tuple[tuple[str, int, int, int], ...], corrections: dict[str, int]
                     ) -> tuple[tuple[str, int, int, int], ...]:
    """Per-means totals ``(means, net, in, out)`` of the tickets, as the period's corrections
    (``period_cash_moves(...)["corrections"]``) leave them: a means gains what was moved to it
    (counted in), loses what was moved from it (counted out). A means no ticket used comes last."""
    found = {row[0]: list(row) for row in payments}
    order = [row[0] for row in payments] + sorted(set(corrections) - set(found))
    for means, delta in corrections.items():
        row = found.setdefault(means, [means, 0, 0, 0])
        row[1] += delta
        row[2 if delta > 0 else 3] += abs(delta)
    return tuple(tuple(found[means]) for means in order)  # type: ignore[misc]
