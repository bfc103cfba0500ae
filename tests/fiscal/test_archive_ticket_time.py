"""An archive checks a ticket's time as the journal does: a ticket is dated when it was signed
(``till.fiscal.clock.TICKET_TIME_SLACK``), unless a HISTORY_IMPORTED declaration covers it. The
archive carries every declaration that covers one of its tickets, even one sealed in another
period (``declarations/<till>.jsonl``), so an inspector with the archive alone sees a backdated
or postdated ticket, and a declared history verifies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import zipfile

from store.models import FiscalRecord
from till.fiscal.archive import export_archive
from till.fiscal.archive_verify import verify_archive
from till.fiscal.canonical import canonical_bytes
from till.fiscal.closures import close_day, close_month
from till.fiscal.imported_history import declare_history
from till.selling.ticket_writer import write_ticket
from tests.fiscal.test_archive_period import D, TILL, _findings, _forge, _history, _lines, _manifest
from tests.support.archive_forgery import write_resigned
from tests.support.closures import at
from tests.support.clock import sealing_at
from tests.support.shop import paid_draft

NOW = dt.datetime(2026, 12, 1, 10, 0)
"""When the test shop writes its past history (the till's clock, as the demo's build)."""


def test_a_ticket_backdated_and_re_signed_by_the_till_s_own_key_is_named_by_the_archive(lite_shop, tmp_path):
    tickets = _history(lite_shop)
    result = export_archive(lite_shop.ctx.sealer, "2026-10", tmp_path)

    def backdate(record):  # two hours earlier, the same business day: only its closure's last signature differs
        if record["chain"] == "T" and record["payload"]["ticket_id"] == tickets["oct20"].id:
            record["payload"]["created_at"] = "2026-10-20T08:00:00Z"
            return True
        return False

    forged = tmp_path / "forged.zip"
    _forge(result.path, forged, lite_shop.ctx.sealer.signer, backdate)
    findings = [finding for finding in _findings(verify_archive(forged)) if finding[0] != "G"]  # its new signature
    assert findings == [("T", 2, "chain T of till 01, record 2: ticket time 2026-10-20T08:00:00Z is not its signing "
                         "time 2026-10-20T10:00:00Z: a backdated or postdated ticket")], findings


def _declared_history(shop) -> int:
    """Two October sales written on 1 December, declared first in chain L, and October closed;
    returns the declaration's sequence in chain L."""
    sealer = shop.ctx.sealer
    with sealing_at(NOW):
        days = [at("2026-10-05", 9), at("2026-10-20", 10)]
        history = declare_history(sealer, count=2, earliest=days[0], latest=days[1], reason="tests: a past October")
        for when in days:
            draft = dataclasses.replace(paid_draft(shop, [("WIN", 1)], cash=1000), created_at=when)
            write_ticket(sealer, shop.config.accounts, draft, history=history)
            close_day(sealer, when.date(), now=when.replace(hour=20))
        close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    return FiscalRecord.get(FiscalRecord.kind == "HISTORY_IMPORTED").sequence


def _export(shop, tmp_path):
    with sealing_at(NOW):
        return export_archive(shop.ctx.sealer, "2026-10", tmp_path)


def test_an_archive_of_a_declared_history_carries_its_declaration_and_verifies(lite_shop, tmp_path):
    declared_at = _declared_history(lite_shop)
    result = _export(lite_shop, tmp_path)

    manifest = _manifest(result.path)
    assert manifest["declarations"] == [{"till_id": TILL, "file": f"declarations/{TILL}.jsonl",
                                         "sequences": [declared_at]}]
    declared = _lines(result.path, f"declarations/{TILL}.jsonl")
    assert [(r["chain"], r["sequence"], r["kind"]) for r in declared] == [("L", declared_at, "HISTORY_IMPORTED")]
    assert declared[0]["payload"]["details"]["first"] == 1 and declared[0]["payload"]["details"]["last"] == 2
    # sealed in December, the declaration is not one of October's records
    data = [c["file"] for c in manifest["chains"]]
    assert "HISTORY_IMPORTED" not in [r["kind"] for name in data for r in _lines(result.path, name)]
    report = verify_archive(result.path)
    assert report.ok, report.lines("en")
    assert report.counts[(TILL, "T")] == 2


def _rewrite(source, target, signer, name, change) -> None:
    """``source`` with member ``name`` changed, the manifest made to agree and re-signed with the
    till's own key, as an insider holding it could."""
    with zipfile.ZipFile(source) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    members[name] = data = change(members[name])
    manifest = json.loads(members["manifest.json"])
    for entry in manifest["files"]:
        if entry["name"] == name:
            entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    write_resigned(members, manifest, signer, target)


