"""Head office, seen from the till: when the journal last reached it, and whether it answers now.

The last successful ``till sync`` is read from the journal itself (each run seals a SYNC event
with its exit code), not from a file a copy could leave behind. Reachability is one signed
``GET /v1/heads``, the request every sync starts with, bounded by a short timeout: it proves the
address, the TLS certificate and that head office knows this till's key, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from store.models import FiscalRecord
from store.models.base import utcnow
from till.errors import TillError
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.keys import Signer
from till.i18n import N_
from till.shop.doctor.database import shop_database
from till.shop.doctor.findings import FAIL, OK, WARN, Finding
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable
from till.sync.push import SYNC

__all__ = ["head_office", "MESSAGES", "PROBE_TIMEOUT_S", "SYNC_LATE"]

NO_HEAD_OFFICE = N_("head office: none configured (no [sync] section)")
LAST_SYNC = N_("sync: last successful run {when} UTC")
SYNC_NEVER = N_("sync: no successful run yet: run till sync, and check its cron line or timer")
SYNC_OLD = N_("sync: last successful run {when} UTC, {days} days ago: check the cron line or timer and till.log")
REACHABLE = N_("head office {url}: answers and knows this till")
UNREACHABLE = N_("head office {url} cannot be reached: {reason} (the till keeps selling; check the network and the "
                 "address; the next sync catches up)")
TLS_REFUSED = N_("head office {url}: its certificate is not trusted ({reason}): set sync.ca_file to the CA that "
                 "signed it, or renew the certificate")
NOT_ENROLLED = N_("head office {url} does not know this till's key: enroll it (till sync --public-key, then "
                  "till-headoffice enroll)")
REFUSED = N_("head office {url} refused: {reason}")
NOT_CHECKED = N_("head office {url}: not asked, the signing key does not load")
MESSAGES = (NO_HEAD_OFFICE, LAST_SYNC, SYNC_NEVER, SYNC_OLD, REACHABLE, UNREACHABLE, TLS_REFUSED, NOT_ENROLLED,
            REFUSED, NOT_CHECKED)

PROBE_TIMEOUT_S = 5.0
SYNC_LATE = dt.timedelta(days=2)
"""A till synced by cron every few minutes or hours that has not for two days has a problem."""
RECENT_EVENTS = 500


def last_successful_sync(till_id: str) -> dt.datetime | None:
    """When the last ``till sync`` that ended with exit code 0 was sealed (among recent SYNC events)."""
    rows = (FiscalRecord.select(FiscalRecord.payload, FiscalRecord.created_at)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind == SYNC))
            .order_by(FiscalRecord.sequence.desc()).limit(RECENT_EVENTS).tuples())
    for payload, created_at in rows:
        try:
            details = json.loads(payload).get("details", {})
        except (ValueError, AttributeError):
            continue
        if details.get("result") == 0:
            return created_at if isinstance(created_at, dt.datetime) else dt.datetime.fromisoformat(str(created_at))
    return None


def head_office(config: Any, now: dt.datetime | None = None) -> Iterable[Finding]:
    settings = config.sync
    if settings is None or not settings.url:
        yield Finding(OK, NO_HEAD_OFFICE)
        return
    if shop_database(config) is not None:
        last = last_successful_sync(config.till.id)
        now = now or utcnow()
        if last is None:
            yield Finding(WARN, SYNC_NEVER)
        elif now - last > SYNC_LATE:
            yield Finding(WARN, SYNC_OLD, {"when": f"{last:%Y-%m-%d %H:%M}", "days": (now - last).days})
        else:
            yield Finding(OK, LAST_SYNC, {"when": f"{last:%Y-%m-%d %H:%M}"})
    yield reachable(config)


def reachable(config: Any) -> Finding:
    """One signed ``GET /v1/heads``: answered, refused (the key unknown), or not reached, and why."""
    settings = config.sync
    url = settings.url
    try:
        signer = Signer.load(config.resolve(config.till.key_file))
    except TillError:
        return Finding(WARN, NOT_CHECKED, {"url": url})
    try:
        client = HeadOfficeClient(url, config.till.id, signer, min(PROBE_TIMEOUT_S, settings.timeout_s),
                                  settings.ca_file)
    except (OSError, ValueError) as error:  # a CA file that cannot be read
        return Finding(FAIL, TLS_REFUSED, {"url": url, "reason": str(error) or type(error).__name__})
    try:
        client.request("GET", "/v1/heads")
    except HeadOfficeUnreachable as error:
        reason = str(error.params.get("reason", ""))
        if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
            return Finding(FAIL, TLS_REFUSED, {"url": url, "reason": reason})
        return Finding(WARN, UNREACHABLE, {"url": url, "reason": reason})
    except HeadOfficeAnswer as answer:
        if answer.status == 401 and answer.body.get("error") == "unknown_key":
            return Finding(FAIL, NOT_ENROLLED, {"url": url})
        return Finding(FAIL, REFUSED, {"url": url, "reason": str(answer)})
    finally:
        client.close()
    return Finding(OK, REACHABLE, {"url": url})
