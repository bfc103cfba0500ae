"""What a cashier feels: key-to-screen latency of the running till in a real terminal, and how
long ``till demo`` takes from nothing to its first screen.

The till runs in a pane of a private tmux server at a fixed size (100x30), on the benchmark's
shop, logged in as its cashier. A scanner is a keyboard that types a whole code and Enter at
once, so each sample is one ``send-keys`` call carrying the 13 digits and Enter; then the pane is
read (``capture-pane``) in a loop until the screen shows the result:

- scan_to_screen: a real barcode of the shop on an empty basket, until the totals say one item
  (the line and the totals are drawn in the same refresh); the line is then voided (F4) so that
  every sample starts on an empty basket.
- scan_to_screen_100_lines: the same once 100 lines are in the basket (each sample adds one).
- receipt_to_return_screen: on the return screen (F12), the code of a recent sale and Enter,
  until its reference and its first line are drawn; Esc goes back to the sale.
- demo_first_screen: ``till demo --dir`` on a fresh folder (the demo is built, then started)
  until the login screen shows.

Precision: each figure counts from just before the ``send-keys`` call to the first capture that
shows the result, so it includes one tmux client start for the send and up to one poll interval
of lateness; both are measured and reported (``terminal_send_ms``, ``terminal_poll_ms``). Figures
of a few milliseconds are therefore upper bounds. Polls sleep 2 ms between captures so that the
poller does not starve the till of CPU on a one-core run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from till.i18n import translate
from till.people.customers import fold

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 100, 30
POLL_PAUSE_S = 0.002

KEYS = ("scan_to_screen_p50_ms", "scan_to_screen_p95_ms", "scan_to_screen_100_lines_p50_ms",
        "scan_to_screen_100_lines_p95_ms", "receipt_to_return_screen_p50_ms", "receipt_to_return_screen_p95_ms",
        "demo_first_screen_s")
"""The figures this module adds to the benchmark's JSON (None when they could not be taken)."""

TARGETS = {
    "scan_to_screen_p95_ms": "<= 50 ms",
    "scan_to_screen_100_lines_p95_ms": "<= 50 ms",
    "receipt_to_return_screen_p95_ms": "<= 150 ms",
    "demo_first_screen_s": "<= 5 s",
}

SAMPLES = {"full": 50, "quick": 30, "tiny": 3}


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


