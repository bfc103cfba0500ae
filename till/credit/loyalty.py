"""Loyalty points: earned on a sale, taken back on a return, turned into reward vouchers.

The rules, all in integers (points and cents, never floats):

- A ticket with a customer earns ``points_per_euro`` points per whole euro of its new items
  (positive lines, after discounts): 12,99 € at 1 point per euro earns 12 points. A partial euro
  earns nothing, so a return can never take back more than was given.
- A return takes back the points of the sale it returns pro rata: after each return, what has
  been taken back from a sale is round-half-up(earned x returned cents / sold cents), and this
  return's entry is the difference with what earlier returns already took. So two partial
  returns of one sale take back exactly what one full return would, never a point more.
  They are taken from the customer who earned them, whoever is attached to the return.
- When a sale brings the balance to ``reward_threshold_points`` or more, each full threshold
  becomes a reward voucher of ``reward_cents``: a credit note, so it is spent, checked, locked
  and expired like any store credit, with nothing new at the payment screen. The points it
  cost are one ledger entry pointing at it. Its cost is booked on the ticket that issued it
  (debit ``reward_account``, 6234 "cadeaux à la clientèle"; credit the credit-note liability,
  4197), so the later redemption, debited to 4197 like any note, balances.
- A return after a reward may leave a negative balance: the voucher is not taken back (it
  may already be spent); later purchases make the balance up first.

Everything is written by ``loyalty_rows_for_ticket`` in the transaction of the ticket that
causes it (the ticket writer calls it), into the append-only ``loyalty_entry`` ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import peewee

from store.models import AccountingLine, Customer, Ticket, TicketLine
from store.models.loyalty import EARN, REVERSE, REWARD, LoyaltyEntry
from till.credit import notes as credit_notes
from till.fiscal.chain import Sealer
from till.fiscal.credit_ledger import ISSUED_BY_LOYALTY
from till.i18n import translate
from till.money import format_cents
from till.config.loyalty import LoyaltySettings


@dataclass(frozen=True)
class LoyaltyOutcome:
    """What a ticket did to loyalty: points earned and taken back, vouchers issued, jobs to queue."""

    customer_id: int | None = None
    earned: int = 0
    reversed: int = 0
    rewards: tuple[int, ...] = ()
    """Ids of the reward credit notes issued."""
    jobs: tuple[tuple[str, dict], ...] = ()
    """Outbox jobs ``(kind, payload)``: each voucher's print."""


@dataclass(frozen=True)
class FactLine:
    total_cents: int
    origin_line_id: int | None = None


@dataclass(frozen=True)
class TicketFacts:
    """What the hook reads of a ticket: the same attributes as a ``TicketDraft``."""

    customer_id: int | None
    training: bool
    origin_ticket_id: int | None
    lines: tuple[FactLine, ...]


def facts_of_ticket(ticket: Ticket | int) -> TicketFacts:
    """A written ticket as the hook reads a draft (for tests, and to replay a ticket written
    before loyalty was turned on)."""
    ticket = ticket if isinstance(ticket, Ticket) else Ticket.get_by_id(ticket)
    lines = tuple(FactLine(total, origin) for total, origin in
                  TicketLine.select(TicketLine.total_cents, TicketLine.origin_line)
                  .where(TicketLine.ticket == ticket.id).order_by(TicketLine.position).tuples())
    return TicketFacts(ticket.customer_id, bool(ticket.training), ticket.origin_ticket_id, lines)


def points_for(cents: int, settings: LoyaltySettings) -> int:
    """Points earned by ``cents`` spent: whole euros only, so a refund never exceeds the gain."""
    if cents <= 0 or settings.points_per_euro <= 0:
        return 0
    return cents * settings.points_per_euro // 100


def points_balance(customer: Customer | int, up_to_entry: int | None = None) -> int:
    """The customer's points: the sum of their ledger (up to entry ``up_to_entry`` included)."""
    query = (LoyaltyEntry.select(peewee.fn.COALESCE(peewee.fn.SUM(LoyaltyEntry.points), 0))
             .where(LoyaltyEntry.customer == customer))
    if up_to_entry is not None:
        query = query.where(LoyaltyEntry.id <= up_to_entry)
    return int(query.scalar() or 0)


