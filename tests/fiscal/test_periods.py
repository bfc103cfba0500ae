"""Closed periods: months and fiscal years close by themselves, the fiscal year may start on any
month (``shop.fiscal_year_start``), and what a Z counts besides tickets (R-CON-01, R-CON-03).

History is written as a till writes it (``tests.support.closures``): each day closed in the
evening, closures asked for with an explicit ``now``; the ticket writer closes the months that
are over before the first sale of a new month (``closures.close_due``).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import FiscalRecord, TicketLine
from till.aftersale.duplicates import make_duplicate
from till.fiscal import closures
from till.fiscal.closure_check import check_closures
from till.fiscal.closures import ClosureError, close_day, find_closure, parse_period, period_totals
from till.fiscal.events import record_event
from till.fiscal.verify import verify_journal

from tests.support.closures import at, sale, training_sale
from tests.support.journal import unprotect

D = dt.date.fromisoformat
TILL = "01"


def months_closed() -> list[str]:
    return [c.period.label for c in closures.closures(TILL, "month")]


# --- Months and years close by themselves ----------------------------------------------------------


def test_a_month_closes_by_itself_before_the_first_sale_of_the_next_month(lite_shop):
    """R-CON-01: October is over and its days closed: the first sale of November closes it
    first, in its own transaction, sealed as the till's own (operator "automatic")."""
    shop = lite_shop
    sale(shop, at("2026-10-30"), [("WIN", 1)])
    (day,) = close_day(shop.ctx.sealer, D("2026-10-30"), now=at("2026-10-30", 20))
    assert months_closed() == []
    november = sale(shop, at("2026-11-02", 9), [("BAG", 1)])
    month = find_closure(TILL, "month", "2026-10")
    assert month is not None and month.payload["parts"] == [day.sequence]
    assert month.payload["automatic"] is True
    assert month.payload["operator"] == {"user_id": None, "name": closures.AUTOMATIC}
    assert month.totals.grand_total == 895 and november.total_cents == 120  # the sale is not in it
    assert check_closures() == []
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_return_as_the_first_operation_of_a_month_closes_the_month_before(lite_shop):
    """A customer bringing something back can be the new month's first operation: the return
    closes the month over first, as a sale does, then is written in the new month."""
    from tests.support.clock import sealing_at
    from tests.support.returns import line_of, session

    shop = lite_shop
    sold = sale(shop, at("2026-11-30", 10), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-11-30"), now=at("2026-11-30", 20))
    assert find_closure(TILL, "month", "2026-11") is None
    with sealing_at(at("2026-12-01", 9)):
        back = session(shop)
        back.open(sold)
        back.pick(line_of(back, "WIN").line_id, 1, reason="changed_mind")
        written = back.complete()
    month = find_closure(TILL, "month", "2026-11")
    assert month is not None and month.payload["automatic"] is True
    assert written.kind == "return" and month.totals.grand_total == sold.total_cents  # the return is not in it
    assert check_closures() == []


def test_the_month_closes_in_its_own_transaction_not_in_the_sale_s(lite_shop):
    """A closure takes chain G then T, a sale only T: the month is sealed before the sale's
    transaction, so a sale refused inside its own transaction leaves the month closed."""
    from till.errors import TillError

    from tests.support.closures import line, ticket

    shop = lite_shop
    sale(shop, at("2026-10-30"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-10-30"), now=at("2026-10-30", 20))
    with pytest.raises(TillError):  # an unknown credit note: refused inside the sale's transaction
        ticket(shop, at("2026-11-02", 9), [line(shop, "WIN", 1)], [("credit_note", 895, "AV-NOPE")])
    assert months_closed() == ["2026-10"]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_month_waits_for_its_days_then_closes_with_the_last_of_them(lite_shop):
    """R-CON-01, R-CON-02: a month whose last day with tickets is not closed stays open (a
    manager closes that day, the forced daily closure); that day's closure closes the month."""
    shop = lite_shop
    sale(shop, at("2026-10-30"), [("WIN", 1)])
    assert closures.close_due(shop.ctx.sealer, at("2026-11-02", 8)) == []
    made = close_day(shop.ctx.sealer, D("2026-10-30"), now=at("2026-11-02", 8),
                     user_id=shop.manager.id, operator=shop.manager.name)
    assert [(c.kind, c.period.label, c.payload["automatic"]) for c in made] == [
        ("day", "2026-10-30", False), ("month", "2026-10", True)]
    assert made[0].payload["operator"]["name"] == shop.manager.name
    assert closures.close_due(shop.ctx.sealer, at("2026-11-02", 9)) == []  # nothing due twice


def test_empty_months_and_the_year_close_by_themselves(lite_shop):
    """R-CON-01: every month of the till's life gets its closure, empty ones too (zero totals);
    the year closes once over and its months closed; all before the first sale of February."""
    shop = lite_shop
    sale(shop, at("2025-11-10"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2025-11-10"), now=at("2025-11-10", 20))
    sale(shop, at("2026-02-03"), [("BAG", 1)])
    assert months_closed() == ["2025-11", "2025-12", "2026-01"]
    assert find_closure(TILL, "month", "2025-12").totals.ticket_count == 0
    year = find_closure(TILL, "year", "2025")
    assert year is not None and year.payload["automatic"] is True
    assert year.payload["parts"] == [find_closure(TILL, "month", label).sequence for label in ("2025-11", "2025-12")]
    assert (year.totals.grand_total, year.perpetual_total) == (895, 895)
    assert check_closures() == []


def test_the_till_start_closes_the_months_over(make_shop):
    """R-CON-01: the till's own program, at its start, closes the months over since it last
    ran (here the previous month, whose only day with a sale was closed that evening)."""
    from till.shop.running import start_till

    shop = make_shop()
    today = dt.datetime.now(dt.timezone.utc).date()
    day = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=2)  # in the month before this one
    sale(shop, at(day.isoformat()), [("WIN", 1)])
    close_day(shop.ctx.sealer, day, now=at(day.isoformat(), 20))
    assert months_closed() == []
    ctx = start_till(shop.config)
    try:
        assert months_closed() == [f"{day.year:04d}-{day.month:02d}"]
        month = find_closure(TILL, "month", months_closed()[0])
        assert month.payload["operator"]["name"] == closures.AUTOMATIC
    finally:
        ctx.close()


# --- The fiscal year ---------------------------------------------------------------------------------


def test_a_fiscal_year_starting_in_july_is_closed_under_its_own_label(lite_shop):
    """R-CON-01: with ``shop.fiscal_year_start = 7`` the yearly closure covers July to June,
    labelled "2025-07/2026-06"; each closure seals the fiscal year it is in."""
    shop = lite_shop
    shop.ctx.sealer.fiscal_year_start = 7
    sale(shop, at("2026-06-10"), [("WIN", 1)])
    (june10,) = close_day(shop.ctx.sealer, D("2026-06-10"), now=at("2026-06-10", 20))
    assert june10.payload["fiscal_year"]["label"] == "2025-07/2026-06"
    assert (june10.payload["fiscal_year"]["first_day"], june10.payload["fiscal_year"]["last_day"]) == (
        "2025-07-01", "2026-06-30")
    sale(shop, at("2026-07-02"), [("BAG", 1)])
    year = find_closure(TILL, "year", "2025-07/2026-06")
    assert year is not None and year.period.first_day == D("2025-07-01")
    assert year.payload["parts"] == [find_closure(TILL, "month", "2026-06").sequence]
    assert find_closure(TILL, "year", "2026") is None
    assert check_closures() == []


def test_a_fiscal_year_is_typed_as_its_label_or_its_first_year():
    assert parse_period("year", "2026") == D("2026-01-01")
    assert parse_period("year", "2025-07/2026-06", 7) == D("2025-07-01")
    assert parse_period("year", "2026", 7) == D("2025-07-01")  # the one ending in 2026, as the FEC says
    with pytest.raises(ClosureError) as refused:
        parse_period("year", "2025-07/2026-05", 7)
    assert refused.value.text("en") == "2025-07/2026-05 is not a year: write it as 2026-07/2027-06"
    assert closures.period_of("year", D("2026-03-15"), fiscal_year_start=4).label == "2025-04/2026-03"


def test_the_z_of_an_automatic_month_and_of_a_shifted_year_from_the_command_line(lite_shop, capsys):
    """`till report z --period` and `--year` answer for closures the till made by itself; a
    fiscal year not closed gets a clear message."""
    from tests.fiscal.test_xz import run

    shop = lite_shop
    path = shop.config.path
    path.write_text(path.read_text(encoding="utf-8").replace("fiscal_year_start = 1", "fiscal_year_start = 7"),
                    encoding="utf-8")
    shop.ctx.sealer.fiscal_year_start = 7
    sale(shop, at("2026-06-10"), [("WIN", 1)])
    close_day(shop.ctx.sealer, D("2026-06-10"), now=at("2026-06-10", 20))
    sale(shop, at("2026-07-02"), [("BAG", 1)])
    assert run(shop, "report", "z", "--period", "2026-06") == 0
    z = capsys.readouterr().out
    assert "CLÔTURE MENSUELLE" in z and "Clôture automatique par la caisse" in z
    for text in ("2025-07/2026-06", "2026"):
        assert run(shop, "report", "z", "--year", text) == 0
        z = capsys.readouterr().out
        assert "CLÔTURE ANNUELLE" in z and "Période : du 01/07/2025 au 30/06/2026" in z
    with pytest.raises(ClosureError) as refused:
        run(shop, "report", "z", "--year", "2027")
    assert refused.value.text("en") == "Till 01 has no closure of the year 2026-07/2027-06"


# --- What a Z counts besides tickets -----------------------------------------------------------------


def test_a_closure_counts_duplicates_training_tickets_and_voided_lines(lite_shop):
    """R-CON-03: a Z counts the duplicates printed (chain C), the training tickets (chain X),
    the lines voided and the quantities lowered (chain L); each record once, on the first
    closure of each kind after it; the Z prints them; the verifier recounts them."""
    shop = lite_shop
    sealer = shop.ctx.sealer
    first = sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    make_duplicate(sealer, first, shop.manager)
    training_sale(shop, at("2026-10-05", 10))
    record_event(sealer, "LINE_VOID", "line voided before payment")
    record_event(sealer, "LINE_VOID", "line voided before payment")
    record_event(sealer, "QUANTITY_LOWERED", "quantity lowered on a line")
    (day5,) = close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    assert {k: v for k, v in day5.payload["activity"].items() if k != "through"} == {
        "duplicates": 1, "training_tickets": 1, "voided_lines": 2, "quantities_lowered": 1}
    sale(shop, at("2026-10-06", 9), [("BAG", 1)])
    make_duplicate(sealer, first, shop.manager)
    (day6,) = close_day(sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    assert {k: v for k, v in day6.payload["activity"].items() if k != "through"} == {
        "duplicates": 1, "training_tickets": 0, "voided_lines": 0, "quantities_lowered": 0}
    assert day6.payload["activity"]["through"]["C"] == 2
    assert day6.payload["non_sale"]["count"] == 0  # no cash moved without a sale
    assert check_closures() == []

    from reports.xz import z_report

    for width in (None, 32):
        lines = z_report(shop.config, day5, width=width)
        assert all(len(line) <= (width or shop.config.printer.width) for line in lines)
        assert any(line.startswith("Duplicata imprimés") and line.endswith(" 1") for line in lines)
        assert any(line.startswith("Tickets de formation") and line.endswith(" 1") for line in lines)
        assert any(line.startswith("Lignes annulées") and line.endswith(" 2") for line in lines)
        assert any(line.startswith("Quantités diminuées") and line.endswith(" 1") for line in lines)

    unprotect(shop.ctx.database)
    FiscalRecord.delete().where((FiscalRecord.chain == "C") & (FiscalRecord.sequence == 2)).execute()
    found = [(p.sequence, p.params.get("figure")) for p in check_closures()]
    assert (day6.sequence, "activity") in found


def test_a_closure_carries_the_totals_since_the_start_of_the_fiscal_year(lite_shop):
    """R-CON-03: each closure seals sales, returns, grand total and VAT per rate since the start
    of its fiscal year, beside the perpetual totals; a new fiscal year starts again from its own
    figures; the Z prints them; the verifier rebuilds them from the tickets."""
    shop = lite_shop
    sealer = shop.ctx.sealer
    sale(shop, at("2025-12-30"), [("WIN", 1)])
    (dec30,) = close_day(sealer, D("2025-12-30"), now=at("2025-12-30", 20))
    sale(shop, at("2026-01-05"), [("BAG", 2)])
    (jan5,) = close_day(sealer, D("2026-01-05"), now=at("2026-01-05", 20))
    sale(shop, at("2026-01-06"), [("WIN", 1), ("NEWS", 1)])
    (jan6,) = close_day(sealer, D("2026-01-06"), now=at("2026-01-06", 20))
    assert dec30.payload["year_to_date"]["grand_total_cents"] == 895
    assert jan5.payload["year_to_date"]["grand_total_cents"] == 240  # a new fiscal year
    ytd = jan6.payload["year_to_date"]
    assert (ytd["sales_cents"], ytd["returns_cents"], ytd["grand_total_cents"]) == (240 + 895 + 320, 0, 1455)
    assert [(v["rate_bp"], v["ttc_cents"]) for v in ytd["vat"]] == [(2000, 895), (550, 240), (210, 320)]
    direct = period_totals(TILL, closures.period_of("year", D("2026-01-01"), sealer.zone).start, jan6.period.end)
    assert ytd["vat"] == direct.payload()["vat"]
    assert jan6.perpetual_total == 895 + 1455  # the perpetual totals go on across years

    from reports.xz import z_report

    lines = z_report(shop.config, jan6)
    cumulative = lines[lines.index("Cumul de l'exercice"):]
    assert cumulative[1:3] == ["Exercice 2026", "Du 01/01/2026 au 31/12/2026"]
    assert any(line.startswith("Grand total exercice") and line.endswith("14,55 €") for line in cumulative)
    assert any(line.startswith("Ventes") and line.endswith("14,55") for line in cumulative)
    shifted = z_report(shop.config, jan6, width=32)
    assert all(len(line) <= 32 for line in shifted) and "Cumul de l'exercice" in shifted

    unprotect(shop.ctx.database)
    TicketLine.update(total_cents=TicketLine.total_cents + 100).where(TicketLine.sku == "NEWS").execute()
    found = [(p.sequence, p.params.get("figure")) for p in check_closures()]
    assert (jan6.sequence, "year_to_date") in found


def test_closures_sealed_before_these_figures_still_verify_and_print(lite_shop):
    """A closure of payload shape 1 (no fiscal year, counts nor cumulative figures) keeps
    verifying and printing; the next closure counts from its period's start and adds up its
    fiscal year from the tickets."""
    shop = lite_shop
    sealer = shop.ctx.sealer
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    old = close_day_as_before(shop, D("2026-10-05"), now=at("2026-10-05", 20))
    assert "payload_version" not in old.payload and check_closures() == []
    from reports.xz import z_report

    lines = z_report(shop.config, old)
    assert not any(line.startswith("Duplicata") for line in lines)
    sale(shop, at("2026-10-06"), [("BAG", 1)])
    make_duplicate(sealer, TicketLine.get(TicketLine.sku == "BAG").ticket, shop.manager)
    (new,) = close_day(sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    assert new.payload["activity"]["duplicates"] == 1
    assert new.payload["year_to_date"]["grand_total_cents"] == 895 + 120
    assert check_closures() == []
    assert verify_journal(anchors=sealer.anchors).ok


def close_day_as_before(shop, day: dt.date, now: dt.datetime) -> closures.Closure:
    """A daily closure sealed in payload shape 1, as the till sealed them before shape 2."""
    from till.fiscal.chain import current_database, iso_utc

    sealer = shop.ctx.sealer
    period = closures.period_of("day", day, sealer.zone)
    totals = period_totals(TILL, period.start, period.end)
    payload = {"till_id": TILL, "period": period.payload(), **totals.payload(),
               "perpetual_total_cents": totals.grand_total,
               "perpetual_absolute_cents": totals.sales + totals.returns, "previous_closure": None, "parts": [],
               "closed_at": iso_utc(now), "operator": {"user_id": None, "name": "old"}, "card_outcomes_unknown": 0}
    with current_database().atomic():
        record = sealer.append("G", "day", payload)
    assert json.loads(record.payload) == payload
    return closures.Closure.from_record(record)
