"""The journal verifier: proves every chain whole, or names the first broken record.

For every (till, chain) it checks, record by record in sequence order (fiscal-fr.md R-SEC-07):
continuity from 1 with no gap or duplicate, the link to the previous signature, the hash of the
rebuilt message (``chain.signed_message``'s bytes), the ECDSA signature with the key named by
``key_id``, and, for ticket chains, that the sealed payload still equals the one rebuilt from
the ticket rows. Then that every ticket is sealed exactly once, that the chain reaches its
``ChainHead`` row and that its tail anchor (outside the database) agrees, by the same rules
as the till's own checks at start, closure and export (``till.fiscal.anchor_check``), so a cut
tail shows too.

Memory stays flat on a million records: records are read by keyset pages of one chain, the
tickets of a page are read with four bulk queries, and only counters cross pages. The cost per
record is one SHA-256, one ECDSA verification and, for tickets, the payload's text written from
the rows and compared with the sealed text; only when they differ are the exact rules applied
(``verify_records.same_payload``), so the verdicts are those of a rebuild-and-compare of every
payload.

What a record's own bytes show (message and hash, signature) is checked a page at a time by
``verify_records.check_page``: in worker processes (``till.fiscal.signature_pool``: threads
could not share it out, the Python around each check holds the GIL), one submission per page
and up to two pages per worker in flight, while this process checks the page's tickets
(``verify_records.check_tickets``) and reads the next pages; or here with ``workers=0``. The
answers name only the records with something wrong; each page is then walked in sequence order
in the calling process for what needs the record before (sequence, link, key order), so the
report is the same with any number of workers.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import peewee
from peewee import fn

from store.models import ChainHead, FiscalRecord, SigningKey, Ticket
from till.fiscal import signature_pool
from till.fiscal.anchor import AnchorStore
from till.fiscal.anchor_check import check_anchors
from till.fiscal.cash_move_check import check_cash_moves
from till.fiscal.chain import current_database, flush_anchors
from till.fiscal.closure_check import check_closures
from till.fiscal.imported_history import TICKET_TIME_WRONG, ImportedHistory, declared_histories
from till.fiscal.credit_ledger import check_credit_ledger
from till.fiscal.key_chain import KeyChain, KeyOrder, key_chain_of, root_problems
from till.fiscal.keys import key_id_of
from till.fiscal.payloads import TICKET_CHAINS, ticket_rows
from till.fiscal.problems import Problem, finding
from till.fiscal.verify_records import (GOOD, GOOD_TICKET, NO_TICKET, TICKET_GONE, TicketVerdict, Verdict, check_page,
                                       check_tickets)
from till.fiscal.verify_records import same_payload as _same_payload  # noqa: F401 - its former home
from till.i18n import Counted, translate

__all__ = ["Problem", "VerifyReport", "default_workers", "verify_journal"]

_LAST = float("inf")


@dataclass
class VerifyReport:
    """What ``verify_journal`` found. ``ok`` is False as soon as there is one problem."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    """Records read per (till_id, chain)."""
    roots: dict[str, str] = field(default_factory=dict)
    """Till id -> fingerprint of the root of its key chain (``till.fiscal.key_chain``): the key
    everything checked here leads back to, to compare with the Z reports and head office."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        """The first broken record (of the first chain with a problem), or None."""
        return self.problems[0] if self.problems else None

    def lines(self, lang: str | None = None) -> list[str]:
        """Human-readable lines for ``till journal verify``: verdict, counts, findings."""
        total = sum(self.counts.values())
        if self.ok:
            out = [translate("Journal verified: {records} in {chains}, no problem found.",
                             lang, records=records(total), chains=chains(len(self.counts)))]
        else:
            out = [translate("Journal NOT verified: {problems} in {records}.",
                             lang, problems=problems(len(self.problems)), records=records(total))]
        for (till_id, chain), count in sorted(self.counts.items()):
            out.append(translate("chain {chain} of till {till_id}: {records}", lang,
                                 chain=chain, till_id=till_id, records=records(count)))
        out.extend(problem.text(lang) for problem in self.problems)
        out.extend(translate("warning: {text}", lang, text=w.text(lang)) for w in self.warnings)
        out.extend(translate("key chain of till {till_id} checked against root key {fingerprint}", lang,
                             till_id=till_id, fingerprint=root) for till_id, root in sorted(self.roots.items()))
        return out


def records(count: int) -> Counted:
    """A number of journal records as the verdicts write it ("1 record", "12 records")."""
    return Counted("{count} record", "{count} records", count)


def chains(count: int) -> Counted:
    return Counted("{count} chain", "{count} chains", count)


def problems(count: int) -> Counted:
    return Counted("{count} problem", "{count} problems", count)


_RECORD = (
    FiscalRecord.id, FiscalRecord.sequence, FiscalRecord.kind, FiscalRecord.created_at,
    FiscalRecord.ticket_id, FiscalRecord.format_version, FiscalRecord.payload,
    FiscalRecord.previous_signature, FiscalRecord.hash, FiscalRecord.signature, FiscalRecord.key_id,
)


def _pages(till_id: str, chain: str, size: int) -> Iterator[list[tuple]]:
    """The chain's records in sequence order, a page at a time (keyset: no OFFSET, flat memory)."""
    database = current_database()
    after = -(2**31)
    while True:
        where = (FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain) & (FiscalRecord.sequence > after)
        query = FiscalRecord.select(*_RECORD).where(where).order_by(FiscalRecord.sequence, FiscalRecord.id).limit(size)
        page = database.execute(query).fetchall()
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1][1]


