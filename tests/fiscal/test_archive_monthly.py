"""Monthly archives made by themselves: a month's closure queues its archive in the durable
outbox, in the closure's transaction; the outbox writes it after commit into ``[till]
archive_dir``, records it in chain A, and never writes or records it twice."""

from __future__ import annotations

import datetime as dt
import json
import stat

from store.models import FiscalRecord, OutboxJob
from store.models.outbox import DONE, PENDING
from till.aftersale.jobs import run_outbox
from till.fiscal.archive_schedule import EXPORT_MONTH_ARCHIVE
from till.fiscal.archive_verify import verify_archive
from till.fiscal.closures import close_day, close_month
from tests.support.closures import at, sale

D = dt.date.fromisoformat


def _archives(shop):
    return FiscalRecord.select().where(FiscalRecord.chain == "A").order_by(FiscalRecord.sequence)


def test_a_month_closure_queues_its_archive_which_the_outbox_writes_after_commit(till_shop):
    lite_shop = till_shop  # both engines
    sealer = lite_shop.ctx.sealer
    sale(lite_shop, at("2026-10-05", 9), [("BAG", 2)])
    close_day(sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    assert not OutboxJob.select().where(OutboxJob.kind == EXPORT_MONTH_ARCHIVE).exists()  # days queue nothing

    close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    job = OutboxJob.get(OutboxJob.kind == EXPORT_MONTH_ARCHIVE)
    assert (job.status, json.loads(job.payload)) == (PENDING, {"period": "2026-10"})
    assert list(_archives(lite_shop)) == []  # not made inside the closure

    run_outbox(lite_shop.config, sealer)
    folder = lite_shop.config.resolve(lite_shop.config.till.archive_dir)
    path = folder / "till-archive-01-2026-10.zip"
    assert OutboxJob.get_by_id(job.id).status == DONE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [record] = _archives(lite_shop)
    payload = json.loads(record.payload)
    assert (payload["file"], payload["period"]["label"], payload["period"]["complete"]) == (
        path.name, "2026-10", True)
    report = verify_archive(path)
    assert report.ok and not report.partial, report.lines("en")


def test_a_job_run_again_after_its_archive_was_made_writes_and_records_nothing_more(lite_shop):
    """A crash after the archive is sealed but before the job is marked done: the job runs again."""
    sealer = lite_shop.ctx.sealer
    sale(lite_shop, at("2026-10-05", 9), [("BAG", 2)])
    close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    run_outbox(lite_shop.config, sealer)
    job = OutboxJob.get(OutboxJob.kind == EXPORT_MONTH_ARCHIVE)
    OutboxJob.update(status=PENDING).where(OutboxJob.id == job.id).execute()  # as if the run had died

    run_outbox(lite_shop.config, sealer)
    folder = lite_shop.config.resolve(lite_shop.config.till.archive_dir)
    assert OutboxJob.get_by_id(job.id).status == DONE
    assert [p.name for p in folder.iterdir()] == ["till-archive-01-2026-10.zip"]
    assert len(list(_archives(lite_shop))) == 1


def test_an_archive_that_cannot_be_written_is_a_technical_event_and_is_retried(lite_shop):
    """``archive_dir`` names a file, not a folder: the archive fails, says so in chain L (once,
    not at every retry), and stays queued."""
    from till.fiscal.archive_schedule import ARCHIVE_FAILED

    sealer = lite_shop.ctx.sealer
    sale(lite_shop, at("2026-10-05", 9), [("BAG", 2)])
    close_month(sealer, D("2026-10-01"), now=at("2026-11-02", 8))
    lite_shop.config.resolve(lite_shop.config.till.archive_dir).write_text("not a folder")

    run_outbox(lite_shop.config, sealer)
    job = OutboxJob.get(OutboxJob.kind == EXPORT_MONTH_ARCHIVE)
    assert (job.status, job.attempts) == (PENDING, 1)
    [event] = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == ARCHIVE_FAILED))
    details = json.loads(event.payload)["details"]
    assert (details["period"], details["attempts"]) == ("2026-10", 1)
    assert list(_archives(lite_shop)) == []
