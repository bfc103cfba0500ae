"""The cashier signals: how staff refund fraud shows in the till's own signed records.

Why these five: a cashier who pockets refunds leaves traces a manager cannot see one ticket at a
time. Refunds and voids come faster than the colleagues' (per hour actually worked, so a
part-timer is not compared with a full day); the codes of returned items are keyed instead of
scanned (an item that is not there cannot be scanned); card sales come back as cash (a found
receipt turned into money); refunds cluster right after opening or just before closing (no
colleague or manager around); the same manager approves override after override (a friend, or
a PIN that was shared). Each rule only counts; a manager judges, with the evidence listed.

Every threshold is read with ``thresholds.get(name, default)``; the names start ``cashier_``.
The refund rate is compared with the shop's own median over the cashiers who worked in the
period, and with a fixed rate only when there is no median to speak of (fewer than two).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from peewee import fn

from store.models import FiscalRecord, Ticket, User
from till.fiscal.chain import current_database
from till.fiscal.events import LOGIN
from till.i18n import N_
from till.loss.cashier_facts import RETURN_ENTRY, CashierFacts, gather, overrides, shop_zone, voids
from till.loss.signal import CASHIER, Period, Signal

__all__ = ["RULES", "refund_rate", "keyed_returns", "cash_for_card", "edge_refunds", "same_manager_overrides"]

DEFAULTS = {
    "cashier_refund_rate_x_median": 3.0,
    "cashier_min_refunds": 3,
    "cashier_refund_rate_per_hour": 2.0,
    "cashier_keyed_share": 0.5,
    "cashier_min_returns": 3,
    "cashier_cash_for_card": 2,
    "cashier_edge_minutes": 15,
    "cashier_edge_refunds": 2,
    "cashier_same_manager_overrides": 3,
}


def _limit(thresholds, name: str):
    return thresholds.get(name, DEFAULTS[name])


_LAST_FACTS: dict[tuple, CashierFacts] = {}
"""The facts last gathered, keyed by database, period and the newest record and ticket: the five
rules of one computation read them once, and any new record or ticket makes them read again."""


def _facts(period: Period) -> CashierFacts:
    newest = (FiscalRecord.select(fn.MAX(FiscalRecord.id)).scalar(), Ticket.select(fn.MAX(Ticket.id)).scalar())
    key = (id(current_database()), period, newest)
    if key not in _LAST_FACTS:
        _LAST_FACTS.clear()
        _LAST_FACTS[key] = gather(period, shop_zone(period))
    return _LAST_FACTS[key]


def _signal(facts: CashierFacts, code: str, user_id: int, day: dt.date, value, threshold, how: str,
            evidence, **params) -> Signal:
    return Signal(code, CASHIER, facts.login(user_id), facts.name(user_id), day, value, threshold, how,
                  {"cashier": facts.name(user_id), **params}, tuple(dict.fromkeys(evidence)))


# --- refunds and voids per hour worked ---------------------------------------------------------

HOW_RATE_MEDIAN = N_("{refunds} refunds and {voids} voids in {hours} hours worked ({rate} an hour), against "
                     "a median of {median} an hour over {cashiers} cashiers; hours from logins to logouts "
                     "({open} sessions without a logout ended at the user's last record or the day's closure)")
HOW_RATE_FIXED = N_("{refunds} refunds and {voids} voids in {hours} hours worked ({rate} an hour), with no "
                    "colleague to compare with; hours from logins to logouts ({open} sessions without a logout "
                    "ended at the user's last record or the day's closure)")


def refund_rate(period: Period, thresholds) -> list[Signal]:
    """Refunds (return tickets written) and voids (LINE_VOID events, cancellations) per hour
    worked, against ``cashier_refund_rate_x_median`` times the median of the cashiers who worked;
    at least ``cashier_min_refunds`` refunds. With fewer than two cashiers, against
    ``cashier_refund_rate_per_hour``."""
    facts = _facts(period)
    hours: dict[int, float] = defaultdict(float)
    open_ended: dict[int, int] = defaultdict(int)
    evidence: dict[int, list[str]] = defaultdict(list)
    for shift in facts.shifts:
        hours[shift.user_id] += shift.hours
        open_ended[shift.user_id] += shift.ended_by != "logout"
        evidence[shift.user_id].extend(shift.evidence)
    refunds: dict[int, list] = defaultdict(list)
    for ret in facts.returns:
        refunds[ret.user_id].append(ret)
    voided: dict[int, list[str]] = defaultdict(list)
    for event in voids(facts):
        if event.user_id is not None:
            voided[event.user_id].append(event.evidence)
    for user_id, code, _ in facts.cancellations:
        voided[user_id].append(code)
    rates = {user_id: (len(refunds[user_id]) + len(voided[user_id])) / worked
             for user_id, worked in hours.items() if worked > 0}
    if not rates:
        return []
    median = statistics.median(rates.values()) if len(rates) >= 2 else None
    threshold = (_limit(thresholds, "cashier_refund_rate_x_median") * median if median is not None
                 else _limit(thresholds, "cashier_refund_rate_per_hour"))
    out = []
    for user_id, rate in sorted(rates.items()):
        if len(refunds[user_id]) < _limit(thresholds, "cashier_min_refunds") or rate <= threshold:
            continue
        last = max([r.at for r in refunds[user_id]])
        params = {"refunds": len(refunds[user_id]), "voids": len(voided[user_id]), "hours": round(hours[user_id], 2),
                  "rate": round(rate, 2), "open": open_ended[user_id]}
        if median is not None:
            how = HOW_RATE_MEDIAN
            params.update(median=round(median, 2), cashiers=len(rates))
        else:
            how = HOW_RATE_FIXED
        out.append(_signal(facts, "cashier_refund_rate", user_id, facts.day_of(last), round(rate, 2),
                           round(threshold, 2), how,
                           [r.code for r in refunds[user_id]] + voided[user_id] + evidence[user_id], **params))
    return out


# --- codes keyed rather than scanned ----------------------------------------------------------

HOW_KEYED = N_("{keyed} of {lines} returned lines keyed by hand rather than scanned, over {returns} returns")


def keyed_returns(period: Period, thresholds) -> list[Signal]:
    """The share of keyed lines among the user's returned lines (RETURN_ENTRY events, sealed with
    each return) above ``cashier_keyed_share``, over at least ``cashier_min_returns`` returns."""
    facts = _facts(period)
    per_user: dict[int, list] = defaultdict(list)
    for event in facts.of_code(RETURN_ENTRY):
        if event.user_id is not None:
            per_user[event.user_id].append(event)
    share_limit = _limit(thresholds, "cashier_keyed_share")
    out = []
    for user_id, entries in sorted(per_user.items()):
        keyed = sum(int(e.details.get("keyed", 0)) for e in entries)
        lines = keyed + sum(int(e.details.get("scanned", 0)) for e in entries)
        if len(entries) < _limit(thresholds, "cashier_min_returns") or not lines or keyed / lines <= share_limit:
            continue
        evidence = [e.details.get("return") or e.details.get("origin") for e in entries
                    if e.details.get("return") or e.details.get("origin")] + [e.evidence for e in entries]
        out.append(_signal(facts, "cashier_keyed_returns", user_id, facts.day_of(entries[-1].at),
                           round(keyed / lines, 2), share_limit, HOW_KEYED, evidence,
                           keyed=keyed, lines=lines, returns=len(entries)))
    return out


# --- cash refunds of card sales ---------------------------------------------------------------

HOW_CASH_FOR_CARD = N_("{count} sales paid by card refunded in cash ({amount_cents} cents in all)")


def cash_for_card(period: Period, thresholds) -> list[Signal]:
    """Returns refunded in cash whose original sale was paid by card, more than
    ``cashier_cash_for_card`` per user in the period. (A card's money should go back to the card;
    cash is what someone holding a found receipt wants.) A credit note is never turned into cash
    by a return (``till.means``: store credit is refunded last and only as store credit), so a
    return's own cash payment is the whole path here."""
    facts = _facts(period)
    per_user: dict[int, list] = defaultdict(list)
    for ret in facts.returns:
        if ret.refunded_cash_cents > 0 and ret.origin_paid_by_card:
            per_user[ret.user_id].append(ret)
    limit = _limit(thresholds, "cashier_cash_for_card")
    return [_signal(facts, "cashier_cash_for_card", user_id, rets[-1].day, len(rets), limit, HOW_CASH_FOR_CARD,
                    [r.code for r in rets], count=len(rets), amount_cents=sum(r.refunded_cash_cents for r in rets))
            for user_id, rets in sorted(per_user.items()) if len(rets) > limit]


