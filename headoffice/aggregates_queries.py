"""What the sales, returns and credit-note pages ask of the aggregates (``headoffice.aggregates``).

A period is read as whole months (``span`` "m" rows) plus the days at its edges (``span`` "d"),
so three years cost 36 month rows and at most 60 day rows per shop and key, whatever the
chain's size; all shops at once read the chain's own rows (``shop_id`` "*"). Grouping by day or
week reads day rows. Figures are integer cents; a rate is in basis points (integer arithmetic).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peewee import Case, fn

from headoffice.aggregates import ALL_SHOPS, DAY, MONTH, SHOP_ZONE
from headoffice.store import (CategoryDay, CreditMove, CreditNote, CreditRedemption, ProductDay, Record, ReturnDay,
                              ReturnTicket, ShopDay, Till)
from till.fiscal.closure_totals import business_today

__all__ = ["Filters", "GROUPINGS", "rate_bp", "by_shop", "over_time", "by_category", "products", "returns_by_reason",
           "returns_by_selling_shop", "reason_tickets", "ticket", "credit_by_shop", "note_history", "notes_of",
           "mask", "shops"]

GROUPINGS = ("day", "week", "month")


@dataclass(frozen=True)
class Filters:
    """What a page shows: one shop ("" for all), the days ``since`` to ``until`` (both included,
    business days), grouped by ``grouping``. Read from the query string, so a URL is a bookmark."""

    shop: str
    since: dt.date
    until: dt.date
    grouping: str = "day"

    @classmethod
    def from_query(cls, query: Any, default_days: int = 30) -> "Filters":
        today = business_today(SHOP_ZONE)
        until = _date(query.get("until"), today)
        since = _date(query.get("since"), until - dt.timedelta(days=default_days - 1))
        if since > until:
            since, until = until, since
        grouping = query.get("grouping") or "day"
        return cls(str(query.get("shop") or "")[:32], since, until, grouping if grouping in GROUPINGS else "day")

    def query(self, **changes: Any) -> dict[str, str]:
        """The query parameters of these filters (with ``changes``): for links and CSV exports."""
        values = {"shop": self.shop, "since": self.since.isoformat(), "until": self.until.isoformat(),
                  "grouping": self.grouping, **changes}
        return {key: str(value) for key, value in values.items() if value not in ("", None)}

    @property
    def shop_key(self) -> str:
        return self.shop or ALL_SHOPS


def _date(text: Any, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text)) if text else default
    except ValueError:
        return default


def rate_bp(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in basis points, rounded half up (None when ``whole`` is 0)."""
    return None if not whole else (20000 * part + whole) // (2 * whole)


def _period(model, since: dt.date, until: dt.date):
    """The rows of ``model`` that add up to the days ``since``..``until``: whole months, then days."""
    first_month = since if since.day == 1 else _next_month(since)
    ends_month = _next_month(until) == until + dt.timedelta(days=1)
    after = until + dt.timedelta(days=1) if ends_month else until.replace(day=1)  # the day after whole months
    if first_month >= after:  # no whole month inside: days only
        return (model.span == DAY) & model.day.between(since, until)
    months = (model.span == MONTH) & (model.day >= first_month) & (model.day < after)
    edges = (model.span == DAY) & ((model.day.between(since, first_month - dt.timedelta(days=1)))
                                   | (model.day.between(after, until)))
    return months | edges


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _sums(model, names: tuple[str, ...]) -> list:
    return [fn.SUM(getattr(model, name)).alias(name) for name in names]


_SHOP_FIGURES = ("tickets", "return_tickets", "sales_cents", "returns_cents")


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """Sums as ``int``: PostgreSQL's SUM of integers is a ``numeric`` (a Decimal), NULL when empty."""
    for name, value in list(row.items()):
        if value is None:
            row[name] = 0
        elif isinstance(value, Decimal):
            row[name] = int(value)
    return row


def _with_rate(row: dict[str, Any]) -> dict[str, Any]:
    _ints(row)
    row["net_cents"] = row.get("sales_cents", 0) - row.get("returns_cents", 0)
    row["return_rate_bp"] = rate_bp(row.get("returns_cents", 0), row.get("sales_cents", 0))
    return row


