"""A till seals the signals of each business day it closes (LOSS_SIGNALS, chain L), so they
travel to head office with the records the sync already ships; the journal still verifies."""

from __future__ import annotations

import datetime as dt
import json

from store.models import FiscalRecord
from till.fiscal.canonical import canonical_json
from till.fiscal.events import LOSS_SIGNALS
from till.loss.day_signals import signal_payload
from till.loss.signal import CASHIER, Signal
from tests.support.journal import problems_text, verify_shop
from tests.support.loss import close_today_and_seal_signals, return_all, terminal_gives_card_digits
from tests.support.shop import sell


def _sealed_signals() -> list[dict]:
    return [json.loads(r.payload)["details"] for r in FiscalRecord.select()
            .where((FiscalRecord.chain == "L") & (FiscalRecord.kind == LOSS_SIGNALS)).order_by(FiscalRecord.sequence)]


def test_closing_a_day_seals_its_signals_with_their_evidence(shop):
    terminal_gives_card_digits(shop, "4242")
    sales = [sell(shop, [("WIN", 1)], card=895) for _ in range(3)]
    refunds = [return_all(shop, sale, user=shop.manager) for sale in sales]
    [closure] = close_today_and_seal_signals(shop)

    [sealed] = _sealed_signals()
    assert sealed["day"] == closure.period.label
    [card] = [s for s in sealed["signals"] if s["code"] == "means_card_refunds"]
    assert (card["subject"], card["subject_id"], card["value"], card["threshold"]) == ("means", "****4242", 3, 2)
    assert card["evidence"] == [r.code for r in refunds] and card["params"]["total_cents"] == 3 * 895
    assert card["key"] == f"means_card_refunds:means:****4242:{closure.period.label}"
    assert card["how"].startswith("{count} refunds to this card")
    report = verify_shop(shop)
    assert report.ok, problems_text(report)


def test_the_closure_only_queues_the_signals_and_the_outbox_seals_them_once(shop):
    """The manager closing the day does not wait for the rules, and a stop right after the
    closure loses nothing: the job is committed with the closure; run again, it seals once."""
    from store.models import OutboxJob
    from till.aftersale.jobs import run_outbox_jobs
    from till.fiscal.closures import close_day
    from till.fiscal.signals_schedule import SEAL_DAY_SIGNALS
    from till.loss.day_signals import seal_day_signals
    from till.loss.signals import thresholds_of

    terminal_gives_card_digits(shop, "4242")
    for sale in [sell(shop, [("WIN", 1)], card=895) for _ in range(3)]:
        return_all(shop, sale, user=shop.manager)
    [closure] = close_day(shop.ctx.sealer, operator="Max Durand")
    assert _sealed_signals() == []
    queued = [json.loads(job.payload)["day"] for job in OutboxJob.select().where(OutboxJob.kind == SEAL_DAY_SIGNALS)]
    assert queued[-1] == closure.period.label and len(queued) == len(set(queued))

    run_outbox_jobs(shop.config, shop.ctx.sealer)
    assert len(_sealed_signals()) == 1
    assert seal_day_signals(shop.ctx.sealer, closure.period.first_day,
                            thresholds_of(shop.config.loss_prevention)) is None  # the job run again
    assert len(_sealed_signals()) == 1


def test_a_day_without_a_signal_seals_nothing(shop):
    sell(shop, [("WIN", 1)])
    close_today_and_seal_signals(shop)
    assert _sealed_signals() == []


def test_fractional_figures_are_sealed_as_decimal_text_never_as_floats():
    """A cashier's refunds per hour (2.57) would make the canonical form refuse the event."""
    signal = Signal("cashier_refund_rate", CASHIER, "cashier", "Camille Martin", dt.date(2026, 12, 7), 2.57, 2.0,
                    "{rate} refunds an hour", {"rate": 2.57, "hours": 3.5, "refunds": 9}, ("T01-0000001x",))
    payload = signal_payload(signal)
    assert (payload["value"], payload["threshold"], payload["params"]) == (
        "2.57", 2, {"rate": "2.57", "hours": "3.5", "refunds": 9})
    assert '"value":"2.57"' in canonical_json(payload)
