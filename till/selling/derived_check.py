"""Accounting lines and stock movements, rebuilt from the signed ticket payloads and compared.

The accounting lines (the FEC's source) and the stock ledger are written in the transaction of
the ticket that causes them, but they are not in its signed payload: with the append-only
triggers dropped, or by a plain INSERT, they could be changed without the journal verifier
noticing. Everything they are made of is in the payload, though: the ticket's code and time, its
per-rate VAT split, its payments, its lines with products, quantities and dispositions. So this
check rebuilds each T ticket's lines and movements from its sealed payload with the very
functions the ticket writer uses (``till.selling.accounting.ticket_postings``,
``till.selling.stock.stock_moves`` and ``location_of``, ``till.credit.loyalty.reward_postings``
for the cost of a loyalty voucher, whose issue is sealed in chain L) and names:

- a row that differs from what its ticket's payload gives, or that no sealed record calls for
  (inserted, or its ticket has no record);
- a row the payload calls for that is missing (deleted);
- a stock movement with no ticket (an opening stock, an adjustment) that no ``STOCK_MOVED`` event
  of chain L seals, and a stock level that is not the sum of its movements.

The records themselves are proved by the journal verifier; this check reads their payloads as
given, so it runs beside it (``till journal verify``). It uses the configured accounts and time
zone: a chart of accounts changed since a ticket was written shows as differences, naming the
accounts configured now. Tickets are read a page at a time, by ticket id, with their rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any, Iterable

from peewee import JOIN, fn

from store.models import AccountingLine, FiscalRecord, StockLevel, StockLocation, StockMovement
from till.config.loader import AccountsConfig
from till.config.loyalty import LoyaltySettings
from till.credit.loyalty import reward_postings
from till.fiscal.chain import current_database
from till.fiscal.credit_ledger import CREDIT_NOTE_ISSUED, ISSUED_BY_LOYALTY, issue_of
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.problems import Problem, table_finding
from till.money import VatAmounts
from till.selling.accounting import ticket_postings
from till.selling.stock import STOCK_MOVED, location_of, stock_moves

__all__ = ["expected_rows", "check_derived_rows", "unsealed_ticketless", "loyalty_rewards"]

def _when(created_at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(created_at.replace("Z", "")).replace(microsecond=0)


def expected_rows(payload: dict[str, Any], accounts: AccountsConfig, zone: dt.tzinfo, loyalty: LoyaltySettings,
                  rewards: Iterable[int] = ()) -> tuple[list[tuple], list[tuple]]:
    """(accounting rows, stock rows) the ticket writer makes for the ticket of ``payload``.

    Accounting rows are (journal, entry date, account, label, debit, credit); stock rows
    (product, location code, quantity, reason). ``rewards``: amounts of the loyalty vouchers
    the ticket issued (sealed in chain L), whose cost is booked on it.
    """
    if payload.get("training"):
        return [], []
    code, when = payload["code"], _when(payload["created_at"])
    business_date = when.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    vat = [VatAmounts(v["rate_bp"], v["ttc_cents"], v["ht_cents"], v["vat_cents"]) for v in payload["vat"]]
    postings = [(accounts.journal, business_date, p.account, p.label, p.debit_cents, p.credit_cents)
                for p in ticket_postings(accounts, code, vat,
                                         ((p["means"], p["amount_cents"]) for p in payload["payments"]))]
    for amount in rewards:
        postings.extend((accounts.journal, when.date(), account, label, debit, credit)
                        for account, label, debit, credit in reward_postings(loyalty, accounts, code, amount))
    moves = [(product, location, quantity, payload["kind"]) for product, location, quantity in stock_moves(
        (line["product_id"], line["quantity"], location_of(line.get("disposition"))) for line in payload["lines"])]
    return postings, moves


def loyalty_rewards() -> dict[int, list[int]]:
    """Ticket id -> amounts of the loyalty vouchers it issued, from the sealed issues."""
    rewards: dict[int, list[int]] = {}
    rows = (FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.sequence, FiscalRecord.payload)
            .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == CREDIT_NOTE_ISSUED)).tuples())
    for till_id, sequence, payload in rows:
        issue = issue_of(payload, (till_id, EVENT_CHAIN, sequence))
        if issue is not None and issue.origin == ISSUED_BY_LOYALTY:
            rewards.setdefault(issue.ticket_id, []).append(issue.amount_cents)
    return rewards


def _accounting(ticket_ids: list[int]) -> Counter:
    rows = (AccountingLine.select(AccountingLine.ticket, AccountingLine.journal, AccountingLine.entry_date,
                                  AccountingLine.account, AccountingLine.label, AccountingLine.debit_cents,
                                  AccountingLine.credit_cents)
            .where(AccountingLine.ticket.in_(ticket_ids)).tuples())
    return Counter((t, j, _date(d), a, label, debit, credit) for t, j, d, a, label, debit, credit in rows)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _movements(ticket_ids: list[int]) -> Counter:
    rows = (StockMovement.select(StockMovement.ticket_id, StockMovement.product, StockLocation.code,
                                 StockMovement.quantity, StockMovement.reason)
            .join(StockLocation, JOIN.LEFT_OUTER, on=(StockMovement.location == StockLocation.id))
            .where(StockMovement.ticket_id.in_(ticket_ids)).tuples())
    return Counter(rows)


def _compare(expected: Counter, found: Counter, what: str, problems: list[Problem]) -> None:
    for row, _count in sorted((found - expected).items(), key=str):
        problems.append(table_finding("{what} of ticket {ticket_id} is in no sealed record: {row}", what=what,
                                 ticket_id=row[0], row=_shown(row[1:])))
    for row, _count in sorted((expected - found).items(), key=str):
        problems.append(table_finding("{what} of ticket {ticket_id} sealed in its payload is missing: {row}", what=what,
                                 ticket_id=row[0], row=_shown(row[1:])))


def _shown(row: tuple) -> str:
    return " ".join(str(value) for value in row)


def check_derived_rows(accounts: AccountsConfig, zone: dt.tzinfo, loyalty: LoyaltySettings | None = None,
                       page_size: int = 500) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings): the accounting lines, stock movements and levels of the bound
    database against what the sealed records give; see the module docstring."""
    loyalty = loyalty or LoyaltySettings()
    database = current_database()
    problems: list[Problem] = []
    rewards = loyalty_rewards()
    after = -(2**63)
    while True:
        page = database.execute(
            FiscalRecord.select(FiscalRecord.ticket_id, FiscalRecord.payload)
            .where((FiscalRecord.chain == "T") & FiscalRecord.ticket_id.is_null(False)
                   & (FiscalRecord.ticket_id > after))
            .order_by(FiscalRecord.ticket_id).limit(page_size)).fetchall()
        if not page:
            break
        after = page[-1][0]
        ids = [ticket_id for ticket_id, _ in page]
        postings: Counter = Counter()
        moves: Counter = Counter()
        for ticket_id, text in page:
            try:
                rows = expected_rows(json.loads(text), accounts, zone, loyalty, rewards.get(ticket_id, ()))
            except (TypeError, ValueError, KeyError, AttributeError):
                continue  # an unreadable payload is the journal verifier's finding
            postings.update((ticket_id, *row) for row in rows[0])
            moves.update((ticket_id, *row) for row in rows[1])
        _compare(postings, _accounting(ids), "accounting line", problems)
        _compare(moves, _movements(ids), "stock movement", problems)
    sealed_tickets = FiscalRecord.select(FiscalRecord.ticket_id).where(
        (FiscalRecord.chain == "T") & FiscalRecord.ticket_id.is_null(False))
    for line_id, ticket_id, account, debit, credit in (
            AccountingLine.select(AccountingLine.id, AccountingLine.ticket, AccountingLine.account,
                                  AccountingLine.debit_cents, AccountingLine.credit_cents)
            .where((AccountingLine.ticket.is_null() & AccountingLine.cash_move.is_null())  # P: cash_move_postings_check
                   | AccountingLine.ticket.not_in(sealed_tickets))
            .order_by(AccountingLine.id).tuples()):
        problems.append(table_finding("accounting line {line_id} ({account} {debit} {credit}) has no sealed ticket",
                                 line_id=line_id, account=account, debit=debit, credit=credit))
    for move_id, ticket_id in (StockMovement.select(StockMovement.id, StockMovement.ticket_id)
                               .where(StockMovement.ticket_id.is_null(False)
                                      & StockMovement.ticket_id.not_in(sealed_tickets))
                               .order_by(StockMovement.id).tuples()):
        problems.append(table_finding("stock movement {move_id} names ticket {ticket_id}, which has no sealed record",
                                 move_id=move_id, ticket_id=ticket_id))
    _check_ticketless(problems)
    _check_levels(problems)
    return problems, []