# --- refunds right after opening or just before closing ---------------------------------------

HOW_EDGE = N_("{count} refunds within {minutes} minutes of the cashier's first login of the day or of the "
              "day's closure")


def edge_refunds(period: Period, thresholds) -> list[Signal]:
    """Return tickets within ``cashier_edge_minutes`` after the user's first LOGIN of the day or
    before the day's closure (chain G), more than ``cashier_edge_refunds`` per user."""
    facts = _facts(period)
    window = dt.timedelta(minutes=_limit(thresholds, "cashier_edge_minutes"))
    first_login: dict[tuple[int, dt.date], tuple[dt.datetime, str]] = {}
    for event in facts.of_code(LOGIN):
        if event.user_id is not None:
            first_login.setdefault((event.user_id, facts.day_of(event.at)), (event.at, event.evidence))
    per_user: dict[int, list] = defaultdict(list)
    for ret in facts.returns:
        login = first_login.get((ret.user_id, ret.day))
        closure = facts.closures.get(ret.day)
        if login is not None and login[0] <= ret.at <= login[0] + window:
            per_user[ret.user_id].append((ret, login[1]))
        elif closure is not None and closure[0] - window <= ret.at <= closure[0]:
            per_user[ret.user_id].append((ret, closure[1]))
    limit = _limit(thresholds, "cashier_edge_refunds")
    return [_signal(facts, "cashier_edge_refunds", user_id, found[-1][0].day, len(found), limit, HOW_EDGE,
                    [r.code for r, _ in found] + [record for _, record in found], count=len(found),
                    minutes=_limit(thresholds, "cashier_edge_minutes"))
            for user_id, found in sorted(per_user.items()) if len(found) > limit]


