"""``till doctor`` says whether backups are configured, and the age and result of the last one."""

from __future__ import annotations

import datetime as dt

from store.models.base import utcnow
from till.backup.job import record_backup_failure
from till.backup.make import make_backup
from till.config.loader import load
from till.shop import doctor
from till.shop.doctor import backup


def set_backup_dir(shop, folder):
    path = shop.config.path
    text = path.read_text(encoding="utf-8")
    assert text.count('\ndir = ""') == 1  # the example's [backup] section
    path.write_text(text.replace('\ndir = ""', f'\ndir = "{folder}"'), encoding="utf-8")
    return load(path)


def test_no_backup_configured_warns(shop):
    [found] = doctor.run_checks(load(shop.config.path), [backup.last_backup])
    assert found.status == doctor.WARN and found.message == backup.NOT_CONFIGURED


def test_none_made_recent_old_and_failed(shop, tmp_path):
    config = set_backup_dir(shop, tmp_path / "usb")
    [found] = doctor.run_checks(config, [backup.last_backup])
    assert (found.status, found.message) == (doctor.WARN, backup.NEVER)
    made = make_backup(config, shop.ctx.sealer)
    [found] = doctor.run_checks(config, [backup.last_backup])
    assert (found.status, found.message) == (doctor.OK, backup.RECENT) and made.path.name in found.text("en")
    later = utcnow() + dt.timedelta(days=1, hours=1)
    with doctor.database.session():
        [found] = list(backup.last_backup(config, now=later))
    assert (found.status, found.message) == (doctor.WARN, backup.OLD)
    record_backup_failure(shop.ctx.sealer, "command", "No space left on device")
    [found] = doctor.run_checks(config, [backup.last_backup])
    assert (found.status, found.message) == (doctor.WARN, backup.FAILED) and "No space left" in found.text("en")


def test_a_till_restored_behind_fails(shop):
    shop.config.resolve("RESTORED_BEHIND").write_text("{}")
    found = doctor.run_checks(load(shop.config.path), [backup.last_backup])
    assert [f.status for f in found if f.message == backup.BEHIND] == [doctor.FAIL]
    assert "till restore --from-headoffice" in found[0].text("en")
