"""Fiscal closures (chain G): what they add up, the cascade, refusals and the forced daily closure.

Tickets are written through the real ticket writer (``tests.support.closures``), dated on chosen days;
closures are asked for with an explicit ``now``. Business days are the shop's Europe/Paris days
(``shop.timezone``, its default), stored as UTC bounds. History is written as a till can write
it: the writer refuses a ticket while an earlier day with tickets is not closed, so at most ONE
day with tickets is ever left open, and every cascade starts from such a state.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from store.models import FiscalRecord, Payment, TicketLine, TicketVat
from till.fiscal import closures
from till.fiscal.closures import (
    DayAlreadyClosed, DayNotClosed, ClosureError, PeriodAlreadyClosed, close_day, close_month, close_year,
    require_open_day,
)
from till.fiscal.verify import verify_journal
from till.i18n import _catalogue

from tests.support.closures import ZONE, at, busy_day, sale, training_sale

D = dt.date.fromisoformat
TILL = "01"


def g_records():
    return list(FiscalRecord.select().where(FiscalRecord.chain == "G").order_by(FiscalRecord.sequence))


def by_hand(tickets):
    """The totals of ``tickets`` added up in Python from their stored rows, one by one."""
    ids = [t.id for t in tickets]
    vat: dict[int, list[int]] = {}
    for row in TicketVat.select().where(TicketVat.ticket.in_(ids)):
        got = vat.setdefault(row.rate_bp, [0, 0, 0])
        got[0] += row.ttc_cents
        got[1] += row.ht_cents
        got[2] += row.vat_cents
    means: dict[str, int] = {}
    for row in Payment.select().where(Payment.ticket.in_(ids)):
        means[row.means] = means.get(row.means, 0) + row.amount_cents
    totals = [row.total_cents for row in TicketLine.select().where(TicketLine.ticket.in_(ids))]
    return {
        "vat": [{"rate_bp": r, "ttc_cents": v[0], "ht_cents": v[1], "vat_cents": v[2]} for r, v in
                sorted(vat.items(), reverse=True)],
        "means": dict(sorted(means.items())),
        "sales": sum(t for t in totals if t > 0),
        "returns": sum(-t for t in totals if t < 0),
    }


def test_a_daily_closure_adds_up_every_kind_of_ticket_and_leaves_training_out(till_shop):
    """R-CON-03, R-CON-05, R-DATA-04: one G record per day with totals per rate and per means,
    sales, absolute returns, grand and perpetual totals, count, first/last number and the last
    ticket's signature; the training ticket is in none of them."""
    shop = till_shop
    t = busy_day(shop, "2026-10-05")
    counted = [t["first"], t["card"], t["refund"], t["swap"], t["redeem"]]
    (closure,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    (record,) = g_records()
    assert (record.till_id, record.chain, record.sequence, record.kind) == (TILL, "G", 1, "day")
    payload = json.loads(record.payload)
    assert payload == closure.payload
    # The shop's day in Paris (summer time, UTC+2), its bounds in UTC.
    assert payload["period"] == {"kind": "day", "label": "2026-10-05", "first_day": "2026-10-05",
                                 "last_day": "2026-10-05", "start": "2026-10-04T22:00:00Z",
                                 "end": "2026-10-05T22:00:00Z", "timezone": "Europe/Paris"}
    # Figures written down by hand (see tests.support.closures.busy_day) ...
    assert payload["ticket_count"] == 5
    assert payload["counts"] == {"sale": 3, "return": 1, "exchange": 1}
    assert payload["sales_cents"] == 1790 + 360 + 320 + 450 + 350
    assert payload["returns_cents"] == 895 + 120
    assert payload["grand_total_cents"] == 3270 - 1015 == 2255
    assert [(v["rate_bp"], v["ttc_cents"]) for v in payload["vat"]] == [
        (2000, 1790 - 895 + 350), (1000, 450), (550, 360 - 120), (210, 320)]
    assert {p["means"]: (p["total_cents"], p["in_cents"], p["out_cents"]) for p in payload["payments"]} == {
        "card": (320, 320, 0), "cash": (2150 + 330, 2480, 0), "credit_note": (350 - 895, 350, 895)}
    assert payload["credit_notes"] == {"issued_cents": 895, "redeemed_cents": 350}
    assert payload["perpetual_total_cents"] == 2255
    assert payload["perpetual_absolute_cents"] == 3270 + 1015
    # ... and the same as the stored rows of the five counted tickets added up one by one.
    hand = by_hand(counted)
    assert payload["vat"] == hand["vat"]
    assert {p["means"]: p["total_cents"] for p in payload["payments"]} == hand["means"]
    assert (payload["sales_cents"], payload["returns_cents"]) == (hand["sales"], hand["returns"])
    assert sum(v["ttc_cents"] for v in payload["vat"]) == payload["grand_total_cents"] == sum(
        t.total_cents for t in counted)
    numbers = [t.number for t in counted]
    assert (payload["first_ticket"], payload["last_ticket"]) == (min(numbers), max(numbers))
    last = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.sequence == max(numbers)))
    assert payload["last_ticket_signature"] == last.signature
    # Sealed like every record: the whole journal still verifies, chain G included.
    report = verify_journal(anchors=shop.ctx.sealer.anchors)
    assert report.ok, report.lines("en")
    assert report.counts[(TILL, "G")] == 1


