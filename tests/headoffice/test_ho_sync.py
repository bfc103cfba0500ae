"""``till sync`` against a real head office on loopback (uvicorn, PostgreSQL or SQLite).

Each fault the issue names is played for real: a connection cut in the middle of a batch, head
office restarted mid-sync, the same batch sent twice, a tampered record, a till clock ahead or
behind, a till restored from an older backup. After each, head office holds every record the
till sealed exactly once, and ``verify_all`` finds nothing wrong; a refusal raises an alert.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time

import pytest
from tests.support.headoffice import CuttingProxy, settings_for, alerts
from tests.support.shop import sell

from headoffice.verify import verify_all
from headoffice.store import Alert, Record, proxy
from store.models import FiscalRecord
from till.sync import push as sync_module
from till.sync.push import (EXIT_LOCKED, EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, run_sync, sync_lock)
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient


def _sell(shop, count: int) -> None:
    for index in range(count):
        sell(shop, [("BAG", 1 + index % 3), ("COF", 1)])


def _local(shop) -> dict[tuple[str, int], str]:
    return {(r.chain, r.sequence): r.signature for r in FiscalRecord.select().where(
        FiscalRecord.till_id == shop.ctx.till_id)}


def _held(shop) -> dict[tuple[str, int], str]:
    with proxy.obj.connection_context():
        return {(c, s): sig for c, s, sig in Record.select(Record.chain, Record.sequence, Record.signature)
                .where(Record.till_id == shop.ctx.till_id).tuples()}


def _assert_all_held(shop) -> None:
    """Everything the till sealed is at head office, once, identical (but the last SYNC event,
    sealed after the push), and every held chain verifies."""
    local, held = _local(shop), _held(shop)
    top_l = max(s for c, s in local if c == "L")
    assert {k: v for k, v in local.items() if k != ("L", top_l)} == held
    with proxy.obj.connection_context():
        assert verify_all() == []


def test_push_everything_then_only_what_is_new(shop, headoffice):
    _sell(shop, 7)
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_OK, result.message
    assert result.pushed["T"] == 7
    _assert_all_held(shop)
    _sell(shop, 2)
    again = run_sync(shop.ctx, settings_for(headoffice.url))
    assert again.exit_code == EXIT_OK, again.message
    assert again.pushed["T"] == 2 and again.pushed["L"] >= 1  # the previous run's SYNC event
    _assert_all_held(shop)
    last = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence.desc()).get()
    assert last.kind == "SYNC" and '"result":0' in last.payload


def test_dry_run_pushes_nothing_and_seals_nothing(shop, headoffice):
    _sell(shop, 3)
    before = FiscalRecord.select().count()
    result = run_sync(shop.ctx, settings_for(headoffice.url), dry_run=True)
    assert result.exit_code == EXIT_OK
    assert result.pending["T"] == 3
    assert FiscalRecord.select().count() == before and _held(shop) == {}


def test_same_batch_sent_twice_is_accepted_once(shop, headoffice):
    _sell(shop, 3)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    body = {"till_id": shop.ctx.till_id, "chain": "T", "records": records, "last": True}
    first = client.request("POST", "/v1/records", body)
    second = client.request("POST", "/v1/records", body)
    assert (first["accepted"], first["duplicates"]) == (3, 0)
    assert (second["accepted"], second["duplicates"]) == (0, 3)
    assert len([k for k in _held(shop) if k[0] == "T"]) == 3
    assert alerts() == []


def test_connection_cut_in_the_middle_of_a_batch(shop, headoffice):
    _sell(shop, 12)
    cutter = CuttingProxy(headoffice.port, cut_after=9000)  # inside the second or third batch
    try:
        result = run_sync(shop.ctx, settings_for(cutter.url, batch_size=4))
    finally:
        cutter.close()
    assert cutter.cuts == 1
    assert result.exit_code == EXIT_OK, result.message
    _assert_all_held(shop)


def test_head_office_restarted_mid_sync(shop, headoffice, monkeypatch):
    _sell(shop, 12)
    real_read, calls = sync_module._read, []

    def read_then_restart(*args):
        calls.append(args)
        if len(calls) == 2:  # after the first batch was acknowledged
            headoffice.stop()
            threading.Timer(0.5, headoffice.start).start()
        return real_read(*args)

    monkeypatch.setattr(sync_module, "_read", read_then_restart)
    result = run_sync(shop.ctx, settings_for(headoffice.url, batch_size=4, attempts=20, pause_s=0.2))
    assert result.exit_code == EXIT_OK, result.message
    _assert_all_held(shop)


def test_tampered_record_is_refused_and_raised(shop, headoffice):
    _sell(shop, 3)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    records[1]["payload"] = records[1]["payload"].replace('"total_cents":', '"total_cents":1', 1)
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert refused.value.status == 422 and refused.value.body["error"] == "TAMPERED"
    assert refused.value.body["sequence"] == 2
    assert _held(shop) == {} and alerts() == ["TAMPERED"]
    # the hash recomputed to match does not help: the signature no longer verifies
    import hashlib
    from till.fiscal.chain import message_bytes
    fields = {k: records[1][k] for k in ("format_version", "till_id", "chain", "sequence", "kind", "created_at",
                                         "ticket_id", "payload", "previous_signature")}
    records[1]["hash"] = hashlib.sha256(message_bytes(**fields)).hexdigest()
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert "signature" in refused.value.body["message"]
    # the honest chain still goes through
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    _assert_all_held(shop)


def test_a_different_record_at_a_known_sequence_is_refused(shop, headoffice):
    _sell(shop, 2)
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    records[0]["signature"] = shop.ctx.sealer.signer.sign(b"something else")
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert refused.value.status == 409 and refused.value.body["error"] == "CONFLICT"
    assert alerts() == ["CONFLICT"]


@pytest.mark.parametrize("skew_s", [3600, -7200], ids=["ahead", "behind"])
def test_till_clock_ahead_or_behind(shop, headoffice, monkeypatch, skew_s):
    _sell(shop, 3)
    import till.sync.client as client_module

    real_time = time.time
    monkeypatch.setattr(client_module.time, "time", lambda: real_time() + skew_s)
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    monkeypatch.setattr(client_module.time, "time", real_time)
    assert result.exit_code == EXIT_OK, result.message
    _assert_all_held(shop)


def test_stale_or_unsigned_requests_are_refused(shop, headoffice):
    import http.client
    import json
    from till.sync.protocol import request_message

    conn = http.client.HTTPConnection("127.0.0.1", headoffice.port)
    conn.request("GET", "/v1/heads")
    response = conn.getresponse()
    assert response.status == 401 and json.loads(response.read())["error"] == "unsigned"
    signer, till_id = shop.ctx.sealer.signer, shop.ctx.till_id
    stamp = int(time.time()) - 3600
    conn.request("GET", "/v1/heads", headers={
        "X-Till-Id": till_id, "X-Till-Key-Id": signer.key_id, "X-Till-Timestamp": str(stamp),
        "X-Till-Signature": signer.sign(request_message("GET", "/v1/heads", b"", stamp, till_id, signer.key_id))})
    response = conn.getresponse()
    assert response.status == 401 and json.loads(response.read())["error"] == "stale"
    from till.fiscal.keys import Signer
    from cryptography.hazmat.primitives.asymmetric import ec
    stranger = Signer(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(HeadOfficeAnswer) as refused:
        HeadOfficeClient(headoffice.url, till_id, stranger).request("GET", "/v1/heads")
    assert refused.value.status == 401 and refused.value.body["error"] == "unknown_key"


def _backup(shop, target):
    """The database and the tail anchors, as a backup of the till's machine holds them (a
    database restored alone is a cut the till's own anchors refuse: tests/fiscal/test_anchor_trust.py)."""
    from till.fiscal.chain import flush_anchors

    source = sqlite3.connect(shop.ctx.database.database)
    copy = sqlite3.connect(target)
    source.backup(copy)
    copy.close()
    source.close()
    assert flush_anchors(10)
    shutil.copytree(shop.ctx.sealer.anchors.folder, str(target) + ".anchors")


