"""The outbox job that writes a closed month's archive (``till.fiscal.archive_schedule``).

It runs after commit with the till's sealer, writes ``till-archive-<till>-<month>.zip`` into
``[till] archive_dir`` (a private folder, 0700; the file is 0600 like every archive) and seals it
in chain A as a manual export is. Run twice (a crash after the archive was sealed but before the
job was marked done), it finds its archive recorded and does nothing more; a file left by a
crash before the seal is kept aside and a new one, ``...-2.zip``, written and recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typing import Iterable

from store.models import FiscalRecord, OutboxJob
from store.models.outbox import DONE, FAILED
from till.aftersale.outbox import Handler
from till.config.loader import Config
from till.fiscal.archive_schedule import ARCHIVE_FAILED, EXPORT_MONTH_ARCHIVE
from till.fiscal.events import record_event

__all__ = ["archive_folder", "archive_handlers", "report_archive_failures", "shop_identity"]


def shop_identity(config: Config) -> dict[str, str]:
    """What an archive's manifest says of the shop."""
    shop = config.shop
    return {"name": shop.name, "address": shop.address, "siret": shop.siret, "vat_number": shop.vat_number}


def archive_folder(config: Config) -> Path:
    """``[till] archive_dir``, made private (0700) if it does not exist yet."""
    folder = config.resolve(config.till.archive_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _recorded(till_id: str, name: str) -> bool:
    """Whether chain A of ``till_id`` already records an archive written as ``name``."""
    from till.fiscal.archive import ARCHIVE_CHAIN, ARCHIVE_KIND  # deferred: as in export_month (fast start)

    needle = json.dumps(name)
    rows = (FiscalRecord.select(FiscalRecord.payload)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == ARCHIVE_CHAIN)
                   & (FiscalRecord.kind == ARCHIVE_KIND) & FiscalRecord.payload.contains(f'"file":{needle}')))
    return any(json.loads(payload).get("file") == name for (payload,) in rows.tuples())


def archive_handlers(config: Config, sealer: Any) -> dict[str, Handler]:
    """The handler of ``EXPORT_MONTH_ARCHIVE`` for this till's outbox run."""

    def export_month(payload: dict) -> None:
        # The archive writer (and its verifier) runs once a month; imported with the outbox it
        # added a tenth of a second to every start of the till.
        from till.fiscal.archive import (  # deferred: the archive writer, once a month (fast start)
            default_archive_name, export_archive, parse_period,
        )

        period = parse_period(str(payload["period"]), sealer.zone)
        folder = archive_folder(config)
        name = default_archive_name(sealer.till_id, period)
        target, copy = folder / name, 1
        while target.exists():
            if _recorded(sealer.till_id, target.name):
                return  # made and sealed by an earlier run of this job
            copy += 1
            target = folder / f"{Path(name).stem}-{copy}.zip"
        export_archive(sealer, period, target, shop=shop_identity(config))

    return {EXPORT_MONTH_ARCHIVE: export_month}


def report_archive_failures(sealer: Any, ran: Iterable[OutboxJob]) -> int:
    """An ARCHIVE_FAILED event (chain L) for each monthly archive of this run that failed for the
    first time or was given up; the outbox retries the others with a growing delay."""
    count = 0
    for job in ran:
        if job.kind == EXPORT_MONTH_ARCHIVE and job.status != DONE and (job.attempts == 1 or job.status == FAILED):
            period = json.loads(job.payload).get("period")
            record_event(sealer, ARCHIVE_FAILED, "a monthly fiscal archive failed" if job.status != FAILED else
                         "a monthly fiscal archive was given up",
                         details={"job": job.id, "period": period, "attempts": job.attempts,
                                  "error": (job.last_error or "")[:120]})
            count += 1
    return count
