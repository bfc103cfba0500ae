"""Two measures for ``benchmarks/run.py``: a return at the counter, and the customer search.

- return: a past cash sale found from its printed receipt code, one unit of one of its lines
  taken back ("changed_mind", restocked) and refunded in cash, written: ``ReturnSession.at``,
  ``find``, ``pick``, ``refund_to([("cash", amount)])``, ``complete`` (one transaction: lock and
  re-check, policy, the RETURN ticket with its lines, VAT, payment, stock, accounting, seal,
  outbox, commit). The tail anchor is written after the commit by a background thread, as in
  the till; it is flushed (untimed) after each return, as for the checkouts.
- customer search: ``till.people.customers.search_customers`` on what a cashier types: 2 to 5 letters
  of an existing customer's last name (folded), the start of a phone number (digits) or of an
  e-mail address.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from benchmarks.run import TARGETS, _ms, p50, p95

ITERATIONS = {
    # size: (returns, searches)
    "full": (300, 2000),
    "quick": (150, 1000),
    "tiny": (20, 200),
}
WARM_UP = {"returns": 5, "searches": 50}
"""The first runs of each measure warm the caches and are not counted."""


def _cash_sales(count: int, since: dt.datetime | None, rng: random.Random) -> list[tuple[str, dt.datetime]]:
    """(receipt code, sold at) of up to ``count`` random sales paid in cash only, sold after ``since``."""
    from peewee import fn

    from store.models import SALE, Payment, Ticket

    paid_otherwise = Payment.select(Payment.ticket).where(Payment.means != "cash")
    paid_cash = Payment.select(Payment.ticket).where((Payment.means == "cash") & (Payment.amount_cents > 0))
    query = (Ticket.select(Ticket.code, Ticket.created_at)
             .where((Ticket.kind == SALE) & (Ticket.training == False)  # noqa: E712
                    & Ticket.id.in_(paid_cash) & Ticket.id.not_in(paid_otherwise)))
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    rows = list(query.order_by(fn.Random()).limit(count).tuples())
    rng.shuffle(rows)
    return rows


def bench_returns(ctx, user, count: int, rng: random.Random) -> dict[str, Any]:
    """``count`` returns of one unit of one line of random recent cash sales, refunded in cash."""
    from store.models import utcnow
    from till.fiscal.chain import flush_anchors
    from till.returns.policy import PolicyBreach
    from till.returns.session import ReturnError, ReturnSession

    wanted = count + WARM_UP["returns"]
    window = ctx.config.returns.window_days
    since = utcnow() - dt.timedelta(days=max(0, window - 1))
    sales = [(code, sold_at, None) for code, sold_at in _cash_sales(wanted * 2, since, rng)]
    notes = []
    if len(sales) < wanted:
        # The shop is older than the return window (it is reused between runs): the rest are
        # returned as if on the day after their sale (the session's ``now``; only the policy
        # checks read it, the return itself is stamped with the real time).
        older = _cash_sales(wanted * 2, None, rng)
        recent = {code for code, _sold, _now in sales}
        sales += [(code, sold_at, sold_at + dt.timedelta(days=1)) for code, sold_at in older if code not in recent]
    timings: list[float] = []
    refused: dict[str, int] = {}
    done = moved = 0
    for code, _sold_at, now in sales:
        if len(timings) >= count:
            break
        started = time.perf_counter()
        try:
            session = ReturnSession.at(ctx, user, now=now)
            session.find(code)
            line = next((line for line in session.lines if line.returnable >= 1), None)
            if line is None:  # returned by an earlier run of the benchmark
                refused["nothing left to return"] = refused.get("nothing left to return", 0) + 1
                continue
            session.pick(line.line_id, 1, reason="changed_mind")
            session.refund_to([("cash", -session.balance_cents)])
            session.complete()
        except (PolicyBreach, ReturnError) as error:
            key = error.code if isinstance(error, PolicyBreach) else str(error)[:60]
            refused[key] = refused.get(key, 0) + 1
            continue
        took = time.perf_counter() - started
        flush_anchors()  # the tail anchor (background thread, after the commit): not timed
        done += 1
        if done > WARM_UP["returns"]:
            timings.append(took)
            moved += now is not None
    if moved:
        notes.append(f"{moved} of the timed sales were older than the {window}-day window (the shop was built "
                     f"earlier): returned with the session's now = the day after the sale")
    if refused:
        notes.append("skipped (not timed): " + ", ".join(f"{n} {why}" for why, n in sorted(refused.items())))
    result: dict[str, Any] = {"return_count": len(timings), "return_p95_ms": None, "return_p50_ms": None}
    if timings:
        result.update(return_p95_ms=_ms(p95(timings)), return_p50_ms=_ms(p50(timings)))
    if notes:
        result["return_notes"] = "; ".join(notes)
    return result


def _prefixes(count: int, rng: random.Random) -> list[str]:
    """What cashiers type: 60 % last-name starts, 20 % phone numbers, 20 % e-mail starts."""
    from peewee import fn

    from store.models import Customer
    from till.people.customers import fold

    rows = list(Customer.select(Customer.last_name, Customer.phone, Customer.email)
                .order_by(fn.Random()).limit(max(50, count)).tuples())
    if not rows:
        return []
    prefixes = []
    while len(prefixes) < count:
        last_name, phone, email = rows[rng.randrange(len(rows))]
        kind = rng.random()
        if kind < 0.2 and phone:
            digits = "".join(ch for ch in phone if ch.isdigit())
            prefixes.append(digits[:rng.randint(min(7, len(digits)), len(digits))])
        elif kind < 0.4 and email:
            prefixes.append(email[:rng.randint(3, 8)])
        else:
            prefixes.append(fold(last_name)[:rng.randint(2, 5)].strip() or "ma")
    return prefixes


def bench_customer_search(count: int, rng: random.Random) -> dict[str, Any]:
    """``search_customers`` on realistic prefixes (the first runs warm the caches)."""
    from till.people.customers import search_customers

    prefixes = _prefixes(count + WARM_UP["searches"], rng)
    timings, found = [], 0
    for index, prefix in enumerate(prefixes):
        started = time.perf_counter()
        hits = search_customers(prefix)
        took = time.perf_counter() - started
        if index >= WARM_UP["searches"]:
            timings.append(took)
            found += bool(hits)
    if not timings:
        return {"customer_search_p95_ms": None, "customer_search_p50_ms": None, "customer_search_count": 0}
    return {"customer_search_p95_ms": _ms(p95(timings)), "customer_search_p50_ms": _ms(p50(timings)),
            "customer_search_count": len(timings), "customer_search_found": found}


def run_all(ctx, user, size_name: str, rng: random.Random, say) -> dict[str, Any]:
    """Both measures, for ``run.py``'s ``main``."""
    returns, searches = ITERATIONS[size_name]
    say("return (find, pick, cash refund, complete) ...")
    results = bench_returns(ctx, user, returns, rng)
    say("customer search ...")
    results.update(bench_customer_search(searches, rng))
    return results


def table_rows(r: dict[str, Any]) -> list[tuple]:
    """The table's rows for these measures (same shape as ``run.table``'s)."""
    def fmt(value: Any, unit: str) -> str:
        return "n/a" if value is None else f"{value}{unit}"

    ret, search = r.get("return_p95_ms"), r.get("customer_search_p95_ms")
    return [
        ("return p95", fmt(ret, " ms"), "", "", TARGETS["return_p95_ms"], None if ret is None else ret <= 20),
        ("customer search p95", fmt(search, " ms"), "", "",
         TARGETS["customer_search_p95_ms"], None if search is None else search <= 10),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    lines = []
    if r.get("return_p50_ms") is not None:
        lines.append(f"return: {r['return_count']} returns of 1 unit of a cash sale, cash refund; "
                     f"p50 {r['return_p50_ms']} ms")
    if r.get("return_notes"):
        lines.append(f"return: {r['return_notes']}")
    if r.get("customer_search_p50_ms") is not None:
        lines.append(f"customer search: {r['customer_search_count']} searches (name, phone, e-mail starts); "
                     f"p50 {r['customer_search_p50_ms']} ms")
    return lines
