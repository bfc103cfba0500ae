"""The terminal benchmark runs against the real till in tmux on a small demo shop and returns
every latency figure, well formed. No figure is judged (tests never time things)."""

from __future__ import annotations

import math
import shutil

import pytest

from benchmarks.bench_terminal import KEYS, bench_keys, notes, table_rows
from till.demo.build import build_demo

pytestmark = pytest.mark.e2e


def test_key_to_screen_figures_on_a_small_shop(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    config = build_demo(tmp_path / "demo", days=2)

    figures = bench_keys(config.path, config.till.language, samples=3)

    assert "terminal_note" not in figures, figures.get("terminal_note")
    for key in KEYS:
        if key == "demo_first_screen_s":  # the demo's own build, timed by run_all only
            continue
        value = figures[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, (key, value)
    assert figures["scan_to_screen_p50_ms"] <= figures["scan_to_screen_p95_ms"]
    assert figures["terminal_poll_ms"] > 0 and figures["terminal_send_ms"] > 0
    assert [row[0] for row in table_rows(figures)][0] == "scan to screen p95 (terminal)"
    assert "each figure includes one send" in notes(figures)[0]
