"""``till restore``: a shop folder from a backup, proved first, and never selling on a fork."""

from __future__ import annotations

import stat

import pytest

from store.models import FiscalRecord
from till.backup.make import make_backup
from till.backup.restore import RESTORED_BEHIND, RestoredBehind, RestoreRefused, restore_backup
from till.config.loader import load
from till.fiscal.verify import verify_journal
from till.shop.ledgers import journal_checks
from till.shop.running import start_till
from tests.support.headoffice import HeadOffice, settings_for, write_sync_section
from tests.support.shop import open_shop, sell


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_restored_shop_verifies_and_sells(shop, tmp_path):
    sell(shop, [("BAG", 2), ("COF", 1)])
    backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="s3cret").path
    target = tmp_path / "new-card"
    report = restore_backup(backup, target, passphrase="s3cret", ask_headoffice=False, lang="en")
    assert not report.behind and report.key_restored
    assert not (target / RESTORED_BEHIND).exists()
    assert mode(target) == 0o700 and mode(target / "keys") == 0o700
    for name in ("till.db", "till.toml", "keys/till.pem"):
        assert mode(target / name) == 0o600, name
    config = load(target / "till.toml")
    assert config.database_url == f"sqlite:///{target / 'till.db'}"
    restored = open_shop(target)
    try:
        report = verify_journal(anchors=restored.ctx.sealer.anchors, checks=journal_checks(restored.ctx))
        assert report.ok, report.lines()
        before = FiscalRecord.select().where(FiscalRecord.chain == "T").count()
        sell(restored, [("WIN", 1)])
        assert FiscalRecord.select().where(FiscalRecord.chain == "T").count() == before + 1
        assert verify_journal(anchors=restored.ctx.sealer.anchors).ok
    finally:
        restored.ctx.close()


def test_refused_a_bad_file_a_folder_in_use_and_a_wrong_passphrase(shop, tmp_path):
    backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="s3cret").path
    bad = tmp_path / "bad.tar.gz"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(RestoreRefused):
        restore_backup(bad, tmp_path / "a", passphrase="s3cret", ask_headoffice=False, lang="en")
    assert not (tmp_path / "a").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "something").write_text("x")
    with pytest.raises(RestoreRefused, match="not empty"):
        restore_backup(backup, used, passphrase="s3cret", ask_headoffice=False, lang="en")
    installed = tmp_path / "installed"  # the program installed in the shop folder, as the README does it
    (installed / ".venv").mkdir(parents=True)
    (installed / "src").mkdir()
    assert restore_backup(backup, installed, passphrase="s3cret", ask_headoffice=False, lang="en").key_restored
    with pytest.raises(RestoreRefused, match="not empty"):  # a shop there now: never overwritten
        restore_backup(backup, installed, passphrase="s3cret", ask_headoffice=False, lang="en")
    with pytest.raises(RestoreRefused, match="passphrase"):
        restore_backup(backup, tmp_path / "b", passphrase="wrong", ask_headoffice=False, lang="en")
    with pytest.raises(RestoreRefused, match="passphrase"):
        restore_backup(backup, tmp_path / "c", ask_headoffice=False, lang="en")
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_without_the_key_the_technician_is_told_it_must_come_back(shop, tmp_path):
    backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb").path
    report = restore_backup(backup, tmp_path / "new", ask_headoffice=False, lang="en")
    assert not report.key_restored and not (tmp_path / "new" / "keys" / "till.pem").exists()
    assert any("no private key" in line and "keys/till.pem" in line for line in report.lines), report.lines


def test_anchors_ahead_of_the_backup_stop_the_restored_till(shop, tmp_path):
    backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw").path
    sell(shop, [("BAG", 1)])
    sell(shop, [("BAG", 1)])
    from till.fiscal.chain import flush_anchors

    flush_anchors(10)
    report = restore_backup(backup, tmp_path / "new", passphrase="pw", ask_headoffice=False,
                            anchors_dir=shop.config.resolve(shop.config.till.anchor_dir), lang="en")
    assert any("chain T" in reason and "2 record(s)" in reason for reason in report.behind)
    assert (tmp_path / "new" / RESTORED_BEHIND).exists()
    with pytest.raises(RestoredBehind) as refused:
        start_till(load(tmp_path / "new" / "till.toml"))
    assert "till restore --from-headoffice" in refused.value.text("en")


