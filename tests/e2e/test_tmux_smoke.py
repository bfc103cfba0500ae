"""End to end: the real `till --config` on the demo shop, in a real terminal (tmux, 80x24,
TERM=linux), typed at as a cashier and a scanner would: log in, scan, pay cash, preview the
receipt, and quit with a manager's PIN. Then the database, the printed receipt and the fiscal
journal are checked.

Kept to one smoke flow; per-screen behaviour is tested with Pilot in tests/ui.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from till.demo.build import build_demo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent.parent


class Terminal:
    """A private tmux server running one program at a fixed size."""

    def __init__(self, command: str) -> None:
        self.socket = f"till-e2e-{os.getpid()}"
        self.target = "till"
        self.tmux("new-session", "-d", "-s", self.target, "-x", "80", "-y", "24", command)

    def tmux(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.target).stdout

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.target, "-l", text)

    def key(self, name: str) -> None:
        self.tmux("send-keys", "-t", self.target, name)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never showed; the screen was:\n{self.screen()}")

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.target).returncode == 0

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def demo(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    folder = tmp_path / "demo"
    config = build_demo(folder, days=2)
    return config


def test_sell_and_quit_on_the_demo_shop(demo):
    database = demo.resolve("till.db")
    with sqlite3.connect(database) as con:
        tickets_before = con.execute("SELECT count(*) FROM ticket").fetchone()[0]
        code, name, price = con.execute(
            "SELECT b.code, p.name, p.price_cents FROM barcode b JOIN product p ON p.id = b.product_id "
            "WHERE p.sold_by_weight = 0 AND p.price_cents < 500 ORDER BY b.code LIMIT 1").fetchone()
    command = (f"cd {ROOT} && TERM=linux PYTHONPATH={ROOT} {sys.executable} -m till "
               f"--config {demo.path}; echo till-exited-$?; sleep 30")
    terminal = Terminal(command)
    try:
        terminal.wait_for("Identifiant")
        # typed fast, as a cashier does: the Enter must not let the PIN land in the login field
        terminal.type("cashier")
        terminal.key("Enter")
        terminal.type("1111")
        terminal.key("Enter")
        screen = terminal.wait_for("Scannez")
        assert "F12 Retours" in screen and "Ctrl+T Touches" in screen  # the footer's two rows
        terminal.key("C-t")  # the key list: the terminal sends Ctrl+T through (0x14)
        screen = terminal.wait_for("Touches de cet écran")
        assert "Choisir la ligne au-dessus" in screen
        terminal.key("Escape")
        terminal.wait_for("Scannez")  # the sale screen again, before the scanner types
        for _ in range(2):  # two scanner bursts, back to back
            terminal.type(code)
            terminal.key("Enter")
        screen = terminal.wait_for("Articles : 2")
        assert name[:20] in screen
        terminal.key("F2")
        terminal.wait_for("Paiement")
        terminal.type("20")
        terminal.key("Enter")
        change = 2000 - 2 * price
        screen = terminal.wait_for("À RENDRE")
        assert f"{change // 100},{change % 100:02d}" in screen
        terminal.key("F8")
        screen = terminal.wait_for("Aperçu du ticket")
        assert "VENTE" in screen and "Caissier : Camille Martin" in screen
        terminal.key("Escape")
        terminal.key("F10")
        terminal.wait_for("responsable")
        terminal.type("9999")
        terminal.key("Enter")
        terminal.wait_for("till-exited-0")
    finally:
        terminal.close()

    with sqlite3.connect(database) as con:
        assert con.execute("SELECT count(*) FROM ticket").fetchone()[0] == tickets_before + 1
        ticket_id, ticket_code, total = con.execute(
            "SELECT id, code, total_cents FROM ticket ORDER BY id DESC LIMIT 1").fetchone()
        payments = con.execute("SELECT means, amount_cents FROM payment WHERE ticket_id = ? ORDER BY position",
                               (ticket_id,)).fetchall()
        events = {row[0] for row in con.execute("SELECT kind FROM fiscal_record WHERE chain = 'L'")}
    assert total == 2 * price
    assert payments == [("cash", 2000), ("cash", -(2000 - 2 * price))]
    assert {"APP_START", "LOGIN", "MANAGER_OVERRIDE", "APP_STOP"} <= events
    assert ticket_code in demo.resolve(demo.printer.path).read_text(encoding="utf-8")
    verify = subprocess.run([sys.executable, "-m", "till", "--config", str(demo.path), "journal", "verify"],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert verify.returncode == 0, verify.stdout + verify.stderr
