"""Tail anchors that cannot be faked or lost quietly (till.fiscal.anchor_check).

A forged, unsigned, altered, missing or stale anchor and a tail cut of any length are
failures, sealed in chain L, that stop the till until a manager or technician acknowledges them;
a transaction that never committed is resolved at the next start, sealed too. The kill test
(a real process killed between the commit and the anchor's confirmation) is at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from store.models import ChainHead, FiscalRecord, Payment, Ticket, TicketLine, TicketVat
from till.fiscal import Signer, record_event
from till.fiscal.anchor import AnchorStore
from till.fiscal.anchor_check import (
    ANCHOR_ACKNOWLEDGED, ANCHOR_CHECK_FAILED, ANCHOR_INTENT_UNCOMMITTED, ANCHORS_SIGNED, CLOSURE, START,
    AnchorCheckFailed, acknowledge, chain_tails, check_anchors, require_anchors, seal_anchors_signed,
)
from till.fiscal.chain import AnchorMismatch, flush_anchors
from till.fiscal.events import LOGIN

TILL = "01"
ROOT = Path(__file__).resolve().parents[2]


def _events(kind: str | None = None) -> list[FiscalRecord]:
    query = FiscalRecord.select().where(FiscalRecord.chain == "L")
    if kind:
        query = query.where(FiscalRecord.kind == kind)
    return list(query.order_by(FiscalRecord.sequence))


def _sales(shop, count: int) -> None:
    for _ in range(count):
        shop.sale()
    flush_anchors()


def _problems(shop) -> list[tuple[str, int | None, str]]:
    return [(p.chain, p.sequence, p.what) for p in check_anchors(shop.anchors, [TILL]).problems]


def _cut(shop, chain: str, count: int) -> None:
    """Delete the last ``count`` records of ``chain`` and move its head back, as an attacker
    with the database would: the shorter chain verifies on its own."""
    shop.unprotect()
    records = list(FiscalRecord.select().where(FiscalRecord.chain == chain).order_by(FiscalRecord.sequence))
    kept = records[:-count]
    FiscalRecord.delete().where(FiscalRecord.id.in_([r.id for r in records[-count:]])).execute()
    tickets = [r.ticket_id for r in records[-count:] if r.ticket_id is not None]
    for model in (Payment, TicketVat, TicketLine):  # and the sales they sealed
        model.delete().where(model.ticket.in_(tickets)).execute()
    Ticket.delete().where(Ticket.id.in_(tickets)).execute()
    ChainHead.update(sequence=kept[-1].sequence if kept else 0, signature=kept[-1].signature if kept else "").where(
        ChainHead.chain == chain).execute()


def test_the_anchors_of_a_sound_journal_pass_and_are_signed(sqlite_shop):
    _sales(sqlite_shop, 3)
    anchor = sqlite_shop.anchors.read(TILL, "T")
    assert (anchor.state, anchor.sequence, anchor.key_id) == ("confirmed", 3, sqlite_shop.signer.key_id)
    findings = require_anchors(sqlite_shop.sealer, CLOSURE)
    assert findings.ok and not findings.warnings


def test_a_forged_anchor_is_a_failure(sqlite_shop):
    _sales(sqlite_shop, 3)
    intruder = Signer.create(sqlite_shop.tmp_path / "intruder.pem")
    last = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    sqlite_shop.anchors.write(TILL, "T", 3, last.signature, last.hash, signer=intruder)
    assert _problems(sqlite_shop) == [
        ("T", None, f"the tail anchor is signed with key {intruder.key_id}, which the journal does not admit")]
    assert not sqlite_shop.verify().ok


def test_an_unsigned_anchor_is_a_failure(sqlite_shop):
    _sales(sqlite_shop, 3)
    seal_anchors_signed(sqlite_shop.sealer)  # as `till init` seals it for a new till
    last = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    sqlite_shop.anchors.write(TILL, "T", 3, last.signature, last.hash)  # as an earlier version wrote them
    assert _problems(sqlite_shop) == [("T", None, "the tail anchor is not signed")]


def _as_an_earlier_version_left_them(shop) -> None:
    """Every anchor rewritten unsigned at its chain's tail, and no ANCHORS_SIGNED: a shop that ran
    a version before signed anchors."""
    for chain, (sequence, signature, hash_) in chain_tails(TILL).items():
        shop.anchors.write(TILL, chain, sequence, signature, hash_)
    assert not _events(ANCHORS_SIGNED)


def test_a_shop_upgraded_from_unsigned_anchors_has_them_signed_at_its_first_start(sqlite_shop):
    _sales(sqlite_shop, 3)
    _as_an_earlier_version_left_them(sqlite_shop)
    chains = sorted(chain_tails(TILL))
    found = check_anchors(sqlite_shop.anchors, [TILL])
    assert found.ok and sorted(a.chain for a in found.earlier_version) == chains

    require_anchors(sqlite_shop.sealer, START)  # the first start of this version

    [signed] = _events(ANCHORS_SIGNED)
    assert sorted(a["chain"] for a in json.loads(signed.payload)["details"]["earlier_anchors"]) == chains
    flush_anchors()
    assert all(anchor.seal and anchor.key_id for anchor in sqlite_shop.anchors.all())
    assert sqlite_shop.verify().ok
    # from now on an unsigned anchor is a failure, as on a new till
    last = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    sqlite_shop.anchors.write(TILL, "T", last.sequence, last.signature, last.hash)
    assert _problems(sqlite_shop) == [("T", None, "the tail anchor is not signed")]


def test_an_earlier_versions_anchor_ahead_of_the_chain_is_a_cut_not_an_upgrade(sqlite_shop):
    _sales(sqlite_shop, 3)
    _as_an_earlier_version_left_them(sqlite_shop)
    _cut(sqlite_shop, "T", 1)  # the anchor, unsigned, still names the record cut
    assert _problems(sqlite_shop) == [("T", None, "the tail anchor is not signed")]
    with pytest.raises(AnchorCheckFailed):
        require_anchors(sqlite_shop.sealer, START)
    assert not _events(ANCHORS_SIGNED)


def test_an_altered_anchor_is_a_failure(sqlite_shop):
    _sales(sqlite_shop, 3)
    path = sqlite_shop.anchors.path(TILL, "T")
    data = json.loads(path.read_text())
    data["sequence"] = 2  # the seal no longer matches
    path.write_text(json.dumps(data))
    assert _problems(sqlite_shop) == [("T", None, "the tail anchor's signature is not valid (anchor altered or forged)")]


def test_a_missing_anchor_is_a_failure_not_a_warning(sqlite_shop):
    _sales(sqlite_shop, 2)
    sqlite_shop.anchors.path(TILL, "T").unlink()
    assert _problems(sqlite_shop) == [("T", None, "the chain has no tail anchor")]
    report = sqlite_shop.verify()
    assert not report.ok


def test_an_emptied_anchor_folder_is_a_failure_for_the_folder_s_till(sqlite_shop):
    _sales(sqlite_shop, 2)
    record_event(sqlite_shop.sealer, LOGIN, "login")
    flush_anchors()
    shutil.rmtree(sqlite_shop.anchors.folder)
    mine = AnchorStore(sqlite_shop.anchors.folder, TILL)  # as the till opens it (TillContext)
    assert sorted(p.chain for p in check_anchors(mine).problems) == ["L", "T"]
    assert not sqlite_shop.verify(anchors=mine).ok


def test_a_stale_anchor_put_back_is_a_failure(sqlite_shop):
    _sales(sqlite_shop, 2)
    path = sqlite_shop.anchors.path(TILL, "T")
    old = path.read_bytes()  # a genuine, signed anchor of record 2
    _sales(sqlite_shop, 3)
    path.write_bytes(old)
    assert _problems(sqlite_shop) == [
        ("T", 3, "records after 2 are not covered by the tail anchor (it is behind the chain)")]


@pytest.mark.parametrize("count", [1, 10])
def test_a_tail_cut_of_any_length_is_found_sealed_and_stops_the_till(sqlite_shop, count):
    _sales(sqlite_shop, 12)
    _cut(sqlite_shop, "T", count)
    assert sqlite_shop.verify(anchors=None).ok  # without its anchor the shorter chain looks whole
    first = 12 - count + 1
    assert _problems(sqlite_shop) == [
        ("T", first, f"records from {first} on are missing: the tail anchor names record 12")]
    with pytest.raises(AnchorCheckFailed, match="records from"):
        require_anchors(sqlite_shop.sealer, START)
    failure = _events(ANCHOR_CHECK_FAILED)[-1]
    details = json.loads(failure.payload)["details"]
    assert details["where"] == START and any(a["chain"] == "T" and a["sequence"] == 12 for a in details["anchors"])
    with pytest.raises(AnchorMismatch):  # and nothing is sealed on the cut chain
        sqlite_shop.sale()
    assert FiscalRecord.select().where(FiscalRecord.chain == "T").count() == 12 - count


def test_a_cut_chain_l_is_found_although_the_failure_event_is_sealed_in_it(sqlite_shop):
    for index in range(6):
        record_event(sqlite_shop.sealer, LOGIN, f"login {index}")
    flush_anchors()
    _cut(sqlite_shop, "L", 3)
    with pytest.raises(AnchorCheckFailed):
        require_anchors(sqlite_shop.sealer, START)
    flush_anchors()
    # The event replaced chain L's anchor, and keeps the till stopped until acknowledged.
    assert [p.what for p in check_anchors(sqlite_shop.anchors, [TILL]).unacknowledged] == [
        "an anchor failure is sealed here and not acknowledged yet (till journal acknowledge-anchor)"]
    with pytest.raises(AnchorCheckFailed, match="not acknowledged"):
        require_anchors(sqlite_shop.sealer, START)
    assert len(_events(ANCHOR_CHECK_FAILED)) == 1  # a known failure is not sealed again


def test_an_acknowledged_loss_lets_the_till_go_on(sqlite_shop):
    _sales(sqlite_shop, 5)
    _cut(sqlite_shop, "T", 2)
    with pytest.raises(AnchorCheckFailed):
        require_anchors(sqlite_shop.sealer, START)
    acknowledge(sqlite_shop.sealer, sqlite_shop.user.id, "power cut, tickets 4 and 5 found on paper")
    event = _events(ANCHOR_ACKNOWLEDGED)[-1]
    details = json.loads(event.payload)["details"]
    assert details["note"] == "power cut, tickets 4 and 5 found on paper"
    assert json.loads(event.payload)["user_id"] == sqlite_shop.user.id
    assert require_anchors(sqlite_shop.sealer, START).ok
    sqlite_shop.sale()
    assert sqlite_shop.verify().ok


def test_an_intent_that_never_committed_is_sealed_at_the_next_start(sqlite_shop):
    _sales(sqlite_shop, 2)
    with pytest.raises(ZeroDivisionError):
        with sqlite_shop.database.atomic():
            sqlite_shop.sale()  # its transaction joins this one, which rolls back
            1 / 0
    findings = check_anchors(sqlite_shop.anchors, [TILL])
    assert findings.ok and [(w.chain, w.sequence) for w in findings.warnings] == [("T", 3)]
    announced = sqlite_shop.anchors.read(TILL, "T")
    require_anchors(sqlite_shop.sealer, START)
    event = _events(ANCHOR_INTENT_UNCOMMITTED)[-1]
    assert json.loads(event.payload)["details"] == {
        "chain": "T", "sequence": 3, "signature": announced.signature, "hash": announced.hash, "base_sequence": 2}
    anchor = sqlite_shop.anchors.read(TILL, "T")
    assert (anchor.state, anchor.sequence) == ("confirmed", 2)
    assert not check_anchors(sqlite_shop.anchors, [TILL]).warnings


# --- A real process killed between the commit and the anchor's confirmation -------------------

_KILLED = """
import os, signal, sys
from store import db
from till.fiscal import AnchorStore, Sealer, Signer, record_event
from till.fiscal.chain import flush_anchors