def _load_keys(public_keys: dict[str, str] | None, report: VerifyReport) -> dict[str, str]:
    """Key id -> PEM of every usable public key; a key whose id is not its own is a problem."""
    if public_keys is None:
        rows = SigningKey.select(SigningKey.key_id, SigningKey.till_id, SigningKey.public_key_pem).tuples()
    else:
        rows = [(key_id, "", pem) for key_id, pem in public_keys.items()]
    keys = {}
    for key_id, till_id, pem in rows:
        try:
            if key_id_of(pem) == key_id:
                keys[key_id] = pem
                continue
            message = "public key {key_id} is not the key of that id"
        except ValueError:
            message = "public key {key_id} cannot be read"
        report.problems.append(finding(till_id, "", None, message, key_id=key_id))
    return keys


class _ChainCheck:
    """Walks one chain; keeps only what links a record to the previous one."""

    def __init__(self, till_id: str, chain: str, keys: dict[str, str], report: VerifyReport,
                 key_chain: KeyChain | None = None, histories: Iterable[ImportedHistory] = ()) -> None:
        # Only the keys the till's key chain admits sign validly; ``known`` names the others.
        self.known = set(keys)
        self.order: KeyOrder | None = None if key_chain is None else key_chain.order(chain)
        if key_chain is not None:
            keys = key_chain.pems()
            self.known.update(keys)
        self.till_id, self.chain, self.keys, self.report = till_id, chain, keys, report
        self.expected, self.previous, self.last, self.count = 1, "", 0, 0
        self.duplicates: set[int] = set()
        self.histories = [history for history in histories if history.chain == chain]
        """Declared imported histories of this chain: their tickets may be dated before their seal."""

    def problem(self, sequence: int | None, message: str, /, **params: Any) -> None:
        self.report.problems.append(finding(self.till_id, self.chain, sequence, message, **params))

    def run(self, page_size: int, pool: Executor | None, workers: int) -> None:
        """Check page after page. Each page's records go whole to ``verify_records.check_page``:
        with a ``pool``, up to ``2 * workers`` pages are checked by the workers while this
        process checks their tickets and reads the next ones; each page's answers are then
        walked in order, so the findings are the very ones (and in the same order) of the
        single-process walk, and memory holds a bounded number of pages."""
        tickets = self.chain in TICKET_CHAINS
        waiting: collections.deque[tuple[list[tuple], Future, dict[int, TicketVerdict]]] = collections.deque()
        for page in _pages(self.till_id, self.chain, page_size):
            job = (self.till_id, self.chain, self.keys, page)
            future = None if pool is None else pool.submit(check_page, job)
            ticket_verdicts = {}
            if tickets:
                rows = ticket_rows([row[4] for row in page if row[4] is not None])
                ticket_verdicts = check_tickets(page, rows, self.histories)
            if future is None:
                self.check_page(page, check_page(job), ticket_verdicts)
                continue
            waiting.append((page, future, ticket_verdicts))
            while len(waiting) >= 2 * max(workers, 1):
                page, future, ticket_verdicts = waiting.popleft()
                self.check_page(page, future.result(), ticket_verdicts)
        while waiting:
            page, future, ticket_verdicts = waiting.popleft()
            self.check_page(page, future.result(), ticket_verdicts)

    def check_page(self, page: list[tuple], verdicts: dict[int, Verdict],
                   ticket_verdicts: dict[int, TicketVerdict]) -> None:
        get, get_ticket = verdicts.get, ticket_verdicts.get
        for index, row in enumerate(page):
            self.check(row, get(index, GOOD), get_ticket(index, GOOD_TICKET))

    def check(self, row: tuple, verdict: Verdict, ticket_verdict: TicketVerdict) -> None:
        """The findings of one record, in the order the single-process walk always made them."""
        _id, sequence, _kind, _created_at, ticket_id, _version, _payload, previous, _hash, signature, key_id = row
        self.count += 1
        if sequence == self.last:
            self.duplicates.add(sequence)
            return
        if sequence != self.expected:
            self.gap(sequence)
        if previous != self.previous:
            self.problem(sequence, "does not link to the previous record (previous signature differs)")
        if verdict.error is not None:
            self.problem(sequence, "cannot be read: {error}", error=verdict.error)
        else:
            if not verdict.hashed:
                self.problem(sequence, "hash does not match the record's content (record altered)")
            refused = None if self.order is None or key_id not in self.known else self.order.check(sequence, key_id)
            if refused is not None:
                self.problem(sequence, refused[0], **refused[1])
            elif verdict.signed is None:
                self.problem(sequence, "signed with unknown key {key_id}", key_id=key_id)
            elif not verdict.signed:
                self.problem(sequence, "signature is not valid (record altered or forged)")
        if ticket_verdict.ticket == NO_TICKET:
            self.problem(sequence, "names no ticket")
        elif ticket_verdict.ticket == TICKET_GONE:
            self.problem(sequence, "ticket {ticket_id} it seals no longer exists", ticket_id=ticket_id)
        elif ticket_verdict.ticket is False:
            self.problem(sequence, "payload differs from the ticket rows (ticket {ticket_id} was altered)",
                         ticket_id=ticket_id)
        if ticket_verdict.time_wrong is not None:
            business, sealed = ticket_verdict.time_wrong
            self.problem(sequence, TICKET_TIME_WRONG, ticket_time=_iso(business), sealed_at=_iso(sealed))
        self.previous, self.last, self.expected = signature, sequence, sequence + 1

    def gap(self, sequence: int) -> None:
        if sequence == self.expected + 1:
            self.problem(self.expected, "record {missing} is missing", missing=self.expected)
        elif sequence > self.expected:
            self.problem(self.expected, "records {first} to {last} are missing", first=self.expected, last=sequence - 1)
        else:
            self.problem(sequence, "sequence number {sequence} is out of order", sequence=sequence)

    def finish(self, head: tuple[int, str] | None) -> None:
        """Duplicates across pages and the chain head row."""
        self.report.counts[(self.till_id, self.chain)] = self.count
        mine = (FiscalRecord.till_id == self.till_id) & (FiscalRecord.chain == self.chain)
        if FiscalRecord.select().where(mine).count() != self.count or self.duplicates:  # some hid between pages
            self.duplicates.update(seq for (seq,) in FiscalRecord.select(FiscalRecord.sequence).where(mine)
                                   .group_by(FiscalRecord.sequence).having(fn.COUNT(FiscalRecord.id) > 1).tuples())
        for sequence in sorted(self.duplicates):
            self.problem(sequence, "sequence number {sequence} is used by more than one record", sequence=sequence)
        if head is None:
            if self.count:
                self.report.warnings.append(finding(self.till_id, self.chain, None, "the chain has no head row"))
        elif head[0] > self.last:
            self.problem(self.last + 1, "records from {first} on are missing: the chain head names record {last}",
                         first=self.last + 1, last=head[0])
        elif head[0] < self.last:
            self.problem(head[0] + 1, "records after {head} are not counted by the chain head", head=head[0])
        elif head[1] != self.previous:
            self.problem(self.last, "the last record differs from the chain head")


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def _check_tickets_sealed(report: VerifyReport) -> None:
    """Every ticket row has exactly one record in a ticket chain (set queries, no ticket in memory)."""
    sealed = FiscalRecord.select(FiscalRecord.id).where(
        (FiscalRecord.ticket_id == Ticket.id) & FiscalRecord.chain.in_(TICKET_CHAINS))
    unsealed = Ticket.select(Ticket.id, Ticket.till_id, Ticket.number).where(~fn.EXISTS(sealed)).order_by(Ticket.id)
    for ticket_id, till_id, number in unsealed.tuples():
        report.problems.append(finding(
            till_id, "T", None,
            "ticket {ticket_id} (number {number}) has no fiscal record (added afterwards, or its record deleted)",
            ticket_id=ticket_id, number=number))
    twice = (FiscalRecord.select(FiscalRecord.ticket_id)
             .where(FiscalRecord.chain.in_(TICKET_CHAINS) & FiscalRecord.ticket_id.is_null(False))
             .group_by(FiscalRecord.ticket_id).having(fn.COUNT(FiscalRecord.id) > 1).tuples())
    for (ticket_id,) in twice:
        first, *others = list(FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.chain, FiscalRecord.sequence)
                              .where(FiscalRecord.ticket_id == ticket_id).order_by(FiscalRecord.id).tuples())
        report.problems.extend(
            finding(till_id, chain, sequence, "ticket {ticket_id} is already sealed by record {first} of chain "
                     "{first_chain}", ticket_id=ticket_id, first=first[2], first_chain=first[1])
            for till_id, chain, sequence in others)


