"""Fiscal archives: one signed file per period that proves itself without the database.

French law asks for periodic archives that stay readable and verifiable after a change of
software, with their public keys, and whose making is itself recorded (fiscal-fr.md R-ARC-01 to
R-ARC-06, R-SEC-04). ``export_archive`` writes one ZIP file holding:

- ``data/<till>-<chain>.jsonl``: every record of each chain (T, G, C, L, A, X...) of the period,
  one canonical JSON object a line, in sequence order, exactly the fields that were signed plus
  the hash, signature and key id. The ticket rows are inside the sealed T/X payloads, so the
  records' payloads are the data: nothing is rebuilt, nothing can drift from what was signed;
- ``schemas/*.schema.json``: JSON Schemas (draft 2020-12) of a data line and of the manifest;
- ``keys/<key id>.pem``: the public key of every key that signed a record or the manifest;
- ``key_chain/<till>.jsonl``: the records that make each till's key chain (its root record, then
  every KEY_ROTATED, signed lines as in ``data/``), so the archive proves which keys its till
  admits without the database (``till.fiscal.key_chain``; the manifest names each root and its
  fingerprint, which the auditor compares with the Z reports or gives to ``--root``);
- ``declarations/<till>.jsonl``: every HISTORY_IMPORTED record of chain L that covers a ticket
  of the archive dated before its seal (``till.fiscal.imported_history``), even one sealed in
  another period, signed lines as in ``data/`` and named in the manifest (``declarations``): the
  verifier checks each ticket's time against its sealing time with them, as the journal's does;
- ``manifest.json``: shop, period, software, each file with its SHA-256 and size, and per chain
  the first and last sequence, their hashes, the count, and the record *before* the period
  (sequence, signature, hash), so the first link of the period is checked too;
- ``manifest.sig``: a detached ECDSA P-256 signature of ``manifest.json``'s bytes, made by the
  till's own ``Signer`` (the one that seals records: there is one signing scheme, not two).

A period is a month ``YYYY-MM`` (or a day ``YYYY-MM-DD``, or a year ``YYYY``) of the shop's
calendar (its time zone, as the closures count days); its bounds are stored in UTC. The records of a
period are those whose *business date* falls in it (``till.fiscal.archive_period``: a ticket's
time, a closure's period, otherwise the sealing time), not those sealed during it: history
restored or written in one go, and the closure of a month sealed on the next month's first day,
land in the month they record. The records chosen in a chain are one or more *runs* of
consecutive sequences; the manifest names, for each run, the record just before it (sequence,
signature, hash), so every record's link to its predecessor is still checked (format version 2;
version 1 archives, one run per chain chosen by sealing time, keep verifying).

An archive is *complete* when every till archived has the closure of the period in its chain G
(a month's closure for a month, a day's for a day, a year's for a year). Otherwise the export is
refused (``ArchiveNotClosed``) unless ``partial=True``; a partial archive says so in its
manifest and its chain A record (``period.complete`` false, ``period.incomplete_reason``).

Memory stays flat: records are read by keyset pages and streamed into the compressed entry
while its SHA-256 is computed; only per-chain counters and the set of key ids are kept. The
file is written under a temporary name, fsynced, then renamed (never over an existing file);
only then is the export sealed as one record of chain A (R-ARC-04), in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from store.models import FiscalRecord, SigningKey
from till import __version__
from till.errors import TillError
from till.fiscal import chain as _chain
from till.fiscal.anchor_check import EXPORT, require_anchors
from till.fiscal.canonical import canonical_bytes, canonical_json
from till.fiscal.archive_period import TICKET_CHAINS, business_time, parse_utc
from till.fiscal.archive_schemas import (
    ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, ARCHIVE_NOTICE, MANIFEST_SCHEMA, RECORD_SCHEMA, manifest_schema,
    record_schema,
)
from till.fiscal.clock import ticket_time_differs
from till.fiscal.events import EVENT_CHAIN, record_event
from till.fiscal.imported_history import HISTORY_IMPORTED, ImportedHistory, history_of
from till.i18n import N_
from till.fiscal.key_chain import KeyChain, key_chain_of
from till.fiscal.chain import Sealer, current_database, iso_utc
from till.fiscal.durable import fsync_folder

__all__ = [
    "ARCHIVE_CHAIN", "ARCHIVE_FORMAT", "ARCHIVE_FORMAT_VERSION", "ARCHIVE_KIND", "CHAIN_ORDER", "MANIFEST",
    "READABLE_FORMAT_VERSIONS", "SIGNATURE", "ArchiveNotClosed", "ArchiveResult", "Period", "closure_kind",
    "default_archive_name", "export_archive", "parse_period", "record_schema", "manifest_schema",
]

READABLE_FORMAT_VERSIONS = (1, 2, 3)
"""The versions the verifier reads: an archive written by an older till still verifies."""
ARCHIVE_CHAIN = "A"
ARCHIVE_KIND = "ARCHIVE_EXPORT"
CHAIN_ORDER = ("T", "G", "C", "L", "A", "X")
"""The chains of design.md section 4, in the order the archive lists them (others follow, sorted)."""
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_ALGORITHM = "ECDSA-P256-SHA256"
README = "LISEZMOI.txt"
PAGE_SIZE = 2_000
_SAFE = re.compile(r"^[A-Za-z0-9_.]{1,16}$")
SCAN_MARGIN = dt.timedelta(days=7)
"""How far before the period the scan of a chain starts: a record sealed before that cannot record
a business date inside it (a clock set back a few days is still covered)."""

NOT_CLOSED = N_("The period {period} is not closed on till {tills} (no closure of it in chain G): an archive of "
                "it would not be complete. Close it first, or export it with --partial, marked as partial.")
NOT_CLOSED_REASON = "no closure of the period in chain G for till {tills}"
"""Why a partial archive is partial, as its manifest says it (English, like the manifest's other texts)."""


class ArchiveNotClosed(TillError):
    """An archive of a period whose closures are not all sealed: refused unless partial."""


# --- Periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar period of the till's local time; ``start``/``end`` are naive UTC, end excluded."""

    label: str
    start: dt.datetime
    end: dt.datetime
    zone: str = "UTC"
    """The time zone whose calendar the label follows (the shop's, as its closures)."""

    def as_payload(self) -> dict[str, str]:
        return {"label": self.label, "from": iso_utc(self.start), "to": iso_utc(self.end), "zone": self.zone}


def _utc(local: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """Local midnight as naive UTC (``tz`` None: the machine's zone)."""
    aware = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
    return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _zone_name(tz: dt.tzinfo | None) -> str:
    if tz is None:
        return dt.datetime.now().astimezone().tzname() or "local"
    return getattr(tz, "key", None) or str(tz)


def parse_period(text: str, tz: dt.tzinfo | None = None) -> Period:
    """``YYYY-MM`` (a month), ``YYYY-MM-DD`` (a day) or ``YYYY`` (a year) of ``tz``'s calendar.

    ``export_archive`` passes the sealer's business zone (the shop's ``timezone``), so an
    archive's month is the month its closures count; ``tz`` None is the machine's zone.
    """
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = int(text[:4]), int(text[5:])
            first = dt.datetime(year, month, 1)
            after = dt.datetime(year + month // 12, month % 12 + 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            first = dt.datetime.strptime(text, "%Y-%m-%d")
            after = first + dt.timedelta(days=1)
        elif re.fullmatch(r"\d{4}", text):
            first, after = dt.datetime(int(text), 1, 1), dt.datetime(int(text) + 1, 1, 1)
        else:
            raise ValueError(text)
    except ValueError:
        raise TillError("Period {period} is not a month (YYYY-MM), a day (YYYY-MM-DD) or a year (YYYY)",
                        period=text) from None
    return Period(text, _utc(first, tz), _utc(after, tz), _zone_name(tz))


def closure_kind(period: Period) -> str:
    """The kind of closure that closes ``period``: "day", "month" or "year" (from its label)."""
    return {10: "day", 7: "month", 4: "year"}[len(period.label)]


def default_archive_name(till_id: str, period: Period) -> str:
    """``till-archive-<till>-<period>.zip``: what ``--out FOLDER`` writes in the folder."""
    return f"till-archive-{till_id}-{period.label}.zip"


# --- Export ---------------------------------------------------------------------------------------


@dataclass
class _ChainPart:
    """What the manifest says of one chain in the archive; filled while its records stream out."""

    till_id: str
    chain: str
    low: int  # the scan starts after this sequence (0: from the first record)
    high: int  # and ends at this one: the chain's last record when the export starts
    previous: dict[str, Any] | None
    """The record just before the scan's next one (sequence, signature, hash), while scanning."""
    period: Period | None = None
    count: int = 0
    first: tuple[int, str] | None = None
    last: tuple[int, str] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Runs of consecutive chosen records: first and last sequence, count, and the record before."""
    histories: list[tuple[int, ImportedHistory]] = field(default_factory=list)
    """A ticket chain's till's HISTORY_IMPORTED declarations, by their sequence in chain L."""
    declared: set[int] = field(default_factory=set)
    """The sequences in chain L of the declarations that cover a chosen ticket."""

    @property
    def before(self) -> dict[str, Any] | None:
        return self.runs[0]["before"] if self.runs else None

    @property
    def file(self) -> str:
        return f"data/{self.till_id}-{self.chain}.jsonl"

    def entry(self) -> dict[str, Any]:
        return {
            "till_id": self.till_id, "chain": self.chain, "file": self.file, "count": self.count,
            "first_sequence": self.first[0] if self.first else None,
            "last_sequence": self.last[0] if self.last else None,
            "first_hash": self.first[1] if self.first else None, "last_hash": self.last[1] if self.last else None,
            "before": self.before,
            "runs": self.runs,
        }

    def take(self, sequence: int, hash_: str) -> None:
        """Count a chosen record: it extends the current run or starts a new one."""
        if self.runs and self.runs[-1]["last_sequence"] == sequence - 1:
            self.runs[-1]["last_sequence"] = sequence
            self.runs[-1]["count"] += 1
        else:
            self.runs.append({"first_sequence": sequence, "last_sequence": sequence, "count": 1,
                              "before": self.previous})
        if self.first is None:
            self.first = (sequence, hash_)
        self.last = (sequence, hash_)
        self.count += 1


@dataclass(frozen=True)
class ArchiveResult:
    """What ``export_archive`` wrote and sealed."""

    path: Path
    period: Period
    manifest_sha256: str
    counts: dict[tuple[str, str], int]
    record: FiscalRecord
    key_ids: tuple[str, ...] = field(default=())
    complete: bool = True
    """False for a partial archive (a period not closed when it was made)."""


class _HashingWriter:
    """A zip entry written through, counting bytes and hashing them as they go."""

    def __init__(self, target: Any) -> None:
        self.target, self.sha256, self.size = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.target.write(data)
        self.sha256.update(data)
        self.size += len(data)


_LINE = ('{"chain":%s,"created_at":%s,"format_version":%d,"hash":%s,"key_id":%s,"kind":%s,"payload":%s,'
         '"previous_signature":%s,"sequence":%d,"signature":%s,"ticket_id":%s,"till_id":%s}\n')
"""A data line: canonical JSON (keys sorted) with the stored payload text embedded as it was signed."""
_RECORD = (FiscalRecord.sequence, FiscalRecord.kind, FiscalRecord.created_at, FiscalRecord.ticket_id,
           FiscalRecord.format_version, FiscalRecord.payload, FiscalRecord.previous_signature, FiscalRecord.hash,
           FiscalRecord.signature, FiscalRecord.key_id)


def _text(value: str) -> str:
    return canonical_json(value)  # NFC, escaped as the canonical encoder writes strings


def _cut(till_id: str, chain: str, before: dt.datetime) -> tuple[int, str, str] | None:
    """The chain's last record (by sequence) created before ``before``: (sequence, signature, hash)."""
    mine = (FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
    row = (FiscalRecord.select(FiscalRecord.sequence, FiscalRecord.signature, FiscalRecord.hash)
           .where(mine & (FiscalRecord.created_at < before)).order_by(FiscalRecord.sequence.desc()).limit(1)
           .tuples().first())
    return tuple(row) if row else None


def _pages(part: _ChainPart, size: int) -> Iterator[list[tuple]]:
    """The records of ``part``'s sequence range, a keyset page at a time (no OFFSET, flat memory)."""
    database = current_database()
    after = part.low
    while after < part.high:
        where = ((FiscalRecord.till_id == part.till_id) & (FiscalRecord.chain == part.chain)
                 & (FiscalRecord.sequence > after) & (FiscalRecord.sequence <= part.high))
        query = FiscalRecord.select(*_RECORD).where(where).order_by(FiscalRecord.sequence).limit(size)
        page = database.execute(query).fetchall()
        if not page:
            return
        yield page
        after = page[-1][0]


def _chains(tills: Sequence[str] | None) -> list[tuple[str, str]]:
    query = FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.chain).distinct()
    if tills is not None:
        query = query.where(FiscalRecord.till_id.in_(list(tills)))
    found = set(query.tuples())
    rank = {chain: index for index, chain in enumerate(CHAIN_ORDER)}
    return sorted(found, key=lambda pair: (pair[0], rank.get(pair[1], len(rank)), pair[1]))


def _last(till_id: str, chain: str) -> int:
    return (FiscalRecord.select(FiscalRecord.sequence)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain))
            .order_by(FiscalRecord.sequence.desc()).limit(1).scalar()) or 0


def _plan(tills: Sequence[str] | None, period: Period) -> list[_ChainPart]:
    """Each chain's range of sequences to scan, fixed before a record is read (a snapshot): from
    shortly before the period (``SCAN_MARGIN``) to the chain's last record, since a record may be
    sealed long after the date it records (a month's closure, a restored history)."""
    parts = []
    for till_id, chain in _chains(tills):
        if not _SAFE.match(till_id) or not _SAFE.match(chain):
            raise TillError("Till {till_id} or chain {chain} has a name an archive file cannot carry",
                            till_id=till_id, chain=chain)
        low = _cut(till_id, chain, period.start - SCAN_MARGIN)
        previous = None if low is None else {"sequence": low[0], "signature": low[1], "hash": low[2]}
        parts.append(_ChainPart(till_id, chain, low[0] if low else 0, _last(till_id, chain), previous, period))
    return parts


def _write_chain(archive: zipfile.ZipFile, part: _ChainPart, key_ids: set[str],
                 page_size: int) -> dict[str, Any] | None:
    """Stream one chain's chosen records into its data entry; returns the entry's manifest line,
    or None for a chain with nothing in the period that only started after it (left out)."""
    period = part.period
    raw = out = None
    sealed_before_end = False
    try:
        for page in _pages(part, page_size):
            lines = []
            for sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature, key_id in page:
                created = iso_utc(created_at)
                sealed = parse_utc(created)
                sealed_before_end = sealed_before_end or period is None or sealed < period.end
                when = business_time(part.chain, created, payload) if period is not None or part.histories else None
                if period is None or period.start <= when < period.end:
                    if part.histories and ticket_time_differs(when, sealed):
                        part.declared.update(at for at, history in part.histories
                                             if history.covers(sequence, when, sealed))
                    lines.append(_LINE % (
                        _text(part.chain), _text(created), version, _text(hash_), _text(key_id), _text(kind),
                        payload, _text(previous), sequence, _text(signature),
                        "null" if ticket_id is None else int(ticket_id), _text(part.till_id)))
                    key_ids.add(key_id)
                    part.take(sequence, hash_)
                part.previous = {"sequence": sequence, "signature": signature, "hash": hash_}
            if lines:
                if out is None:  # opened at the first chosen record: one entry open at a time
                    raw = archive.open(part.file, "w", force_zip64=True)
                    out = _HashingWriter(raw)
                out.write("".join(lines).encode("utf-8"))
        if out is None:
            if not sealed_before_end and part.low == 0:
                return None  # the chain starts after the period and records nothing of it
            raw = archive.open(part.file, "w", force_zip64=True)
            out = _HashingWriter(raw)
    finally:
        if raw is not None:
            raw.close()
    return {"name": part.file, "sha256": out.sha256.hexdigest(), "size": out.size,
            "media_type": "application/x-ndjson", "schema": RECORD_SCHEMA}


def _key_chains(tills: set[str], key_ids: set[str]) -> list[KeyChain]:
    """Each till's key chain from the database; their keys join the archive's ``keys/``."""
    chains = [key_chain_of(till_id) for till_id in sorted(tills)]
    for chain in chains:
        key_ids.update(key.key_id for key in chain.keys)
    return chains


def _write_key_chain(archive: zipfile.ZipFile, chain: KeyChain) -> tuple[dict[str, Any], dict[str, Any]]:
    """The key chain's records as data lines; returns the file's entry and the manifest's line."""
    name = f"key_chain/{chain.till_id}.jsonl"
    text = "".join(_LINE % (
        _text(r.chain), _text(iso_utc(r.created_at)), r.format_version, _text(r.hash), _text(r.key_id),
        _text(r.kind), r.payload, _text(r.previous_signature), r.sequence, _text(r.signature),
        "null" if r.ticket_id is None else int(r.ticket_id), _text(r.till_id)) for r in chain.records)
    entry = _write_bytes(archive, name, text.encode("utf-8"), "application/x-ndjson")
    entry["schema"] = RECORD_SCHEMA
    root = chain.root
    return entry, {"till_id": chain.till_id, "file": name, "root_key_id": root.key_id if root else None,
                   "root_fingerprint": chain.fingerprint, "keys": [key.key_id for key in chain.keys]}


def _declarations(till_id: str) -> list[tuple[int, ImportedHistory]]:
    """The till's HISTORY_IMPORTED declarations, with their sequences in chain L."""
    rows = (FiscalRecord.select(FiscalRecord.sequence, FiscalRecord.payload, FiscalRecord.created_at)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind == HISTORY_IMPORTED)).order_by(FiscalRecord.sequence).tuples())
    found = ((sequence, history_of(payload, created_at)) for sequence, payload, created_at in rows)
    return [(sequence, history) for sequence, history in found if history is not None]


