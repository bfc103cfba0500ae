"""An archive's closures checked beyond their totals: what each counted besides tickets
(``activity``, ``non_sale``), its figures since the start of its fiscal year (``year_to_date``)
and its fiscal year, recomputed from the archive alone (R-SEC-07, R-CON-03).

History is written as a shop lives it: every record, closures included, sealed at the time of
what it records (``at_clock``), so a month's archive holds its duplicates, events and cash moves.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

from till.aftersale.duplicates import make_duplicate
from till.fiscal.archive import export_archive
from till.fiscal.archive_verify import verify_archive
from till.fiscal.cash_moves import OPENING_FLOAT
from till.fiscal.closures import close_day, close_month
from till.fiscal.events import record_event

from tests.fiscal.test_archive_period import _forge
from tests.selling.test_cash_moves import correct, move
from tests.support.clock import sealing_at
from tests.support.closures import at, sale, training_sale

D = dt.date.fromisoformat


@contextmanager
def at_clock(when: dt.datetime):
    """The till's clock reads ``when``: records are sealed, and cash moves dated, then."""
    with sealing_at(when), mock.patch("till.selling.cash_moves.utcnow", lambda: when):
        yield


def _october(shop) -> None:
    """5 October: a float, a sale, its duplicate, a training sale, a voided line and a lowered
    quantity; 6 October: a sale corrected from cash to card and a second duplicate; the month
    closed on 2 November."""
    sealer = shop.ctx.sealer
    with at_clock(at("2026-10-05", 8)):
        move(shop, OPENING_FLOAT, 15000, "float for the day")
    first = sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    with at_clock(at("2026-10-05", 9, 5)):
        make_duplicate(sealer, first, shop.manager)
    training_sale(shop, at("2026-10-05", 10))
    with at_clock(at("2026-10-05", 11)):
        record_event(sealer, "LINE_VOID", "line voided before payment")
        record_event(sealer, "QUANTITY_LOWERED", "quantity lowered on a line")
    with at_clock(at("2026-10-05", 20)):
        close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    second = sale(shop, at("2026-10-06", 9), [("BAG", 2)])
    with at_clock(at("2026-10-06", 10)):
        correct(shop, second, 120)
        make_duplicate(sealer, first, shop.manager)
    with at_clock(at("2026-10-06", 20)):
        close_day(sealer, D("2026-10-06"), now=at("2026-10-06", 20))
    with at_clock(at("2026-11-02", 8)):
        close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))


def _findings(report) -> list[tuple[str, int | None, str]]:
    return [(p.chain, p.sequence, p.text("en")) for p in report.problems]


def _closure(label: str, change):
    def forge(record) -> bool:
        if record["chain"] == "G" and record["payload"]["period"]["label"] == label:
            change(record["payload"])
            return True
        return False
    return forge


def test_a_month_with_duplicates_training_voids_and_cash_moves_verifies_clean(lite_shop, tmp_path):
    """Every figure whose records are all in the archive agrees; the ranges of chain L the
    first closures counted start with records sealed before October, in another archive:
    left unchecked, not reported."""
    _october(lite_shop)
    report = verify_archive(export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path).path)
    assert report.ok, report.lines("en")


def _forged(shop, tmp_path, label, change):
    _october(shop)
    result = export_archive(shop.ctx.sealer, "2026-10", tmp_path)
    assert verify_archive(result.path).ok
    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, shop.ctx.sealer.signer, _closure(label, change))
    report = verify_archive(forged)
    assert not report.ok
    findings = _findings(report)
    assert all(chain == "G" for chain, _seq, _text in findings), findings
    return findings


def test_an_activity_count_altered_and_re_signed_is_named_at_its_closure(lite_shop, tmp_path):
    def one_duplicate_less(payload):
        payload["activity"]["duplicates"] -= 1

    findings = _forged(lite_shop, tmp_path, "2026-10-06", one_duplicate_less)
    assert ("G", 2, "chain G of till 01, record 2: day closure 2026-10-06: activity.duplicates is 0 in the closure but 1 from the archived "
            "records") in findings, findings


