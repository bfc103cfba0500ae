"""``till outbox run`` says what a technician must know of the jobs it ran: a sale's drawer given
up (never opened late) is told on the terminal, as the cashier's screen tells it."""

from __future__ import annotations

import datetime as dt

from store.models import OutboxJob
from store.models.outbox import FAILED
from till.aftersale import outbox
from till.cli import main as cli
from tests.support.queries import events
from tests.support.shop import sell


def test_outbox_run_says_a_drawer_given_up_and_never_opens_it(shop, capsys):
    sell(shop, [("WIN", 1)], cash=2000)
    OutboxJob.update(created_at=dt.datetime(2000, 1, 1)).where(OutboxJob.kind == outbox.OPEN_DRAWER).execute()
    drawer_log = shop.config.resolve(shop.config.drawer.log_path)
    before = drawer_log.read_text() if drawer_log.exists() else ""

    assert cli.main(["--config", str(shop.config.path), "outbox", "run"]) == 0

    out = capsys.readouterr().out
    assert "ne s'est pas ouvert" in out and "F7" in out  # the till speaks French here
    assert OutboxJob.get(OutboxJob.kind == outbox.OPEN_DRAWER).status == FAILED
    assert (drawer_log.read_text() if drawer_log.exists() else "") == before  # never opened late
    assert len(events("DRAWER_NOT_OPENED")) == 1
