"""Exporting a fiscal archive: one signed file per period, recorded in chain A (both engines).

Records are sealed at chosen times (the sealer's clock is set by ``at``), so the periods are
fixed whatever day the tests run. The archive is then verified alone by
``till.fiscal.archive_verify`` and the journal, with its new chain A record, by the database
verifier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from till.errors import TillError
from till.fiscal import Sealer, Signer, record_event
from till.fiscal.archive import (
    ARCHIVE_CHAIN, ARCHIVE_KIND, MANIFEST, SIGNATURE, export_archive, manifest_schema, parse_period, record_schema,
)
from till.fiscal.archive_verify import verify_archive
from till.fiscal.json_schema import SchemaChecker
from till.fiscal.keys import verify_signature
from tests.support.queries import chain_records

ROOT = Path(__file__).resolve().parents[2]
TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)
UTC = dt.timezone.utc
OCTOBER, NOVEMBER = parse_period("2026-10", UTC), parse_period("2026-11", UTC)


@pytest.fixture
def at(monkeypatch):
    """``at(datetime)``: the time the sealer stamps on the records sealed from now on."""
    def set_clock(when: dt.datetime) -> None:
        monkeypatch.setattr("till.fiscal.chain.utcnow", lambda: when)
    return set_clock


def _journal(shop, at):
    """Two sales and an event in October, three sales and an event in November, one sale in December."""
    at(dt.datetime(2026, 10, 30, 18, 0))
    shop.sale(), shop.sale()
    record_event(shop.sealer, "APP_START", "till started")
    at(dt.datetime(2026, 11, 3, 9, 15))
    shop.sale(), shop.sale()
    at(dt.datetime(2026, 11, 30, 23, 59, 59))
    shop.sale()
    record_event(shop.sealer, "APP_STOP", "till stopped")
    at(dt.datetime(2026, 12, 1, 0, 0))
    shop.sale()


def test_a_month_is_exported_as_one_signed_file_recorded_in_chain_a(shop, at):
    """R-ARC-01 (one self-describing package: manifest with SHA-256, JSON data and JSON Schemas,
    public keys, detached signature), R-ARC-04 (the export is a chain A record), on both engines."""
    _journal(shop, at)
    at(dt.datetime(2026, 12, 2, 8, 0))
    result = export_archive(shop.sealer, NOVEMBER, shop.tmp_path / "nov.zip", shop={"name": "Librairie du Port"},
                            partial=True)

    assert result.counts == {(TILL, "T"): 3, (TILL, "L"): 1}
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        manifest_bytes = archive.read(MANIFEST)
        manifest = json.loads(manifest_bytes)
        signature = json.loads(archive.read(SIGNATURE))
        for entry in manifest["files"]:  # every listed file is there, with its size and SHA-256
            data = archive.read(entry["name"])
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
        lines = archive.read(f"data/{TILL}-T.jsonl").decode("utf-8").splitlines()
    key_pem = f"keys/{shop.signer.key_id}.pem"
    assert {f"data/{TILL}-T.jsonl", f"data/{TILL}-L.jsonl", key_pem, "schemas/record.schema.json",
            "schemas/manifest.schema.json", MANIFEST, SIGNATURE} <= set(names)
    assert set(names) - {MANIFEST, SIGNATURE} == {entry["name"] for entry in manifest["files"]}
    assert manifest["period"] == {"label": "2026-11", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z",
                                  "zone": "UTC", "complete": False,
                                  "incomplete_reason": "no closure of the period in chain G for till 01"}
    assert manifest["shop"] == {"name": "Librairie du Port"}
    # The detached signature is the till's own key over the manifest's exact bytes.
    assert signature["key_id"] == shop.signer.key_id
    assert verify_signature(shop.signer.public_pem, manifest_bytes, signature["signature"])
    # The data are the sealed records themselves, in sequence order, payloads as signed.
    t_records = chain_records("T")
    assert [json.loads(line)["sequence"] for line in lines] == [3, 4, 5]
    assert [json.loads(line)["payload"] for line in lines] == [json.loads(r.payload) for r in t_records[2:5]]
    assert [json.loads(line)["signature"] for line in lines] == [r.signature for r in t_records[2:5]]

    (record,) = chain_records(ARCHIVE_CHAIN)
    assert (record.sequence, record.kind, record.key_id) == (1, ARCHIVE_KIND, shop.signer.key_id)
    payload = json.loads(record.payload)
    assert payload["period"]["label"] == "2026-11" and payload["file"] == "nov.zip"
    assert payload["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest() == result.manifest_sha256
    assert payload["chains"] == [
        {"till_id": TILL, "chain": "T", "count": 3, "first_sequence": 3, "last_sequence": 5},
        {"till_id": TILL, "chain": "L", "count": 1, "first_sequence": 2, "last_sequence": 2},
    ]
    journal = shop.verify()
    assert journal.ok, journal.lines()
    assert journal.counts[(TILL, ARCHIVE_CHAIN)] == 1
    report = verify_archive(result.path)
    assert report.ok, report.lines()
    assert report.key_id == shop.signer.key_id and report.period == "2026-11"


def test_each_chain_starts_by_linking_to_the_record_before_the_period(shop, at):
    """R-SEC-01 / R-SEQ-01 across archives: consecutive periods tile each chain with no gap and
    no overlap, and the first record of a period links to the last one of the period before."""
    _journal(shop, at)
    at(dt.datetime(2026, 12, 2, 8, 0))
    october = export_archive(shop.sealer, OCTOBER, shop.tmp_path / "oct.zip", partial=True)
    november = export_archive(shop.sealer, NOVEMBER, shop.tmp_path / "nov.zip", partial=True)
    t = chain_records("T")

    def chains(path):
        with zipfile.ZipFile(path) as archive:
            return {c["chain"]: c for c in json.loads(archive.read(MANIFEST))["chains"]}

    oct_t, nov_t = chains(october.path)["T"], chains(november.path)["T"]
    assert (oct_t["before"], oct_t["first_sequence"], oct_t["last_sequence"]) == (None, 1, 2)
    assert nov_t["before"] == {"sequence": 2, "signature": t[1].signature, "hash": t[1].hash}
    assert (nov_t["first_sequence"], nov_t["last_sequence"]) == (3, 5)
    assert oct_t["last_hash"] == nov_t["before"]["hash"]
    # Both exports were sealed in December (chain A records 1 and 2): neither is in November.
    assert "A" not in chains(november.path)
    assert [r.sequence for r in chain_records(ARCHIVE_CHAIN)] == [1, 2]
    assert verify_archive(october.path).ok and verify_archive(november.path).ok
    assert shop.verify().ok


def test_a_period_with_nothing_new_still_names_the_last_record_before_it(shop, at):
    """R-ARC-01: an empty period is still a signed archive; its chains say where they stand."""
    at(dt.datetime(2026, 10, 5, 10, 0))
    shop.sale()
    at(dt.datetime(2026, 12, 2, 8, 0))
    result = export_archive(shop.sealer, NOVEMBER, shop.tmp_path / "empty.zip", partial=True)
    assert result.counts == {(TILL, "T"): 0}
    report = verify_archive(result.path)
    assert report.ok, report.lines()


def test_the_archive_is_checked_against_its_own_json_schemas(shop, at):
    """R-ARC-03: open formats with their schemas; every data line and the manifest follow them,
    and an amount written as a float does not."""
    _journal(shop, at)
    result = export_archive(shop.sealer, NOVEMBER, shop.tmp_path / "nov.zip", partial=True)
    with zipfile.ZipFile(result.path) as archive:
        records = SchemaChecker(json.loads(archive.read("schemas/record.schema.json")))
        manifests = SchemaChecker(json.loads(archive.read("schemas/manifest.schema.json")))
        assert json.loads(archive.read("schemas/record.schema.json")) == record_schema()
        assert manifests.errors(json.loads(archive.read(MANIFEST))) == []
        lines = [json.loads(line) for name in archive.namelist() if name.startswith("data/")
                 for line in archive.read(name).splitlines()]
    assert manifest_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert all(records.errors(line) == [] for line in lines)
    ticket = next(line for line in lines if line["chain"] == "T")
    ticket["payload"]["total_cents"] = 10.3
    ticket["payload"]["lines"][0]["quantity"] = "2"
    assert sorted(records.errors(ticket)) == ["/payload/lines/0/quantity: expected integer",
                                              "/payload/total_cents: expected integer"]


def test_an_export_never_overwrites_a_file_and_leaves_no_temporary_file(shop, at):
    """R-ARC-01/R-INA-01 for archives: an archive, once written, is never replaced by another."""
    _journal(shop, at)
    target = shop.tmp_path / "out"
    target.mkdir()
    first = export_archive(shop.sealer, NOVEMBER, target, partial=True)  # a folder: the default name inside it
    assert first.path == target / f"till-archive-{TILL}-2026-11.zip"
    with pytest.raises(TillError, match="already exists"):
        export_archive(shop.sealer, NOVEMBER, target, partial=True)
    assert sorted(p.name for p in target.iterdir()) == [first.path.name]
    assert len(chain_records(ARCHIVE_CHAIN)) == 1  # the refused export was not recorded


def test_periods_are_months_days_or_years():
    """R-ARC-01: a period is at most a year."""
    assert (NOVEMBER.start, NOVEMBER.end) == (dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1))
    assert parse_period("2026-12", UTC).end == dt.datetime(2027, 1, 1)
    assert parse_period("2026-11-26", UTC).end == dt.datetime(2026, 11, 27)
    assert parse_period("2026", UTC).end == dt.datetime(2027, 1, 1)
    from zoneinfo import ZoneInfo

    paris = parse_period("2026-11", ZoneInfo("Europe/Paris"))  # the shop's calendar, as its closures
    assert (paris.start, paris.end, paris.zone) == (dt.datetime(2026, 10, 31, 23, 0), dt.datetime(2026, 11, 30, 23, 0),
                                                    "Europe/Paris")
    assert parse_period("2026-07", ZoneInfo("Europe/Paris")).start == dt.datetime(2026, 6, 30, 22, 0)  # summer time
    for wrong in ("2026-13", "26-11", "novembre", "2026-11-31"):
        with pytest.raises(TillError):
            parse_period(wrong)


def test_every_till_of_the_database_can_go_in_one_archive(shop, at):
    """R-ARC-01 per store, R-SEC-04 (the public key of every key that signed goes with the export)."""
    at(dt.datetime(2026, 11, 3, 9, 0))
    shop.sale()
    other = Sealer("02", Signer.create(shop.tmp_path / "keys" / "till02.pem"), None)
    record_event(other, "APP_START", "till 02 started")
    result = export_archive(shop.sealer, NOVEMBER, shop.tmp_path / "shop.zip", tills=None, partial=True)
    assert result.counts == {(TILL, "T"): 1, ("02", "L"): 1}
    assert set(result.key_ids) == {shop.signer.key_id, other.signer.key_id}
    report = verify_archive(result.path)
    assert report.ok, report.lines()
    assert report.counts == {(TILL, "T"): 1, ("02", "L"): 1}


def test_the_round_trip_verifies_on_another_machine_without_the_database(sqlite_shop, at, tmp_path):
    """R-ARC-06 / R-SEC-07: the verifier runs on the archive alone: a fresh folder, a new process,
    no configuration, no database, no key file."""
    _journal(sqlite_shop, at)
    result = export_archive(sqlite_shop.sealer, NOVEMBER, sqlite_shop.tmp_path / "nov.zip", partial=True)
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    copy = shutil.copy(result.path, elsewhere / "archive.zip")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TILL_")}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-m", "till.fiscal.archive_verify", "archive.zip"], cwd=elsewhere,
                         env={**env, "LANG": "C"}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0] == (
        f"Archive archive.zip verified: period 2026-11, 4 records in 2 chains, manifest signed by key "
        f"{sqlite_shop.signer.key_id}.")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["archive.zip"]  # nothing made beside it
    assert Path(copy).read_bytes() == result.path.read_bytes()


def test_the_commands_export_and_verify(tmp_path, lite_shop):
    """R-ARC-04 / R-ARC-06 through the command functions: `till archive export --period --out`
    and `till journal verify --archive` (0 verified, 1 problems, 2 unreadable)."""
    import argparse

    from tests.support.shop import sell
    from till.cli.archive import add_verify_arguments, cmd_verify_archive, register

    shop = lite_shop
    try:
        sell(shop, [("BAG", 2), ("WIN", 1)])
        parser = argparse.ArgumentParser()
        parser.add_argument("--config")
        commands = parser.add_subparsers(dest="command")
        register(commands)
        add_verify_arguments(commands.add_parser("verify"))
        period = dt.datetime.now().strftime("%Y-%m")
        out = tmp_path / "a.zip"
        args = parser.parse_args(["--config", str(shop.config.path), "archive", "export", "--period", period,
                                  "--out", str(out)])
        with pytest.raises(TillError, match="--partial"):  # this month is not closed
            args.func(args)
        args = parser.parse_args(["--config", str(shop.config.path), "archive", "export", "--period", period,
                                  "--out", str(out), "--partial"])
        assert args.func(args) == 0
    finally:
        shop.ctx.close()
    assert cmd_verify_archive(parser.parse_args(["verify", "--archive", str(out)])) == 0
    trusted = ["verify", "--archive", str(out), "--key-id", "0" * 32]
    assert cmd_verify_archive(parser.parse_args(trusted)) == 1
    assert cmd_verify_archive(parser.parse_args(["verify", "--archive", str(tmp_path / "none.zip")])) == 2
    with pytest.raises(TillError, match="is not a month"):
        parser_args = parser.parse_args(["--config", str(shop.config.path), "archive", "export", "--period",
                                         "2026-13", "--out", str(tmp_path / "b.zip")])
        parser_args.func(parser_args)
