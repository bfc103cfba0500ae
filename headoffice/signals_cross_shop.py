"""Signals only head office can see: the same card, or the same receipts, across shops.

Why here and not at the till: a till sees its own shop. A card refunded twice in each of three
shops stays under every shop's threshold; a receipt of Lyon taken back in Paris the day after
it was sold looks, in Paris, like one ordinary return. Head office holds every shop's ticket
records, so it adds up what no shop can.

They are computed, never stored (like the till's own signals): a function over a period that
reads the ``SyncedRefund`` rows written at ingest (``headoffice.signals``) by their indexed
columns, and ``Receipt`` (the sale a till asked head office about before taking it back: its
shop, till and time). The card of a refund is the till's own ``card_of`` identity (masked last
digits, or the terminal's reference), so a card is the same card at the till and here.

Thresholds: ``[loss_prevention]`` of headoffice.toml, by the till's names and with its
defaults (``card_max_refunds``, ``quick_return_days``, ``quick_return_min``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any, Mapping

from headoffice.store import Receipt, SyncedRefund
from till.loss.rules_means import card_of
from till.means import CARD
from till.money import format_cents

__all__ = ["CrossShopThresholds", "CrossShopSignal", "cross_shop_signals", "refunds_of", "other_shop_return_of",
           "day_bounds", "CARD_REFUND", "OTHER_SHOP_RETURN"]

CARD_REFUND, OTHER_SHOP_RETURN = "card_refund", "other_shop_return"
"""The kinds of ``SyncedRefund`` rows."""


@dataclass(frozen=True)
class CrossShopThresholds:
    """The thresholds of the cross-shop signals; the till's names and defaults."""

    card_max_refunds: int = 2
    """More refunds than this to one card in the period, in two shops or more."""
    quick_return_days: int = 2
    """A receipt returned in another shop this many days or fewer after its sale is quick..."""
    quick_return_min: int = 3
    """...and this many quick returns for one selling till, or by one cashier, make a signal."""

    @classmethod
    def from_settings(cls, section: Mapping[str, Any] | None) -> "CrossShopThresholds":
        """From headoffice.toml's ``[loss_prevention]`` (names it does not set keep their default)."""
        section = section or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"[loss_prevention]: unknown key {unknown[0]} (known: {', '.join(sorted(known))})")
        for name, value in section.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"[loss_prevention]: {name} must be a whole number of zero or more")
        return cls(**section)


@dataclass(frozen=True)
class CrossShopSignal:
    """One signal across shops, with its grounds: the figure, the threshold, a sentence saying
    how it was computed, and the tickets behind it, each with its shop."""

    code: str
    name: str
    subject: str
    subject_id: str
    day: dt.date
    value: int
    threshold: int
    how: str
    evidence: tuple[str, ...]
    shops: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.code}:{self.subject}:{self.subject_id}:{self.day.isoformat()}"


def refunds_of(ticket: dict[str, Any]) -> list[tuple[str, int, str, None, int]]:
    """The card refunds of a sealed ticket: (kind, payment position, card, None, amount)."""
    return [(CARD_REFUND, p.get("position") or 0, card_of(p["reference"]), None, -p["amount_cents"])
            for p in ticket.get("payments") or []
            if p.get("means") == CARD and isinstance(p.get("amount_cents"), int) and p["amount_cents"] < 0
            and p.get("reference")]


def other_shop_return_of(ticket: dict[str, Any]) -> list[tuple[str, int, None, str, int]]:
    """The return of another till's receipt a sealed ticket is, if it is one: taken back from
    the receipt's proof, whose signature it seals (``origin.reference`` and ``origin.signature``
    set, no ``origin_ticket_id`` in this shop's store; a web order's return has no signature)."""
    origin = ticket.get("origin") or {}
    if not origin.get("reference") or not origin.get("signature") or ticket.get("origin_ticket_id") is not None:
        return []
    returned = -sum(line.get("total_cents", 0) for line in ticket.get("lines") or []
                    if isinstance(line.get("total_cents"), int) and line["total_cents"] < 0)
    return [(OTHER_SHOP_RETURN, 0, None, origin["reference"], returned)]


def day_bounds(first: dt.date, last: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Business days ``first`` to ``last`` of the shops' zone as naive UTC bounds (end excluded)."""
    def start(day: dt.date) -> dt.datetime:
        return (dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc).replace(tzinfo=None))
    return start(first), start(last + dt.timedelta(days=1))


