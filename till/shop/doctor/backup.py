"""Backups, seen by ``till doctor``: whether they are configured, and how the last one went.

Read from the journal itself (BACKUP_MADE and BACKUP_FAILED events of chain L), not from the
backup folder, which may be a USB stick unplugged or a share not mounted right now: what counts
is that a verified backup was made recently.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from store.models import FiscalRecord
from store.models.base import utcnow
from till.backup.restore import RESTORED_BEHIND
from till.fiscal.backup_schedule import BACKUP_FAILED, BACKUP_MADE
from till.fiscal.events import EVENT_CHAIN
from till.i18n import N_
from till.shop.doctor.database import shop_database
from till.shop.doctor.findings import FAIL, OK, WARN, Finding

__all__ = ["last_backup", "MESSAGES", "BACKUP_LATE"]

NOT_CONFIGURED = N_("backup: none configured: set dir in the [backup] section of till.toml (a USB stick or a "
                    "network share), and the till-backup timer or cron line")
NEVER = N_("backup: none made yet: run till backup, and check the till-backup timer or cron line")
RECENT = N_("backup: last one {when} UTC ({file})")
OLD = N_("backup: last one {when} UTC, more than a day ago: check the till-backup timer or cron line, and the "
         "backup folder")
FAILED = N_("backup: the last attempt failed ({when} UTC: {error}): check the backup folder (mounted, space left), "
            "then till backup")
BEHIND = N_("restore: this till was restored from a backup behind its anchors or head office ({file}): it does not "
            "start; rebuild it from head office (till restore --from-headoffice, in a new folder) or call the support")
MESSAGES = (NOT_CONFIGURED, NEVER, RECENT, OLD, FAILED, BEHIND)

BACKUP_LATE = dt.timedelta(days=1)
RECENT_EVENTS = 2000


def _when(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def last_backup(config: Any, now: dt.datetime | None = None) -> Iterable[Finding]:
    """WARN when no backup folder is set, none was made, the last is older than a day, or the last attempt failed;
    FAIL when a restore left the till unable to start (``till.backup.restore``)."""
    marker = config.resolve(RESTORED_BEHIND)
    if marker.exists():
        yield Finding(FAIL, BEHIND, {"file": str(marker)})
    if not config.backup.configured:
        yield Finding(WARN, NOT_CONFIGURED)
        return
    if shop_database(config) is None:
        return
    rows = (FiscalRecord.select(FiscalRecord.kind, FiscalRecord.payload, FiscalRecord.created_at)
            .where((FiscalRecord.till_id == config.till.id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind.in_([BACKUP_MADE, BACKUP_FAILED])))
            .order_by(FiscalRecord.sequence.desc()).limit(RECENT_EVENTS).tuples())
    latest = next(iter(rows), None)
    if latest is None:
        yield Finding(WARN, NEVER)
        return
    kind, payload, created_at = latest
    when = _when(created_at)
    details = json.loads(payload).get("details") or {}
    stamp = f"{when:%Y-%m-%d %H:%M}"
    if kind == BACKUP_FAILED:
        yield Finding(WARN, FAILED, {"when": stamp, "error": str(details.get("error", ""))[:120]})
    elif (now or utcnow()) - when > BACKUP_LATE:
        yield Finding(WARN, OLD, {"when": stamp})
    else:
        yield Finding(OK, RECENT, {"when": stamp, "file": details.get("file", "")})
