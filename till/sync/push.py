"""``till sync``: push the fiscal chains to head office, then pull what it serves. Made for cron.

- **One run at a time**: an exclusive ``fcntl`` lock on ``sync.lock`` beside the configuration;
  a second run finds it held and exits at once (``LOCKED``), so a slow sync never overlaps the
  next cron tick. The kernel drops the lock if the process dies: no stale lock to clean.
- **Push**: for each chain of this till (L first, so a KEY_ROTATED event enrols the new key
  before records it signed arrive), from what head office acknowledges (``GET /v1/heads``), in
  batches of consecutive records. The first batch of a chain starts *at* the held head, so head
  office compares that record with its own: a till restored from an older backup, whose chain no
  longer matches, is refused and raised there, never merged. A cut connection or a restarted
  head office is survived by asking the heads again and going on from there: head office
  commits a batch whole or not at all, and a re-sent record is accepted once.
- **Pull** (only after a full push): the catalogue document (kept in ``catalogue.json``),
  online orders (imported with ``till.returns.online_orders.import_orders``, idempotent) and the
  credit notes this till issued are registered company-wide.
- **Journal**: every run but ``--dry-run`` seals a SYNC technical event in chain L with what it
  did and how it ended (pushed at the next run).

Exit codes (``EXIT_*``): 0 done; 1 head office refused (conflict, tampering, till behind: a
person must look); 2 usage or configuration; 3 head office unreachable (cron tries again);
4 another run holds the lock.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from peewee import fn

from store.models import FiscalRecord
from till.config.sync import SyncSettings  # re-exported: read from till.toml's [sync] by till.config.loader
from till.errors import TillError
from till.file_lock import exclusive
from till.fiscal.chain import iso_utc
from till.fiscal.events import record_event
from till.fiscal.rotation import retired_signers
from till.i18n import N_
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient, HeadOfficeUnreachable, SyncError
from till.sync.protocol import HEADS, RECORDS
from till.sync.pull import pull

__all__ = ["SyncSettings", "SyncResult", "SyncError", "SyncLocked", "SyncRefused", "SyncConfigError", "run_sync",
           "sync_lock", "push_chains", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE",
           "EXIT_UNREACHABLE", "EXIT_LOCKED", "SYNC"]

log = logging.getLogger("till.sync.push")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_LOCKED = 0, 1, 2, 3, 4
SYNC = "SYNC"
"""The technical event code of a sync run."""

_CHAIN_ORDER = "LTGCAX"


class SyncLocked(SyncError):
    """Another ``till sync`` holds the lock."""


class SyncRefused(SyncError):
    """Head office refused a batch: a conflict, a tampered record or a till behind it."""


class SyncConfigError(SyncError):
    """The sync settings are missing or wrong."""


@contextmanager
def sync_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` exclusively for the run, or raise ``SyncLocked`` at once."""
    with exclusive(path, lambda: SyncLocked(N_("Another till sync is running (lock {file})"), file=str(path))):
        yield


@dataclass
class SyncResult:
    exit_code: int = EXIT_OK
    pushed: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    """With ``--dry-run``: records per chain a real run would push."""
    orders_imported: int = 0
    catalogue_version: int | None = None
    catalogue_refused: str = ""
    """Why head office's catalogue was not applied (kept in catalogue.json), if it was not."""
    notes_registered: int = 0
    offline_credit_sent: int = 0
    message: str = ""


# --- push ---------------------------------------------------------------------------------------

_COLUMNS = (FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence, FiscalRecord.kind,
            FiscalRecord.created_at, FiscalRecord.ticket_id, FiscalRecord.format_version, FiscalRecord.payload,
            FiscalRecord.previous_signature, FiscalRecord.hash, FiscalRecord.signature, FiscalRecord.key_id)
_NAMES = ("till_id", "chain", "sequence", "kind", "created_at", "ticket_id", "format_version", "payload",
          "previous_signature", "hash", "signature", "key_id")


def _local_tops(till_id: str) -> dict[str, int]:
    rows = (FiscalRecord.select(FiscalRecord.chain, fn.MAX(FiscalRecord.sequence))
            .where(FiscalRecord.till_id == till_id).group_by(FiscalRecord.chain).tuples())
    tops = dict(rows)
    return {c: tops[c] for c in sorted(tops, key=lambda c: (_CHAIN_ORDER.find(c) % 99, c))}


def _read(till_id: str, chain: str, first: int, count: int) -> list[dict[str, Any]]:
    """Up to ``count`` records of ``chain`` from ``first``, as the request sends them.

    The rows come from the bare cursor: peewee's per-field conversion (``created_at`` parsed
    into a ``datetime`` only to be written back as text) was half the cost of reading a batch,
    and ``iso_utc`` takes either what SQLite stores or PostgreSQL's ``datetime``.
    """
    query = (FiscalRecord.select(*_COLUMNS)
             .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                    & (FiscalRecord.sequence >= first))
             .order_by(FiscalRecord.sequence).limit(count))
    out = []
    for row in FiscalRecord._meta.database.execute(query):
        record = dict(zip(_NAMES, row))
        record["created_at"] = iso_utc(record["created_at"])
        out.append(record)
    return out


def pending_counts(client: HeadOfficeClient, till_id: str) -> dict[str, int]:
    heads = client.request("GET", HEADS).get("chains", {})
    return {chain: max(0, top - heads.get(chain, {}).get("sequence", 0))
            for chain, top in _local_tops(till_id).items()}