def test_perpetual_totals_carry_from_one_closure_of_a_kind_to_the_next(lite_shop):
    """R-CON-03: perpetual GT = previous closure's + this period's; the absolute one adds sales
    and |returns|; each closure names the previous one of its kind. Each day is closed that
    evening, as the till requires before the next day's sales."""
    shop = lite_shop
    first = sale(shop, at("2026-10-05"), [("WIN", 1)])
    (day1,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    sale(shop, at("2026-10-06"), [("BAG", 2)])
    from tests.support.closures import returned

    returned(shop, at("2026-10-06", 15), first, "WIN")
    (day2,) = close_day(shop.ctx.sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    assert (day1.perpetual_total, day1.perpetual_absolute) == (895, 895)
    assert day2.totals.grand_total == 240 - 895
    assert (day2.perpetual_total, day2.perpetual_absolute) == (895 + 240 - 895, 895 + 240 + 895)
    assert (day1.payload["previous_closure"], day2.payload["previous_closure"]) == (None, day1.sequence)


def test_a_day_without_tickets_closes_with_zero_totals(till_shop):
    """R-CON-02: closing is always possible, so the forced closure is never a dead end."""
    shop = till_shop
    (closure,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    payload = closure.payload
    assert (payload["ticket_count"], payload["grand_total_cents"], payload["vat"], payload["payments"]) == (
        0, 0, [], [])
    assert (payload["first_ticket"], payload["last_ticket"], payload["last_ticket_signature"]) == (None, None, None)
    assert payload["perpetual_total_cents"] == 0


def test_a_second_closure_of_the_same_period_is_refused(till_shop):
    """R-CON-04: a closure is made once and never recomputed; the second try writes nothing."""
    shop = till_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    before = len(g_records())
    with pytest.raises(PeriodAlreadyClosed) as refused:
        close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 21))
    assert refused.value.text("en") == "The day 2026-10-05 is already closed on till 01 (record 1 of chain G)"
    assert "déjà clôturée" in refused.value.text("fr")
    close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-11-01", 9))
    with pytest.raises(PeriodAlreadyClosed):
        close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-11-02", 9))
    assert len(g_records()) == before + 1


def test_a_refused_closure_is_sealed_in_chain_l_with_why(till_shop):
    """A Z asked for and refused leaves a trace an inspector reads: CLOSURE_REFUSED, with the
    refusal and its reason in English, sealed after the closure's transaction rolled back."""
    shop = till_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    with pytest.raises(PeriodAlreadyClosed):
        close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 21), user_id=shop.manager.id,
                  operator=shop.manager.name)
    with pytest.raises(ClosureError):
        close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-10-06", 9))
    refusals = [json.loads(r.payload) for r in FiscalRecord.select().where(
        (FiscalRecord.chain == "L") & (FiscalRecord.kind == "CLOSURE_REFUSED")).order_by(FiscalRecord.sequence)]
    assert [r["details"]["refusal"] for r in refusals] == ["PeriodAlreadyClosed", "ClosureError"]
    first, second = (r["details"] for r in refusals)
    assert first["reason"] == "The day 2026-10-05 is already closed on till 01 (record 1 of chain G)"
    assert first["operator"] == shop.manager.name and refusals[0]["user_id"] == shop.manager.id
    assert second["kind"] == "month" and "is not over yet" in second["reason"]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_closing_a_day_first_closes_earlier_open_days_in_order(lite_shop):
    """R-CON-01, R-CON-02: the cascade closes the earlier day with tickets left open first, then
    the day asked for; days already closed are not closed again and days without tickets in
    between need no closure.

    As it happens in a shop: 10-01 sold and closed that evening; 10-02 sold and nobody closed
    it; nothing sold 10-03 to 10-05 (shop shut); on 10-06 the first sale is refused until the
    manager closes the day before (10-05), which closes 10-02 first.
    """
    shop = lite_shop
    sale(shop, at("2026-10-01"), [("NEWS", 1)])
    (first,) = close_day(shop.ctx.sealer, D("2026-10-01"), now=at("2026-10-01", 20))
    sale(shop, at("2026-10-02"), [("WIN", 1)])
    sale(shop, at("2026-10-02", 17), [("BAG", 1)])
    with pytest.raises(DayNotClosed) as refused:
        sale(shop, at("2026-10-06", 8), [("SOA", 1)])
    assert refused.value.day == D("2026-10-02")
    made = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-06", 8))
    assert [(c.period.label, c.totals.grand_total) for c in made] == [("2026-10-02", 895 + 120), ("2026-10-05", 0)]
    assert [c.sequence for c in made] == [first.sequence + 1, first.sequence + 2]  # oldest first
    assert [r.kind for r in g_records()] == ["day"] * 3  # 10-01 once; no 10-03, 10-04
    sale(shop, at("2026-10-06", 9), [("SOA", 1)])  # the day's sales go on
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok  # the refused sale left no gap


