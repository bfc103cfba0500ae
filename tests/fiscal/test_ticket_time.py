"""A ticket's time is the time it was signed (fiscal-fr.md R-CLK-01, R-SEC-02): a ticket dated
on one day and sealed on another is a backdated or postdated sale, refused by the ticket writer
and reported by the verifier. The one exception is a history declared as imported by a signed
HISTORY_IMPORTED event (the demo shop's past sales), and only for the tickets it names."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import till.fiscal.chain as chain
from store.models import FiscalRecord, Ticket
from till.fiscal import clock, seal_ticket
from till.fiscal.imported_history import declare_history
from till.selling.ticket_writer import write_ticket
from tests.support.shop import paid_draft

SEALED = dt.datetime(2026, 12, 7, 10, 0)
DATED = dt.datetime(2027, 1, 5, 10, 0)


def test_a_ticket_dated_another_day_than_its_seal_does_not_verify(shop, monkeypatch):
    monkeypatch.setattr(chain, "utcnow", lambda: SEALED)
    with shop.database.atomic():
        seal_ticket(shop.sealer, shop.unsealed_ticket(1, created_at=DATED), "T")

    report = shop.verify(workers=0)

    assert not report.ok
    assert [(p.chain, p.sequence) for p in report.problems] == [("T", 1)]
    assert "2027-01-05T10:00:00Z" in report.problems[0].what and "2026-12-07T10:00:00Z" in report.problems[0].what


def test_a_ticket_sealed_within_the_slack_of_its_time_verifies(shop, monkeypatch):
    monkeypatch.setattr(chain, "utcnow", lambda: SEALED)
    with shop.database.atomic():
        seal_ticket(shop.sealer, shop.unsealed_ticket(1, created_at=SEALED - clock.TICKET_TIME_SLACK), "T")

    assert shop.verify(workers=0).ok


@pytest.mark.parametrize("days", [28, -3])
def test_the_ticket_writer_refuses_a_ticket_not_dated_now(lite_shop, days):
    draft = paid_draft(lite_shop, [("WIN", 1)], cash=1000)
    before = (Ticket.select().count(), FiscalRecord.select().count())
    when = chain.utcnow() + dt.timedelta(days=days)

    with pytest.raises(clock.TicketTimeMismatch, match="signed now"):
        write_ticket(lite_shop.ctx.sealer, lite_shop.config.accounts, dataclasses.replace(draft, created_at=when))

    assert (Ticket.select().count(), FiscalRecord.select().count()) == before


def test_a_declared_imported_history_verifies_and_only_its_tickets(lite_shop):
    sealer = lite_shop.ctx.sealer
    past = chain.utcnow() - dt.timedelta(days=40)
    history = declare_history(sealer, count=1, earliest=past, latest=past, reason="tests: one old sale")
    draft = paid_draft(lite_shop, [("WIN", 1)], cash=1000)
    write_ticket(sealer, lite_shop.config.accounts, dataclasses.replace(draft, created_at=past), history=history)
    from till.fiscal.verify import verify_journal

    assert verify_journal(workers=0).ok

    with pytest.raises(clock.TicketTimeMismatch):  # the declared count is used up
        write_ticket(sealer, lite_shop.config.accounts, dataclasses.replace(draft, created_at=past), history=history)
    later = dataclasses.replace(paid_draft(lite_shop, [("SOA", 1)], cash=1000), created_at=past)
    with pytest.raises(clock.TicketTimeMismatch):
        write_ticket(sealer, lite_shop.config.accounts, later)