def test_a_backup_older_than_what_head_office_holds_never_sells(shop, tmp_path):
    from headoffice.cli import enroll
    from till.sync.push import EXIT_OK, run_sync

    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}").start()
    try:
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
        write_sync_section(shop.config.path, office.url, timeout_s=5.0)
        sell(shop, [("BAG", 1)])
        backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw").path
        sell(shop, [("COF", 1)])
        sell(shop, [("COF", 1)])
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
        report = restore_backup(backup, tmp_path / "new", passphrase="pw", lang="en")
    finally:
        office.stop()
    assert any("head office holds up to record" in reason and "BEHIND" in reason for reason in report.behind)
    assert any("MUST NOT SELL" in line and "till restore --from-headoffice" in line for line in report.lines)
    with pytest.raises(RestoredBehind) as refused:
        start_till(load(tmp_path / "new" / "till.toml"))
    text = refused.value.text("en")
    assert "head office" in text and "call the support" in text


def test_a_backup_head_office_agrees_with_may_sell(shop, tmp_path):
    from headoffice.cli import enroll
    from till.sync.push import EXIT_OK, run_sync

    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}").start()
    try:
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
        write_sync_section(shop.config.path, office.url, timeout_s=5.0)
        sell(shop, [("BAG", 1)])
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
        backup = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw").path
        report = restore_backup(backup, tmp_path / "new", passphrase="pw", lang="en")
    finally:
        office.stop()
    assert not report.behind, report.lines
    assert any("head office holds nothing the backup does not" in line for line in report.lines)


def test_a_backup_of_a_till_that_sold_on_an_older_backup_is_a_conflict(shop, tmp_path):
    from headoffice.cli import enroll
    from till.sync.push import EXIT_OK, run_sync

    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}").start()
    try:
        enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
        write_sync_section(shop.config.path, office.url, timeout_s=5.0)
        sell(shop, [("BAG", 1)])
        first = make_backup(shop.config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw").path
        sell(shop, [("COF", 1)])
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
        restore_backup(first, tmp_path / "x", passphrase="pw", lang="en")
        (tmp_path / "x" / RESTORED_BEHIND).unlink()  # someone ignored the warning and sold on it
        forked = open_shop(tmp_path / "x")
        try:
            sell(forked, [("WIN", 1)])  # T 2 again, another ticket
            second = make_backup(forked.config, forked.ctx.sealer, out=tmp_path / "usb2", passphrase="pw").path
        finally:
            forked.ctx.close()
        report = restore_backup(second, tmp_path / "y", passphrase="pw", lang="en")
    finally:
        office.stop()
    assert any("chain T: record 2 differs from the one head office holds (CONFLICT)" == reason
               for reason in report.behind), report.behind
    assert (tmp_path / "y" / RESTORED_BEHIND).exists()


def test_the_configuration_points_at_the_new_folder_and_keeps_the_rest():
    from till.backup.restore import adjusted_config

    text = ('# the shop\n[shop]\nname = "Le Port"\n\n[till]\nid = "02"\ndatabase = "sqlite:////srv/till/till.db"\n'
            'key_file = "/srv/till/keys/till.pem"  # the key\nlog_file = "till.log"\n\n[sync]\nurl = "https://ho"\n')
    adjusted = adjusted_config(text, "sqlite:///till.db")
    assert 'database = "sqlite:///till.db"' in adjusted and 'key_file = "keys/till.pem"' in adjusted
    assert 'anchor_dir = "anchors"' in adjusted.split("[sync]")[0].split("[till]")[1]
    assert '# the shop' in adjusted and 'name = "Le Port"' in adjusted and 'url = "https://ho"' in adjusted
    assert "/srv/till" not in adjusted
    assert 'database = "postgresql://u@h/db"' in adjusted_config('[shop]\nname = "x"\n', "postgresql://u@h/db")


def test_head_office_s_ca_file_comes_back_beside_the_configuration(shop, tmp_path):
    ca = tmp_path / "elsewhere" / "headoffice-ca.pem"
    ca.parent.mkdir()
    ca.write_text("-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n")
    config = write_sync_section(shop.config.path, "http://127.0.0.1:9", ca_file=str(ca))
    backup = make_backup(config, shop.ctx.sealer, out=tmp_path / "usb", passphrase="pw").path
    restore_backup(backup, tmp_path / "new", passphrase="pw", ask_headoffice=False, lang="en")
    restored = load(tmp_path / "new" / "till.toml")
    assert restored.sync.ca_file == str(tmp_path / "new" / "headoffice-ca.pem")
    assert (tmp_path / "new" / "headoffice-ca.pem").read_text() == ca.read_text()
    assert mode(tmp_path / "new" / "headoffice-ca.pem") == 0o600