def test_closures_go_in_date_order_and_never_into_the_future(lite_shop):
    """R-CON-04, R-CLK-01: a day before the last closed one, a future day and a month not over
    are refused with a message that says why."""
    shop = lite_shop
    close_day(shop.ctx.sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    with pytest.raises(ClosureError) as earlier:
        close_day(shop.ctx.sealer, D("2026-10-04"), now=at("2026-10-07", 9))
    assert earlier.value.text("en") == (
        "The day 2026-10-04 cannot be closed any more: till 01 is already closed up to 2026-10-06")
    with pytest.raises(ClosureError) as future:
        close_day(shop.ctx.sealer, D("2026-10-09"), now=at("2026-10-07", 9))
    assert future.value.message == closures.NOT_STARTED
    with pytest.raises(ClosureError) as not_over:
        close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-10-30", 9))
    assert not_over.value.text("en") == "The month 2026-10 is not over yet: it can be closed from its last day on"
    assert len(g_records()) == 1


def test_a_month_closure_closes_its_missing_days_and_equals_their_sum(till_shop):
    """R-CON-01, R-CON-03: closing a month closes first its days with tickets not closed yet;
    its totals are the sum of its days' closures, which it lists; its perpetual totals chain
    from the previous month's.

    Days closed in the evening (10-05, 10-06); the last day with tickets (10-20) left open, as
    the till allows, so the month closes it first; a training ticket on 10-21 forces nothing.
    """
    shop = till_shop
    busy_day(shop, "2026-10-05")
    (day5,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    sale(shop, at("2026-10-06"), [("WIN", 3)])
    (day6,) = close_day(shop.ctx.sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    sale(shop, at("2026-10-20"), [("NEWS", 2)], means="card")
    training_sale(shop, at("2026-10-21"))
    made = close_month(shop.ctx.sealer, D("2026-10-15"), now=at("2026-11-03", 8))
    assert [(c.kind, c.period.label) for c in made] == [("day", "2026-10-20"), ("month", "2026-10")]
    sale(shop, at("2026-11-03"), [("BAG", 1)])  # next month: not in it (nor in its bounds below)
    month = made[-1]
    days = [day5, day6, made[0]]
    assert month.payload["parts"] == [d.sequence for d in days]
    assert month.totals == closures.sum_totals(d.totals for d in days)
    assert month.totals.grand_total == 2255 + 3 * 895 + 2 * 320
    assert month.totals.ticket_count == 7
    assert (month.payload["period"]["first_day"], month.payload["period"]["last_day"]) == ("2026-10-01",
                                                                                          "2026-10-31")
    assert month.perpetual_total == month.totals.grand_total
    assert month.payload["previous_closure"] is None
    # The month's figures are also those of its tickets, added up from scratch.
    direct = closures.period_totals(TILL, month.period.start, month.period.end)
    assert direct == month.totals


def test_a_year_closure_cascades_to_its_open_month_and_day(till_shop):
    """R-CON-01: closing a year closes first its month still open (and that month's day left
    open); the year is the sum of its months, its perpetual total chains across years.

    Each day was closed in the evening; the months between closed by themselves at the first
    sale of the next month (``close_due``), empty ones too; the last day with tickets (12-31)
    left open, so the year closes 12-31, then month 2025-12, then itself.
    """
    shop = till_shop
    sale(shop, at("2025-02-10"), [("WIN", 1)])
    (feb10,) = close_day(shop.ctx.sealer, D("2025-02-10"), now=at("2025-02-10", 20))
    sale(shop, at("2025-12-05"), [("BAG", 2)])
    (dec5,) = close_day(shop.ctx.sealer, D("2025-12-05"), now=at("2025-12-05", 20))
    sale(shop, at("2025-12-31"), [("NEWS", 1)], means="card")
    made = close_year(shop.ctx.sealer, D("2025-06-01"), now=at("2026-01-02", 8))
    assert [(c.kind, c.period.label) for c in made] == [("day", "2025-12-31"), ("month", "2025-12"),
                                                        ("year", "2025")]
    year = made[-1]
    months = [c for c in closures.closures(TILL, "month")]
    assert [m.period.label for m in months] == [f"2025-{n:02d}" for n in range(2, 13)]
    assert [m.payload["automatic"] for m in months] == [True] * 10 + [False]
    assert months[0].payload["parts"] == [feb10.sequence]
    assert months[-1].payload["parts"] == [dec5.sequence, made[0].sequence]
    assert year.payload["parts"] == [m.sequence for m in months]
    assert year.totals == closures.sum_totals(m.totals for m in months)
    assert (year.totals.grand_total, year.perpetual_total, year.perpetual_absolute) == (1455, 1455, 1455)
    # The next year chains on it.
    sale(shop, at("2026-03-01"), [("SOA", 1)])
    next_year = close_year(shop.ctx.sealer, D("2026-01-01"), now=at("2027-01-01", 8))[-1]
    assert (next_year.perpetual_total, next_year.payload["previous_closure"]) == (1455 + 350, year.sequence)
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_sale_is_refused_while_an_earlier_day_with_tickets_is_not_closed(till_shop):
    """R-CON-02: the forced daily closure names the day and how a manager closes it; once it is
    closed the sale goes on; training tickets never force a closure. Days are the shop's, as
    the ticket writer asks (``sealer.zone``)."""
    shop = till_shop
    assert shop.ctx.sealer.zone == ZONE
    training_sale(shop, at("2026-10-04"))
    require_open_day(TILL, at("2026-10-05", 8), ZONE)  # only a training ticket before: nothing to close
    sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    require_open_day(TILL, at("2026-10-05", 19), ZONE)  # the same day: open
    with pytest.raises(DayNotClosed) as refused:
        require_open_day(TILL, at("2026-10-07", 9), ZONE)
    error = refused.value
    assert isinstance(error, ClosureError) and error.day == D("2026-10-05")
    assert error.text("en") == ("Day 2026-10-05 is not closed on till 01: a manager closes it (F1 on the sale "
                                "screen, or `till close day --date 2026-10-05`) before the next sale")
    assert error.text("fr").startswith("La journée du 2026-10-05 n'est pas clôturée sur la caisse 01")
    require_open_day("02", at("2026-10-07", 9), ZONE)  # another till's days are its own
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-07", 9))
    require_open_day(TILL, at("2026-10-07", 9), ZONE)


def test_no_sale_on_a_day_already_closed(till_shop):
    """R-CON-02, R-CON-04: after today's closure a ticket dated today would escape every
    closure, so it is refused until the next day; a closed month refuses as well."""
    shop = till_shop
    sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 19))
    with pytest.raises(DayAlreadyClosed) as refused:
        require_open_day(TILL, at("2026-10-05", 19, 30), ZONE)
    assert refused.value.text("en") == ("Day 2026-10-05 is already closed on till 01: no sale can be recorded on "
                                        "it; sales resume on the next day")
    require_open_day(TILL, at("2026-10-06", 8), ZONE)
    close_month(shop.ctx.sealer, D("2026-10-01"), now=at("2026-10-31", 18))
    with pytest.raises(DayAlreadyClosed):
        require_open_day(TILL, at("2026-10-31", 19), ZONE)
    require_open_day(TILL, at("2026-11-01", 8), ZONE)


def test_closures_of_two_tills_are_separate_chains(lite_shop):
    """R-SEC-01: chain G is per till: another till's closures and tickets do not count here."""
    from till.fiscal.chain import Sealer

    shop = lite_shop
    other = Sealer("02", shop.ctx.sealer.signer, None)
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    (mine,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    (theirs,) = close_day(other, D("2026-10-05"), now=at("2026-10-05", 20))
    assert (mine.till_id, mine.sequence, mine.totals.grand_total) == ("01", 1, 895)
    assert (theirs.till_id, theirs.sequence, theirs.totals.grand_total) == ("02", 1, 0)


def test_a_closure_is_logged_as_a_technical_event(lite_shop):
    """R-JET-01: each closure is also an event of chain L, in the same transaction."""
    shop = lite_shop
    (closure,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20), user_id=shop.manager.id,
                           operator=shop.manager.name)
    event = (FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == "CLOSURE"))
             .order_by(FiscalRecord.sequence.desc()).first())
    details = json.loads(event.payload)
    assert details["user_id"] == shop.manager.id
    assert details["details"] == {"kind": "day", "period": "2026-10-05", "record": closure.sequence,
                                  "grand_total_cents": 0}
    assert closure.payload["operator"] == {"user_id": shop.manager.id, "name": shop.manager.name}