class Pane:
    """One program in a pane of a private tmux server, read as text."""

    def __init__(self, command: str, name: str) -> None:
        self.tmux = ["tmux", "-L", f"till-{name}-{os.getpid()}", "-f", os.devnull]
        env = dict(os.environ, TERM="xterm-256color",
                   PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
        env.pop("TMUX", None)
        subprocess.run(self.tmux + ["new-session", "-d", "-s", "b", "-x", str(WIDTH), "-y", str(HEIGHT), command,
                                    ";", "set-option", "-t", "b", "remain-on-exit", "on"],
                       env=env, check=True, capture_output=True)

    def screen(self) -> str:
        return fold(subprocess.run(self.tmux + ["capture-pane", "-p", "-t", "b"], capture_output=True,
                                   text=True).stdout)

    def send(self, text: str = "", *keys: str) -> None:
        """``text`` typed literally then ``keys`` (tmux key names), in one tmux call: one burst."""
        command = self.tmux + (["send-keys", "-t", "b", "-l", text] if text else [])
        for key in keys:
            command += ([";"] if len(command) > len(self.tmux) else []) + ["send-keys", "-t", "b", key]
        subprocess.run(command, capture_output=True)

    def wait(self, shown: Callable[[str], bool], timeout: float = 20.0) -> float:
        """Seconds until ``shown(screen)``; raises with the screen's last text when it never is."""
        started = time.perf_counter()
        screen = ""
        while time.perf_counter() - started < timeout:
            screen = self.screen()
            if shown(screen):
                return time.perf_counter() - started
            time.sleep(POLL_PAUSE_S)
        last = " | ".join(line.strip() for line in screen.splitlines() if line.strip())[-300:]
        raise TimeoutError(f"not shown within {timeout:.0f} s ({last or 'empty screen'})")

    def close(self) -> None:
        subprocess.run(self.tmux + ["kill-server"], capture_output=True)


def _contains(*texts: str) -> Callable[[str], bool]:
    folded = [fold(text) for text in texts]
    return lambda screen: all(text in screen for text in folded)


def _items(language: str, count: int) -> Callable[[str], bool]:
    """The totals panel says exactly ``count`` items (not a longer number starting the same)."""
    pattern = re.compile(re.escape(fold(translate("Items: {count}", language, count=count))) + r"(?!\d)")
    return lambda screen: pattern.search(screen) is not None


def shop_codes(database: Path, count: int) -> list[str]:
    """Barcodes of plain products (priced, not weighed, no serial to ask): one scan, one line."""
    with sqlite3.connect(database) as con:
        return [code for (code,) in con.execute(
            "SELECT b.code FROM barcode b JOIN product p ON p.id = b.product_id WHERE p.active AND p.price_cents > 0"
            " AND NOT p.sold_by_weight AND NOT p.serial_tracked AND length(b.code) = 13 ORDER BY b.code LIMIT ?",
            (count,))]


def shop_receipts(database: Path, count: int) -> list[tuple[str, list[str]]]:
    """(code, its lines' labels) of recent sales nothing was returned from."""
    with sqlite3.connect(database) as con:
        tickets = list(con.execute(
            "SELECT t.id, t.code FROM ticket t WHERE t.kind = 'sale' AND NOT t.training AND t.line_count > 0"
            " AND NOT EXISTS (SELECT 1 FROM ticket r WHERE r.origin_ticket_id = t.id) ORDER BY t.id DESC LIMIT ?",
            (count,)))
        return [(code, [label for (label,) in con.execute(
            "SELECT label FROM ticket_line WHERE ticket_id = ? ORDER BY position", (ticket_id,))])
            for ticket_id, code in tickets]


def _receipt_shown(code: str, labels: list[str]) -> Callable[[str], bool]:
    """The ticket's code and one of its lines are on the screen (a long ticket shows some)."""
    starts = [fold(label[:12]) for label in labels]
    return lambda screen: fold(code) in screen and any(start in screen for start in starts)


def _figures(name: str, seconds: list[float]) -> dict[str, float]:
    return {f"{name}_p50_ms": round(statistics.median(seconds) * 1000, 1),
            f"{name}_p95_ms": round(_p95(seconds) * 1000, 1)}


def bench_keys(config_path: Path, language: str, samples: int) -> dict[str, Any]:
    """Log in, then scan bursts on an empty basket and on a 100-line one, then receipts."""
    database = config_path.parent / "till.db"
    codes = shop_codes(database, 100 + samples)
    receipts = shop_receipts(database, samples)
    if len(codes) < 100 + samples or len(receipts) < samples:
        return {"terminal_note": "the shop has too few plain products or sales for the terminal benchmark"}
    command = f"exec {shlex.quote(sys.executable)} -m till --config {shlex.quote(str(config_path))}"
    pane = Pane(command, "keys")
    results: dict[str, Any] = {}
    sale_screen = _contains(translate("Scan or type a code (3*code for 3)", language)[:20])
    try:
        pane.wait(_contains(translate("PIN", language), translate("Enter: next field, then log in", language)))
        pane.send("cashier", "Enter")
        pane.send("1111", "Enter")
        pane.wait(sale_screen)
        polls = [time.perf_counter()]
        for _ in range(20):
            pane.screen()
            polls.append(time.perf_counter())
        sends = []
        for _ in range(10):
            started = time.perf_counter()
            pane.send("", "Right")  # a key the empty scan field ignores
            sends.append(time.perf_counter() - started)
        results["terminal_poll_ms"] = round((polls[-1] - polls[0]) / 20 * 1000 + POLL_PAUSE_S * 1000, 1)
        results["terminal_send_ms"] = round(statistics.median(sends) * 1000, 1)

        empty = []
        for code in codes[:samples]:
            started = time.perf_counter()
            pane.send(code, "Enter")
            pane.wait(_items(language, 1))
            empty.append(time.perf_counter() - started)
            pane.send("", "F4")
            pane.wait(_items(language, 0))
        results.update(_figures("scan_to_screen", empty))

        for count, code in enumerate(codes[samples:samples + 100], start=1):
            pane.send(code, "Enter")
            pane.wait(_items(language, count))  # paced: each scan drawn before the next one
        full = []
        for count, code in enumerate(codes[:samples], start=101):
            started = time.perf_counter()
            pane.send(code, "Enter")
            pane.wait(_items(language, count))
            full.append(time.perf_counter() - started)
        results.update(_figures("scan_to_screen_100_lines", full))

        returns = []
        for code, labels in receipts:
            pane.send("", "F12")
            pane.wait(_contains(translate("Scan the receipt or type the ticket number", language)[:20]))
            started = time.perf_counter()
            pane.send(code, "Enter")
            pane.wait(_receipt_shown(code, labels))
            returns.append(time.perf_counter() - started)
            pane.send("", "Escape")
            pane.wait(sale_screen)
        results.update(_figures("receipt_to_return_screen", returns))
    except TimeoutError as error:
        results["terminal_note"] = f"terminal benchmark stopped: {error}"
    finally:
        pane.close()
    return results


def bench_demo_first_screen(language: str = "fr") -> dict[str, Any]:
    """``till demo --dir`` on an empty folder until the login screen: the demo's first build."""
    with tempfile.TemporaryDirectory(prefix="till-demo-bench-") as folder:
        # stderr stays on the terminal: Textual draws the screen there
        command = f"exec {shlex.quote(sys.executable)} -m till demo --dir {shlex.quote(str(Path(folder) / 'demo'))}"
        started = time.perf_counter()
        pane = Pane(command, "demo")
        try:
            pane.wait(_contains(translate("PIN", language), translate("Enter: next field, then log in", language)),
                      timeout=120)
            return {"demo_first_screen_s": round(time.perf_counter() - started, 2)}
        except TimeoutError as error:
            return {"demo_first_screen_s": None, "demo_note": f"till demo: no login screen: {error}"}
        finally:
            pane.close()


def run_all(config, size_name: str, say: Callable[[str], None]) -> dict[str, Any]:
    if shutil.which("tmux") is None:
        return {key: None for key in KEYS} | {"terminal_note": "tmux is not installed"}
    say("key to screen in a terminal ...")
    results = bench_keys(config.path, config.till.language, SAMPLES[size_name])
    if size_name == "tiny":  # the demo's build does not depend on the shop: not worth a test's time
        results["demo_note"] = "till demo is not timed on the tiny shop"
    else:
        say("till demo to its first screen ...")
        results.update(bench_demo_first_screen())
    for key in KEYS:
        results.setdefault(key, None)
    return results


def table_rows(r: dict[str, Any]) -> list[tuple]:
    def row(title: str, key: str, unit: str, limit: float) -> tuple:
        value = r.get(key)
        return (title, "n/a" if value is None else f"{value}{unit}", "", "", TARGETS[key],
                None if value is None else value <= limit)

    return [
        row("scan to screen p95 (terminal)", "scan_to_screen_p95_ms", " ms", 50),
        row("scan to screen p95, 100 lines", "scan_to_screen_100_lines_p95_ms", " ms", 50),
        row("receipt to return screen p95", "receipt_to_return_screen_p95_ms", " ms", 150),
        row("till demo to first screen", "demo_first_screen_s", " s", 5),
    ]


def notes(r: dict[str, Any]) -> list[str]:
    out = []
    if r.get("terminal_poll_ms") is not None:
        out.append(f"terminal: tmux {WIDTH}x{HEIGHT}; each figure includes one send ({r['terminal_send_ms']} ms) and "
                   f"up to one poll ({r['terminal_poll_ms']} ms); p50: scan {r.get('scan_to_screen_p50_ms')} ms, "
                   f"100 lines {r.get('scan_to_screen_100_lines_p50_ms')} ms, receipt "
                   f"{r.get('receipt_to_return_screen_p50_ms')} ms")
    for key in ("terminal_note", "demo_note"):
        if r.get(key):
            out.append(f"terminal: {r[key]}")
    return out
