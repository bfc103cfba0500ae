"""`till card pending|settle`, the X and Z counts, and who may resolve the card journal.

Only the till's own program resolves the card journal at its start: any other `till` command
(the cron `till sync`, a technician's `till card pending`) run while a payment is in flight
used to mark it unknown and seal a false "left unresolved by a stop" event.
"""

from __future__ import annotations

import json

import pytest

from reports.xz import x_report, z_report
from store.models import FiscalRecord, Ticket
from store.models.payments import DECLINED, PENDING, SETTLED, UNKNOWN, PendingPayment
from till.cli import main as cli
from till.shop.running import AlreadyRunning, running_till
from till.selling.card_journal import CARD_OUTCOME_UNKNOWN, CARD_SETTLED
from till.fiscal.closure_totals import business_day
from till.fiscal.closures import close_day
from tests.support.returns import unanswered_card_refund


def _till(shop, *argv: str) -> int:
    return cli.main(["--config", str(shop.config.path), *argv])


def _sealed(code: str) -> list[dict]:
    return [json.loads(r.payload) for r in FiscalRecord.select().where(
        (FiscalRecord.chain == "L") & (FiscalRecord.kind == code))]


@pytest.fixture
def unknown_refund(shop, concert):
    """A return whose card refund went unanswered: its row waits for a manager."""
    sale = unanswered_card_refund(shop, concert)
    return sale, PendingPayment.get(PendingPayment.operation == "refund")


def test_another_command_never_resolves_a_payment_in_flight(shop, capsys):
    row = PendingPayment.create(till_id=shop.ctx.till_id, terminal="concert", operation="sale", amount_cents=2500)
    assert _till(shop, "card", "pending") == 0  # opens the shop, as `till sync` does
    assert PendingPayment.get_by_id(row.id).status == PENDING
    assert _sealed(CARD_OUTCOME_UNKNOWN) == []
    assert "Aucun paiement carte" in capsys.readouterr().out


def test_the_till_program_holds_one_run_lock(shop):
    with running_till(shop.config):
        with pytest.raises(AlreadyRunning) as refused:
            with running_till(shop.config):
                pass
    assert "déjà lancée" in refused.value.text("fr")
    with running_till(shop.config):  # released with its holder
        pass


def test_pending_lists_and_settle_declines_with_a_manager(shop, unknown_refund, capsys):
    sale, row = unknown_refund
    assert _till(shop, "card", "pending") == 1
    out = capsys.readouterr().out
    assert f"#{row.id}" in out and "8,95" in out and "till card settle" in out
    assert _till(shop, "card", "settle", str(row.id), "--declined", "--manager", "cashier", "--pin", "1111") == 2
    assert PendingPayment.get_by_id(row.id).status == UNKNOWN  # a cashier settles nothing
    assert _till(shop, "card", "settle", str(row.id), "--declined", "--manager", "manager", "--pin", "9999",
                 "--note", "not in the terminal's list") == 0
    settled = PendingPayment.get_by_id(row.id)
    assert (settled.status, settled.settled_by) == (DECLINED, shop.manager.id)
    (event,) = _sealed(CARD_SETTLED)
    assert event["details"]["decision"] == "declined" and event["details"]["journal_id"] == row.id
    assert _till(shop, "card", "pending") == 0


def test_settle_approved_writes_the_return(shop, unknown_refund, capsys):
    sale, row = unknown_refund
    assert _till(shop, "card", "settle", str(row.id), "--approved", "R-4471", "--manager", "manager",
                 "--pin", "9999") == 0
    ticket = Ticket.get(Ticket.origin_ticket == sale.id)
    assert ticket.code in capsys.readouterr().out
    assert (PendingPayment.get_by_id(row.id).status, PendingPayment.get_by_id(row.id).ticket_id) == (SETTLED, ticket.id)
    assert _till(shop, "card", "settle", str(row.id), "--declined", "--manager", "manager", "--pin", "9999") == 2


def test_x_and_z_count_unknown_outcomes(shop, unknown_refund):
    x = "\n".join(x_report(shop.config))
    assert "Paiements carte à vérifier" in x and "F10" in x
    line = next(l for l in x.splitlines() if l.startswith("Paiements carte à vérifier"))
    assert line.split()[-1] == "1"
    (closure,) = close_day(shop.ctx.sealer, business_day(sale_time(), shop.ctx.sealer.zone))
    assert closure.payload["card_outcomes_unknown"] == 1
    z = "\n".join(z_report(shop.config, closure))
    assert next(l for l in z.splitlines() if l.startswith("Paiements carte à vérifier")).split()[-1] == "1"


def sale_time():
    from store.models import utcnow

    return utcnow()