def _write_declarations(archive: zipfile.ZipFile, till_id: str, sequences: set[int],
                        key_ids: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The declarations ``sequences`` of the till's chain L as signed lines; returns the file's
    entry and the manifest's line."""
    name = f"declarations/{till_id}.jsonl"
    rows = (FiscalRecord.select(*_RECORD).where(
        (FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
        & FiscalRecord.sequence.in_(sorted(sequences))).order_by(FiscalRecord.sequence).tuples())
    lines = []
    for sequence, kind, created_at, ticket_id, version, payload, previous, hash_, signature, key_id in rows:
        lines.append(_LINE % (
            _text(EVENT_CHAIN), _text(iso_utc(created_at)), version, _text(hash_), _text(key_id), _text(kind),
            payload, _text(previous), sequence, _text(signature), "null" if ticket_id is None else int(ticket_id),
            _text(till_id)))
        key_ids.add(key_id)
    entry = _write_bytes(archive, name, "".join(lines).encode("utf-8"), "application/x-ndjson")
    entry["schema"] = RECORD_SCHEMA
    return entry, {"till_id": till_id, "file": name, "sequences": sorted(sequences)}


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes, media_type: str) -> dict[str, Any]:
    archive.writestr(name, data)
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "media_type": media_type}


def _public_keys(key_ids: set[str]) -> dict[str, str]:
    rows = SigningKey.select(SigningKey.key_id, SigningKey.public_key_pem).where(SigningKey.key_id.in_(sorted(key_ids)))
    return dict(rows.tuples())


