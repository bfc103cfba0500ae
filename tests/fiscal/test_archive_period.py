"""Archives of a business period: records chosen by the date of what they record, complete or
refused, closures recomputed from the archived tickets.

The history is written as the demo writes it: tickets dated on past days (through the real
ticket writer, ``tests.support.closures``) and closures asked for with an explicit ``now``, but
every record sealed at the test's own clock. So the records' sealing times all fall on the day
the test runs, and only their business dates place them in October or November.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest

from store.models import FiscalRecord
from till.fiscal.archive import ArchiveNotClosed, export_archive
from till.fiscal.archive_verify import verify_archive
from till.fiscal.closures import close_day, close_month
from tests.support.archive_forgery import write_resigned
from tests.support.closures import at, sale

D = dt.date.fromisoformat
TILL = "01"


def _history(shop) -> dict:
    """Two sales in October (5th, 20th) and one on 3 November; October closed, November not."""
    sealer = shop.ctx.sealer
    tickets = {"oct5": sale(shop, at("2026-10-05", 9), [("BAG", 2)])}
    close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    tickets["oct20"] = sale(shop, at("2026-10-20", 10), [("WIN", 1)], means="card")
    close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    tickets["nov3"] = sale(shop, at("2026-11-03", 11), [("COF", 1)])
    close_day(sealer, D("2026-11-03"), now=at("2026-11-03", 20))
    return tickets


def _lines(path, name: str) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        return [json.loads(line) for line in archive.read(name).decode("utf-8").splitlines()]


def _manifest(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def test_a_month_holds_the_records_of_its_business_days_whenever_they_were_sealed(till_shop, tmp_path):
    lite_shop = till_shop  # both engines
    tickets = _history(lite_shop)
    result = export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path)

    sold = [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"]
            for r in _lines(result.path, f"data/{TILL}-T.jsonl")]
    assert [p["ticket_id"] for p in sold] == [tickets["oct5"].id, tickets["oct20"].id]
    closures = [(r["kind"], r["payload"]["period"]["label"]) for r in _lines(result.path, f"data/{TILL}-G.jsonl")]
    assert sorted(closures) == [("day", "2026-10-05"), ("day", "2026-10-20"), ("month", "2026-10")]
    assert _manifest(result.path)["period"]["complete"] is True
    assert result.path.stat().st_mode & 0o777 == 0o600  # private, as every archive
    report = verify_archive(result.path)
    assert report.ok, report.lines()
    assert report.partial is False


def test_a_month_not_closed_is_refused_unless_partial_and_a_partial_archive_says_so(lite_shop, tmp_path):
    tickets = _history(lite_shop)
    a_before = FiscalRecord.select().where(FiscalRecord.chain == "A").count()
    out = tmp_path / "archives"
    out.mkdir()
    with pytest.raises(ArchiveNotClosed) as refused:
        export_archive(lite_shop.ctx.sealer, "2026-11", out)
    assert "2026-11" in refused.value.text() and "--partial" in refused.value.text()
    assert list(out.iterdir()) == []  # nothing written, nothing sealed
    assert FiscalRecord.select().where(FiscalRecord.chain == "A").count() == a_before

    result = export_archive(lite_shop.ctx.sealer, "2026-11", out, partial=True)
    period = _manifest(result.path)["period"]
    assert period["complete"] is False and "01" in period["incomplete_reason"]
    assert json.loads(result.record.payload)["period"]["complete"] is False
    sold = [r["payload"]["ticket_id"] for r in _lines(result.path, f"data/{TILL}-T.jsonl")]
    assert sold == [tickets["nov3"].id]
    report = verify_archive(result.path)
    assert report.ok and report.partial is True
    assert any("partial" in line for line in report.lines("en"))


def test_records_of_other_periods_between_them_split_a_chain_into_runs_that_each_link(lite_shop, tmp_path):
    """A day of November closed before the month of October: chain G holds October's day
    closures, then November's, then October's month (which that day's closure lets close by
    itself). October's archive skips the one between, and the month closure still links, to
    the record before it the manifest names."""
    sealer = lite_shop.ctx.sealer
    sale(lite_shop, at("2026-10-05", 9), [("BAG", 2)])
    close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    close_day(sealer, D("2026-11-03"), now=at("2026-11-03", 20))  # no sale yet: October closes after
    assert [json.loads(r.payload)["period"]["label"] for r in FiscalRecord.select().where(
        FiscalRecord.chain == "G").order_by(FiscalRecord.sequence)] == ["2026-10-05", "2026-11-03", "2026-10"]

    result = export_archive(sealer, "2026-10", tmp_path)
    chain = {c["chain"]: c for c in _manifest(result.path)["chains"]}["G"]
    g = list(FiscalRecord.select().where(FiscalRecord.chain == "G").order_by(FiscalRecord.sequence))
    assert [(run["first_sequence"], run["last_sequence"]) for run in chain["runs"]] == [(1, 1), (3, 3)]
    assert chain["runs"][1]["before"] == {"sequence": 2, "signature": g[1].signature, "hash": g[1].hash}
    assert verify_archive(result.path).ok

    # a record taken out of a run is still named as missing
    with zipfile.ZipFile(result.path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    lines = members[f"data/{TILL}-T.jsonl"].splitlines(keepends=True)
    assert len(lines) == 1
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, b"" if name == f"data/{TILL}-T.jsonl" else data)
    assert not verify_archive(forged).ok


# --- Closures recomputed from the archived tickets (R-SEC-07) ----------------------------------------


def _forge(source, target, signer, change) -> None:
    """``source`` with ``change(record)`` applied to its records, re-signed by the till's own key
    as an insider holding it could, each chain relinked and the manifest made to agree: every
    signature verifies, so only what the records say can betray the change."""
    import hashlib

    from till.fiscal.canonical import canonical_bytes, canonical_json
    from till.fiscal.chain import message_bytes

    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    files = {entry["name"]: entry for entry in manifest["files"]}
    for chain in manifest["chains"]:
        out, previous = [], None
        for raw in members[chain["file"]].splitlines():
            record = json.loads(raw)
            changed = change(record)
            if previous is not None and record["previous_signature"] == previous[0]:
                record["previous_signature"] = previous[1]
            if changed or previous is not None and previous[0] != previous[1]:
                message = message_bytes(
                    format_version=record["format_version"], till_id=record["till_id"], chain=record["chain"],
                    sequence=record["sequence"], kind=record["kind"], created_at=record["created_at"],
                    ticket_id=record["ticket_id"], payload=canonical_json(record["payload"]),
                    previous_signature=record["previous_signature"])
                old = record["signature"]
                record.update(hash=hashlib.sha256(message).hexdigest(), signature=signer.sign(message))
                previous = (old, record["signature"])
            else:
                previous = (record["signature"], record["signature"])
            out.append(canonical_bytes(record) + b"\n")
        members[chain["file"]] = data = b"".join(out)
        files[chain["file"]].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        first, last = json.loads(out[0]), json.loads(out[-1])
        chain.update(first_hash=first["hash"], last_hash=last["hash"])
    manifest["files"] = list(files.values())
    write_resigned(members, manifest, signer, target)


def _findings(report) -> list[tuple[str, int | None, str]]:
    return [(p.chain, p.sequence, p.text("en")) for p in report.problems]


def test_a_ticket_altered_and_re_signed_by_the_till_s_own_key_no_longer_adds_up_to_its_closure(lite_shop, tmp_path):
    tickets = _history(lite_shop)
    signer = lite_shop.ctx.sealer.signer
    result = export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path)
    target = tickets["oct20"].id

    def lower_the_sale(record):
        payload = record["payload"]
        if record["chain"] == "T" and payload.get("ticket_id") == target:
            payload["payments"][0]["amount_cents"] -= 100
            return True
        return False

    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, signer, lower_the_sale)
    report = verify_archive(forged)
    assert not report.ok
    texts = [text for chain, _seq, text in _findings(report)]
    assert all(chain == "G" for chain, _seq, _text in _findings(report)), _findings(report)
    assert any("day closure 2026-10-20: payments" in text and "from the tickets" in text for text in texts), texts


def test_a_closure_total_altered_and_re_signed_is_named_against_its_tickets_and_its_month(lite_shop, tmp_path):
    _history(lite_shop)
    signer = lite_shop.ctx.sealer.signer
    result = export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path)

    def inflate_the_day(record):
        payload = record["payload"]
        if record["chain"] == "G" and payload["period"]["label"] == "2026-10-05":
            payload["sales_cents"] += 1000
            payload["grand_total_cents"] += 1000
            return True
        return False

    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, signer, inflate_the_day)
    texts = [text for _chain, _seq, text in _findings(verify_archive(forged))]
    assert any("day closure 2026-10-05: sales_cents is 1240 in the closure but 240 from the tickets" in text
               for text in texts), texts
    assert any("month closure 2026-10: sales_cents" in text and "from its day closures" in text
               for text in texts), texts


def test_an_archive_of_format_1_written_by_an_older_till_still_verifies():
    """``data/archive-format-1.zip``: November 2026 of a journal test shop, written by the
    exporter of format 1 (records chosen by sealing time, one run per chain)."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "archive-format-1.zip"
    assert _manifest(path)["format_version"] == 1
    report = verify_archive(path)
    assert report.ok, report.lines("en")
    assert report.counts == {(TILL, "T"): 2, (TILL, "L"): 1} and not report.partial