def test_business_days_follow_the_shop_zone_when_one_is_given():
    """R-DATA-03: a period's bounds are stored in UTC; in Paris a day starts at 22:00 or 23:00 UTC."""
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    summer = closures.period_of("day", D("2026-07-14"), paris)
    assert (summer.start, summer.end) == (dt.datetime(2026, 7, 13, 22), dt.datetime(2026, 7, 14, 22))
    assert closures.period_of("month", D("2026-10-31"), paris).end == dt.datetime(2026, 10, 31, 23)
    assert closures.business_day(dt.datetime(2026, 7, 13, 22, 30), paris) == D("2026-07-14")
    assert closures.business_zone(None) == dt.timezone.utc


def test_periods_are_read_as_typed_or_refused_clearly():
    assert closures.parse_period("month", "2026-11") == D("2026-11-01")
    assert closures.parse_period("year", "2026") == D("2026-01-01")
    with pytest.raises(ClosureError) as refused:
        closures.parse_period("day", "25/11/2026")
    assert refused.value.text("en") == "25/11/2026 is not a day: write it as 2026-11-25"


ROOT = Path(__file__).resolve().parents[2]


def test_every_closure_message_and_label_has_a_french_translation():
    """Every English message shown by closures, the closure verifier, the CLI and the X/Z
    reports exists in French (tests/test_translations.py does not know these error classes)."""
    from till.fiscal import closure_check

    french = _catalogue("fr")
    messages = list(closures.MESSAGES) + list(closure_check.MESSAGES) + list(closures.KIND_NAMES.values())
    for path in ("till/cli/fiscal.py", "reports/xz.py"):
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("t", "translate"):
                messages.append(node.args[0].value)
    from reports import xz

    messages += [xz.X_TITLE, *xz.Z_TITLES.values(), *xz.COUNT_LABELS.values()]
    missing = sorted({m for m in messages if m not in french})
    assert not missing, missing