def push_chains(client: HeadOfficeClient, till_id: str, settings: SyncSettings) -> dict[str, int]:
    """Push every chain until head office holds it all; returns records accepted per chain.

    A cut connection sends the run back to the heads, up to ``settings.attempts`` times.
    """
    pushed: dict[str, int] = {}
    failures = 0
    while True:
        try:
            _push_once(client, till_id, settings, pushed)
            return pushed
        except HeadOfficeUnreachable as error:
            failures += 1
            if failures >= settings.attempts:
                raise
            log.warning("sync interrupted (%s); resuming from head office's heads (%d/%d)", error.text("en"),
                        failures, settings.attempts)
            time.sleep(settings.pause_s * failures)
        except HeadOfficeAnswer as answer:
            if answer.status >= 500 and failures + 1 < settings.attempts:
                failures += 1
                time.sleep(settings.pause_s * failures)
                continue
            raise


def _push_once(client: HeadOfficeClient, till_id: str, settings: SyncSettings, pushed: dict[str, int]) -> None:
    heads = client.request("GET", HEADS).get("chains", {})
    # The next batch is read and encoded on a helper thread (its own database connection) while
    # head office checks the current one: the till's work hides behind head office's.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="till-sync-read")
    try:
        for chain, top in _local_tops(till_id).items():
            held = int(heads.get(chain, {}).get("sequence", 0))
            # Start at the held record itself: head office checks it is the same (restored backup).
            start = max(1, min(held, top))
            upcoming = reader.submit(_batch, till_id, chain, start, settings.batch_size, top)
            while True:
                records_end, body = upcoming.result()
                if records_end is None:
                    break
                if records_end < top:
                    upcoming = reader.submit(_batch, till_id, chain, records_end + 1, settings.batch_size, top)
                answer = client.request("POST", RECORDS, body=body)
                pushed[chain] = pushed.get(chain, 0) + int(answer.get("accepted", 0))
                acknowledged = int(answer["head"]["sequence"])
                if acknowledged < records_end:
                    raise SyncRefused(N_("Head office acknowledged {chain} up to {sequence} only"), chain=chain,
                                      sequence=acknowledged)
                if records_end >= top:
                    break
            log.info("chain %s: head office holds up to %d (%d pushed this run)", chain, top, pushed.get(chain, 0))
    finally:
        reader.submit(_close_connection).result()
        reader.shutdown()


def _batch(till_id: str, chain: str, start: int, count: int, top: int) -> tuple[int | None, bytes]:
    """The last sequence and the encoded request of the batch from ``start`` (None: nothing)."""
    records = _read(till_id, chain, start, count)
    if not records:
        return None, b""
    end = records[-1]["sequence"]
    return end, HeadOfficeClient.encode({"till_id": till_id, "chain": chain, "records": records, "last": end == top})


def _close_connection() -> None:
    database = FiscalRecord._meta.database
    if not database.is_closed():
        database.close()


# --- the run ------------------------------------------------------------------------------------

def run_sync(ctx, settings: SyncSettings, dry_run: bool = False) -> SyncResult:
    """One cron run on the open till ``ctx``: lock, push, pull, SYNC event. Never raises a
    ``TillError``: the result's ``exit_code`` and ``message`` say what happened."""
    folder = ctx.config.path.parent
    result = SyncResult()
    try:
        with sync_lock(folder / "sync.lock"):
            client = HeadOfficeClient(settings.url, ctx.till_id, ctx.sealer.signer, settings.timeout_s,
                                      settings.ca_file, retired_signers(ctx.sealer.signer))
            try:
                _run(client, ctx, settings, folder, dry_run, result)
            finally:
                client.close()
    except SyncLocked as error:
        result.exit_code, result.message = EXIT_LOCKED, error.text()
        log.warning("%s", error.text("en"))
        return result  # the running sync records its own event
    if not dry_run:
        details = {"result": result.exit_code, "pushed": result.pushed, "orders_imported": result.orders_imported,
                   "notes_registered": result.notes_registered,
                   "offline_credit_sent": result.offline_credit_sent, "message": result.message[:500]}
        record_event(ctx.sealer, SYNC, "sync with head office", details=details)
    return result


def _run(client: HeadOfficeClient, ctx, settings: SyncSettings, folder: Path, dry_run: bool,
         result: SyncResult) -> None:
    started = time.monotonic()
    try:
        if dry_run:
            result.pending = pending_counts(client, ctx.till_id)
            result.message = "dry run: " + ", ".join(f"{c} {n}" for c, n in result.pending.items())
            return
        result.pushed = push_chains(client, ctx.till_id, settings)
        if settings.pull:

            pull(client, ctx.till_id, folder, result, sealer=ctx.sealer)
        result.message = (f"pushed {sum(result.pushed.values())} records in {time.monotonic() - started:.1f} s"
                          + (f", {result.orders_imported} orders imported" if result.orders_imported else ""))
        log.info("sync done: %s", result.message)
    except HeadOfficeUnreachable as error:
        result.exit_code, result.message = EXIT_UNREACHABLE, error.text()
        log.error("sync stopped: %s", result.message)
    except HeadOfficeAnswer as answer:
        result.exit_code = EXIT_USAGE if answer.status == 401 else EXIT_REFUSED
        result.message = f"head office refused: {answer.body.get('error')}: {answer.body.get('message')}"
        log.error("sync stopped: %s", result.message)
    except SyncRefused as error:
        result.exit_code, result.message = EXIT_REFUSED, error.text()
        log.error("sync stopped: %s", error.text("en"))
    except TillError as error:  # an order import refused, for instance
        result.exit_code, result.message = EXIT_REFUSED, error.text()
        log.error("sync stopped: %s", error.text("en"))
