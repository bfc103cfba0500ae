"""Trust rooted outside the database (R-SEC-04): the journal admits its keys itself, from its root.

Each attack is the one an owner with root on the machine would try: a key of their own slipped
into ``signing_key`` to re-sign altered sales, a key file swapped before a start, a forged key
rotation. The key chain (``till.fiscal.key_chain``) refuses each, and its root's fingerprint is
what the paper and head office keep.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from store.models import ChainHead, FiscalRecord, Payment, SigningKey, Ticket, TicketVat
from till.config.loader import load
from till.fiscal.anchor import AnchorStore
from till.fiscal.chain import Sealer, current_database, flush_anchors, message_bytes
from till.fiscal.events import record_event
from till.fiscal.key_chain import (
    KeyFileMismatch, check_key_file, fingerprint, key_chain_of, normalise_fingerprint,
)
from till.fiscal.keys import Signer, register_public_key
from till.fiscal.payloads import payload_of, ticket_rows
from till.fiscal.canonical import canonical_json
from till.fiscal.verify import verify_journal
from till.shop.context import TillContext
from tests.support.journal import unprotect
from tests.support.processes import till
from tests.support.shop import sell

TILL = "01"


def _records(chain: str, since: int = 1) -> list[FiscalRecord]:
    return list(FiscalRecord.select().where((FiscalRecord.till_id == TILL) & (FiscalRecord.chain == chain)
                                            & (FiscalRecord.sequence >= since)).order_by(FiscalRecord.sequence))


def resign_from(chain: str, since: int, signer: Signer, anchors: AnchorStore) -> None:
    """Re-seal every record of ``chain`` from ``since`` with ``signer``: ticket payloads rebuilt
    from the (altered) rows, each linked to the one before, then the chain head and the tail
    anchor rewritten to match. Exactly what a forger with the database and the anchor folder does."""
    previous = _records(chain, since - 1)[0].signature if since > 1 else ""
    rows = ticket_rows([r.ticket_id for r in _records(chain, since) if r.ticket_id is not None])
    for record in _records(chain, since):
        payload = canonical_json(payload_of(rows[record.ticket_id])) if record.ticket_id in rows else record.payload
        message = message_bytes(format_version=record.format_version, till_id=record.till_id, chain=chain,
                                sequence=record.sequence, kind=record.kind, created_at=record.created_at,
                                ticket_id=record.ticket_id, payload=payload, previous_signature=previous)
        signature = signer.sign(message)
        FiscalRecord.update(payload=payload, previous_signature=previous, hash=hashlib.sha256(message).hexdigest(),
                            signature=signature, key_id=signer.key_id).where(FiscalRecord.id == record.id).execute()
        previous = signature
    last = _records(chain)[-1]
    ChainHead.update(sequence=last.sequence, signature=last.signature).where(
        (ChainHead.till_id == TILL) & (ChainHead.chain == chain)).execute()
    flush_anchors(10)
    anchors.write(TILL, chain, last.sequence, last.signature, last.hash)


def take_one_euro_off(ticket: Ticket) -> None:
    """1,00 € less on the sale: its total, its VAT row, its cash payment."""
    Ticket.update(total_cents=Ticket.total_cents - 100).where(Ticket.id == ticket.id).execute()
    vat = TicketVat.select().where(TicketVat.ticket == ticket.id).first()
    TicketVat.update(ttc_cents=vat.ttc_cents - 100).where(TicketVat.id == vat.id).execute()
    payment = Payment.select().where(Payment.ticket == ticket.id).first()
    Payment.update(amount_cents=payment.amount_cents - 100).where(Payment.id == payment.id).execute()


@pytest.fixture
def three_sales(lite_shop):
    sales = [sell(lite_shop, [("WIN", 1)], cash=1000) for _ in range(3)]
    flush_anchors(10)
    return lite_shop, sales


def _t_sequence(ticket: Ticket) -> int:
    return FiscalRecord.get((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T")).sequence


def test_sales_re_signed_with_a_key_slipped_into_the_table_are_refused(three_sales):
    shop, sales = three_sales
    config = str(shop.config.path)
    honest = till("--config", config, "journal", "verify")
    assert honest.returncode == 0, honest.stdout + honest.stderr
    root = fingerprint(shop.ctx.sealer.signer.key_id)

    unprotect(shop.ctx.database)
    take_one_euro_off(sales[1])
    intruder = Signer.create(shop.config.resolve("intruder.pem"))
    register_public_key(intruder, TILL)  # the table now holds it, as a real key would be
    since = _t_sequence(sales[1])
    resign_from("T", since, intruder, shop.ctx.sealer.anchors)

    forged = till("--config", config, "journal", "verify")
    assert forged.returncode == 1, forged.stdout + forged.stderr
    assert intruder.key_id in forged.stdout
    assert root in honest.stdout and root in forged.stdout  # the root each verdict was reached from
    report = verify_journal(anchors=shop.ctx.sealer.anchors, workers=0)
    assert [(p.chain, p.sequence, p.what) for p in report.problems if p.sequence is not None and p.chain == "T"] == [
        ("T", s, f"signed with key {intruder.key_id}, which the till's key chain does not admit")
        for s in range(since, since + 2)]
    # the rewritten anchor proves nothing either: refused (and sealed as a failure by the command)
    assert [p.chain for p in report.problems if p.sequence is None and "tail anchor" in p.what] == ["T"]


def test_journal_verify_checks_the_root_given(three_sales):
    shop, _ = three_sales
    config = str(shop.config.path)
    root = fingerprint(shop.ctx.sealer.signer.key_id)
    assert till("--config", config, "journal", "verify", "--root", root).returncode == 0
    wrong = till("--config", config, "journal", "verify", "--root", fingerprint("0" * 32))
    assert wrong.returncode == 1 and root in wrong.stdout
    report = verify_journal(anchors=shop.ctx.sealer.anchors, workers=0, roots=["0" * 32])
    assert [p.what for p in report.problems] == [
        f"the key chain of till {TILL} leads to root key {root}, not to the root given"]
    assert till("--config", config, "journal", "verify", "--root", "3F2A").returncode == 2


def test_a_forged_rotation_signed_by_the_intruder_admits_nothing(three_sales):
    shop, sales = three_sales
    unprotect(shop.ctx.database)
    intruder = Signer.create(shop.config.resolve("intruder.pem"))
    register_public_key(intruder, TILL)
    forger = Sealer(TILL, intruder, shop.ctx.sealer.anchors)
    with current_database().atomic():  # "rotated" to itself, signed by itself: not by the key it replaces
        record_event(forger, "KEY_ROTATED", "signing key replaced", details={
            "old_key_id": shop.ctx.sealer.signer.key_id, "new_key_id": intruder.key_id,
            "new_public_key": intruder.public_pem})
    chain = key_chain_of(TILL)
    assert [key.key_id for key in chain.keys] == [shop.ctx.sealer.signer.key_id]
    assert [p.what for p in chain.problems] == [
        f"key rotation not valid: it is not signed by the key it replaces ({shop.ctx.sealer.signer.key_id}); "
        "no later key is admitted"]
    assert not verify_journal(anchors=shop.ctx.sealer.anchors, workers=0).ok


def test_a_swapped_key_file_stops_the_till_and_registers_nothing(three_sales):
    shop, _ = three_sales
    key_file = shop.config.resolve(shop.config.till.key_file)
    real = shop.ctx.sealer.signer
    os.replace(key_file, key_file.with_name("kept.pem"))
    other = Signer.create(key_file)  # a new key where the till's was
    records = FiscalRecord.select().count()

    with pytest.raises(KeyFileMismatch) as refused:
        TillContext.open(load(shop.config.path))
    assert fingerprint(other.key_id) in refused.value.text("en")
    assert fingerprint(real.key_id) in refused.value.text("en")  # the key it expects
    ran = till("--config", str(shop.config.path), "journal", "verify")
    assert ran.returncode == 2
    assert fingerprint(other.key_id) in ran.stderr and fingerprint(real.key_id) in ran.stderr
    assert not SigningKey.select().where(SigningKey.key_id == other.key_id).exists()
    assert FiscalRecord.select().count() == records  # no event, nothing signed by it

    os.replace(key_file.with_name("kept.pem"), key_file)  # the technician puts the right file back
    TillContext.open(load(shop.config.path)).close()


def test_an_old_key_file_put_back_after_a_rotation_stops_the_till(three_sales):
    from till.fiscal.rotation import rotate_key  # deferred: the rotation under test here only

    shop, _ = three_sales
    key_file = shop.config.resolve(shop.config.till.key_file)
    old = shop.ctx.sealer.signer.key_id
    new = rotate_key(shop.ctx.sealer)
    check_key_file(new, TILL)  # the new file is the one expected
    retired = next(key_file.parent.glob(key_file.name + ".retired-*"))
    shutil.copy2(retired, key_file)
    with pytest.raises(KeyFileMismatch) as refused:
        TillContext.open(load(shop.config.path))
    assert "which the journal replaced" in refused.value.text("en")
    assert fingerprint(old) in refused.value.text("en") and fingerprint(new.key_id) in refused.value.text("en")


def test_a_replaced_key_signing_after_its_rotation_is_refused(three_sales):
    from till.fiscal.rotation import rotate_key  # deferred: the rotation under test here only

    shop, _ = three_sales
    old = shop.ctx.sealer.signer
    rotate_key(shop.ctx.sealer)
    assert verify_journal(anchors=shop.ctx.sealer.anchors, workers=0).ok
    stale = Sealer(TILL, old, shop.ctx.sealer.anchors)  # a copy of the old key kept somewhere
    with current_database().atomic():
        record_event(stale, "LOGIN", "after the rotation")
    report = verify_journal(anchors=shop.ctx.sealer.anchors, workers=0)
    login = FiscalRecord.select().where(FiscalRecord.kind == "LOGIN").order_by(FiscalRecord.id.desc()).first()
    assert [(p.chain, p.sequence) for p in report.problems] == [("L", login.sequence)]
    assert report.problems[0].what.startswith(f"signed with key {old.key_id} after")


def test_a_fresh_shop_roots_its_chain_in_its_first_key_and_init_prints_the_fingerprint(tmp_path):
    made = till("init", "--dir", str(tmp_path / "shop"))
    assert made.returncode == 0, made.stderr
    config = load(tmp_path / "shop" / "till.toml")
    key = Signer.load(config.resolve(config.till.key_file))
    assert f"Root key fingerprint: {fingerprint(key.key_id)}" in made.stdout
    again = till("init", "--dir", str(tmp_path / "shop"))
    assert f"Root key fingerprint: {fingerprint(key.key_id)}" in again.stdout  # the same root, kept
    ctx = TillContext.open(config)
    try:
        first = FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence).first()
        assert first.kind == "KEY_CREATED" and first.key_id == key.key_id
        assert key_chain_of(config.till.id).fingerprint == fingerprint(key.key_id)
    finally:
        ctx.close()


def test_a_fingerprint_is_read_however_it_is_typed():
    key_id = "3f2a9c01" * 4
    assert fingerprint(key_id) == "3F2A 9C01 3F2A 9C01 3F2A 9C01 3F2A 9C01"
    for typed in (fingerprint(key_id), key_id, fingerprint(key_id).replace(" ", "-").lower()):
        assert normalise_fingerprint(typed) == key_id
    with pytest.raises(ValueError):
        normalise_fingerprint("3F2A 9C01")


def test_every_z_report_prints_the_root_fingerprint(three_sales):
    import datetime as dt

    from reports.xz import z_report
    from till.fiscal.closures import close_day

    shop, _ = three_sales
    root = fingerprint(shop.ctx.sealer.signer.key_id)
    today = dt.datetime.now(dt.timezone.utc)
    made = close_day(shop.ctx.sealer, today.date(), now=today + dt.timedelta(days=1))
    for width in (None, 32, 60):
        lines = z_report(shop.config, made[-1], width=width)
        assert all(len(line) <= (width or shop.config.printer.width) for line in lines)
        text = "\n".join(line.strip() for line in lines)
        assert root in text or root in text.replace("\n", " "), text  # one line, or two where narrow


def test_the_archive_commands_check_the_root_given(three_sales, tmp_path):
    import datetime as dt

    shop, _ = three_sales
    config = str(shop.config.path)
    root = fingerprint(shop.ctx.sealer.signer.key_id)
    out = tmp_path / "month.zip"
    period = dt.datetime.now().strftime("%Y-%m")
    made = till("--config", config, "archive", "export", "--period", period, "--out", str(out),
                "--partial")  # this month is not over
    assert made.returncode == 0, made.stderr
    assert f"root key of till {TILL}: {root}" in made.stdout  # written in the manifest too
    checked = till("archive", "verify", str(out), "--root", root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert root in checked.stdout
    other = fingerprint("0" * 32)
    assert till("archive", "verify", str(out), "--root", other).returncode == 1
    assert till("journal", "verify", "--archive", str(out), "--root", other).returncode == 1
    assert till("journal", "verify", "--archive", str(out), "--root", root.replace(" ", "")).returncode == 0
    unsure = till("archive", "verify", str(out))
    assert unsure.returncode == 0 and root in unsure.stdout and "--root" in unsure.stdout
    assert till("archive", "verify", str(out), "--root", "12345").returncode == 2


def test_no_rotation_while_the_till_runs(three_sales):
    """The running till holds the old key: rotating under it would have it sign with a replaced key."""
    from till.cli.main import main
    from till.shop.running import running_till

    shop, _ = three_sales
    with running_till(shop.config):
        assert main(["--config", str(shop.config.path), "key", "rotate", "--manager", "manager", "--pin", "9999"]) == 2
    assert not FiscalRecord.select().where(FiscalRecord.kind == "KEY_ROTATED").exists()


def test_a_rotation_interrupted_before_its_file_moved_names_the_file_to_move(three_sales, monkeypatch):
    """The KEY_ROTATED is committed, then the program stops before the new key file is put in
    place: the next start refuses the old key and names the ``.new`` file that holds the right one."""
    from till.fiscal import rotation

    shop, _ = three_sales
    key_file = shop.config.resolve(shop.config.till.key_file)

    replace = os.replace

    def stop(source, target, *args, **kwargs):
        if str(source) == str(key_file):
            raise KeyboardInterrupt  # the power goes at the first move of a key file
        return replace(source, target, *args, **kwargs)  # the anchors' own atomic writes go on

    monkeypatch.setattr(rotation.os, "replace", stop)
    with pytest.raises(KeyboardInterrupt):
        rotation.rotate_key(shop.ctx.sealer)
    monkeypatch.undo()
    with pytest.raises(KeyFileMismatch) as refused:
        TillContext.open(load(shop.config.path))
    assert f"{key_file}.new" in refused.value.text("en")
    os.replace(f"{key_file}.new", key_file)  # what the technician does
    TillContext.open(load(shop.config.path)).close()
    assert verify_journal(anchors=shop.ctx.sealer.anchors, workers=0).ok


def test_the_public_key_for_enrolment_comes_with_the_root_fingerprint(three_sales):
    shop, _ = three_sales
    printed = till("--config", str(shop.config.path), "sync", "--public-key")
    assert printed.returncode == 0
    assert printed.stdout == shop.ctx.sealer.signer.public_pem  # the file stays a PEM file
    assert fingerprint(shop.ctx.sealer.signer.key_id) in printed.stderr