def test_a_month_counts_its_days_closed_before_the_month_was(lite_shop):
    """R-CON-01: days closed before their month's closure make the month; October closes by
    itself before November's first sale, November by hand once over."""
    shop = lite_shop
    made = []
    for day, sku in (("2026-10-30", "WIN"), ("2026-11-01", "BAG"), ("2026-11-02", "NEWS")):
        sale(shop, at(day), [(sku, 1)])
        made += close_day(shop.ctx.sealer, D(day), now=at(day, 20))
    october = closures.find_closure(TILL, "month", "2026-10")
    november = close_month(shop.ctx.sealer, D("2026-11-01"), now=at("2026-12-01", 8))[-1]
    assert october.payload["parts"] == [made[0].sequence] and october.totals.grand_total == 895
    assert november.payload["parts"] == [made[1].sequence, made[2].sequence]
    assert november.totals.grand_total == 120 + 320
    assert november.payload["previous_closure"] == october.sequence
    from till.fiscal.closure_check import check_closures

    assert check_closures() == []


def test_two_processes_closing_the_same_day_at_once_make_one_closure(till_shop):
    """R-CON-04, R-SEQ-01: two connections close the same day together; the chain G head lock
    lets one in, the other then finds the day closed and is refused; no duplicate, no gap."""
    import threading

    from till.fiscal.chain import Sealer

    shop = till_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    database = shop.ctx.database
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def work() -> None:
        sealer = Sealer(TILL, shop.ctx.sealer.signer, None)
        try:
            database.connect(reuse_if_open=True)  # this thread's own connection
            barrier.wait(timeout=10)
            outcomes.append(close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))[0].sequence)
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            outcomes.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    database.connect(reuse_if_open=True)
    assert sorted(map(type, outcomes), key=str) == sorted([int, PeriodAlreadyClosed], key=str), outcomes
    assert [(r.sequence, r.kind) for r in g_records()] == [(1, "day")]


