"""A backup made by itself after each daily closure, through the outbox; a failure is sealed."""

from __future__ import annotations

import dataclasses
import json

from store.models import FiscalRecord, OutboxJob
from till.aftersale.jobs import run_outbox_jobs
from till.config.backup import BackupSettings
from till.fiscal.backup_schedule import BACKUP_FAILED, BACKUP_MADE, MAKE_BACKUP
from till.fiscal.closures import close_day
from tests.support.shop import sell


def events(code: str) -> list[dict]:
    rows = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == code))
    return [json.loads(row.payload)["details"] for row in rows.order_by(FiscalRecord.sequence)]


def with_backup(shop, folder):
    config = dataclasses.replace(shop.config, backup=BackupSettings(dir=str(folder)))
    shop.ctx.sealer.backup_after_closure = True  # as TillContext.open sets it from [backup] dir
    return config


def test_a_daily_closure_queues_a_backup_that_the_outbox_makes(shop, tmp_path):
    config = with_backup(shop, tmp_path / "usb")
    sell(shop, [("BAG", 1)])
    close_day(shop.ctx.sealer)
    assert OutboxJob.select().where(OutboxJob.kind == MAKE_BACKUP).count() == 1
    assert not (tmp_path / "usb").exists()  # never inside the closure
    run_outbox_jobs(config, shop.ctx.sealer)
    made = list((tmp_path / "usb").glob("till-01-*.tar.gz"))
    assert len(made) == 1
    assert events(BACKUP_MADE)[-1]["file"] == made[0].name
    assert events(BACKUP_MADE)[-1]["last_day_closed"] is not None


def test_no_backup_is_queued_without_a_backup_folder(shop):
    sell(shop, [("BAG", 1)])
    close_day(shop.ctx.sealer)
    assert OutboxJob.select().where(OutboxJob.kind == MAKE_BACKUP).count() == 0


def test_a_backup_that_fails_is_sealed_as_backup_failed(shop, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    config = with_backup(shop, blocked)
    sell(shop, [("BAG", 1)])
    close_day(shop.ctx.sealer)
    run_outbox_jobs(config, shop.ctx.sealer)
    failed = events(BACKUP_FAILED)
    assert len(failed) == 1 and failed[0]["where"] == "closure" and failed[0]["error"]
    assert not events(BACKUP_MADE)