def test_a_record_whose_business_date_is_outside_the_period_is_named(lite_shop, tmp_path):
    tickets = _history(lite_shop)
    result = export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path)

    def move_to_november(record):
        if record["chain"] == "T" and record["payload"]["ticket_id"] == tickets["oct20"].id:
            record["payload"]["created_at"] = "2026-11-20T10:00:00Z"
            return True
        return False

    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, lite_shop.ctx.sealer.signer, move_to_november)
    findings = _findings(verify_archive(forged))
    assert ("T", 2, "chain T of till 01, record 2: records 2026-11-20 10:00:00 UTC, outside the period of the "
            "archive") in findings, findings


def test_a_day_with_every_kind_of_ticket_adds_up_in_the_archive_as_in_the_database(lite_shop, tmp_path):
    """Sales, a card sale, a return refunded as store credit, an exchange, a sale paid with the
    credit note and a training sale: the archive's sums are the closure's, figure for figure."""
    from tests.support.closures import busy_day

    busy_day(lite_shop, "2026-10-05")
    close_month(lite_shop.ctx.sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    report = verify_archive(export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path).path)
    assert report.ok, report.lines("en")
    assert report.counts[(TILL, "G")] == 2


def test_a_ticket_s_own_time_is_read_from_its_signed_text_as_from_its_parsed_payload():
    from till.fiscal.archive_period import business_time

    sealed = "2026-12-07T10:00:00Z"
    plain = '{"code":"T01-0000001","created_at":"2026-10-05T09:00:00.250000Z","customer":null}'
    nested = '{"a":{"created_at":"2026-01-01T00:00:00Z"},"code":"x","created_at":"2026-10-05T09:00:00Z"}'
    tricky = '{"code":"\\",\\"created_at\\":\\"2020-01-01T00:00:00Z","created_at":"2026-10-05T09:00:00Z"}'
    for text in (plain, nested, tricky):
        assert business_time("T", sealed, text) == business_time("T", sealed, json.loads(text))
    assert business_time("T", sealed, nested) == dt.datetime(2026, 10, 5, 9)
    assert business_time("L", sealed, plain) == dt.datetime(2026, 12, 7, 10)  # events: when sealed