def _restore(shop, backup):
    shop.ctx.database.close()
    path = shop.ctx.database.database
    for suffix in ("-wal", "-shm"):
        shutil.rmtree(path + suffix, ignore_errors=True)
        import os
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copyfile(backup, path)
    from till.fiscal.chain import flush_anchors

    assert flush_anchors(10)  # no confirmation still being written in the folder replaced
    shutil.rmtree(shop.ctx.sealer.anchors.folder)
    shutil.copytree(str(backup) + ".anchors", shop.ctx.sealer.anchors.folder)
    shop.ctx.database.connect()
    shop.ctx.sealer._heads.clear()


def test_till_restored_from_an_older_backup_that_sold_again(shop, headoffice, tmp_path):
    _sell(shop, 3)
    _backup(shop, tmp_path / "backup.db")
    _sell(shop, 3)
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    held_before = _held(shop)
    _restore(shop, tmp_path / "backup.db")
    _sell(shop, 4)  # T 4..7 again, but other tickets: the chain forks from head office's
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_REFUSED, result.message
    assert "CONFLICT" in alerts()
    assert _held(shop) == held_before  # nothing of the fork merged
    from headoffice.cli import main as ho_main

    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    assert ho_main(["--config", str(config), "alerts", "--acknowledge"]) == 1
    assert ho_main(["--config", str(config), "alerts"]) == 0