def _day(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return at.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()


def cross_shop_signals(since: dt.datetime, until: dt.datetime, zone: dt.tzinfo,
                       thresholds: CrossShopThresholds) -> list[CrossShopSignal]:
    """The signals across shops of ``[since, until)`` (naive UTC), by day, code and subject."""
    found = [*card_refunds_across(since, until, zone, thresholds),
             *quick_returns_across(since, until, zone, thresholds)]
    return sorted(found, key=lambda s: (s.day, s.code, s.subject_id))


def _rows(kind: str, since: dt.datetime, until: dt.datetime):
    return (SyncedRefund.select().where((SyncedRefund.kind == kind) & (SyncedRefund.at >= since)
                                        & (SyncedRefund.at < until))
            .order_by(SyncedRefund.at, SyncedRefund.id))


def card_refunds_across(since: dt.datetime, until: dt.datetime, zone: dt.tzinfo,
                        thresholds: CrossShopThresholds) -> list[CrossShopSignal]:
    """More than ``card_max_refunds`` refunds to one card in the period, in two shops or more
    (a card refunded in one shop only is that shop's own signal)."""
    limit = thresholds.card_max_refunds
    by_card: dict[str, list[SyncedRefund]] = defaultdict(list)
    for row in _rows(CARD_REFUND, since, until):
        by_card[row.card].append(row)
    out = []
    for card, refunds in sorted(by_card.items()):
        shops = tuple(sorted({r.shop_id for r in refunds}))
        if len(refunds) <= limit or len(shops) < 2:
            continue
        total = sum(r.amount_cents for r in refunds)
        how = (f"{len(refunds)} refunds to this card in {len(shops)} shops ({', '.join(shops)}) in the period, "
               f"{format_cents(total)} in all (limit {limit})")
        out.append(CrossShopSignal("across_card_refunds", "Card refunded in several shops", "Card", card,
                                   _day(refunds[-1].at, zone), len(refunds), limit, how,
                                   tuple(f"{r.ticket_code} ({r.shop_id})" for r in refunds), shops))
    return out


def quick_returns_across(since: dt.datetime, until: dt.datetime, zone: dt.tzinfo,
                         thresholds: CrossShopThresholds) -> list[CrossShopSignal]:
    """Receipts of one shop returned in another within ``quick_return_days`` of their sale,
    ``quick_return_min`` times or more for one selling till, or by one returning cashier."""
    days, least = thresholds.quick_return_days, thresholds.quick_return_min
    rows = list(_rows(OTHER_SHOP_RETURN, since, until))
    sales = {r.code: r for r in Receipt.select(Receipt.code, Receipt.till_id, Receipt.shop_id, Receipt.sold_at)
             .where(Receipt.code.in_(sorted({row.origin_code for row in rows})))} if rows else {}
    by_till: dict[str, list[tuple]] = defaultdict(list)
    by_cashier: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in rows:
        sale = sales.get(row.origin_code)
        if sale is None or sale.shop_id == row.shop_id:
            continue
        if row.at - sale.sold_at > dt.timedelta(days=days):
            continue
        pair = (sale, row)
        by_till[sale.till_id].append(pair)
        by_cashier[(row.shop_id, row.cashier)].append(pair)
    out = []
    for till_id, pairs in sorted(by_till.items()):
        if len(pairs) >= least:
            out.append(_quick("across_quick_returns_till", "Receipts of one till returned soon in other shops",
                              "Till", till_id, pairs, days, least, zone,
                              f"{len(pairs)} receipts of till {till_id} ({pairs[0][0].shop_id}) returned in another "
                              f"shop within {days} days of their sale (at least {least})"))
    for (shop_id, cashier), pairs in sorted(by_cashier.items()):
        if len(pairs) >= least:
            out.append(_quick("across_quick_returns_cashier", "Another shop's receipts returned soon, by one cashier",
                              "Cashier", f"{cashier} ({shop_id})", pairs, days, least, zone,
                              f"{len(pairs)} receipts of other shops returned by {cashier} in {shop_id} within "
                              f"{days} days of their sale (at least {least})"))
    return out


def _quick(code: str, name: str, subject: str, subject_id: str, pairs: list[tuple], days: int, least: int,
           zone: dt.tzinfo, how: str) -> CrossShopSignal:
    evidence = tuple(text for sale, row in pairs
                     for text in (f"{sale.code} ({sale.shop_id})", f"{row.ticket_code} ({row.shop_id})"))
    shops = tuple(sorted({s for sale, row in pairs for s in (sale.shop_id, row.shop_id)}))
    return CrossShopSignal(code, name, subject, subject_id, _day(pairs[-1][1].at, zone), len(pairs), least, how,
                           evidence, shops)