def _check_return_origins(report: VerifyReport) -> None:
    """A return names the record of the sale it reverses: its sealed ``origin`` must still be
    that sale's code and record signature (one set query: only mismatches come back)."""
    origin = Ticket.alias("origin")
    record = FiscalRecord.alias("origin_record")
    rows = (Ticket.select(Ticket.till_id, Ticket.number, Ticket.origin_reference, origin.code)
            .join(origin, on=(Ticket.origin_ticket == origin.id))
            .join(record, peewee.JOIN.LEFT_OUTER, on=((record.ticket_id == origin.id)
                                                      & record.chain.in_(TICKET_CHAINS)))
            .where(Ticket.origin_signature.is_null(False)
                   & ((record.id.is_null()) | (record.signature != Ticket.origin_signature)
                      | (Ticket.origin_reference != origin.code)))
            .order_by(Ticket.id).tuples())
    for till_id, number, reference, code in rows:
        report.problems.append(finding(
            till_id, "T", number,
            "return {number} names ticket {reference} but its signature or code is not that ticket's record",
            number=number, reference=reference or code))


class _RowChecks:
    """The checks of rows against the sealed records (tickets sealed once, returns, closures,
    cash moves, credit notes, ``checks``), which need no record order.

    With ``alongside``, they run in a thread on its own connection while the chains are walked:
    the calling process mostly waits for its workers then, and these checks are mostly the
    database's time (which lets the GIL go). Otherwise, or inside a transaction (another
    connection would not see its rows), they run in ``result``, after the walk."""

    def __init__(self, checks: Iterable[Callable[[], tuple[list[Problem], list[Problem]]]], alongside: bool) -> None:
        self.checks = tuple(checks)
        self.found: VerifyReport | None = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        if alongside:
            self.thread = threading.Thread(target=self._alongside, name="till-verify-rows", daemon=True)
            self.thread.start()

    def _alongside(self) -> None:
        try:
            self.found = self._run()
        except BaseException as error:  # noqa: BLE001 - raised again by ``result``, in the caller
            self.error = error
        finally:
            current_database().close()  # this thread's own connection

    def _run(self) -> VerifyReport:
        found = VerifyReport()
        _check_tickets_sealed(found)
        _check_return_origins(found)
        found.problems.extend(check_closures())
        found.problems.extend(check_cash_moves())
        for check_rows in (check_credit_ledger, *self.checks):
            problems, warnings = check_rows()
            found.problems.extend(problems)
            found.warnings.extend(warnings)
        return found

    def result(self) -> VerifyReport:
        if self.thread is None:
            return self._run()
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.found is not None
        return self.found