def test_till_restored_from_an_older_backup_is_behind(shop, headoffice, tmp_path):
    _sell(shop, 2)
    _backup(shop, tmp_path / "backup.db")
    _sell(shop, 2)
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    _restore(shop, tmp_path / "backup.db")
    result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_REFUSED, result.message
    assert "BEHIND" in alerts()


def test_a_second_run_finds_the_lock(shop, headoffice):
    with sync_lock(shop.ctx.config.path.parent / "sync.lock"):
        result = run_sync(shop.ctx, settings_for(headoffice.url))
    assert result.exit_code == EXIT_LOCKED


def test_unreachable_head_office_is_a_sealed_event(shop):
    from tests.support.net import free_port

    result = run_sync(shop.ctx, settings_for(f"http://127.0.0.1:{free_port()}", attempts=2))
    assert result.exit_code == EXIT_UNREACHABLE
    last = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence.desc()).get()
    assert last.kind == "SYNC" and '"result":3' in last.payload


def test_gap_and_broken_link_are_refused(shop, headoffice):
    _sell(shop, 4)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    with pytest.raises(HeadOfficeAnswer) as refused:  # starts at 2: record 1 missing
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records[1:]})
    assert refused.value.body["error"] == "GAP"
    with pytest.raises(HeadOfficeAnswer) as refused:  # 1, 3, 4: not consecutive
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T",
                                               "records": [records[0]] + records[2:]})
    assert refused.value.body["error"] == "MALFORMED"
    forged = dict(records[1], previous_signature=records[0]["signature"][:-2] + "AA")
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T",
                                               "records": [records[0], forged]})
    assert refused.value.body["error"] == "LINK"
    with pytest.raises(HeadOfficeAnswer) as refused:  # another till's records under this till's signature
        client.request("POST", "/v1/records", {"till_id": "99", "chain": "T", "records": records})
    assert refused.value.status == 422
    assert _held(shop) == {} and alerts() == ["GAP", "LINK"]


def test_verify_finds_a_record_altered_in_head_office_database(shop, headoffice):
    _sell(shop, 3)
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    with proxy.obj.connection_context():
        Record.update(payload=Record.payload.concat(" ")).where(
            (Record.chain == "T") & (Record.sequence == 2)).execute()
        problems = verify_all()
    assert [(chain, sequence) for _till, chain, sequence, _p in problems] == [("T", 2)]


def test_sync_over_tls_with_the_shops_ca_file(shop, tmp_path):
    from headoffice.cli import enroll
    from tests.support.headoffice import HeadOffice
    from tests.support.net import self_signed

    cert, key = map(str, self_signed(tmp_path, names=()))
    office = HeadOffice(f"sqlite:///{tmp_path / 'ho-tls.db'}", tls=(cert, key)).start()
    try:
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
        _sell(shop, 2)
        untrusted = run_sync(shop.ctx, settings_for(office.url, attempts=1))
        assert untrusted.exit_code == EXIT_UNREACHABLE  # an unknown certificate is never trusted
        result = run_sync(shop.ctx, settings_for(office.url, ca_file=cert))
        assert result.exit_code == EXIT_OK, result.message
        assert result.pushed["T"] == 2
    finally:
        office.stop()