def _round_ratio(value: int, numerator: int, denominator: int) -> int:
    """round-half-up(value x numerator / denominator), in integers."""
    return (2 * value * numerator + denominator) // (2 * denominator)


def loyalty_rows_for_ticket(settings: LoyaltySettings | None, draft: Any, ticket_id: int, *, sealer: Sealer,
                            when: dt.datetime, accounts: Any = None, validity_days: int = 365) -> LoyaltyOutcome:
    """Write the loyalty entries of ticket ``ticket_id`` (``draft``: a ``TicketDraft`` or
    ``TicketFacts``); call inside the transaction that writes the ticket, after its lines.

    Costs nothing on a ticket without a customer and without returned lines (the common case):
    no query at all. ``accounts`` (``config.accounts``) books a reward's cost; None books nothing.
    """
    if settings is None or not settings.enabled or draft.training:
        return LoyaltyOutcome()
    returned = [(line.origin_line_id, -line.total_cents) for line in draft.lines
                if line.origin_line_id is not None and line.total_cents < 0]
    customer_id = draft.customer_id
    if customer_id is None and draft.origin_ticket_id is not None:
        customer_id = Ticket.select(Ticket.customer).where(Ticket.id == draft.origin_ticket_id).scalar()
    if customer_id is None and not returned:
        return LoyaltyOutcome()
    taken = _reverse(returned, ticket_id, when) if returned else 0
    earned = points_for(sum(line.total_cents for line in draft.lines if line.total_cents > 0), settings)
    rewards: list[int] = []
    if earned and customer_id is not None:
        LoyaltyEntry.insert(customer=customer_id, ticket=ticket_id, kind=EARN, points=earned,
                            created_at=when).execute()
        rewards = _rewards(settings, customer_id, ticket_id, sealer, when, accounts, validity_days)
    return LoyaltyOutcome(customer_id=customer_id, earned=earned if customer_id is not None else 0,
                          reversed=taken, rewards=tuple(rewards),
                          jobs=tuple((credit_notes.PRINT_CREDIT_NOTE, {"credit_note_id": note}) for note in rewards))


def _reverse(returned: list[tuple[int, int]], ticket_id: int, when: dt.datetime) -> int:
    """Take back, per sale returned from, its points pro rata to what has now come back of it."""
    origins = dict(TicketLine.select(TicketLine.id, TicketLine.ticket)
                   .where(TicketLine.id.in_(sorted({line for line, _ in returned}))).tuples())
    now_back: dict[int, int] = {}
    for line_id, cents in returned:
        sale = origins.get(line_id)
        if sale is not None:
            now_back[sale] = now_back.get(sale, 0) + cents
    total = 0
    for sale, cents in sorted(now_back.items()):
        earning = (LoyaltyEntry.select(LoyaltyEntry.customer, LoyaltyEntry.points)
                   .where((LoyaltyEntry.ticket == sale) & (LoyaltyEntry.kind == EARN)).first())
        if earning is None:
            continue
        sold = int(TicketLine.select(peewee.fn.COALESCE(peewee.fn.SUM(TicketLine.total_cents), 0))
                   .where((TicketLine.ticket == sale) & (TicketLine.total_cents > 0)).scalar() or 0)
        if sold <= 0:
            continue
        sale_lines = TicketLine.select(TicketLine.id).where(TicketLine.ticket == sale)
        before = -int(TicketLine.select(peewee.fn.COALESCE(peewee.fn.SUM(TicketLine.total_cents), 0))
                      .where(TicketLine.origin_line.in_(sale_lines) & (TicketLine.ticket != ticket_id)
                             & (TicketLine.total_cents < 0)).scalar() or 0)
        already = -int(LoyaltyEntry.select(peewee.fn.COALESCE(peewee.fn.SUM(LoyaltyEntry.points), 0))
                       .where((LoyaltyEntry.origin_ticket == sale) & (LoyaltyEntry.kind == REVERSE)).scalar() or 0)
        target = _round_ratio(earning.points, min(sold, before + cents), sold)
        if target > already:
            LoyaltyEntry.insert(customer=earning.customer_id, ticket=ticket_id, kind=REVERSE,
                                points=-(target - already), origin_ticket=sale, created_at=when).execute()
            total += target - already
    return total