def test_a_training_ticket_hidden_from_the_first_closure_is_named(lite_shop, tmp_path):
    """The first closure counts from each chain's start: chains C, X and P are all in the
    archive, chain L is not (its first records were sealed before October), so the training
    ticket is checked and the voided line is not."""
    def no_training(payload):
        payload["activity"]["training_tickets"] = 0

    findings = _forged(lite_shop, tmp_path, "2026-10-05", no_training)
    assert ("G", 1, "chain G of till 01, record 1: day closure 2026-10-05: activity.training_tickets is 0 in the closure but 1 from the "
            "archived records") in findings, findings


def test_a_non_sale_amount_altered_and_re_signed_is_named_at_its_closure(lite_shop, tmp_path):
    def smaller_correction(payload):
        payload["non_sale"]["kinds"]["means_correction"]["amount_cents"] = 20

    findings = _forged(lite_shop, tmp_path, "2026-10-06", smaller_correction)
    assert ("G", 2, "chain G of till 01, record 2: day closure 2026-10-06: non_sale.kinds is {means_correction: {amount_cents: 20, count: 1}} "
            "in the closure but {means_correction: {amount_cents: 120, count: 1}} from the archived records"
            ) in findings, findings


def test_a_year_to_date_figure_altered_and_re_signed_is_named_at_its_closure(lite_shop, tmp_path):
    def more_since_january(payload):
        payload["year_to_date"]["sales_cents"] += 1000
        payload["year_to_date"]["grand_total_cents"] += 1000

    findings = _forged(lite_shop, tmp_path, "2026-10-06", more_since_january)
    assert any("record 2: day closure 2026-10-06: year_to_date is " in text and "grand_total_cents: 2135" in text
               and "grand_total_cents: 1135" in text for _chain, _seq, text in findings), findings


def test_a_fiscal_year_that_does_not_hold_its_period_is_named(lite_shop, tmp_path):
    def last_year(payload):
        payload["fiscal_year"].update(label="2025", first_day="2025-01-01", last_day="2025-12-31",
                                      start="2024-12-31T23:00:00Z", end="2025-12-31T23:00:00Z")

    findings = _forged(lite_shop, tmp_path, "2026-10-06", last_year)
    assert any("record 2: day closure 2026-10-06: fiscal_year is " in text for _chain, _seq, text in findings), \
        findings


def test_the_figures_since_the_year_s_start_of_its_first_closure_are_the_tickets_of_the_archive(lite_shop, tmp_path):
    """The first daily closure of 2026 is not the year's first day and its previous closure (of
    30 December) is in December's archive: January's archive starts with the fiscal year, so its
    tickets since 1 January give the figures."""
    sealer = lite_shop.ctx.sealer
    sale(lite_shop, at("2025-12-30"), [("WIN", 1)])
    with at_clock(at("2025-12-30", 20)):
        close_day(sealer, D("2025-12-30"), now=at("2025-12-30", 20))
    sale(lite_shop, at("2026-01-05"), [("BAG", 2)])
    with at_clock(at("2026-01-05", 20)):
        close_day(sealer, D("2026-01-05"), now=at("2026-01-05", 20))
    with at_clock(at("2026-02-02", 8)):
        close_month(sealer, D("2026-01-01"), now=at("2026-02-02", 8))
    result = export_archive(sealer, "2026-01", tmp_path)
    assert verify_archive(result.path).ok

    def carried_over(payload):
        payload["year_to_date"]["sales_cents"] += 895
        payload["year_to_date"]["grand_total_cents"] += 895

    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, sealer.signer, _closure("2026-01-05", carried_over))
    findings = _findings(verify_archive(forged))
    assert any("day closure 2026-01-05: year_to_date is " in text and "grand_total_cents: 1135" in text
               and "grand_total_cents: 240" in text and text.endswith("from the tickets")
               for _chain, _seq, text in findings), findings