def default_workers() -> int:
    """Signature-checking processes ``verify_journal`` uses by default: one per core this
    process may run on, and none on a single core, where they could only take turns with it."""
    cpus = signature_pool.cores()
    return 0 if cpus < 2 else cpus


def verify_journal(public_keys: dict[str, str] | None = None, anchors: AnchorStore | None = None, *,
                   page_size: int = 500, workers: int | None = None,
                   checks: Iterable[Callable[[], tuple[list[Problem], list[Problem]]]] = (),
                   roots: list[str] | None = None) -> VerifyReport:
    """Verify every chain of the bound database; see the module docstring for what is checked.

    ``public_keys`` (key id -> PEM) replaces the ``SigningKey`` table, e.g. keys from an export
    the auditor trusts. ``anchors`` is the till's anchor folder, to detect a cut tail.
    ``workers`` processes check the ECDSA signatures (default: ``default_workers()``; 0, or
    fewer records than ``signature_pool.MIN_RECORDS``, checks them in this process); the report
    is the same whatever the number. ``roots``: root key ids
    (``key_chain.normalise_fingerprint``) every till's key chain must lead to.

    The credit-note ledger is always checked against its sealed records
    (``till.fiscal.credit_ledger``). ``checks`` are more checkers of rows derived from sealed
    records that need what this layer may not import (the accounting and stock rules, the
    configured accounts): each returns (problems, warnings); ``till journal verify`` passes them.
    """
    report = _verify_journal(public_keys, anchors, page_size, workers, checks)
    if roots is not None:
        report.problems.extend(root_problems(report.roots, roots))
    return report