def _target(out: str | os.PathLike[str], till_id: str, period: Period) -> Path:
    path = Path(out).expanduser()
    if path.is_dir():
        path = path / default_archive_name(till_id, period)
    if path.exists():
        raise TillError("Archive file {file} already exists: it is never overwritten", file=str(path))
    if not path.parent.is_dir():
        raise TillError("Folder {folder} does not exist", folder=str(path.parent))
    return path


def _publish(temp: Path, target: Path) -> None:
    """Give the finished file its name without ever replacing another file, then make it durable."""
    try:
        os.link(temp, target)  # fails if the name exists: no race with another export
    except FileExistsError:
        raise TillError("Archive file {file} already exists: it is never overwritten", file=str(target)) from None
    except OSError:  # a file system without hard links (FAT USB stick): rename
        if target.exists():
            raise TillError("Archive file {file} already exists: it is never overwritten",
                            file=str(target)) from None
        os.replace(temp, target)
    else:
        os.unlink(temp)
    fsync_folder(target.parent)


def _not_closed(till_ids: Sequence[str] | None, sealer: Sealer, period: Period) -> list[str]:
    """The tills archived that have no closure of ``period`` in their chain G."""
    from till.fiscal.closures import find_closure  # deferred: closures queue archives (no cycle at import)

    tills = sorted({t for t, _c in _chains(None)} | {sealer.till_id}) if till_ids is None else till_ids
    kind = closure_kind(period)
    return [till_id for till_id in tills if find_closure(till_id, kind, period.label) is None]


