"""Verify a fiscal archive alone, on any machine, with no database (fiscal-fr.md R-ARC-06, R-SEC-07).

``verify_archive(path)`` opens the ZIP written by ``till.fiscal.archive`` and checks, in order:

1. the detached signature of ``manifest.json`` with the public key the archive carries (the
   report names its key id; ``trusted_key_ids`` makes a key the auditor does not know a
   problem, since a forger could re-sign a forged archive with a key of their own);
2. each file the manifest lists: present, its size and SHA-256; and no file it does not list;
3. each chain's data file, record by record: its till and chain, the sequence (from the record
   after ``before``, gap-free within each run the manifest lists, no duplicate, in order), the
   link to the previous signature (the first record of each run to its ``before.signature``),
   the business date of what it records inside the period (``till.fiscal.archive_period``),
   a ticket's time against its sealing time (format 3: the journal verifier's rule,
   ``till.fiscal.imported_history.ticket_time_wrong``, with the HISTORY_IMPORTED declarations
   of ``declarations/``, each checked first as a record of chain L: hash, and signature by a key
   its till's key chain admits; formats 1 and 2, which carry none, make it a warning),
   the hash of the rebuilt signed message (``chain.message_bytes``, the sealer's own
   definition), the ECDSA signature with the key of its ``key_id``; then the count, first and
   last sequences and hashes against the manifest, so a truncated file is named by the records
   it lost;
4. the key chain of each till (``key_chain/<till>.jsonl``, read by ``till.fiscal.archive_trust``
   with the very rules of the database verifier, ``till.fiscal.key_chain``): only the keys it admits, from its root, sign records, each
   where the chain puts it; the manifest is signed by the exporting till's current key; the
   chain's records in the period's chain L are the data lines themselves. The root is checked
   against ``roots`` (``--root FINGERPRINT``) when given; either way the report names it, since
   a forger who re-signs everything can only do so from a root of their own;
5. the credit-note ledger the records carry (issues sealed in chain L, redemptions in the T
   payloads), with the database verifier's own rules (``till.fiscal.credit_ledger``): an issue
   its refund payment contradicts, a note issued twice or spent beyond its sealed amount;
6. each closure of the period against the archived tickets of its period, a month's (year's)
   against its days' (months'), with the database verifier's rules and messages
   (``till.fiscal.archive_closures``, format 2): a ticket or a closure altered and re-signed
   by someone holding the till's key still shows;
7. optionally, every data line and the manifest against the archive's JSON Schemas, with the
   subset checker of ``till.fiscal.json_schema`` (four times faster here than the ``jsonschema``
   library, which the tests hold it to; the figures are in its docstring).

An archive whose manifest says it is not complete (``period.complete`` false: a period not
closed when it was exported) verifies as *partial*: the report says so and why.

Findings are ``verify.Problem``s naming till, chain, sequence and what differs, in an
``ArchiveReport`` (a ``VerifyReport``), so the command prints them as ``till journal verify``
does. A file that is not a readable ZIP raises ``ArchiveUnreadable`` (exit 2 in the CLI).
Memory stays flat: data files are streamed line by line; only the previous record is kept.

Run it as ``python -m till.fiscal.archive_verify FILE.zip``: the auditor needs the program, not
the shop's database or configuration.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from till.errors import TillError
from till.fiscal.archive import (
    ARCHIVE_FORMAT,
    MANIFEST,
    MANIFEST_SCHEMA,
    READABLE_FORMAT_VERSIONS,
    RECORD_SCHEMA,
    SIGNATURE,
)
from till.fiscal.archive_closures import ArchivedClosures
from till.fiscal.archive_period import TICKET_CHAINS, business_time, parse_utc
from till.fiscal.chain import message_bytes
from till.fiscal.credit_ledger import LedgerRules
from till.fiscal.events import EVENT_CHAIN
from till.fiscal.imported_history import (
    HISTORY_IMPORTED,
    TICKET_TIME_WRONG,
    ImportedHistory,
    history_of,
    ticket_time_wrong,
)
from till.fiscal.json_schema import SchemaChecker
from till.fiscal.archive_reader import ArchiveUnreadable, OpenArchive, payload_text
from till.fiscal.archive_report import ArchiveReport
from till.fiscal.archive_trust import ArchiveTrust
from till.fiscal.key_chain import KeyOrder, root_key_ids
from till.fiscal.keys import verify_digest
from till.fiscal.problems import Problem, finding
from till.fiscal.verify import default_workers, records
from till.i18n import N_

__all__ = ["ArchiveReport", "ArchiveUnreadable", "verify_archive", "main"]


@dataclass
class _Walk:
    """One chain's data file being read: what links a record to the previous one."""

    till_id: str
    chain: str
    expected: int
    previous: str
    count: int = 0
    last: int = 0
    first: tuple[int, str] | None = None
    tail: tuple[int, str] | None = None
    order: KeyOrder | None = None
    runs: list[dict[str, Any]] | None = None
    """The runs still to come (format 2): where the sequence may jump, and the link it then takes."""
    bounds: tuple[Any, Any] | None = None
    """The period's UTC bounds (format 2): each record's business date must fall inside."""
    pems: dict[str, str] | None = None
    """With a key chain: the keys it admits (key id -> PEM), the only ones that sign validly."""


