"""Two tills of one shop, two processes, one shop PostgreSQL database: each keeps its own
chains; a receipt of till 02 is returned at till 01; both sync, and head office holds each
till's chains apart, every record once, all verifying."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.headoffice import HeadOffice

from headoffice.cli import enroll
from headoffice.verify import verify_all
from headoffice.report import sales_report
from headoffice.store import Record, proxy

ROOT = Path(__file__).resolve().parents[2]


def till(folder: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "tests.headoffice.till_process", str(folder), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode not in (0,) and args[0] != "sync":
        raise AssertionError(done.stderr)
    return done


@pytest.mark.postgres
def test_receipt_of_till_2_returned_at_till_1_then_both_sync(pg_url, tmp_path):
    one, two = tmp_path / "till01", tmp_path / "till02"
    key_one = till(one, "init", pg_url, "01", "seed").stdout
    key_two = till(two, "init", pg_url, "02").stdout
    code = till(two, "sell", "WIN", "2").stdout.strip()
    assert code.startswith("T02-")
    returned = till(one, "return", code, "WIN").stdout.strip()
    assert returned.startswith("T01-")
    office = HeadOffice(f"sqlite:///{tmp_path / 'ho.db'}").start()
    try:
        enroll("01", "PARIS", key_one)
        enroll("02", "PARIS", key_two)
        assert till(one, "sync", office.url).returncode == 0
        assert till(two, "sync", office.url).returncode == 0
        assert till(one, "sync", office.url).returncode == 0  # again: only its SYNC event
        with proxy.obj.connection_context():
            assert verify_all() == []
            t_records = {(t, s): json.loads(p) for t, s, p in Record.select(Record.till_id, Record.sequence,
                                                                              Record.payload)
                         .where(Record.chain == "T").tuples()}
            report = {r["till_id"]: r for r in sales_report()}
        assert set(t_records) == {("01", 1), ("02", 1)}
        assert t_records[("01", 1)]["origin"]["reference"] == code
        assert report["02"]["sales_cents"] == 2 * 895 and report["01"]["returns_cents"] == 895
    finally:
        office.stop()