def by_shop(f: Filters) -> list[dict[str, Any]]:
    """Per shop (or the one shop chosen): tickets, sales, returns, net and return rate."""
    query = (ShopDay.select(ShopDay.shop_id, *_sums(ShopDay, _SHOP_FIGURES))
             .where(_period(ShopDay, f.since, f.until) & ((ShopDay.shop_id == f.shop) if f.shop
                                                          else (ShopDay.shop_id != ALL_SHOPS)))
             .group_by(ShopDay.shop_id).order_by(ShopDay.shop_id))
    return [_with_rate(row) for row in query.dicts()]


def over_time(f: Filters) -> list[dict[str, Any]]:
    """Sales and returns per day, week (from Monday) or month of the period, every step listed."""
    if f.grouping == "month":
        where = _period(ShopDay, f.since, f.until)
        start = f.since.replace(day=1)
    else:
        where = (ShopDay.span == DAY) & ShopDay.day.between(f.since, f.until)
        start = f.since - dt.timedelta(days=f.since.weekday()) if f.grouping == "week" else f.since
    rows = (ShopDay.select(ShopDay.day, *_sums(ShopDay, _SHOP_FIGURES))
            .where(where & (ShopDay.shop_id == f.shop_key)).group_by(ShopDay.day).tuples())
    steps: dict[dt.date, dict[str, Any]] = {}
    step = start
    while step <= f.until:
        steps[step] = {"period": step, **{name: 0 for name in _SHOP_FIGURES}}
        step = (_next_month(step) if f.grouping == "month" else step + dt.timedelta(days=7 if f.grouping == "week"
                                                                                    else 1))
    for day, *values in rows:
        day = _as_date(day)
        key = (day.replace(day=1) if f.grouping == "month" else
               day - dt.timedelta(days=day.weekday()) if f.grouping == "week" else day)
        if key in steps:
            for name, value in zip(_SHOP_FIGURES, values):
                steps[key][name] += int(value or 0)
    return [_with_rate(row) for row in steps.values()]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


_LINE_FIGURES = ("sales_lines", "sales_cents", "returns_lines", "returns_cents")


def by_category(f: Filters) -> list[dict[str, Any]]:
    query = (CategoryDay.select(CategoryDay.category, *_sums(CategoryDay, _LINE_FIGURES))
             .where(_period(CategoryDay, f.since, f.until) & (CategoryDay.shop_id == f.shop_key))
             .group_by(CategoryDay.category).order_by(fn.SUM(CategoryDay.sales_cents).desc(), CategoryDay.category))
    return [_with_rate(row) for row in query.dicts()]


