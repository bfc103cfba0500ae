"""The accounting lines of chain P documents, rebuilt from their signed payloads and compared.

Like a ticket's (``till.selling.derived_check``), a P document's journal lines are written in its
transaction but are not in its signed payload; everything they are made of is (code, kind, time,
amount, means), so ``till journal verify`` rebuilds them with the writer's own rule
(``till.selling.accounting.cash_move_postings``) and the configured accounts and time zone, and
names a line that differs, is missing, or belongs to no sealed document.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from store.models import AccountingLine, CashMove, FiscalRecord
from till.config.loader import AccountsConfig
from till.fiscal.cash_moves import CASH_MOVE_CHAIN
from till.fiscal.problems import Problem, table_finding
from till.selling.accounting import cash_move_postings

__all__ = ["check_cash_move_postings"]


def _expected(payload: dict, accounts: AccountsConfig, zone: dt.tzinfo) -> list[tuple]:
    when = dt.datetime.fromisoformat(payload["created_at"].removesuffix("Z")).replace(tzinfo=dt.timezone.utc)
    day = when.astimezone(zone).date()
    return [(payload["code"], accounts.cash_journal, day, p.account, p.label, p.debit_cents, p.credit_cents)
            for p in cash_move_postings(accounts, payload["code"], payload["kind"], payload["amount_cents"],
                                        payload["means"], payload.get("to_means"))]


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def check_cash_move_postings(accounts: AccountsConfig, zone: dt.tzinfo) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the accounting lines of every P document of the bound database."""
    expected: Counter = Counter()
    for (text,) in FiscalRecord.select(FiscalRecord.payload).where(FiscalRecord.chain == CASH_MOVE_CHAIN).tuples():
        try:
            expected.update(_expected(json.loads(text), accounts, zone))
        except (TypeError, ValueError, KeyError):
            continue  # an unreadable payload is the journal verifier's finding
    found: Counter = Counter(
        (code, journal, _date(day), account, label, debit, credit)
        for code, journal, day, account, label, debit, credit in
        AccountingLine.select(CashMove.code, AccountingLine.journal, AccountingLine.entry_date, AccountingLine.account,
                              AccountingLine.label, AccountingLine.debit_cents, AccountingLine.credit_cents)
        .join(CashMove, on=(AccountingLine.cash_move == CashMove.id)).tuples())
    problems = []
    for row in sorted(found - expected, key=str):
        problems.append(table_finding("accounting line of document {code} is in no sealed record: {row}", code=row[0],
                                      row=" ".join(str(value) for value in row[1:])))
    for row in sorted(expected - found, key=str):
        problems.append(table_finding("accounting line of document {code} sealed in its payload is missing: {row}",
                                      code=row[0], row=" ".join(str(value) for value in row[1:])))
    return problems, []
