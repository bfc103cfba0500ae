"""Two measures for ``benchmarks/run.py``: the loss-prevention signals (``till.loss``).

- signals_day_s: every signal of one business day (``till.loss.signals.compute``), the day of the
  last thirty with the most returns, as ``till report signals`` computes it; target 1 s.
- signals_return_check_p95_ms: the check at the return screen (``signals_for_return``) for
  returns of the shop's history (their customer, their original receipt, their cashier), made
  "now"; the shop's median share of returns is computed once a day and kept, so the first
  checks (warm-up) are not counted; target 5 ms.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from benchmarks.run import TARGETS, _ms, p50, p95

ITERATIONS = {"full": 500, "quick": 300, "tiny": 50}
WARM_UP = 5


def _busiest_day(zone):
    """The business day with the most return tickets among the last thirty (the last day when
    there is none): the customer rules then read a whole year of history before it, their worst
    case, where the first days of a generated history would have none."""
    from collections import Counter

    from peewee import fn

    from reports.base import hour_of
    from store.models import Ticket
    from till.fiscal.closure_totals import business_day
    from till.loss.returns_seen import RETURN_KINDS

    hour = hour_of(Ticket.created_at)  # one statement on SQLite and PostgreSQL; folded into local days
    days: Counter = Counter()
    newest = Ticket.select(fn.MAX(Ticket.created_at)).scalar()
    recent = Ticket.created_at >= newest - dt.timedelta(days=30)  # a year of history behind it, not the first days
    for text, count in (Ticket.select(hour, fn.COUNT(Ticket.id)).where(Ticket.kind.in_(RETURN_KINDS) & recent)
                        .group_by(hour).tuples()):
        days[business_day(dt.datetime.strptime(str(text)[:13], "%Y-%m-%d %H"), zone)] += count
    if days:
        return days.most_common(1)[0][0]
    return business_day(Ticket.select(fn.MAX(Ticket.created_at)).scalar(), zone)


def bench_signals(ctx, count: int, rng: random.Random) -> dict[str, Any]:
    """All signals of the busiest day; ``count`` return checks (p95, p50)."""
    from peewee import fn

    from store.models import Ticket
    from till.fiscal.closures import business_zone
    from till.loss.return_check import forget_medians, signals_for_return
    from till.loss.returns_seen import RETURN_KINDS
    from till.loss.signals import compute, period_of, thresholds_of

    zone = business_zone(ctx.config)
    thresholds = thresholds_of(ctx.config.loss_prevention)
    day = _busiest_day(zone)
    started = time.perf_counter()
    found = compute(period_of(day, day, zone), thresholds)
    day_s = time.perf_counter() - started

    samples = list(Ticket.select(Ticket.customer, Ticket.origin_ticket, Ticket.user)
                   .where(Ticket.kind.in_(RETURN_KINDS)).order_by(fn.Random()).limit(count + WARM_UP).tuples())
    if not samples:  # a shop without returns: check its sales as if they came back
        samples = list(Ticket.select(Ticket.customer, Ticket.id, Ticket.user).order_by(fn.Random())
                       .limit(count + WARM_UP).tuples())
    now = Ticket.select(fn.MAX(Ticket.created_at)).scalar() + dt.timedelta(minutes=1)
    forget_medians()
    timings = []
    for index, (customer, origin, user) in enumerate(samples):
        started = time.perf_counter()
        signals_for_return(customer, origin, user, now, thresholds, zone)
        took = time.perf_counter() - started
        if index >= WARM_UP:
            timings.append(took)
    return {"signals_day_s": round(day_s, 3), "signals_day_count": len(found), "signals_day": day.isoformat(),
            "signals_return_check_p95_ms": _ms(p95(timings)), "signals_return_check_p50_ms": _ms(p50(timings)),
            "signals_return_check_count": len(timings)}


def run_all(ctx, size_name: str, rng: random.Random, say) -> dict[str, Any]:
    """Both measures, for ``run.py``'s ``main``."""
    say("loss-prevention signals: a day, and the check at the return screen ...")
    return bench_signals(ctx, ITERATIONS[size_name], rng)


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """The table's rows for these measures (same shape as ``run.table``'s)."""
    day, check = r.get("signals_day_s"), r.get("signals_return_check_p95_ms")
    return [
        ("signals of a day", "n/a" if day is None else f"{day} s", "", "", TARGETS["signals_day_s"],
         None if day is None else day <= 1),
        ("return check p95", "n/a" if check is None else f"{check} ms", "", "",
         TARGETS["signals_return_check_p95_ms"], None if check is None else check <= 5),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    if r.get("signals_day_s") is None:
        return []
    return [f"signals: {r['signals_day_count']} signals on {r['signals_day']} (the day with the most returns); "
            f"{r['signals_return_check_count']} return checks, p50 {r['signals_return_check_p50_ms']} ms"]