def _verify_journal(public_keys: dict[str, str] | None, anchors: AnchorStore | None, page_size: int,
                    workers: int | None, checks: Iterable[Callable[[], tuple[list[Problem], list[Problem]]]]
                    ) -> VerifyReport:
    if workers is None:
        workers = default_workers()
    pool = signature_pool.signature_pool(FiscalRecord.select().count(), workers) if workers > 0 else None
    if pool is None:
        return _verify(public_keys, anchors, page_size, None, 1, checks)
    with pool:
        return _verify(public_keys, anchors, page_size, pool, workers, checks)


def _verify(public_keys: dict[str, str] | None, anchors: AnchorStore | None, page_size: int,
            pool: Executor | None, workers: int, checks: Iterable[Callable[[], tuple[list[Problem], list[Problem]]]]
            ) -> VerifyReport:
    report = VerifyReport()
    keys = _load_keys(public_keys, report)
    heads = {(t, c): (s, sig) for t, c, s, sig in
             ChainHead.select(ChainHead.till_id, ChainHead.chain, ChainHead.sequence, ChainHead.signature).tuples()}
    chains = set(FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.chain).distinct().tuples())
    chains.update(key for key, head in heads.items() if head[0] > 0)
    key_chains: dict[str, KeyChain] = {}
    for till_id in sorted({till_id for till_id, _chain in chains}):
        key_chains[till_id] = found = key_chain_of(till_id, keys)
        report.problems.extend(found.problems)
        if found.fingerprint is not None:
            report.roots[till_id] = found.fingerprint
    if anchors is not None:
        flush_anchors(30.0)  # this process's last commits may still be on their way to the folder
        # an anchor counts only when signed by a key its till's key chain admits
        admitted = {key_id: pem for found in key_chains.values() for key_id, pem in found.pems().items()}
        findings = check_anchors(anchors, keys=admitted)
        report.problems.extend(findings.problems + findings.unacknowledged)
        report.warnings.extend(findings.warnings)
    histories: dict[str, list[ImportedHistory]] = {}
    rows = _RowChecks(checks, alongside=pool is not None and not current_database().in_transaction())
    for till_id, chain in sorted(chains):
        if till_id not in histories:
            histories[till_id] = declared_histories(till_id)
        check = _ChainCheck(till_id, chain, keys, report, key_chains[till_id], histories[till_id])
        check.run(page_size, pool, workers)
        check.finish(heads.get((till_id, chain)))
    found = rows.result()
    report.problems.extend(found.problems)
    report.warnings.extend(found.warnings)
    for findings in (report.problems, report.warnings):  # stable: a record's findings keep their order
        findings.sort(key=lambda p: (p.till_id, p.chain, _LAST if p.sequence is None else p.sequence))
    return report