def test_the_closure_benchmark_runs_and_reports_its_figure_as_json():
    """The benchmark (benchmarks/bench_closure.py) runs end to end on a small day; its figure is
    taken, never judged here (tests do not time things)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_closure.py"), "--tickets", "150"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["closure_tickets"] == figures["closure_raw_tickets"] == 150
    assert figures["daily_closure_s"] > 0 and figures["raw_closure_s"] > 0


def test_a_closure_waits_for_a_sale_in_flight_and_counts_it(till_shop):
    """R-CON-04, R-SEQ-01: a sale holding the till's chain T head when the closure starts
    commits first and is counted; nothing escapes the closure of its day."""
    import threading
    import time

    from till.fiscal.chain import Sealer
    from till.selling.ticket_writer import DraftPayment, TicketDraft, write_ticket

    from tests.support.clock import sealing_at
    from tests.support.closures import line

    shop = till_shop
    database = shop.ctx.database
    sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    started = threading.Event()
    errors: list[BaseException] = []

    def selling() -> None:
        sealer = Sealer(TILL, shop.ctx.sealer.signer, None)
        try:
            database.connect(reuse_if_open=True)
            with database.atomic():
                sealer.reserve("T")  # the checkout has begun
                started.set()
                time.sleep(0.4)
                draft = TicketDraft(kind="sale", user_id=shop.cashier.id, operator_name=shop.cashier.name,
                                    lines=(line(shop, "BAG", 2),), payments=(DraftPayment("cash", 240),),
                                    created_at=at("2026-10-05", 19))
                with sealing_at(draft.created_at):  # signed when it was sold
                    write_ticket(sealer, shop.config.accounts, draft)
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            errors.append(error)
        finally:
            database.close()

    thread = threading.Thread(target=selling)
    thread.start()
    assert started.wait(10)
    (closure,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    thread.join(30)
    assert errors == []
    assert (closure.totals.ticket_count, closure.totals.grand_total) == (2, 895 + 240)


def test_a_cascade_reads_the_latest_closure_of_each_kind_once(till_shop, monkeypatch):
    """Inside a closure's transaction chain G is held, so only the closures it seals change
    the latest of a kind: a cascade (here a month, its open day, the days before) reads each
    kind's latest closure from the journal once, not at every step (the demo's build seals 78
    days and three months at once; each read is a query and a payload parsed)."""
    shop = till_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    sale(shop, at("2026-10-20"), [("NEWS", 2)])
    read: list[str] = []
    real_last, real_first = closures.last_closure, closures.first_closure

    def last(till_id, kind):
        read.append(kind)
        return real_last(till_id, kind)

    def first(till_id, kind):
        read.append("first " + kind)
        return real_first(till_id, kind)

    monkeypatch.setattr(closures, "last_closure", last)
    monkeypatch.setattr(closures, "first_closure", first)
    made = close_month(shop.ctx.sealer, D("2026-10-15"), now=at("2026-11-03", 8))
    assert [(c.kind, c.period.label) for c in made] == [("day", "2026-10-20"), ("month", "2026-10")]
    assert sorted(read) == sorted(set(read)), read
    monkeypatch.undo()
    assert closures.last_closure(TILL, "month").period.label == "2026-10"
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_the_day_check_after_a_closure_reads_no_closure_back(till_shop, monkeypatch):
    """A closure leaves the day check (``require_open_day``, before every ticket) what it sealed,
    keyed by chain G's new head: the next ticket reads no closure from the journal, and the
    check still sees the day closed."""
    shop = till_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    read: list[str] = []
    real_last = closures.last_closure

    def last(till_id, kind):
        read.append(kind)
        return real_last(till_id, kind)

    monkeypatch.setattr(closures, "last_closure", last)
    require_open_day(TILL, at("2026-10-06"), ZONE)
    with pytest.raises(DayAlreadyClosed):
        require_open_day(TILL, at("2026-10-05", 21), ZONE)
    assert read == []