def _rewards(settings: LoyaltySettings, customer_id: int, ticket_id: int, sealer: Sealer, when: dt.datetime,
             accounts: Any, validity_days: int) -> list[int]:
    """A voucher per full threshold of the balance, its points spent and its cost booked; each
    voucher's issue sealed in chain L (``credit_notes.issue``)."""
    threshold = settings.reward_threshold_points
    if threshold <= 0 or settings.reward_cents <= 0:
        return []
    count = points_balance(customer_id) // threshold
    if count <= 0:
        return []
    today = when.replace(tzinfo=dt.timezone.utc).astimezone(sealer.zone).date()
    code = Ticket.select(Ticket.code).where(Ticket.id == ticket_id).scalar()
    notes = []
    for _ in range(count):
        note = credit_notes.issue(sealer, sealer.till_id, settings.reward_cents, ticket_id, customer_id, validity_days,
                                  today, when, origin=ISSUED_BY_LOYALTY)
        LoyaltyEntry.insert(customer=customer_id, ticket=ticket_id, kind=REWARD, points=-threshold,
                            credit_note=note.id, created_at=when).execute()
        if accounts is not None:
            AccountingLine.insert_many([
                {"ticket": ticket_id, "journal": accounts.journal, "entry_date": when.date(), "account": account,
                 "label": label, "debit_cents": debit, "credit_cents": credit, "created_at": when}
                for account, label, debit, credit in reward_postings(settings, accounts, code, settings.reward_cents)
            ]).execute()
        notes.append(note.id)
    return notes


def reward_postings(settings: LoyaltySettings, accounts: Any, ticket_code: str,
                    amount_cents: int) -> list[tuple[str, str, int, int]]:
    """(account, label, debit, credit) booking a reward voucher's cost on the ticket that issued
    it (dated by its UTC day); the journal check rebuilds them from the sealed issue."""
    label = f"{ticket_code} fidelite"
    return [(settings.reward_account, label, amount_cents, 0), (accounts.credit_note, label, 0, amount_cents)]


# --- What customers and cashiers see --------------------------------------------------------


@dataclass(frozen=True)
class LoyaltySummary:
    """The loyalty part of the customer 360."""

    balance: int
    earned: int
    reversed: int
    spent: int
    rewards: int
    """Vouchers issued so far."""


def loyalty_summary(customer: Customer | int) -> LoyaltySummary:
    """Balance and totals per kind, in one grouped query."""
    rows = dict(LoyaltyEntry.select(LoyaltyEntry.kind, peewee.fn.SUM(LoyaltyEntry.points))
                .where(LoyaltyEntry.customer == customer).group_by(LoyaltyEntry.kind).tuples())
    rewards = LoyaltyEntry.select().where((LoyaltyEntry.customer == customer) & (LoyaltyEntry.kind == REWARD)).count()
    earned, taken, spent = (int(rows.get(kind) or 0) for kind in (EARN, REVERSE, REWARD))
    return LoyaltySummary(balance=earned + taken + spent, earned=earned, reversed=-taken, spent=-spent,
                          rewards=rewards)


def receipt_lines(ticket: Ticket | int, lang: str) -> tuple[str, ...]:
    """The loyalty lines of a ticket's receipt: points of this ticket, the balance right after
    it (not today's: a duplicate prints what the original printed), vouchers issued."""
    ticket_id = ticket.id if isinstance(ticket, Ticket) else ticket
    entries = list(LoyaltyEntry.select().where(LoyaltyEntry.ticket == ticket_id).order_by(LoyaltyEntry.id))
    if not entries:
        return ()
    lines = []
    change = sum(entry.points for entry in entries if entry.kind in (EARN, REVERSE))
    if change:
        lines.append(translate("Loyalty points: {change:+d}", lang, change=change))
    for entry in entries:
        if entry.kind == REWARD and entry.credit_note_id is not None:
            note = entry.credit_note
            lines.append(translate("Reward voucher {amount}: {code}", lang,
                                   amount=format_cents(note.amount_cents, lang), code=note.code))
    by_customer: dict[int, int] = {}
    for entry in entries:
        by_customer[entry.customer_id] = entry.id
    for customer_id, last in by_customer.items():
        lines.append(translate("Loyalty balance: {points} points", lang,
                               points=points_balance(customer_id, up_to_entry=last)))
    return tuple(lines)