def unsealed_ticketless() -> tuple[list[tuple], list[tuple]]:
    """(movement rows, sealed keys): the movements without a ticket that no ``STOCK_MOVED``
    event seals, as (id, product, location code, quantity, reason), and the sealed movements
    (product, location code, quantity, reason) no row answers (deleted)."""
    sealed: Counter = Counter()
    for (payload,) in (FiscalRecord.select(FiscalRecord.payload)
                       .where((FiscalRecord.chain == EVENT_CHAIN) & (FiscalRecord.kind == STOCK_MOVED)).tuples()):
        try:
            d = json.loads(payload)["details"]
            sealed[(d["product_id"], d["location"], d["quantity"], d["reason"])] += 1
        except (TypeError, ValueError, KeyError):
            continue
    rows = (StockMovement.select(StockMovement.id, StockMovement.product, StockLocation.code, StockMovement.quantity,
                                 StockMovement.reason)
            .join(StockLocation, JOIN.LEFT_OUTER, on=(StockMovement.location == StockLocation.id))
            .where(StockMovement.ticket_id.is_null()).order_by(StockMovement.id).tuples())
    unsealed = []
    for move_id, *key in rows:
        if sealed[tuple(key)] > 0:
            sealed[tuple(key)] -= 1
        else:
            unsealed.append((move_id, *key))
    return unsealed, sorted((key for key, count in sealed.items() for _ in range(count)), key=str)