def test_payloads_with_tabs_newlines_backslashes_and_quotes_are_held_exactly(shop, headoffice):
    from till.fiscal.events import record_event

    record_event(shop.ctx.sealer, "NOTE", "tab\there back\\slash new\nline \r end", details={"q": 'say "hi" \\N'})
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    mine = FiscalRecord.get((FiscalRecord.chain == "L") & (FiscalRecord.kind == "NOTE"))
    with proxy.obj.connection_context():
        held = Record.get((Record.chain == "L") & (Record.sequence == mine.sequence))
        assert verify_all() == []
    assert (held.payload, held.signature) == (mine.payload, mine.signature)


def test_batches_travel_as_ascii_and_letters_beyond_it_are_held_exactly(shop, headoffice, monkeypatch):
    """The records' JSON goes as ASCII (cheaper to write for the till, the same JSON once read):
    an accented letter, a euro sign and a character beyond the BMP come back exactly, so what
    head office holds still verifies."""
    from till.fiscal.events import record_event

    bodies: list[bytes] = []
    send = HeadOfficeClient._send

    def spy(client, method, path, body):
        bodies.append(body)
        return send(client, method, path, body)

    monkeypatch.setattr(HeadOfficeClient, "_send", spy)
    record_event(shop.ctx.sealer, "NOTE", "Hélène paie 12 € 🥖", details={"q": "crème brûlée ŒUF"})
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    assert any(b"H\\u00e9l\\u00e8ne" in body for body in bodies)  # the note went, escaped
    assert all(body.isascii() for body in bodies)
    mine = FiscalRecord.get((FiscalRecord.chain == "L") & (FiscalRecord.kind == "NOTE"))
    with proxy.obj.connection_context():
        held = Record.get((Record.chain == "L") & (Record.sequence == mine.sequence))
        assert verify_all() == []
    assert (held.payload, held.signature) == (mine.payload, mine.signature)


def test_a_held_record_sent_again_with_an_altered_payload_is_refused_and_raised(shop, headoffice):
    _sell(shop, 2)
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    held = _held(shop)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    # the same sequence, hash and signature, over another payload
    records[1]["payload"] = records[1]["payload"].replace('"total_cents":', '"total_cents":1', 1)
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert (refused.value.status, refused.value.body["error"], refused.value.body["sequence"]) == (409, "CONFLICT", 2)
    assert "another content" in refused.value.body["message"]
    assert alerts() == ["CONFLICT"] and _held(shop) == held
    with proxy.obj.connection_context():
        assert Record.get((Record.chain == "T") & (Record.sequence == 2)).payload != records[1]["payload"]


@pytest.mark.parametrize("field, value, alert_sequence", [
    ("sequence", 2**40, None), ("sequence", -3, -3), ("sequence", 2**64, None), ("ticket_id", 2**63, 1),
    ("format_version", -2**40, 1)])
def test_out_of_range_numbers_are_a_400_and_their_alert_is_kept(shop, headoffice, field, value, alert_sequence):
    import json

    _sell(shop, 2)
    client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
    records = sync_module._read(shop.ctx.till_id, "T", 1, 10)
    for index, record in enumerate(records):
        record[field] = value + index if field == "sequence" else value
    with pytest.raises(HeadOfficeAnswer) as refused:
        client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": records})
    assert (refused.value.status, refused.value.body["error"]) == (400, "OUT_OF_RANGE")
    assert field in refused.value.body["message"] and str(value) in refused.value.body["message"]
    with proxy.obj.connection_context():
        alerts = list(Alert.select())
    assert [(a.code, a.till_id, a.chain, a.sequence) for a in alerts] == [
        ("OUT_OF_RANGE", shop.ctx.till_id, "T", alert_sequence)]
    if alert_sequence is None:  # no column holds it: the alert keeps it in its details
        assert json.loads(alerts[0].details)["sent_sequence"] == str(value)
    assert _held(shop) == {}
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK  # the honest chain still goes
    _assert_all_held(shop)
