"""benchmarks/bench_reports.py runs end to end on a tiny year and gives every figure run.py needs
(the figures themselves are for benchmarks, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_run_gives_the_figures(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/bench_reports.py", "--tiny", "--dir", str(tmp_path / "b")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("returns_report_s", "fec_export_s", "fec_export_rss_mb", "raw_returns_report_s", "raw_fec_export_s"):
        assert isinstance(figures[key], (int, float)), key
    assert figures["fec_entries"] == 600 and figures["returns_report_lines"] == 30
    assert figures["fec_check_problems"] == []
    from benchmarks.bench_reports import notes, table_rows

    assert len(table_rows(figures)) == 3 and notes(figures)
