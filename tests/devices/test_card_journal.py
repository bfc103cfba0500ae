"""The card journal on both engines: a row committed before each request, a real crash (the
till's process killed while the terminal holds the request), and reconciliation at restart."""

from __future__ import annotations

import ast
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devices.payment import TerminalError, TerminalResult
from devices.payment.concert import ConcertTerminal, ConcertTimeouts
from devices.payment.factory import TerminalSettings, make_terminal
from devices.payment.simulated import SimulatedTerminal
from store import db
from store.models import Payment, Ticket, User
from store.models.payments import APPROVED, DECLINED, FAILED, PENDING, SETTLED, UNKNOWN, PendingPayment
from till.selling.card_journal import (
    CARD_APPROVED_UNRECORDED, CARD_OUTCOME_UNKNOWN, InsideTransaction, JournaledTerminal, terminal_reason, unresolved,
)
from till.selling.card_settlement import reconcile
from till.fiscal import AnchorStore, Sealer, Signer
from till.i18n import _catalogue
from tests.support.queries import events

ROOT = Path(__file__).resolve().parents[2]
TILL = "01"
STEP = 0.3


@pytest.fixture
def store(db_url, tmp_path):
    database = db.open(db_url)
    signer = Signer.create(tmp_path / "keys" / "till.pem")
    sealer = Sealer(TILL, signer, AnchorStore(tmp_path / "anchors"))
    yield database, sealer, db_url
    database.close()


def concert(simulator, answer_s: float = 1.5) -> ConcertTerminal:
    return ConcertTerminal(simulator.path, timeouts=ConcertTimeouts(STEP, answer_s, 3))


def rows(till: str = TILL) -> list[PendingPayment]:
    return list(PendingPayment.select().where(PendingPayment.till_id == till).order_by(PendingPayment.id))


def test_the_row_is_committed_before_the_terminal_is_asked(store, simulator):
    simulator.answer_delay_s = 1.0
    terminal = JournaledTerminal(concert(simulator, answer_s=5), TILL)
    results = []
    worker = threading.Thread(target=lambda: results.append(terminal.sale(1250, reference=TILL)))
    worker.start()
    deadline = time.monotonic() + 5
    while not simulator.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    # this thread has its own connection: it sees only what the worker committed
    seen = rows()
    assert [(r.status, r.operation, r.amount_cents, r.reference) for r in seen] == [(PENDING, "sale", 1250, TILL)]
    assert seen[0].started_at is not None and seen[0].finished_at is None
    worker.join(10)
    assert results[0].approved
    assert [(r.status, r.finished_at is not None) for r in rows()] == [(APPROVED, True)]


def test_each_outcome_is_journaled(store, simulator):
    _, sealer, _ = store
    terminal = JournaledTerminal(concert(simulator), TILL, sealer=sealer)
    assert terminal.sale(500, reference=TILL).approved
    assert not terminal.sale(1313, reference=TILL).approved
    simulator.script("silent")
    with pytest.raises(TerminalError):
        terminal.sale(600, reference=TILL)
    simulator.script("bad_lrc")
    with pytest.raises(TerminalError):
        terminal.refund(700, reference="x")
    assert [(r.operation, r.amount_cents, r.status) for r in rows()] == [
        ("sale", 500, APPROVED), ("sale", 1313, DECLINED), ("sale", 600, FAILED), ("refund", 700, UNKNOWN)]
    assert "checksum" in rows()[-1].message
    sealed = events(CARD_OUTCOME_UNKNOWN)
    assert len(sealed) == 1 and sealed[0]["details"]["amount_cents"] == 700


def test_floats_never_reach_the_journal(store):
    terminal = JournaledTerminal(SimulatedTerminal(), TILL)
    with pytest.raises(TypeError):
        terminal.sale(12.5, reference=TILL)
    assert rows() == []


_CHILD = """
import sys
from store import db
from devices.payment.concert import ConcertTerminal, ConcertTimeouts
from till.selling.card_journal import JournaledTerminal
db.open(sys.argv[1])
terminal = JournaledTerminal(ConcertTerminal(sys.argv[2], timeouts=ConcertTimeouts(0.3, 60, 3)), "01")
terminal.sale(2500, reference="01")
print("the terminal answered: the crash came too late")
"""


def test_crash_between_request_and_answer_is_reconciled_without_asking_again(store, simulator):
    _, sealer, url = store
    simulator.script("timeout")  # the terminal keeps the request: the customer is paying
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, simulator.path], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not simulator.requests and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        assert simulator.requests == [("0", 2500)], child.stderr.read() if child.poll() is not None else ""
        os.kill(child.pid, signal.SIGKILL)  # the power cut
    finally:
        child.wait(10)
    assert [(r.status, r.amount_cents) for r in rows()] == [(PENDING, 2500)]

    # the next start
    terminal = concert(simulator)
    done = reconcile(terminal, TILL, sealer=sealer)
    assert done.unknown == [rows()[0].id] and done.needs_manager
    assert rows()[0].status == UNKNOWN and rows()[0].finished_at is not None
    assert simulator.requests == [("0", 2500)], "reconcile never sends a payment request"
    sealed = events(CARD_OUTCOME_UNKNOWN)
    assert len(sealed) == 1 and sealed[0]["details"]["amount_cents"] == 2500
    assert [r.amount_cents for r in unresolved(TILL)] == [2500]
    again = reconcile(terminal, TILL, sealer=sealer)
    assert (again.settled, again.declined, again.unknown) == ([], [], [])
    assert len(events(CARD_OUTCOME_UNKNOWN)) == 1


