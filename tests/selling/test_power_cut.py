"""A power cut in the middle of sales: every state the disk can be left in opens, verifies, and
holds whole tickets only.

A till process sells without pause (tests/selling/sale_loop_child.py, the real checkout, SQLite
in WAL mode with ``synchronous=FULL``). At random moments the test freezes it (SIGSTOP), copies
the shop's folder (database, its -wal, the tail anchors; the -shm only every other time, as a
power cut may or may not leave it), and lets it go on (SIGCONT). Then each copy is opened as the
till opens after the power comes back (SQLite replays the committed frames of the WAL and drops
an unfinished transaction's), and the journal is verified.

Why freeze rather than copy the files while the till writes: a copy taken during a write can
mix, within one page, bytes from before and after it, which no power cut produces (the disk
writes a sector whole, and with ``synchronous=FULL`` each commit is on the disk before the next
one starts). A frozen process has no write half done, so the files at that instant are what the
disk holds when the power goes, with every commit made so far. What a cut may additionally lose
is what was written but not yet synced; with ``synchronous=FULL`` (tests/store/test_store.py
holds the pragmas) that is only the transaction under way, whose WAL frames carry no commit
mark yet: the same as a copy taken in its middle, which SQLite drops as it does here.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from store.models import FiscalRecord, Payment, Ticket, TicketLine
from tests.support.journal import problems_text, verify_shop
from tests.support.shop import open_shop

ROOT = Path(__file__).resolve().parents[2]
COPIES = 24


def _copy_frozen(child: subprocess.Popen, shop: Path, target: Path, with_shm: bool) -> None:
    """The shop's folder as the disk holds it at one instant of the running till."""
    os.kill(child.pid, signal.SIGSTOP)
    try:
        _wait_stopped(child.pid)
        ignore = None if with_shm else shutil.ignore_patterns("*-shm")
        shutil.copytree(shop, target, ignore=ignore)
    finally:
        os.kill(child.pid, signal.SIGCONT)


def _wait_stopped(pid: int) -> None:
    """SIGSTOP is delivered asynchronously: until the kernel says the process is stopped, it may
    still be writing (a temporary anchor file copied half-way, gone by the time it is read)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not stop")


def _only_whole_tickets() -> int:
    """Every ticket has its lines, balanced payments and record of chain T, every record of chain
    T its ticket, and every chain is gap-free; the number of tickets."""
    tickets = {t.id: t for t in Ticket.select()}
    lines: dict[int, int] = {}
    for line in TicketLine.select(TicketLine.ticket):
        lines[line.ticket_id] = lines.get(line.ticket_id, 0) + 1
    paid: dict[int, int] = {}
    for payment in Payment.select(Payment.ticket, Payment.amount_cents):
        paid[payment.ticket_id] = paid.get(payment.ticket_id, 0) + payment.amount_cents
    sealed = {r.ticket_id: r for r in FiscalRecord.select().where(FiscalRecord.chain == "T")}
    for ticket_id, ticket in tickets.items():
        assert lines.get(ticket_id) == ticket.line_count, f"ticket {ticket.code}: lines missing"
        assert paid.get(ticket_id) == ticket.total_cents, f"ticket {ticket.code}: payments missing"
        assert ticket_id in sealed, f"ticket {ticket.code} has no fiscal record"
    assert set(sealed) == set(tickets), "a record of chain T without its ticket"
    chains: dict[tuple[str, str], list[int]] = {}
    for till_id, chain, sequence in FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.chain,
                                                        FiscalRecord.sequence).tuples():
        chains.setdefault((till_id, chain), []).append(sequence)
    for key, sequences in chains.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1)), f"chain {key} has a gap"
    return len(tickets)


def test_every_state_a_power_cut_leaves_opens_verifies_and_holds_whole_tickets(make_shop, tmp_path):
    shop = make_shop(folder=tmp_path / "shop")
    shop.ctx.close()  # the till process below is the only writer
    folder = tmp_path / "shop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "tests.selling.sale_loop_child", str(folder / "till.toml")],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    copies: list[Path] = []
    chance = random.Random(18)
    try:
        assert child.stdout.readline().strip() == "READY", child.stderr.read()
        for number in range(COPIES):
            time.sleep(chance.uniform(0.0, 0.08))
            target = tmp_path / "cuts" / f"{number:02d}"
            _copy_frozen(child, folder, target, with_shm=number % 2 == 0)
            copies.append(target)
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()

    counts = []
    for copy in copies:
        assert (copy / "till.db-wal").exists()  # the cut caught the WAL in use
        restarted = open_shop(copy)  # as the till starts after the power comes back
        try:
            counts.append(_only_whole_tickets())
            report = verify_shop(restarted)
            assert report.ok, f"{copy.name}: {problems_text(report)}"
        finally:
            restarted.ctx.close()
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # the till did sell between cuts