db.open(sys.argv[1])
sealer = Sealer("01", Signer.load(sys.argv[2]), AnchorStore(sys.argv[3], "01"))
for index in range(12):
    record_event(sealer, "LOGIN", f"login {index}")
    flush_anchors()
# The 13th commits, then the process dies before the anchor is confirmed.
Sealer._write_anchor = lambda self, database, chain: os.kill(os.getpid(), signal.SIGKILL)
record_event(sealer, "LOGIN", "the last one")
print("not killed")
"""


@pytest.mark.parametrize("count", [0, 1, 10])
def test_a_kill_between_commit_and_anchor_then_a_cut(sqlite_url, tmp_path, count):
    from store import db

    key = tmp_path / "keys" / "till.pem"
    Signer.create(key)
    anchors = tmp_path / "anchors"
    result = subprocess.run([sys.executable, "-c", _KILLED, sqlite_url, str(key), str(anchors)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    database = db.open(sqlite_url)
    try:
        from till.fiscal import Sealer

        store = AnchorStore(anchors, TILL)
        sealer = Sealer(TILL, Signer.load(key), store)
        last = _events()[-1]
        anchor = store.read(TILL, "L")
        assert (last.sequence, anchor.state, anchor.sequence, anchor.signature) == (13, "intent", 13, last.signature)
        if count:
            from tests.support.journal import unprotect

            unprotect(database)
            gone = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.sequence > 13 - count))
            FiscalRecord.delete().where(FiscalRecord.id.in_([r.id for r in gone])).execute()
        if count == 0:  # the stop alone: the start confirms the anchor
            require_anchors(sealer, START)
            assert store.read(TILL, "L").state == "confirmed"
        elif count == 1:
            # Exactly the record the kill left unconfirmed: it looks like a commit that never
            # happened, and the start says so in a sealed event naming its signature.
            require_anchors(sealer, START)
            event = _events(ANCHOR_INTENT_UNCOMMITTED)[-1]
            assert json.loads(event.payload)["details"]["signature"] == last.signature
        else:
            with pytest.raises(AnchorCheckFailed, match="records from 4 on are missing"):
                require_anchors(sealer, START)
            assert _events(ANCHOR_CHECK_FAILED)
    finally:
        database.close()
    assert os.path.exists(anchors)


def test_no_closure_and_no_archive_on_a_cut_chain(sqlite_shop, tmp_path):
    from till.fiscal.archive import export_archive
    from till.fiscal.closures import close_day

    _sales(sqlite_shop, 3)
    _cut(sqlite_shop, "T", 1)
    with pytest.raises(AnchorCheckFailed):
        close_day(sqlite_shop.sealer)
    assert not FiscalRecord.select().where(FiscalRecord.chain == "G").exists()
    with pytest.raises(AnchorCheckFailed):
        export_archive(sqlite_shop.sealer, "2026-11", tmp_path)
    assert not FiscalRecord.select().where(FiscalRecord.chain == "A").exists()
    assert [json.loads(e.payload)["details"]["where"] for e in _events(ANCHOR_CHECK_FAILED)] == ["closure", "export"]


def test_a_sale_committing_during_a_check_is_not_taken_for_a_cut(sqlite_shop, monkeypatch):
    import threading

    import till.fiscal.anchor_check as anchor_check

    _sales(sqlite_shop, 2)
    real, sellers = anchor_check._folder_anchors, []

    def read_then_let_a_sale_through(store, findings):
        anchors = real(store, findings)  # anchor T: confirmed record 2
        seller = threading.Thread(target=sqlite_shop.sale)
        seller.start()
        sellers.append(seller)
        seller.join(1.0)  # were the folder not locked, record 3 would commit here, before the tails are read
        return anchors

    monkeypatch.setattr(anchor_check, "_folder_anchors", read_then_let_a_sale_through)
    findings = check_anchors(sqlite_shop.anchors, [TILL])
    sellers[0].join(10)
    assert findings.problems == []
    assert FiscalRecord.select().where(FiscalRecord.chain == "T").count() == 3


def test_a_till_made_by_init_signs_its_anchors_from_its_first_record(tmp_path):
    """``till init`` seals ANCHORS_SIGNED: an unsigned anchor on a new till is never taken for an
    earlier version's, even on its very last record."""
    from till.shop.context import TillContext
    from till.shop.setup import init_shop

    made = init_shop(tmp_path / "shop", till_id="07")
    ctx = TillContext.open(made.config)
    try:
        kinds = [r.kind for r in FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence)]
        assert kinds[:2] == ["KEY_CREATED", ANCHORS_SIGNED]
        sequence, signature, hash_ = chain_tails("07")["L"]
        ctx.sealer.anchors.write("07", "L", sequence, signature, hash_)  # unsigned, on the last record
        assert [p.what for p in check_anchors(ctx.sealer.anchors, ["07"]).problems] == ["the tail anchor is not signed"]
    finally:
        ctx.close()