def _ticket(number: int, amount: int, reference: str, **more) -> Ticket:
    user = User.get_or_create(login="c", defaults={"name": "Camille", "pin_hash": "x"})[0]
    ticket = Ticket.create(till_id=TILL, number=number, code=f"T{TILL}-{number:07d}", kind="sale", user=user,
                           operator_name=user.name, total_cents=amount, line_count=1, **more)
    Payment.create(ticket=ticket, position=1, means="card", amount_cents=amount, reference=reference)
    return ticket


def test_an_approval_on_a_ticket_is_settled_one_without_is_flagged(store):
    _, sealer, _ = store
    terminal = JournaledTerminal(SimulatedTerminal(), TILL)
    paid = terminal.sale(1000, reference=TILL)
    lost = terminal.sale(2000, reference=TILL)
    _ticket(1, 1000, paid.reference)  # the first sale was written, the till died before the second
    done = reconcile(terminal, TILL, sealer=sealer)
    assert [r.status for r in rows()] == [SETTLED, UNKNOWN]
    assert len(done.settled) == 1 and len(done.unknown) == 1
    sealed = events(CARD_APPROVED_UNRECORDED)
    assert len(sealed) == 1 and sealed[0]["details"]["amount_cents"] == 2000
    assert lost.approved


def test_a_ticket_of_the_same_second_is_matched_to_an_older_row(store):
    """Rows from before tickets settled their own: a ticket stores whole seconds, the row's start
    has microseconds; the ticket written in the same second carries it (it used to be flagged)."""
    row = PendingPayment.create(till_id=TILL, terminal="concert", operation="sale", amount_cents=990,
                                status=APPROVED, result_reference="A1",
                                started_at=dt.datetime(2026, 12, 1, 10, 0, 5, 900000))
    _ticket(3, 990, "A1", created_at=dt.datetime(2026, 12, 1, 10, 0, 5))
    done = reconcile(SimulatedTerminal(), TILL)
    assert done.settled == [row.id] and done.unknown == []


def test_no_card_request_is_sent_inside_a_transaction(store):
    terminal = JournaledTerminal(SimulatedTerminal(), TILL)
    database, _, _ = store
    with database.atomic():
        with pytest.raises(InsideTransaction):
            terminal.sale(1000, reference=TILL)
    assert terminal.requests == [] and rows() == []


def test_a_driver_that_knows_its_last_transaction_is_asked(store):
    class Remembering(SimulatedTerminal):
        """A terminal whose protocol could tell its last transaction (ours cannot)."""

        def last_transaction(self):
            return TerminalResult(False, 3000, message="refused")

    PendingPayment.create(till_id=TILL, terminal="simulator", operation="sale", amount_cents=3000)
    done = reconcile(Remembering(), TILL)
    assert len(done.declined) == 1 and [r.status for r in rows()] == [DECLINED]


def test_reconcile_leaves_other_tills_alone(store):
    PendingPayment.create(till_id="02", terminal="concert", operation="sale", amount_cents=100)
    assert reconcile(SimulatedTerminal(), TILL).unknown == []
    assert [r.status for r in rows("02")] == [PENDING]


# -- factory and messages (no database needed) -------------------------------------------------------------

def test_factory_builds_each_driver(simulator):
    assert make_terminal(TerminalSettings(driver="none")) is None
    assert make_terminal(TerminalSettings(driver="simulator", simulator_decline_cents=1313)).sale(1313, "x").approved \
        is False
    built = make_terminal(TerminalSettings(driver="concert", device=simulator.path, step_timeout_ms=300,
                                           answer_timeout_s=2))
    assert built.name == "concert" and built.sale(100, "x").approved
    caisse = make_terminal(TerminalSettings(driver="caisse_ap", host="127.0.0.1", port=9, terminal_id="000000000001"))
    assert caisse.name == "caisse_ap" and caisse.timeouts.step_s == 3.0
    with pytest.raises(ValueError, match="unknown card terminal driver"):
        TerminalSettings(driver="telium")


def _device_messages() -> list[str]:
    found = []
    for path in sorted((ROOT / "devices" / "payment").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
                if name.endswith("Error") and name not in ("ValueError", "TypeError") \
                        and isinstance(node.args[0].value, str):
                    found.append(node.args[0].value)
    return found


def test_every_terminal_message_has_french():
    messages = _device_messages()
    assert len(messages) > 10
    missing = [m for m in messages if m not in _catalogue("fr")]
    assert not missing


def test_terminal_reason_is_translated():
    error = TerminalError("no permission to open {device}: add the till's user to group dialout "
                          "(sudo usermod -aG dialout USER), then log in again", device="/dev/ttyACM0")
    assert "dialout" in str(error) and "/dev/ttyACM0" in str(error)
    from till.i18n import language, set_language

    before = language()
    set_language("fr")
    try:
        text = terminal_reason(error)
    finally:
        set_language(before)
    assert text.startswith("pas le droit d'ouvrir /dev/ttyACM0") and "dialout" in text


@pytest.mark.parametrize("driver", ["concert", "caisse_ap"])
def test_the_demo_can_run_the_real_protocols_against_their_simulators(driver):
    terminal = make_terminal(TerminalSettings(driver=driver, simulate=True, simulator_decline_cents=1313,
                                              step_timeout_ms=500, answer_timeout_s=5))
    try:
        assert terminal.health() == "ready"
        assert terminal.sale(250, reference="01").approved
        assert not terminal.sale(1313, reference="01").approved
    finally:
        terminal.simulator.stop()


def test_a_pending_row_carried_by_a_ticket_is_settled(store):
    """The terminal approved and the ticket was written, but the row's update was lost."""
    row = PendingPayment.create(till_id=TILL, terminal="concert", operation="sale", amount_cents=4200)
    _ticket(7, 4200, "")
    done = reconcile(SimulatedTerminal(), TILL)
    assert done.settled == [row.id] and [r.status for r in rows()] == [SETTLED]