def test_an_altered_declaration_is_refused_and_covers_nothing(lite_shop, tmp_path):
    declared_at = _declared_history(lite_shop)
    result = _export(lite_shop, tmp_path)
    name = f"declarations/{TILL}.jsonl"

    def cover_one_ticket_only(data: bytes) -> bytes:  # the seal left as it was: it no longer holds
        record = json.loads(data)
        record["payload"]["details"]["last"] = 1
        return canonical_bytes(record) + b"\n"

    forged = tmp_path / "forged.zip"
    _rewrite(result.path, forged, lite_shop.ctx.sealer.signer, name, cover_one_ticket_only)
    findings = _findings(verify_archive(forged))
    assert ("L", declared_at, f"chain L of till 01, record {declared_at}: hash does not match the record's content "
            "(record altered)") in findings, findings
    assert [(chain, sequence) for chain, sequence, text in findings if "backdated" in text] == [("T", 1), ("T", 2)]
    assert all(chain in ("L", "T") for chain, _sequence, _text in findings), findings


def test_a_declaration_taken_out_of_the_archive_leaves_its_tickets_named(lite_shop, tmp_path):
    _declared_history(lite_shop)
    result = _export(lite_shop, tmp_path)

    forged = tmp_path / "forged.zip"
    _rewrite(result.path, forged, lite_shop.ctx.sealer.signer, f"declarations/{TILL}.jsonl", lambda data: b"")
    findings = _findings(verify_archive(forged))
    assert [(chain, sequence) for chain, sequence, _text in findings] == [("T", 1), ("T", 2)], findings
    assert "ticket time 2026-10-05T09:00:00Z is not its signing time 2026-12-01T10:00:00Z" in findings[0][2]


def test_an_archive_of_format_2_which_carries_no_declaration_still_verifies_and_warns():
    """``data/archive-format-2.zip``: October 2026 of the declared history above, written by the
    exporter of format 2 (no ``declarations``): it verifies as it was made, and names its
    tickets whose time is not their signing time as warnings."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "archive-format-2.zip"
    assert _manifest(path)["format_version"] == 2
    report = verify_archive(path)
    assert report.ok, report.lines("en")
    assert [(w.chain, w.sequence) for w in report.warnings] == [("T", 1), ("T", 2)]
    assert "a backdated or postdated ticket" in report.warnings[0].text("en")


def test_a_declaration_re_signed_by_the_till_s_own_key_differs_from_its_record_in_the_period(lite_shop, tmp_path):
    """A history declared and written on the day it is archived: the declaration is both one of
    the day's records of chain L and carried; a carried copy re-signed with another range is named."""
    from till.fiscal.canonical import canonical_json
    from till.fiscal.chain import message_bytes

    sealer, signer = lite_shop.ctx.sealer, lite_shop.ctx.sealer.signer
    earlier = NOW - dt.timedelta(hours=1)
    with sealing_at(NOW):
        history = declare_history(sealer, count=1, earliest=earlier, latest=earlier, reason="tests: this morning")
        draft = dataclasses.replace(paid_draft(lite_shop, [("WIN", 1)], cash=1000), created_at=earlier)
        write_ticket(sealer, lite_shop.config.accounts, draft, history=history)
        result = export_archive(sealer, "2026-12-01", tmp_path, partial=True)
    assert verify_archive(result.path).ok
    declared_at = FiscalRecord.get(FiscalRecord.kind == "HISTORY_IMPORTED").sequence

    def widen_and_re_sign(data: bytes) -> bytes:
        record = json.loads(data)
        record["payload"]["details"]["last"] = 99
        message = message_bytes(
            format_version=record["format_version"], till_id=record["till_id"], chain=record["chain"],
            sequence=record["sequence"], kind=record["kind"], created_at=record["created_at"],
            ticket_id=record["ticket_id"], payload=canonical_json(record["payload"]),
            previous_signature=record["previous_signature"])
        record.update(hash=hashlib.sha256(message).hexdigest(), signature=signer.sign(message))
        return canonical_bytes(record) + b"\n"

    forged = tmp_path / "forged.zip"
    _rewrite(result.path, forged, signer, f"declarations/{TILL}.jsonl", widen_and_re_sign)
    findings = _findings(verify_archive(forged))
    assert findings == [("L", declared_at, f"chain L of till 01, record {declared_at}: differs from the declaration "
                         "of imported history the archive carries for it")], findings