def _check_ticketless(problems: list[Problem]) -> None:
    """Movements without a ticket, each against a ``STOCK_MOVED`` event."""
    unsealed, missing = unsealed_ticketless()
    for move_id, *movement in unsealed:
        problems.append(table_finding("stock movement {move_id} ({row}) has no ticket and no sealed record",
                                      move_id=move_id, row=_shown(tuple(movement))))
    for movement in missing:
        problems.append(table_finding("a sealed stock movement is missing: {row}", row=_shown(movement)))


def _check_levels(problems: list[Problem]) -> None:
    """Each level is the sum of its movements (one grouped query each side)."""
    sums = dict(((product, location), int(total)) for product, location, total in
                StockMovement.select(StockMovement.product, StockMovement.location, fn.SUM(StockMovement.quantity))
                .group_by(StockMovement.product, StockMovement.location).tuples())
    levels = {(product, location): quantity for product, location, quantity in
              StockLevel.select(StockLevel.product, StockLevel.location, StockLevel.quantity).tuples()}
    for key in sorted(set(sums) | set(levels)):
        if sums.get(key, 0) != levels.get(key, 0):
            problems.append(table_finding("stock level of product {product} at location {location} is {level}, its "
                                     "movements add up to {total}", product=key[0], location=key[1],
                                     level=levels.get(key, 0), total=sums.get(key, 0)))
