"""The benchmark script runs end to end on a tiny shop and reports every figure as JSON.

No figure is judged here (tests never time things): only that each one was taken.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from benchmarks import bench_terminal

ROOT = Path(__file__).resolve().parents[2]
UI_KEYS = {"ui_cold_start_s", "ui_cold_start_cold_cache_s", "ui_rss_mb"}
TERMINAL_KEYS = set(bench_terminal.KEYS)
"""Taken in tmux (tests/e2e/test_bench_terminal.py checks them); the demo is not timed on a tiny shop."""


def run_benchmark(folder: Path) -> tuple[dict, str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--tiny", "--dir", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    return json.loads(lines[-1]), result.stdout


def test_tiny_benchmark_prints_every_figure_as_json_on_its_last_line(tmp_path):
    from benchmarks.run import REQUIRED_KEYS

    folder = tmp_path / "bench"
    figures, output = run_benchmark(folder)
    assert set(REQUIRED_KEYS) <= set(figures)
    for key in REQUIRED_KEYS:
        value = figures[key]
        if value is None:
            # Only the UI and terminal figures may be missing, and then the report says why.
            assert key in UI_KEYS | TERMINAL_KEYS, f"{key} was not measured"
            note = "ui_note" if key in UI_KEYS else "demo_note" if key == "demo_first_screen_s" else "terminal_note"
            assert figures.get(note), f"a missing figure ({key}) comes with its reason"
            continue
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value) and value > 0, (key, value)
    assert figures["tickets"] >= 600 and figures["products"] >= 400
    assert figures["verify_ok"] is True
    assert figures["raw_verify_mismatches"] == 0, "the raw verifier rebuilt the very messages that were signed"
    # The shop measured is a shop the till itself accepts: every derived row (accounting lines on
    # the shop's business day, opening stock, staff) is proved by a sealed record.
    verified = subprocess.run([sys.executable, "-m", "till", "--config", str(folder / "till.toml"), "journal", "verify"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stdout[-3000:]
    # The table shows each figure beside its target before the JSON line.
    assert "scan to line p95" in output and "<= 2 ms" in output and "checkout commit p95" in output
    # A receipt's QR code: checked against the till's key chain, and its size for ten lines.
    assert figures["receipt_qr_verify_p95_ms"] > 0 and figures["receipt_qr_count"] > 0
    assert isinstance(figures["receipt_qr_version_10_lines"], int)
    assert "receipt QR verify p95" in output and "receipt QR version, 10 lines" in output
    # The loss-prevention signals: a day of them, and the check at the return screen.
    assert figures["signals_return_check_count"] > 0 and "signals of a day" in output and "return check p95" in output

    # A second run reuses the shop it built (same size, same seed) and still verifies.
    again, _ = run_benchmark(folder)
    assert again["tickets"] > figures["tickets"], "the checkouts of the first run are kept"
    assert again["verify_ok"] is True