def products(f: Filters, order: str = "sales", limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Products of the period by sales (``order`` "sales") or by returns ("returns", only those
    returned), best first: ``limit`` rows from ``offset`` (a page asks one more to know if
    there is a next page)."""
    figures = ("sales_quantity", "sales_cents", "returns_quantity", "returns_cents")
    key = fn.SUM(ProductDay.returns_cents if order == "returns" else ProductDay.sales_cents)
    query = (ProductDay.select(ProductDay.sku, fn.MAX(ProductDay.label).alias("label"),
                               fn.MAX(ProductDay.category).alias("category"), *_sums(ProductDay, figures))
             .where(_period(ProductDay, f.since, f.until) & (ProductDay.shop_id == f.shop_key))
             .group_by(ProductDay.sku).order_by(key.desc(), ProductDay.sku).limit(limit).offset(offset))
    if order == "returns":  # most rows of a product's day took nothing back: left out before grouping
        query = query.where(ProductDay.returns_lines > 0).having(fn.SUM(ProductDay.returns_cents) > 0)
    return [_with_rate(row) for row in query.dicts()]


_RETURN_FIGURES = ("tickets", "returns_lines", "returns_cents")


def returns_by_reason(f: Filters) -> list[dict[str, Any]]:
    """Per reason: return tickets, lines and amount, and the share of the period's sales."""
    sales = sum(row["sales_cents"] for row in by_shop(f)) if f.shop else _chain_sales(f)
    query = (ReturnDay.select(ReturnDay.reason, *_sums(ReturnDay, _RETURN_FIGURES))
             .where(_period(ReturnDay, f.since, f.until) & (ReturnDay.shop_id == f.shop_key))
             .group_by(ReturnDay.reason).order_by(fn.SUM(ReturnDay.returns_cents).desc(), ReturnDay.reason))
    rows = [_ints(row) for row in query.dicts()]
    for row in rows:
        row["return_rate_bp"] = rate_bp(row["returns_cents"], sales)
    return rows


def _chain_sales(f: Filters) -> int:
    return int(ShopDay.select(fn.SUM(ShopDay.sales_cents)).where(_period(ShopDay, f.since, f.until)
                                                                  & (ShopDay.shop_id == ALL_SHOPS)).scalar() or 0)


def returns_by_selling_shop(f: Filters) -> list[dict[str, Any]]:
    """Per returning shop and selling shop (the shop whose receipt came back; "" without a
    receipt, ``web`` for an online order): return tickets, lines, amount, and whether the
    receipt was another shop's."""
    where = _period(ReturnDay, f.since, f.until) & ((ReturnDay.shop_id == f.shop) if f.shop
                                                    else (ReturnDay.shop_id != ALL_SHOPS))
    query = (ReturnDay.select(ReturnDay.shop_id, ReturnDay.selling_shop_id, *_sums(ReturnDay, _RETURN_FIGURES))
             .where(where).group_by(ReturnDay.shop_id, ReturnDay.selling_shop_id)
             .order_by(ReturnDay.shop_id, ReturnDay.selling_shop_id))
    return [{**_ints(row), "other_shop": row["selling_shop_id"] not in ("", row["shop_id"])} for row in query.dicts()]


def reason_tickets(reason: str, f: Filters, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """The return tickets behind ``reason`` in the period (newest first), with their lines of
    that reason read from the signed records (by till and sequence: ``Record``'s unique index)."""
    where = (ReturnTicket.reason == reason) & ReturnTicket.day.between(f.since, f.until)
    if f.shop:
        where &= ReturnTicket.shop_id == f.shop
    rows = list(ReturnTicket.select().where(where)
                .order_by(ReturnTicket.day.desc(), ReturnTicket.till_id, ReturnTicket.sequence.desc())
                .limit(limit).offset(offset).dicts())
    payloads = _payloads([(row["till_id"], row["sequence"]) for row in rows])
    for row in rows:
        ticket = payloads.get((row["till_id"], row["sequence"]), {})
        row["created_at"] = ticket.get("created_at", "")
        row["items"] = [line for line in ticket.get("lines") or []
                        if (line.get("total_cents") or 0) < 0 and (line.get("reason") or "") == reason]
    return rows


def _payloads(keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
    found: dict[tuple[str, int], dict[str, Any]] = {}
    by_till: dict[str, list[int]] = {}
    for till_id, sequence in keys:
        by_till.setdefault(till_id, []).append(sequence)
    for till_id, sequences in by_till.items():
        for sequence, payload in (Record.select(Record.sequence, Record.payload)
                                  .where((Record.till_id == till_id) & (Record.chain == "T")
                                         & Record.sequence.in_(sequences)).tuples()):
            found[(till_id, sequence)] = json.loads(payload)
    return found


def ticket(till_id: str, sequence: int) -> dict[str, Any] | None:
    """One ticket as its till signed it (chain T), with the shop of its till; None if not held."""
    record = Record.get_or_none((Record.till_id == till_id) & (Record.chain == "T") & (Record.sequence == sequence))
    if record is None:
        return None
    till = Till.get_or_none(Till.till_id == till_id)
    payload = json.loads(record.payload)
    lines = [{**dict.fromkeys(_LINE_KEYS), "quantity": 0, "unit_price_cents": 0, "total_cents": 0, **line}
             for line in payload.get("lines") or []]
    return {**dict.fromkeys(("code", "kind", "created_at", "operator", "origin")), "total_cents": 0, "payments": [],
            **payload, "lines": lines, "till_id": till_id, "sequence": sequence,
            "shop_id": till.shop_id if till else "", "signature": record.signature, "key_id": record.key_id}


_LINE_KEYS = ("position", "sku", "label", "vat_rate_bp", "reason", "disposition")
"""A line's keys the ticket page shows: None when an older payload lacks one."""


def credit_by_shop(f: Filters, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per issuing shop: notes issued and spent in the period (from the tickets), and what is
    outstanding (left on notes still valid) and expired (left on notes past their expiry) today,
    from head office's register of notes."""
    today = today or business_today(SHOP_ZONE)
    names = ("credit_issued", "credit_issued_cents", "credit_spent", "credit_spent_cents")
    rows: dict[str, dict[str, Any]] = {}
    for row in (ShopDay.select(ShopDay.shop_id, *_sums(ShopDay, names))
                .where(_period(ShopDay, f.since, f.until) & ((ShopDay.shop_id == f.shop) if f.shop
                                                             else (ShopDay.shop_id != ALL_SHOPS)))
                .group_by(ShopDay.shop_id).dicts()):
        rows[row["shop_id"]] = {**{name: int(row[name] or 0) for name in names}, "shop_id": row["shop_id"],
                                "outstanding_cents": 0, "expired_cents": 0, "notes_open": 0}
    expired = CreditNote.expires_on < today
    query = (CreditNote.select(CreditNote.shop_id,
                               fn.SUM(Case(None, ((expired, 0),), CreditNote.balance_cents)).alias("outstanding"),
                               fn.SUM(Case(None, ((expired, CreditNote.balance_cents),), 0)).alias("expired"),
                               fn.SUM(Case(None, ((expired | (CreditNote.balance_cents <= 0), 0),), 1)).alias("open"))
             .group_by(CreditNote.shop_id))
    if f.shop:
        query = query.where(CreditNote.shop_id == f.shop)
    for shop_id, outstanding, expired_cents, open_notes in query.tuples():
        row = rows.setdefault(shop_id, {"shop_id": shop_id, **{name: 0 for name in names}})
        row.update(outstanding_cents=int(outstanding or 0), expired_cents=int(expired_cents or 0),
                   notes_open=int(open_notes or 0))
    return sorted(rows.values(), key=lambda r: r["shop_id"])


def notes_of(f: Filters, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Notes registered by the shop chosen (all shops: every shop's), newest first."""
    query = CreditNote.select().order_by(CreditNote.id.desc()).limit(limit).offset(offset)
    if f.shop:
        query = query.where(CreditNote.shop_id == f.shop)
    return [{"id": n.id, "masked": mask(n.code), "shop_id": n.shop_id, "amount_cents": n.amount_cents,
             "balance_cents": n.balance_cents, "expires_on": n.expires_on} for n in query]


def note_history(code: str | None = None, note_id: int | None = None) -> dict[str, Any] | None:
    """A note by code (or id): what head office registered, the tickets that issued and spent it
    (from the tills' signed records) and the redemptions tills asked head office for."""
    where = (CreditNote.code == code) if code is not None else (CreditNote.id == note_id)
    note = CreditNote.get_or_none(where)
    if note is None:
        moves = list(CreditMove.select().where(CreditMove.code == code).order_by(CreditMove.day).dicts()) if code \
            else []
        return None if not moves else {"note": None, "code": code, "moves": moves, "redemptions": []}
    moves = list(CreditMove.select().where(CreditMove.code == note.code)
                 .order_by(CreditMove.day, CreditMove.till_id, CreditMove.sequence).dicts())
    redemptions = list(CreditRedemption.select().where(CreditRedemption.code == note.code)
                       .order_by(CreditRedemption.id).dicts())
    return {"note": note, "code": note.code, "moves": moves, "redemptions": redemptions}


def mask(code: str) -> str:
    """A note's code as lists show it: enough to tell notes apart, too little to spend one."""
    return code[:2] + "•" * max(0, len(code) - 4) + code[-2:] if len(code) > 4 else "•" * len(code)


def shops() -> list[str]:
    """The shops head office knows (those with an enrolled till): the filters' choices."""
    return [shop for (shop,) in Till.select(Till.shop_id).distinct().order_by(Till.shop_id).tuples()]
