"""Chain P documents against their signed records, and corrections against what was paid.

The journal verifier proves chain P like every chain (continuity, links, hashes, signatures);
this check proves the ``cash_move`` rows those records seal, since a row proves nothing by itself
(a plain INSERT or, with the triggers dropped, an UPDATE passes):

- each record's payload must still be its row's (``move_payload`` rebuilt from the row, the very
  function that sealed it): an altered amount, kind, reason, approver or origin shows;
- each row must have its record (an inserted document), each record its row (a deleted one);
- a correction must name its ticket by that ticket's code and record signature, and the
  corrections of a ticket, in the order sealed, must never take from a means more than the
  ticket paid by it plus what earlier corrections moved into it.

Its accounting lines need the configured accounts: ``till.selling.cash_move_postings_check``.
"""

from __future__ import annotations

import json
from typing import Any

from store.models import CashMove, FiscalRecord, Payment
from till.fiscal.canonical import canonical_json
from till.fiscal.cash_moves import CASH_MOVE_CHAIN, MEANS_CORRECTION, move_payload
from till.fiscal.problems import Problem, finding

__all__ = ["check_cash_moves"]


def _same(stored: str, rebuilt: dict[str, Any]) -> bool:
    try:
        return json.loads(stored) == rebuilt or canonical_json(rebuilt) == stored
    except (TypeError, ValueError):
        return False


def check_cash_moves() -> list[Problem]:
    """The problems of the ``cash_move`` rows of the bound database against chain P."""
    problems: list[Problem] = []
    rows = {(move.till_id, move.code): move for move in CashMove.select().order_by(CashMove.id)}
    seen: set[tuple[str, str]] = set()
    ticket_signatures = {ticket_id: signature for ticket_id, signature in
                         FiscalRecord.select(FiscalRecord.ticket_id, FiscalRecord.signature)
                         .where((FiscalRecord.chain == "T") & FiscalRecord.ticket_id.in_(
                             CashMove.select(CashMove.origin_ticket).where(CashMove.origin_ticket.is_null(False))))
                         .tuples()}
    moved: dict[tuple[int, str], int] = {}
    records = (FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.sequence, FiscalRecord.payload)
               .where(FiscalRecord.chain == CASH_MOVE_CHAIN).order_by(FiscalRecord.till_id, FiscalRecord.sequence)
               .tuples())
    for till_id, sequence, text in records:
        try:
            payload = json.loads(text)
            code = payload["code"]
        except (TypeError, ValueError, KeyError):
            continue  # an unreadable payload is the journal verifier's finding (its hash, its signature)
        move = rows.get((till_id, code))
        if move is None:
            problems.append(finding(till_id, CASH_MOVE_CHAIN, sequence, "document {code} it seals no longer exists",
                                    code=code))
            continue
        seen.add((till_id, code))
        if not _same(text, move_payload(move)):
            problems.append(finding(till_id, CASH_MOVE_CHAIN, sequence,
                                    "payload differs from the row of document {code} (the row was altered)", code=code))
        if payload.get("kind") == MEANS_CORRECTION:
            _check_correction(till_id, sequence, payload, ticket_signatures, moved, problems)
    for (till_id, code), move in rows.items():
        if (till_id, code) not in seen:
            problems.append(finding(till_id, CASH_MOVE_CHAIN, None,
                                    "document {code} (number {number}) has no fiscal record (added afterwards, or its "
                                    "record deleted)", code=code, number=move.number))
    return problems


def _check_correction(till_id: str, sequence: int, payload: dict[str, Any], signatures: dict[int, str],
                      moved: dict[tuple[int, str], int], problems: list[Problem]) -> None:
    """One correction, from its signed payload: its origin, and what its ticket had left."""
    origin = payload.get("origin") or {}
    ticket_id = origin.get("ticket_id")
    code, amount = payload["code"], payload["amount_cents"]
    source, target = payload["means"], payload["to_means"]
    if ticket_id is None or signatures.get(ticket_id) != origin.get("signature"):
        problems.append(finding(till_id, CASH_MOVE_CHAIN, sequence,
                                "correction {code} names ticket {reference} but not that ticket's record",
                                code=code, reference=origin.get("code")))
        return
    for means in (source, target):
        if (ticket_id, means) not in moved:
            paid = sum(amount for (amount,) in Payment.select(Payment.amount_cents)
                       .where((Payment.ticket == ticket_id) & (Payment.means == means)).tuples())
            moved[(ticket_id, means)] = paid
    if amount > moved[(ticket_id, source)]:
        problems.append(finding(till_id, CASH_MOVE_CHAIN, sequence,
                                "correction {code} takes {amount} from {means} of ticket {reference}, which has only "
                                "{left} left", code=code, amount=amount, means=source, reference=origin.get("code"),
                                left=moved[(ticket_id, source)]))
    moved[(ticket_id, source)] -= amount
    moved[(ticket_id, target)] += amount