class _Verifier(ArchiveTrust):
    def __init__(self, path: Path, trusted_key_ids: Iterable[str] | None, check_schemas: bool,
                 workers: int | None, roots: Iterable[str] | None = None) -> None:
        self.path = path
        self.init_trust(trusted_key_ids, roots)
        self.check_schemas = check_schemas
        self.report = ArchiveReport(archive=path.name, roots_given=roots is not None)
        self.record_schema: SchemaChecker | None = None
        self.workers = default_workers() if workers is None else workers
        self.pool: ThreadPoolExecutor | None = None
        self.pending: list[tuple] = []
        self.inflight: list[tuple[list[tuple], list]] = []
        self.ledger = LedgerRules()
        self.closures = ArchivedClosures()
        """The tickets and closures read, to recompute each closure of the period (format 2)."""
        self.bounds: tuple[Any, Any] | None = None
        self.histories: dict[str, list[ImportedHistory]] = {}
        """Each till's HISTORY_IMPORTED declarations the archive carries whose seal holds."""
        self.declared: dict[tuple[str, int], Any] = {}
        """(till, sequence in chain L) -> hash of each declaration carried: the same record among
        the period's own must be that very line."""
        self.declares = False
        """Whether the archive can carry declarations (format 3): before, a ticket whose time is
        not its signing time is a warning, since its declaration could not be in the archive."""
        """The credit-note ledger the archive's records carry, checked by the database verifier's rules."""

    def _finding(self, till_id: str, chain: str, sequence: int | None, message: str, /, **params: Any) -> None:
        self.report.problems.append(finding(till_id, chain, sequence, message, **params))

    def warning(self, till_id: str, chain: str, sequence: int | None, message: str, /, **params: Any) -> None:
        self.report.warnings.append(finding(till_id, chain, sequence, message, **params))

    def run(self) -> ArchiveReport:
        archive = OpenArchive(self.path)
        if self.workers > 0:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="till-archive-verify")
        try:
            return self._run(archive)
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def _run(self, archive: OpenArchive) -> ArchiveReport:
        with archive.zip:
            manifest_bytes = self.manifest_bytes(archive)
            if manifest_bytes is None:
                return self.report
            manifest = self.parse_manifest(manifest_bytes)
            if manifest is None:
                return self.report
            self.report.manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
            period = manifest.get("period")
            self.report.period = str(period.get("label")) if isinstance(period, dict) else None
            if isinstance(period, dict) and period.get("complete") is False:
                self.report.partial = True
                self.report.partial_reason = str(period.get("incomplete_reason", ""))
            listed = manifest.get("files")
            files = {entry["name"]: entry for entry in (listed if isinstance(listed, list) else [])
                     if isinstance(entry, dict) and isinstance(entry.get("name"), str)}
            self.check_members(archive, files)
            self.load_keys(archive, files)
            self.load_key_chains(archive, manifest, files)
            self.check_signature(archive, manifest_bytes, manifest)
            self.load_schemas(archive, manifest)
            data_files = self.load_declarations(archive, manifest, files)
            chains = manifest.get("chains")
            for chain in chains if isinstance(chains, list) else []:
                try:  # a forged manifest (its signature already refused) must not stop the report
                    data_files.add(chain.get("file"))
                    self.walk_chain(archive, chain, files.get(chain.get("file")), manifest)
                except (AttributeError, KeyError, TypeError, ValueError) as error:
                    self._finding("", "", None, "{file} cannot be read: {error}", file=MANIFEST,
                                  error=f"chains: {error!r}")
            self.flush_signatures()
            self.report.problems.extend(self.ledger.sealed_problems()[1])
            if self.bounds is not None:
                self.report.problems.extend(self.closures.problems(*self.bounds))
            for name, entry in files.items():
                if name not in data_files and name in archive.names and not name.startswith("keys/"):
                    self.check_file(archive, name, entry)
        self.report.problems.sort(key=_order)
        self.report.warnings.sort(key=_order)
        return self.report

    # -- manifest and signature --

    def manifest_bytes(self, archive: OpenArchive) -> bytes | None:
        if MANIFEST not in archive.names:
            self._finding("", "", None, "the archive has no {file}: it cannot be checked", file=MANIFEST)
            return None
        try:
            return archive.read_small(MANIFEST)
        except (zipfile.BadZipFile, ValueError, OSError) as error:
            self._finding("", "", None, "{file} cannot be read: {error}", file=MANIFEST, error=str(error))
            return None

    def parse_manifest(self, data: bytes) -> dict[str, Any] | None:
        try:
            manifest = json.loads(data)
        except ValueError as error:
            self._finding("", "", None, "{file} cannot be read: {error}", file=MANIFEST, error=str(error))
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT \
                or manifest.get("format_version") not in READABLE_FORMAT_VERSIONS:
            self._finding("", "", None, "{file} is not the manifest of a till archive of format version {version}",
                         file=MANIFEST, version=" or ".join(map(str, READABLE_FORMAT_VERSIONS)))
            return None
        return manifest

    def check_members(self, archive: OpenArchive, files: dict[str, dict[str, Any]]) -> None:
        for name in files:
            if name not in archive.names:
                self._finding("", "", None, "file {file} listed in the manifest is missing from the archive", file=name)
        for name in archive.names:
            if name not in files and name not in (MANIFEST, SIGNATURE):
                self._finding("", "", None, "file {file} is in the archive but not in the manifest", file=name)
        if len(set(archive.names)) != len(archive.names):
            self._finding("", "", None, "the archive holds the same file name twice")

    def load_schemas(self, archive: OpenArchive, manifest: dict[str, Any]) -> None:
        if not self.check_schemas:
            return

        for name in (RECORD_SCHEMA, MANIFEST_SCHEMA):
            if name not in archive.names:
                continue  # already reported as missing when listed
            try:
                checker = SchemaChecker(json.loads(archive.read_small(name)))
            except (ValueError, TypeError, KeyError, zipfile.BadZipFile) as error:
                self._finding("", "", None, "schema {file} cannot be used: {error}", file=name, error=str(error))
                continue
            if name == RECORD_SCHEMA:
                self.record_schema = checker
            else:
                for error in checker.errors(manifest)[:5]:
                    self._finding("", "", None, "{file} does not follow its schema: {error}", file=MANIFEST,
                                 error=error)

    def check_file(self, archive: OpenArchive, name: str, entry: dict[str, Any]) -> bytes | None:
        """Size and SHA-256 of a small file against the manifest; its bytes when they match."""
        try:
            data = archive.read_small(name)
        except (zipfile.BadZipFile, ValueError, OSError) as error:
            self._finding("", "", None, "file {file} cannot be read: {error}", file=name, error=str(error))
            return None
        if len(data) != entry.get("size") or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            self._finding("", "", None, "file {file} differs from the manifest (size or SHA-256)", file=name)
            return None
        return data

    # -- declarations of imported history --

    def load_declarations(self, archive: OpenArchive, manifest: dict[str, Any],
                          files: dict[str, dict[str, Any]]) -> set[str]:
        """The HISTORY_IMPORTED records the archive carries (format 3), each sealed as a record of
        its till's chain L: only one whose hash and signature hold (by a key its key chain admits)
        covers tickets. Returns the files read."""
        self.declares = manifest.get("format_version", 1) >= 3
        listed = manifest.get("declarations")
        read = set()
        for line in listed if isinstance(listed, list) and self.declares else []:
            till_id = str(line.get("till_id")) if isinstance(line, dict) else ""
            name = line.get("file") if isinstance(line, dict) else None
            entry = files.get(name) if isinstance(name, str) else None
            if entry is None:
                self._finding(till_id, EVENT_CHAIN, None, "its file {file} is not listed in the manifest", file=name)
                continue
            read.add(name)
            data = self.check_file(archive, name, entry) if name in archive.names else None
            if data is None:
                continue  # missing or differing: already reported
            walk = _Walk(till_id, EVENT_CHAIN, 0, "")
            key_chain = self.key_chains.get(till_id)
            if key_chain is not None:
                walk.order, walk.pems = key_chain.order(EVENT_CHAIN), key_chain.pems()
            for raw in data.splitlines(keepends=True):
                self.check_declaration(walk, raw, name)
        return read

    def check_declaration(self, walk: _Walk, raw: bytes, name: str) -> None:
        try:
            record = json.loads(raw)
            sequence = record["sequence"]
        except (ValueError, KeyError, TypeError) as error:
            self._finding(walk.till_id, EVENT_CHAIN, None, "{file} cannot be read: {error}", file=name,
                          error=str(error))
            return
        if (record.get("till_id"), record.get("chain"), record.get("kind")) != (walk.till_id, EVENT_CHAIN,
                                                                                 HISTORY_IMPORTED):
            self._finding(walk.till_id, EVENT_CHAIN, sequence, "is not a declaration of imported history of till "
                          "{till_id} (HISTORY_IMPORTED in chain L)", till_id=walk.till_id)
            return
        found = len(self.report.problems)
        self.declared[(walk.till_id, sequence)] = record.get("hash")
        if self.record_schema is not None:
            for error in self.record_schema.errors(record)[:3]:
                self._finding(walk.till_id, EVENT_CHAIN, sequence, "does not follow the record schema: {error}",
                              error=error)
        self.check_seal(walk, record, sequence, raw)
        self.flush_signatures()
        history = history_of(record.get("payload"), str(record.get("created_at")))
        if len(self.report.problems) == found and history is not None:
            self.histories.setdefault(walk.till_id, []).append(history)

    # -- chains --

    def walk_chain(self, archive: OpenArchive, chain: dict[str, Any], entry: dict[str, Any] | None,
                   manifest: dict[str, Any]) -> None:
        till_id, name, file = str(chain.get("till_id")), str(chain.get("chain")), chain.get("file")
        before = chain.get("before")
        walk = _Walk(till_id, name, before["sequence"] + 1 if before else 1, before["signature"] if before else "")
        if manifest.get("format_version", 1) >= 2:
            walk.runs = list(chain.get("runs") or [])[1:]
            period = manifest.get("period") or {}
            walk.bounds = self.bounds = (parse_utc(str(period.get("from"))), parse_utc(str(period.get("to"))))
        key_chain = self.key_chains.get(till_id)
        if key_chain is not None:
            walk.order, walk.pems = key_chain.order(name), key_chain.pems()
        self.report.counts[(till_id, name)] = 0
        if entry is None or file not in archive.names:
            if entry is None:
                self._finding(till_id, name, None, "its file {file} is not listed in the manifest", file=file)
            return  # a listed file that is missing is reported once, by ``check_members``
        period = manifest.get("period") if isinstance(manifest.get("period"), dict) else {}
        sha256, size = hashlib.sha256(), 0
        try:
            with archive.zip.open(file) as stream:
                for number, raw in enumerate(stream, start=1):
                    sha256.update(raw)
                    size += len(raw)
                    self.check_line(walk, raw, number, period)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            self._finding(till_id, name, None, "file {file} cannot be read to its end: {error}", file=file,
                         error=str(error))
        self.flush_signatures()
        self.report.counts[(till_id, name)] = walk.count
        if size != entry.get("size") or sha256.hexdigest() != entry.get("sha256"):
            self._finding(till_id, name, None, "file {file} differs from the manifest (size or SHA-256)", file=file)
        self.compare_with_manifest(walk, chain)

    def check_line(self, walk: _Walk, raw: bytes, number: int, period: dict[str, Any]) -> None:
        till_id, chain = walk.till_id, walk.chain
        walk.count += 1
        try:
            record = json.loads(raw)
            sequence = record["sequence"]
            if type(sequence) is not int:
                raise ValueError("sequence is not an integer")
        except (ValueError, KeyError, TypeError) as error:
            self._finding(till_id, chain, walk.expected, "line {line} cannot be read: {error}", line=number,
                         error=str(error))
            walk.expected += 1
            return
        if walk.runs and sequence == walk.runs[0].get("first_sequence") and walk.count > 1:
            run = walk.runs.pop(0)  # the next run: the records between belong to other periods
            before = run.get("before") or {}
            walk.expected, walk.previous = sequence, before.get("signature", "")
        if record.get("till_id") != till_id or record.get("chain") != chain:
            self._finding(till_id, chain, sequence, "belongs to chain {other_chain} of till {other_till}",
                         other_chain=record.get("chain"), other_till=record.get("till_id"))
        if sequence == walk.last:
            self._finding(till_id, chain, sequence, "sequence number {sequence} is used by more than one record",
                         sequence=sequence)
        elif sequence == walk.expected + 1:
            self._finding(till_id, chain, walk.expected, "record {missing} is missing", missing=walk.expected)
        elif sequence > walk.expected:
            self._finding(till_id, chain, walk.expected, "records {first} to {last} are missing", first=walk.expected,
                         last=sequence - 1)
        elif sequence < walk.expected:
            self._finding(till_id, chain, sequence, "sequence number {sequence} is out of order (expected {expected})",
                         sequence=sequence, expected=walk.expected)
        previous = record.get("previous_signature")
        if previous != walk.previous:
            what = (N_("does not link to the record before the period (previous signature differs from the "
                       "manifest's)") if walk.count == 1 else
                    N_("does not link to the previous record (previous signature differs)"))
            self._finding(till_id, chain, sequence, what)
        self.check_key_chain_record(walk, record, sequence)
        declared = self.declared.get((till_id, sequence)) if chain == EVENT_CHAIN else None
        if declared is not None and declared != record.get("hash"):
            self._finding(till_id, chain, sequence, "differs from the declaration of imported history the archive "
                          "carries for it")
        self.check_seal(walk, record, sequence, raw)
        self.ledger.add(till_id, chain, sequence, record.get("kind"), record.get("ticket_id"), record.get("payload"))
        self.closures.add(till_id, chain, sequence, record.get("kind"), record.get("payload"), record.get("signature"))
        if self.record_schema is not None:
            for error in self.record_schema.errors(record)[:3]:
                self._finding(till_id, chain, sequence, "does not follow the record schema: {error}", error=error)
        created = record.get("created_at")
        if chain in TICKET_CHAINS:
            self.check_ticket_time(walk, record, sequence)
        if walk.bounds is not None:
            self.check_business_date(walk, record, sequence)
        elif isinstance(created, str) and not (str(period.get("from", "")) <= created < str(period.get("to", "~"))):
            self.warning(till_id, chain, sequence, N_("created at {created_at}, outside the period (clock moved?)"),
                         created_at=created)
        hash_ = record.get("hash")
        if walk.first is None:
            walk.first = (sequence, hash_)
        walk.tail = (sequence, hash_)
        walk.previous = record.get("signature")
        walk.last = sequence
        walk.expected = max(walk.expected, sequence + 1)

    def check_business_date(self, walk: _Walk, record: dict[str, Any], sequence: int) -> None:
        """A record whose business date is outside the period was not chosen by its exporter."""
        try:
            when = business_time(walk.chain, str(record.get("created_at")), record.get("payload"))
        except (TypeError, ValueError):
            return  # an unreadable record is reported by the other checks
        start, end = walk.bounds
        if not start <= when < end:
            self._finding(walk.till_id, walk.chain, sequence, "records {date}, outside the period of the archive",
                          date=when.isoformat(sep=" ") + " UTC")

    def check_ticket_time(self, walk: _Walk, record: dict[str, Any], sequence: int) -> None:
        """A ticket is dated when it was signed, unless a declaration the archive carries covers
        it: the journal verifier's rule (``imported_history.ticket_time_wrong``)."""
        try:
            sealed = parse_utc(str(record.get("created_at")))
            business = business_time(walk.chain, str(record.get("created_at")), record.get("payload"))
        except (TypeError, ValueError):
            return  # an unreadable record is reported by the other checks
        if ticket_time_wrong(self.histories.get(walk.till_id, ()), sequence, business, sealed):
            report = self._finding if self.declares else self.warning
            report(walk.till_id, walk.chain, sequence, TICKET_TIME_WRONG, ticket_time=_iso(business),
                   sealed_at=_iso(sealed))

    def check_seal(self, walk: _Walk, record: dict[str, Any], sequence: int, raw: bytes) -> None:
        """Hash of the rebuilt signed message, then the ECDSA signature with the record's key."""
        till_id, chain = walk.till_id, walk.chain
        try:
            message = message_bytes(
                format_version=record["format_version"], till_id=record["till_id"], chain=record["chain"],
                sequence=sequence, kind=record["kind"], created_at=record["created_at"],
                ticket_id=record["ticket_id"], payload=payload_text(raw, record["payload"]),
                previous_signature=record["previous_signature"])
        except (KeyError, TypeError, ValueError) as error:
            self._finding(till_id, chain, sequence, "cannot be read: {error}", error=str(error))
            return
        digest = hashlib.sha256(message)
        if digest.hexdigest() != record.get("hash"):
            self._finding(till_id, chain, sequence, "hash does not match the record's content (record altered)")
        key_id = record.get("key_id")
        pem = self.keys.get(key_id) if isinstance(key_id, str) else None
        if pem is not None and walk.order is not None:
            refused = walk.order.check(sequence, key_id)
            if refused is not None:
                self._finding(till_id, chain, sequence, refused[0], **refused[1])
                return
            pem = walk.pems.get(key_id)
        if pem is None:
            self._finding(till_id, chain, sequence, "signed with unknown key {key_id}", key_id=key_id)
            return
        self.pending.append((till_id, chain, sequence, pem, digest.digest(), str(record.get("signature"))))
        if len(self.pending) >= _BATCH:
            self.flush_signatures(wait_all=False)

    def flush_signatures(self, wait_all: bool = True) -> None:
        """Hand the pending ECDSA checks to the workers (``cryptography`` releases the GIL), and
        take the verdicts of the batches before: the next lines are read meanwhile."""
        jobs, self.pending = self.pending, []
        if jobs:
            if self.pool is None:
                self.inflight.append((jobs, [_verify_batch(jobs)]))
            else:
                size = -(-len(jobs) // self.workers)
                self.inflight.append((jobs, [self.pool.submit(_verify_batch, jobs[i:i + size])
                                             for i in range(0, len(jobs), size)]))
        while self.inflight and (wait_all or len(self.inflight) > 1):
            batch, verdicts = self.inflight.pop(0)
            results = [ok for part in verdicts for ok in (part if isinstance(part, list) else part.result())]
            for (till_id, chain, sequence, *_rest), ok in zip(batch, results):
                if not ok:
                    self._finding(till_id, chain, sequence, "signature is not valid (record altered or forged)")

    def compare_with_manifest(self, walk: _Walk, chain: dict[str, Any]) -> None:
        till_id, name = walk.till_id, walk.chain
        first, last, count = chain.get("first_sequence"), chain.get("last_sequence"), chain.get("count")
        highest = walk.expected - 1  # the highest sequence read (re-ordered records are not "missing")
        if isinstance(last, int) and highest < last:
            start = max(highest + 1, first if isinstance(first, int) else 1)
            self._finding(till_id, name, start, "records {first} to {last} listed in the manifest are missing "
                         "(file truncated)", first=start, last=last)
        elif isinstance(last, int) and highest > last:
            self._finding(till_id, name, last + 1, "records after {last} are not listed in the manifest", last=last)
        if walk.count != count:
            self._finding(till_id, name, None, "holds {records}, the manifest says {count}",
                          records=records(walk.count), count=count)
        if walk.first is not None and walk.first[0] == first and walk.first[1] != chain.get("first_hash"):
            self._finding(till_id, name, first, "differs from the first record the manifest names (hash)")
        if walk.tail is not None and walk.tail[0] == last and walk.tail[1] != chain.get("last_hash"):
            self._finding(till_id, name, last, "differs from the last record the manifest names (hash)")
        if walk.first is not None and isinstance(first, int) and walk.first[0] != first:
            self._finding(till_id, name, walk.first[0], "the file starts at record {found}, the manifest at {first}",
                         found=walk.first[0], first=first)


_BATCH = 1_000
"""Records whose signatures are checked together on the worker threads."""


def _verify_batch(jobs: list[tuple]) -> list[bool]:
    return [verify_digest(pem, digest, signature) for _t, _c, _s, pem, digest, signature in jobs]


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def _order(problem: Problem) -> tuple:
    return (problem.till_id, problem.chain, float("inf") if problem.sequence is None else problem.sequence)


def verify_archive(path: str | Path, *, trusted_key_ids: Iterable[str] | None = None,
                   check_schemas: bool = True, workers: int | None = None,
                   roots: Iterable[str] | None = None) -> ArchiveReport:
    """Verify the archive at ``path`` alone; see the module docstring. Raises ``ArchiveUnreadable``.

    ``roots``: the root key ids (``key_chain.normalise_fingerprint`` of what the auditor typed)
    every till's key chain must lead to; None checks against the archive's own and says so.

    ``workers`` threads check the ECDSA signatures (default ``verify.default_workers()``; 0: this
    thread); the findings are the same whatever the number.
    """
    return _Verifier(Path(path), trusted_key_ids, check_schemas, workers, roots).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m till.fiscal.archive_verify FILE [--key-id ID]...``: 0 ok, 1 problems, 2 unreadable."""

    parser = argparse.ArgumentParser(prog="python -m till.fiscal.archive_verify",
                                     description="Verify a till fiscal archive without its database.")
    parser.add_argument("archive")
    parser.add_argument("--key-id", action="append", dest="key_ids",
                        help="a key id you trust (repeatable); without it any key the archive holds is accepted")
    parser.add_argument("--root", action="append", dest="roots", metavar="FINGERPRINT",
                        help="the root key fingerprint the till's key chain must lead to (from its Z reports)")
    parser.add_argument("--no-schemas", action="store_true", help="do not check the data against the JSON Schemas")
    try:
        args = parser.parse_args(argv)
        roots = root_key_ids(args.roots)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    except TillError as error:
        print(error.text(), file=sys.stderr)
        return 2
    try:
        report = verify_archive(args.archive, trusted_key_ids=args.key_ids, check_schemas=not args.no_schemas,
                                roots=roots)
    except TillError as error:
        print(error.text(), file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
