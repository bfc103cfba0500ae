"""``till backup``: a consistent, compressed, private, checked copy of a selling till."""

from __future__ import annotations

import json
import stat
import tarfile
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from store.models import FiscalRecord
from till.backup.backup_format import MANIFEST, PRIVATE_KEY_MEMBER, SQLITE_MEMBER, Manifest, sha256_file
from till.backup.check import check_backup, opened_backup
from till.backup.make import make_backup
from till.fiscal.backup_schedule import BACKUP_MADE
from tests.support.shop import sell


def members(path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {info.name: archive.extractfile(info).read() for info in archive if info.isfile()}


def test_a_backup_is_private_compressed_named_by_time_and_its_manifest_checks_each_member(shop, tmp_path):
    sell(shop, [("BAG", 2)])
    result = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb")
    assert result.path.parent == tmp_path / "usb"
    assert result.path.name.startswith("till-01-") and result.path.name.endswith("Z.tar.gz")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "usb").stat().st_mode) == 0o700
    assert result.path.read_bytes()[:2] == b"\x1f\x8b"  # gzip
    content = members(result.path)
    manifest = Manifest.from_bytes(content[MANIFEST])
    assert manifest.till_id == "01" and manifest.engine == "sqlite" and not manifest.with_key
    assert set(manifest.members) == set(content) - {MANIFEST}
    assert {"config/till.toml", SQLITE_MEMBER, "keys/public/key-chain.json"} <= set(content)
    assert any(name.startswith("anchors/anchor-01-") for name in content)
    for name, digest in manifest.members.items():
        import hashlib
        assert hashlib.sha256(content[name]).hexdigest() == digest
    tail = FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence.desc()).first()
    assert manifest.heads["T"] == {"sequence": tail.sequence, "hash": tail.hash}
    assert check_backup(result.path) == []


def test_no_private_key_without_with_key_and_with_it_only_the_passphrase_opens_it(shop, tmp_path):
    plain = make_backup(shop.config, shop.ctx.sealer, out=tmp_path)
    assert not any("till.pem" in name and "public" not in name for name in members(plain.path))
    assert b"PRIVATE KEY" not in b"".join(members(plain.path).values())
    keyed = make_backup(shop.config, shop.ctx.sealer, out=tmp_path, passphrase="correct horse")
    pem = members(keyed.path)[PRIVATE_KEY_MEMBER]
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises((ValueError, TypeError)):
        serialization.load_pem_private_key(pem, password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, password=b"wrong horse")
    key = serialization.load_pem_private_key(pem, password=b"correct horse")
    assert key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                                         ).decode() == shop.ctx.sealer.signer.public_pem
    assert Manifest.from_bytes(members(keyed.path)[MANIFEST]).with_key


def test_each_backup_is_sealed_with_its_file_checksum_size_heads_and_key(shop, tmp_path):
    result = make_backup(shop.config, shop.ctx.sealer, out=tmp_path)
    record = (FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == BACKUP_MADE))
              .order_by(FiscalRecord.sequence.desc()).first())
    details = json.loads(record.payload)["details"]
    assert details["file"] == result.path.name
    assert details["sha256"] == sha256_file(result.path) and details["size"] == result.path.stat().st_size
    assert details["heads"] == result.manifest.heads and details["with_key"] is False


def test_a_backup_taken_while_another_thread_sells_holds_whole_tickets_and_verifies(shop, tmp_path):
    sell(shop, [("BAG", 1)])
    stop = threading.Event()
    sold: list[int] = []
    errors: list[BaseException] = []

    def keep_selling() -> None:
        try:
            while not stop.is_set():
                sold.append(sell(shop, [("COF", 1), ("WIN", 1)]).id)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    seller = threading.Thread(target=keep_selling)
    seller.start()
    try:
        while len(sold) < 3:
            threading.Event().wait(0.01)
        results = [make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", rotate=False) for _ in range(2)]
    finally:
        stop.set()
        seller.join()
    assert not errors
    for result in results:
        assert check_backup(result.path) == []
        with opened_backup(result.path) as opened:
            import sqlite3
            copy = sqlite3.connect(opened.member(SQLITE_MEMBER))
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # whole tickets only: each ticket has its two lines, its payment and its seal
            assert copy.execute("SELECT COUNT(*) FROM ticket t WHERE (SELECT COUNT(*) FROM ticket_line l "
                                "WHERE l.ticket_id = t.id) = 0").fetchone()[0] == 0
            tickets = copy.execute("SELECT COUNT(*) FROM ticket").fetchone()[0]
            sealed = copy.execute("SELECT COUNT(*) FROM fiscal_record WHERE chain = 'T'").fetchone()[0]
            assert tickets == sealed
            copy.close()


def _rewrite(source, target, change) -> None:
    """A copy of the backup ``source`` with ``change(name, data) -> data`` applied to each member."""
    content = members(source)
    with tarfile.open(target, "w:gz") as archive:
        import io
        for name, data in content.items():
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_flipped_byte_or_a_checksum_mismatch_is_refused(shop, tmp_path):
    sell(shop, [("BAG", 1)])
    good = make_backup(shop.config, shop.ctx.sealer, out=tmp_path).path

    def flip(name, data):
        if name != SQLITE_MEMBER:
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]

    _rewrite(good, tmp_path / "flipped.tar.gz", flip)
    problems = check_backup(tmp_path / "flipped.tar.gz")
    assert problems and "somme de contrôle" in problems[0] and SQLITE_MEMBER in problems[0]  # the shop speaks French

    sealed = FiscalRecord.select().where(FiscalRecord.chain == "T").first().hash.encode()
    altered = sealed[:10] + (b"0" if sealed[10:11] != b"0" else b"1") + sealed[11:]

    def edit(data):  # one character of a sealed record's hash, inside the database file
        assert data.count(sealed) == 1
        return data.replace(sealed, altered)

    def lie(name, data):  # the record edited, and the manifest made to agree: the journal check catches it
        if name == SQLITE_MEMBER:
            return edit(data)
        if name == MANIFEST:
            manifest = json.loads(data)
            import hashlib
            manifest["members"][SQLITE_MEMBER] = hashlib.sha256(edit(members(good)[SQLITE_MEMBER])).hexdigest()
            return json.dumps(manifest).encode()
        return data

    _rewrite(good, tmp_path / "lying.tar.gz", lie)
    assert check_backup(tmp_path / "lying.tar.gz")

    (tmp_path / "garbage.tar.gz").write_bytes(b"not a backup")
    assert check_backup(tmp_path / "garbage.tar.gz")