# --- the same manager again and again ---------------------------------------------------------

HOW_SAME_MANAGER = N_("{count} manager overrides approved by {manager} for this cashier")


def same_manager_overrides(period: Period, thresholds) -> list[Signal]:
    """MANAGER_OVERRIDE events naming the cashier who asked: more than
    ``cashier_same_manager_overrides`` from one manager to one cashier in the period."""
    facts = _facts(period)
    pairs: dict[tuple[int, int], list] = defaultdict(list)
    for event in overrides(facts):
        if event.user_id is not None:
            pairs[(int(event.details["cashier_id"]), event.user_id)].append(event)
    limit = _limit(thresholds, "cashier_same_manager_overrides")
    out = []
    for (cashier_id, manager_id), events in sorted(pairs.items()):
        if len(events) <= limit:
            continue
        manager = facts.users.get(manager_id) or User(login=str(manager_id), name=str(manager_id))
        evidence = [e.details["origin"] for e in events if e.details.get("origin")] + [e.evidence for e in events]
        out.append(_signal(facts, "cashier_same_manager", cashier_id, facts.day_of(events[-1].at), len(events),
                           limit, HOW_SAME_MANAGER, evidence, count=len(events), manager=manager.name,
                           manager_login=manager.login))
    return out


RULES: list = [refund_rate, keyed_returns, cash_for_card, edge_refunds, same_manager_overrides]