def export_archive(sealer: Sealer, period: Period | str, out: str | os.PathLike[str], *,
                   tills: Sequence[str] | None = (), shop: dict[str, str] | None = None,
                   page_size: int = PAGE_SIZE, compresslevel: int = 6, partial: bool = False) -> ArchiveResult:
    """Write the archive of ``period`` to ``out`` (a file name, or a folder), then seal it in chain A.

    ``period`` as text follows the sealer's business zone (``Sealer.zone``, the shop's time
    zone). ``tills``: the tills whose chains go in; ``()`` (default) is the sealer's till, ``None``
    every till of the database. ``shop`` (name, address, SIRET, VAT number) goes in the manifest.
    The manifest is signed and the export sealed with ``sealer``'s key and till.

    A period some archived till has not closed raises ``ArchiveNotClosed`` before anything is
    written, unless ``partial``: then the archive is written and marked partial.
    """
    require_anchors(sealer, EXPORT)  # no archive of a cut chain (anchor_check)
    if isinstance(period, str):
        period = parse_period(period, getattr(sealer, "zone", None))
    till_ids = [sealer.till_id] if tills == () else (None if tills is None else list(tills))
    target = _target(out, sealer.till_id, period)
    not_closed = _not_closed(till_ids, sealer, period)
    if not_closed and not partial:
        raise ArchiveNotClosed(NOT_CLOSED, period=period.label, tills=", ".join(not_closed))
    parts = _plan(till_ids, period)
    histories = {till_id: _declarations(till_id) for till_id in {p.till_id for p in parts if p.chain in TICKET_CHAINS}}
    for part in parts:
        if part.chain in TICKET_CHAINS:
            part.histories = histories[part.till_id]
    key_ids = {sealer.signer.key_id}
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel,
                                 allowZip64=True) as archive:
                written = [(part, _write_chain(archive, part, key_ids, page_size)) for part in parts]
                parts = [part for part, entry in written if entry is not None]
                files = [entry for _part, entry in written if entry is not None]
                declared: dict[str, set[int]] = {}
                for part in parts:
                    declared.setdefault(part.till_id, set()).update(part.declared)
                declarations = []
                for till_id, sequences in sorted(declared.items()):
                    if sequences:
                        entry, line = _write_declarations(archive, till_id, sequences, key_ids)
                        files.append(entry)
                        declarations.append(line)
                key_chains = []
                for chain in _key_chains({p.till_id for p in parts} | {sealer.till_id}, key_ids):
                    entry, line = _write_key_chain(archive, chain)
                    files.append(entry)
                    key_chains.append(line)
                keys = _public_keys(key_ids)
                keys.setdefault(sealer.signer.key_id, sealer.signer.public_pem)
                files += [_write_bytes(archive, f"keys/{key_id}.pem", pem.encode("ascii"), "application/x-pem-file")
                          for key_id, pem in sorted(keys.items())]
                files += [_write_bytes(archive, RECORD_SCHEMA, canonical_bytes(record_schema()),
                                       "application/schema+json"),
                          _write_bytes(archive, MANIFEST_SCHEMA, canonical_bytes(manifest_schema()),
                                       "application/schema+json"),
                          _write_bytes(archive, README, ARCHIVE_NOTICE.encode("utf-8"), "text/plain")]
                manifest = _manifest(sealer, period, till_ids, shop, parts, files, not_closed)
                manifest["key_chains"] = key_chains
                manifest["declarations"] = declarations
                manifest_bytes = canonical_bytes(manifest)
                signature = {"algorithm": SIGNATURE_ALGORITHM, "key_id": sealer.signer.key_id,
                             "signed_file": MANIFEST, "signature": sealer.signer.sign(manifest_bytes)}
                archive.writestr(MANIFEST, manifest_bytes)
                archive.writestr(SIGNATURE, canonical_bytes(signature))
            handle.flush()
            os.fsync(handle.fileno())
        _publish(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    record = _seal(sealer, period, target, manifest, manifest_sha256)
    return ArchiveResult(target, period, manifest_sha256, {(p.till_id, p.chain): p.count for p in parts}, record,
                         tuple(sorted(keys)), not not_closed)


def _manifest(sealer: Sealer, period: Period, tills: list[str] | None, shop: dict[str, str] | None,
              parts: list[_ChainPart], files: list[dict[str, Any]], not_closed: list[str]) -> dict[str, Any]:
    now = _chain.utcnow().replace(microsecond=0)  # the clock that stamps the records
    state: dict[str, Any] = {"complete": not not_closed}
    if not_closed:
        state["incomplete_reason"] = NOT_CLOSED_REASON.format(tills=", ".join(not_closed))
    return {
        "schema": MANIFEST_SCHEMA,
        "format": ARCHIVE_FORMAT, "format_version": ARCHIVE_FORMAT_VERSION, "record_format_version": 1,
        "software": {"name": "till", "version": __version__},
        "shop": {key: str(value) for key, value in (shop or {}).items()},
        "period": {**period.as_payload(), **state},
        "created_at": iso_utc(now),
        "exported_by": {"till_id": sealer.till_id, "key_id": sealer.signer.key_id},
        "tills": sorted({p.till_id for p in parts} | set(tills or [])),
        "signature": {"file": SIGNATURE, "algorithm": SIGNATURE_ALGORITHM, "key_id": sealer.signer.key_id},
        "order": "Each data file holds the records whose business date is in the period (a ticket's time, a "
                 "closure's period, otherwise the sealing time), one a line, by ascending sequence, in runs of "
                 "consecutive sequences (chains[].runs); the first record of each run links to its "
                 "before.signature.",
        "files": files,
        "chains": [part.entry() for part in parts],
    }


def _seal(sealer: Sealer, period: Period, target: Path, manifest: dict[str, Any],
          manifest_sha256: str) -> FiscalRecord:
    """Record the finished export as the next record of chain A, in a transaction of its own."""
    payload = {
        "period": {**period.as_payload(), **{k: v for k, v in manifest["period"].items()
                                              if k in ("complete", "incomplete_reason")}},
        "file": target.name,
        "format_version": ARCHIVE_FORMAT_VERSION,
        "manifest_sha256": manifest_sha256,
        "tills": manifest["tills"],
        "records": sum(chain["count"] for chain in manifest["chains"]),
        "chains": [{key: chain[key] for key in ("till_id", "chain", "count", "first_sequence", "last_sequence")}
                   for chain in manifest["chains"]],
    }
    with current_database().atomic():
        record = sealer.append(ARCHIVE_CHAIN, ARCHIVE_KIND, payload)
        # and the technical event of the export (R-JET: archives and exports are events too)
        record_event(sealer, ARCHIVE_KIND, "fiscal archive exported",
                     details={"file": target.name, "manifest_sha256": manifest_sha256,
                              "archive_sequence": record.sequence, "records": payload["records"]})
        return record
