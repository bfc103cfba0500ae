"""The closure verifier: each sealed closure is recomputed from the tickets of its period.

With the append-only triggers dropped (an attacker with database access), tickets of a closed
day are altered, added or removed; ``check_closures`` must name the till, chain G, the closure's
sequence and the figure that no longer matches. Forged closures (sealed with the till's key but
with wrong figures) are caught by the cascade and perpetual checks.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import AccountingLine, Payment, Ticket, TicketLine, TicketVat
from till.fiscal.closure_check import check_closures
from till.fiscal.closures import DayAlreadyClosed, close_day, close_month, last_closure, period_of

from tests.support.closures import at, busy_day, sale
from tests.support.journal import unprotect

D = dt.date.fromisoformat
TILL = "01"


@pytest.fixture
def closed(till_shop):
    """A busy day (5 counted tickets and a training one) closed that evening, and a quiet one
    closed with their month (the month's cascade closes it): (busy day, quiet day, month)."""
    shop = till_shop
    tickets = busy_day(shop, "2026-10-05")
    made = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    tickets["later"] = sale(shop, at("2026-10-06"), [("WIN", 1)])
    made += close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-11-02", 9))
    assert [(c.kind, c.period.label) for c in made] == [("day", "2026-10-05"), ("day", "2026-10-06"),
                                                        ("month", "2026-10")]
    assert check_closures() == []
    return shop, tickets, made


def test_untouched_closures_agree_with_their_tickets(closed):
    """R-SEC-07: recomputed from the tickets, every closure (days and month) is as sealed."""
    shop, _tickets, _made = closed
    assert check_closures(TILL) == []
    assert check_closures("02") == []  # a till without closures


def _first(shop, ticket):
    return (TicketLine.ticket == ticket.id) & (TicketLine.position == 1)


TAMPERING = {
    "VAT row": (lambda s, t: TicketVat.update(ttc_cents=TicketVat.ttc_cents + 100)
                .where(TicketVat.ticket == t["card"].id).execute(), {"vat"}),
    "payment means": (lambda s, t: Payment.update(means="card").where(Payment.ticket == t["first"].id).execute(),
                      {"payments"}),
    "line total": (lambda s, t: TicketLine.update(total_cents=-1).where(_first(s, t["card"])).execute(),
                   {"sales_cents", "returns_cents", "grand_total_cents"}),
    "ticket made training": (lambda s, t: Ticket.update(training=True).where(Ticket.id == t["card"].id).execute(),
                             {"ticket_count", "counts", "vat", "payments", "sales_cents", "grand_total_cents"}),
    "ticket deleted": (lambda s, t: [m.delete().where(m.ticket == t["card"].id).execute()
                                     for m in (TicketLine, TicketVat, Payment, AccountingLine)]
                       + [Ticket.delete().where(Ticket.id == t["card"].id).execute()],
                       {"ticket_count", "counts", "vat", "payments", "sales_cents", "grand_total_cents"}),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_a_ticket_altered_after_its_closure_is_reported_at_the_closure(closed, name):
    """R-CON-04, R-SEC-07, R-INA-01: an alteration of a closed day's ticket (triggers dropped)
    shows at that day's closure and at its month's, with the figures that differ."""
    shop, tickets, made = closed
    day, _quiet, month = made
    unprotect(shop.ctx.database)
    alter, figures = TAMPERING[name]
    alter(shop, tickets)
    problems = check_closures()
    assert {(p.till_id, p.chain) for p in problems} == {(TILL, "G")}
    assert {p.sequence for p in problems} == {day.sequence, month.sequence}
    assert {p.params["figure"] for p in problems if p.sequence == day.sequence} >= figures
    # Each finding reads as one line, in English and in French.
    found = next(p for p in problems if p.sequence == day.sequence)
    assert found.text("en").startswith(f"chain G of till {TILL}, record {day.sequence}: day closure 2026-10-05: ")
    assert "from the tickets" in found.text("en")
    assert found.text("fr").startswith(f"chaîne G de la caisse {TILL}, enregistrement {day.sequence} : clôture "
                                       "journée 2026-10-05 : ")


def test_a_ticket_written_into_a_closed_day_is_reported(closed, monkeypatch):
    """R-CON-04, R-SEC-07: a ticket dated on a closed day changes the day's count and totals;
    the verifier names the day's closure.

    The till itself refuses such a ticket (``DayAlreadyClosed``), so the state cannot be reached
    through it: the ticket is then written with that gate patched out of the ticket writer, as
    a forger with database access (or a version of the till without the gate) would have.
    """
    shop, _tickets, made = closed
    with pytest.raises(DayAlreadyClosed):
        sale(shop, at("2026-10-06", 21), [("NEWS", 1)], means="card")
    monkeypatch.setattr("till.selling.ticket_writer.require_open_day", lambda *args, **kwargs: None)
    late = sale(shop, at("2026-10-06", 21), [("NEWS", 1)], means="card")  # 23:00 in Paris: still 10-06
    problems = check_closures()
    quiet = made[1]
    day_findings = {p.params["figure"]: p for p in problems if p.sequence == quiet.sequence}
    assert {"ticket_count", "last_ticket", "last_ticket_signature", "grand_total_cents"} <= set(day_findings)
    assert day_findings["ticket_count"].what == (
        "day closure 2026-10-06: ticket_count is 1 in the closure but 2 from the tickets")
    assert day_findings["last_ticket"].params["actual"] == str(late.number)


def test_a_forged_month_that_is_not_the_sum_of_its_days_is_reported(lite_shop):
    """R-CON-01, R-CON-03: month = sum of its days and lists them; perpetual totals chain. A
    closure sealed with wrong figures (a bug or a forger holding the key) is caught."""
    shop = lite_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    (day,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    forged = dict(day.payload)
    forged.update(period=period_of("month", D("2026-10-01"), shop.ctx.sealer.zone).payload(),
                  sales_cents=995, grand_total_cents=995, perpetual_total_cents=5, parts=[])
    with shop.ctx.database.atomic():
        shop.ctx.sealer.append("G", "month", forged)
    month = last_closure(TILL, "month")
    findings = {(p.message, p.params.get("figure")) for p in check_closures() if p.sequence == month.sequence}
    from till.fiscal import closure_check as cc

    assert (cc.DIFFERS, "sales_cents") in findings
    assert (cc.PARTS_DIFFER, "grand_total_cents") in findings
    assert (cc.PARTS_LIST, None) in findings
    assert (cc.PERPETUAL, "perpetual_total_cents") in findings
    assert not [p for p in check_closures() if p.sequence == day.sequence]


def test_a_forged_perpetual_total_on_a_day_is_reported(lite_shop):
    """R-CON-03: the perpetual total is the previous closure's plus the period's."""
    shop = lite_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    (day,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    forged = json.loads(json.dumps(day.payload))
    forged["period"] = period_of("day", D("2026-10-06"), shop.ctx.sealer.zone).payload()
    forged.update(ticket_count=0, counts={}, first_ticket=None, last_ticket=None, last_ticket_signature=None, vat=[],
                  payments=[], sales_cents=0, returns_cents=0, grand_total_cents=0,
                  credit_notes={"issued_cents": 0, "redeemed_cents": 0}, previous_closure=day.sequence)
    # The perpetual totals are copied from day 1 plus nothing: right. Then a wrong one.
    with shop.ctx.database.atomic():
        shop.ctx.sealer.append("G", "day", forged)
    assert check_closures() == []
    forged["period"] = period_of("day", D("2026-10-07"), shop.ctx.sealer.zone).payload()
    forged.update(perpetual_total_cents=0, previous_closure=1)
    with shop.ctx.database.atomic():
        record = shop.ctx.sealer.append("G", "day", forged)
    problems = check_closures()
    assert [(p.sequence, p.params.get("figure")) for p in problems] == [
        (record.sequence, None), (record.sequence, "perpetual_total_cents")]
    assert problems[0].what == "day closure 2026-10-07: names record 1 as the previous closure, but it is 2"
