"""The FEC (Fichier des Écritures Comptables) of a fiscal year, written in one streaming pass.

French law (LPF L47 A-I, A47 A-1; fiscal-fr.md section 3) asks every company keeping its books
by computer to hand the tax auditor one file per fiscal year with every accounting line: 18
columns in a fixed order under a header line, TAB-separated, dates ``AAAAMMJJ``, amounts with
a decimal comma, named ``<SIREN>FEC<closing date>.txt``. The till's books are the double-entry
lines written with every ticket and with every chain P document (cash in or out of the drawer
without a sale, a means correction: ``accounting_line``, by ``till.selling.accounting``); this
module only lays them out:

- one entry (``EcritureNum``) per ticket or document and journal, numbered 1, 2, 3... per
  journal over the year with no gap, tickets and documents together in the order they were
  made (so numbering is chronological, and the file is in that order across journals);
- a ticket's entry is in its lines' journal (``accounts.journal``, VT); a chain P document's
  in the cash journal ``accounts.cash_journal`` (CA): that money went through the drawer
  without a sale, a cash operation, not a sale (fiscal-fr.md 4.5). With both set alike,
  documents are numbered among the tickets;
- ``EcritureDate`` and ``PieceDate`` are the lines' accounting date (the business day),
  ``PieceRef`` the ticket's or the document's printed code (``P<till>-000001``), ``EcritureLib``
  what it is (a ticket's kind; a document's kind, the corrected ticket and the reason),
  ``ValidDate`` the day the till's daily closure (chain G) sealed that day: an entry is
  validated when its day is closed, never before (a document on a day no daily closure covers,
  a day without tickets, by the month's or the year's closure that covers it);
- ``CompteNum`` is the posted account, ``CompteLib`` its PCG label (``reports.pcg``), so each
  account has one label in the whole file; debit and credit are both filled, "0,00" on the
  empty side, formatted from integer cents (no float anywhere);
- the credit-note account (4197) is followed note by note: its lines carry the note's auxiliary
  account (``CompAuxNum``/``CompAuxLib``, ``reports.fec_credit``), other lines none.

The fiscal year is the twelve months starting in ``shop.fiscal_year_start`` (1 = January, the
default), and is named by the calendar year it ends in: with a July start, the fiscal year 2025
runs from 1 July 2024 to 30 June 2025 and its file is ``<SIREN>FEC20250630.txt``. Beside the FEC
the same export writes its description file (``reports.fec_notice``), and, given the till's
sealer, seals the export in chain L (``FEC_EXPORTED``: the fiscal year, the file, its SHA-256,
its line count and who), in the transaction that gives both files their names.

A year is exported only once all of it is closed on every till that sold or moved cash in it: a
FEC is the final books, and an open day could still take tickets. Otherwise the export is
refused with the reason and nothing is written. Memory stays flat: the lines are read through
two cursors (server-side ones on PostgreSQL), tickets and documents each in the order of their
indexed time, merged and written as they come, and the file appears under its name only when
complete (written aside, fsynced, renamed).
"""

from __future__ import annotations

import bisect
import datetime as dt
import getpass
import hashlib
import heapq
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from reports.base import ReportError
from reports.fec_credit import aux_label, aux_number, note_movements
from reports.fec_notice import NoticeFacts, notice_name, notice_text
from reports.pcg import account_label, journal_label
from store.db import is_postgres
from store.models import AccountingLine, CashMove, Ticket
from till.fiscal.cash_moves import KIND_LABELS as MOVE_LABELS
from till.fiscal.chain import current_database
from till.fiscal.closure_totals import DAY, business_zone, day_start
from till.fiscal.closures import KINDS, closures, last_closure
from till.fiscal.events import FEC_EXPORTED, record_event
from till.i18n import N_, translate

__all__ = ["COLUMNS", "FecResult", "FiscalYear", "export_fec", "fec_name", "fiscal_year", "parse_year", "MESSAGES",
           "cents_text"]

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise")
"""The 18 columns, in the order A47 A-1 lists them; the header line is these names."""

KIND_LABELS = {"sale": "Vente", "return": "Retour", "exchange": "Échange", "cancellation": "Annulation"}
ENCODINGS = ("iso-8859-15", "utf-8")
WRITE_EVERY = 4_000
"""Lines gathered before one write: few system calls, and still a bounded buffer."""

# --- Messages (marked N_ for the catalogues, till/locales) ------------------------------

BAD_YEAR = N_("{text} is not a fiscal year: write it as YYYY")
NO_SIREN = N_("The shop's SIRET is not set (shop.siret in till.toml): the FEC file is named after its SIREN")
NO_FOLDER = N_("Folder {folder} does not exist")
EXISTS = N_("File {file} already exists: it is never overwritten")
NO_CLOSURE = N_("No closure covers {year} on till {till_id}: close its days first (`till close year --year {year}`)")
NOT_CLOSED = N_("Year {year} is not closed on till {till_id}: it is closed up to {closed_until} only; close the "
                "remaining days first (`till close day`, `till close year --year {year}`)")
DAY_NOT_CLOSED = N_("Ticket {code} of {day} is in no daily closure: close that day before exporting")
UNBALANCED = N_("Entry of ticket {code} is not balanced (debit {debit} / credit {credit}): nothing was written")
BAD_ENCODING = N_("Unknown encoding {encoding}: choose one of {encodings}")
NOTES_DIFFER = N_("The credit-note lines of ticket {code} do not add up to its credit notes: nothing was written; "
                  "run `till journal verify`")
DOCUMENT_NOT_CLOSED = N_("Document {code} of {day} is in no closure: close that day before exporting")
DOCUMENT_UNBALANCED = N_("Entry of document {code} is not balanced (debit {debit} / credit {credit}): nothing was "
                         "written")
MESSAGES = (BAD_YEAR, NO_SIREN, NO_FOLDER, EXISTS, NO_CLOSURE, NOT_CLOSED, DAY_NOT_CLOSED, UNBALANCED, BAD_ENCODING,
            NOTES_DIFFER, DOCUMENT_NOT_CLOSED, DOCUMENT_UNBALANCED)

TICKET, DOCUMENT = "T", "P"
"""What a row read for the file comes from (its last column): a ticket, or a chain P document."""


@dataclass(frozen=True)
class FecResult:
    """What was written: the file, its line and entry counts, the totals (cents), its notice
    and its SHA-256."""

    path: Path
    lines: int
    entries: int
    debit_cents: int
    credit_cents: int
    notice: Path | None = None
    sha256: str = ""


@dataclass(frozen=True)
class FiscalYear:
    """A fiscal year: named by the calendar year of its last day, first and last days local."""

    year: int
    first_day: dt.date
    last_day: dt.date


def fiscal_year(config: Any, year: int) -> FiscalYear:
    """The fiscal ``year`` of the shop: twelve months from its ``shop.fiscal_year_start`` month
    (1, January, when not set), ending in the calendar ``year``."""
    start = int(getattr(config.shop, "fiscal_year_start", 1) or 1)
    first = dt.date(year if start == 1 else year - 1, start, 1)
    last = dt.date(first.year + 1, first.month, 1) - dt.timedelta(days=1)
    return FiscalYear(year, first, last)


def cents_text(cents: int) -> str:
    """Integer cents as the FEC writes an amount: ``123456`` -> ``1234,56``, no thousands separator."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def _clean(text: str) -> str:
    """A label as a FEC field: no TAB, CR, LF or ``|`` (they would split the line or the field)."""
    return " ".join(str(text).replace("|", "/").split())


def fec_name(siren: str, closing: dt.date) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the fiscal year's closing day (its last day,
    not the day of the export nor of the last entry)."""
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def _siren(config: Any) -> str:
    digits = "".join(ch for ch in str(config.shop.siret or "") if ch.isdigit())
    if len(digits) < 9 or set(digits[:9]) == {"0"}:
        raise ReportError(NO_SIREN)
    return digits[:9]


def parse_year(value: Any) -> int:
    """A fiscal year typed as ``YYYY``; a ``ReportError`` otherwise."""
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ReportError(BAD_YEAR, text=value) from None
    if not 1900 <= year <= 2099 or len(str(value).strip()) != 4:
        raise ReportError(BAD_YEAR, text=value)
    return year


def _stamp(value: Any) -> str:
    """A timestamp as the text SQLite stores (``YYYY-MM-DD HH:MM:SS[.ffffff]``), from either engine."""
    if isinstance(value, str):
        return value.replace("T", " ") if len(value) > 19 else value.replace("T", " ") + ".000000"
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class _Days:
    """A till's daily closures, to find the one that sealed a ticket (its ``ValidDate``)."""

    starts: list[str]
    ends: list[str]
    valid: list[str]

    def find(self, created: str) -> str | None:
        index = bisect.bisect_right(self.ends, created)
        if index < len(self.ends) and self.starts[index] <= created:
            return self.valid[index]
        return None


@dataclass
class _Sealed:
    """A till's closures, to find the one that validated an entry: its daily closure, and for a
    chain P document on a day no daily closure covers (a day without tickets is closed by its
    month's or year's closure), the closure of the month, else of the year, that covers it."""

    day: _Days
    wider: tuple[_Days, ...]

    def find(self, created: str, document: bool = False) -> str | None:
        found = self.day.find(created)
        for kind in self.wider if document else ():
            if found is not None:
                break
            found = kind.find(created)
        return found


def _day_closures(till_id: str, zone: dt.tzinfo, kind: str = DAY) -> _Days:
    starts, ends, valid = [], [], []
    for closure in closures(till_id, kind):
        closed = dt.datetime.fromisoformat(closure.payload["closed_at"].removesuffix("Z"))
        local = closed.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
        starts.append(_stamp(closure.period.start))
        ends.append(_stamp(closure.period.end))
        valid.append(max(local, closure.period.last_day).strftime("%Y%m%d"))
    return _Days(starts, ends, valid)


def _tills(start: dt.datetime, end: dt.datetime, default: str) -> list[str]:
    """Tills with counted tickets or chain P documents in ``[start, end)`` (the configured one
    when none): a till that only moved cash has books of the year too."""
    found = {t for (t,) in Ticket.select(Ticket.till_id).distinct()
             .where((Ticket.training == False) & (Ticket.created_at >= start)  # noqa: E712
                    & (Ticket.created_at < end)).tuples()}
    found.update(t for (t,) in CashMove.select(CashMove.till_id).distinct()
                 .where((CashMove.created_at >= start) & (CashMove.created_at < end)).tuples())
    return sorted(found) or [default]


def _require_closed(fiscal: FiscalYear, tills: list[str], zone: dt.tzinfo) -> dict[str, _Sealed]:
    """Each till's closures, to date its entries, once sure they (of any kind: a day, a month, the
    year) reach the end of the fiscal year; refused otherwise, naming the till and how far it is
    closed."""

    year = fiscal.year
    end = day_start(fiscal.last_day + dt.timedelta(days=1), zone)
    days = {}
    for till_id in tills:
        latest = [c for c in (last_closure(till_id, kind) for kind in KINDS) if c is not None]
        if not latest:
            raise ReportError(NO_CLOSURE, year=year, till_id=till_id)
        covered = max(latest, key=lambda c: c.period.end)
        if covered.period.end < end:
            if covered.period.last_day < fiscal.first_day:
                raise ReportError(NO_CLOSURE, year=year, till_id=till_id)
            raise ReportError(NOT_CLOSED, year=year, till_id=till_id,
                              closed_until=covered.period.last_day.isoformat())
        days[till_id] = _Sealed(_day_closures(till_id, zone),
                                tuple(_day_closures(till_id, zone, kind) for kind in KINDS[1:]))
    return days


def _rows(start: dt.datetime, end: dt.datetime) -> Iterator[tuple]:
    """The accounting lines of counted tickets made in ``[start, end)``, ticket by ticket, in the
    order of the (indexed) ticket time; a server-side cursor on PostgreSQL so rows stream.
    Each row: id, till, code, kind, time, journal, date, account, debit, credit, reason (none),
    corrected ticket (none), ``TICKET``."""

    t, a = Ticket._meta.table_name, AccountingLine._meta.table_name
    p = AccountingLine._meta.database.param
    sql = (f'SELECT t."id", t."till_id", t."code", t."kind", t."created_at", a."journal", a."entry_date", '
           f'a."account", a."debit_cents", a."credit_cents", NULL, NULL, \'{TICKET}\' '
           f'FROM "{t}" t JOIN "{a}" a ON a."ticket_id" = t."id" '
           f'WHERE t."training" = {p} AND t."created_at" >= {p} AND t."created_at" < {p} '
           f'ORDER BY t."created_at", t."id", a."journal", a."id"')
    yield from _stream(sql, (False, start, end), "till_fec_export")


def _move_rows(start: dt.datetime, end: dt.datetime, journal: str) -> Iterator[tuple]:
    """The accounting lines of the chain P documents made in ``[start, end)``, document by
    document, in the order of the (indexed) document time, as ``_rows`` gives a ticket's; each
    in ``journal`` (the FEC's cash journal), with the document's reason and corrected ticket.
    A document is never in training (training mode records none)."""

    c, a = CashMove._meta.table_name, AccountingLine._meta.table_name
    p = AccountingLine._meta.database.param
    sql = (f'SELECT c."id", c."till_id", c."code", c."kind", c."created_at", a."journal", a."entry_date", '
           f'a."account", a."debit_cents", a."credit_cents", c."reason", c."origin_reference", \'{DOCUMENT}\' '
           f'FROM "{c}" c JOIN "{a}" a ON a."cash_move_id" = c."id" '
           f'WHERE c."created_at" >= {p} AND c."created_at" < {p} '
           f'ORDER BY c."created_at", c."id", a."id"')
    for row in _stream(sql, (start, end), "till_fec_export_moves"):
        yield row[:5] + (journal,) + row[6:]


def _stream(sql: str, params: tuple, name: str) -> Iterator[tuple]:
    """The rows of ``sql``, fetched in batches; through a server-side cursor named ``name`` on
    PostgreSQL, so rows stream. Timestamps are bound as SQLite stores them; a ``False`` as 0."""
    database = AccountingLine._meta.database
    if is_postgres():
        cursor = database.connection().cursor(name=name, withhold=True)
        cursor.itersize = 20_000
    else:
        cursor = database.cursor()
        params = tuple(0 if value is False else _stamp(value)[:19] if isinstance(value, dt.datetime) else value
                       for value in params)
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(20_000):
            yield from batch
    finally:
        cursor.close()


def _in_order(start: dt.datetime, end: dt.datetime, cash_journal: str) -> Iterator[tuple]:
    """The lines of the tickets and of the chain P documents made in ``[start, end)``, merged in
    the order they were made (a ticket before a document of the same second), so entries are
    numbered in chronological order whatever their journal."""
    return heapq.merge(_rows(start, end), _move_rows(start, end, cash_journal),
                       key=lambda row: (_stamp(row[4]), row[12] == DOCUMENT, row[0]))


def _date_text(value: Any) -> str:
    return (value if isinstance(value, str) else value.isoformat())[:10].replace("-", "")


def export_fec(config: Any, year: Any, folder: Path | str, encoding: str = "iso-8859-15", *,
               sealer: Any = None, user_id: int | None = None) -> FecResult:
    """Write the FEC of fiscal ``year`` (the one ending in that calendar year) and its notice into
    ``folder``; refused, with nothing written, when the year is not wholly closed, the SIRET is
    missing or either file exists. With ``sealer`` the export is sealed in chain L (by
    ``user_id`` when known) in the transaction that names the files, so no file is out without
    its event and no event without its file."""
    year = parse_year(year)
    if encoding not in ENCODINGS:
        raise ReportError(BAD_ENCODING, encoding=encoding, encodings=", ".join(ENCODINGS))
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(NO_FOLDER, folder=str(folder))
    siren = _siren(config)
    fiscal = fiscal_year(config, year)
    target = folder / fec_name(siren, fiscal.last_day)
    notice = folder / notice_name(target.name)
    for path in (target, notice):
        if path.exists():
            raise ReportError(EXISTS, file=str(path))
    zone = business_zone(config)
    # Accounting dates are the shop's business days of the tickets (``till.selling.ticket_writer``):
    # tickets are read in the UTC bounds of the fiscal year widened by a day on each side, and each
    # line is kept when its date is inside the fiscal year, so a line sits in its own year.
    margin = dt.timedelta(days=1)
    start_utc = dt.datetime.combine(fiscal.first_day, dt.time(0)) - margin
    end_utc = dt.datetime.combine(fiscal.last_day + dt.timedelta(days=1), dt.time(0)) + margin
    first_text, last_text = f"{fiscal.first_day:%Y%m%d}", f"{fiscal.last_day:%Y%m%d}"
    tills = _tills(start_utc, end_utc, config.till.id)
    days = _require_closed(fiscal, tills, zone)
    layout = _Layout(config.accounts, days, note_movements(start_utc, end_utc))
    partial = folder / f".{target.name}.partial"
    partial_notice = folder / f".{notice.name}.partial"
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            _write(out, digest, "\t".join(COLUMNS), encoding)
            buffer: list[str] = []
            entry: list[tuple] = []
            current = None
            for row in _in_order(start_utc, end_utc, config.accounts.cash_journal):
                if not first_text <= _date_text(row[6]) <= last_text:
                    continue
                if (row[12], row[0], row[5]) != current:
                    if entry:
                        layout.entry(entry, buffer)
                    entry, current = [], (row[12], row[0], row[5])
                entry.append(row)
                if len(buffer) >= WRITE_EVERY:
                    _write(out, digest, "".join(buffer), encoding)
                    buffer.clear()
            if entry:
                layout.entry(entry, buffer)
            _write(out, digest, "".join(buffer), encoding)
            out.flush()
            os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        facts = NoticeFacts(
            company=config.shop.legal_name or config.shop.name, siren=siren, first_day=fiscal.first_day,
            last_day=fiscal.last_day, file_name=target.name, encoding=encoding, lines=layout.lines,
            entries=layout.entries, sha256=sha256,
            journals={code: journal_label(code) for code in layout.counters}, accounts=dict(layout.labels),
            aux_accounts=len(layout.aux_numbers), aux_account=config.accounts.credit_note,
            cash_journal=config.accounts.cash_journal if layout.documents else "")
        with open(partial_notice, "w", encoding=encoding, errors="replace", newline="") as out:
            out.write(notice_text(facts))
            out.flush()
            os.fsync(out.fileno())
        details = {"fiscal_year": {"first_day": fiscal.first_day.isoformat(), "last_day": fiscal.last_day.isoformat()},
                   "file": target.name, "sha256": sha256, "lines": layout.lines, "entries": layout.entries,
                   "notice": notice.name, "encoding": encoding, "system_user": _system_user()}
        _publish(sealer, user_id, details, ((partial_notice, notice), (partial, target)))
    finally:
        partial.unlink(missing_ok=True)
        partial_notice.unlink(missing_ok=True)
    return FecResult(target, layout.lines, layout.entries, layout.debit, layout.credit, notice, sha256)


def _move_label(kind: str, code: str, reason: str | None, corrected: str | None) -> str:
    """A chain P document's ``EcritureLib``: its kind in French, its code, the ticket it
    corrects, its reason (``Retrait vers le coffre P01-000004 : coffre du soir``), with no TAB,
    CR, LF or ``|``."""
    label = translate(MOVE_LABELS[kind], "fr") if kind in MOVE_LABELS else kind
    ticket = f" ({corrected})" if corrected else ""
    return _clean(f"{label} {code}{ticket} : {reason or ''}")


def _write(out: Any, digest: Any, text: str, encoding: str) -> None:
    """Encode ``text`` once, write it and hash the very bytes written (the notice and the
    chain L event give the file's SHA-256 without reading it again)."""
    data = text.encode(encoding, errors="replace")
    out.write(data)
    digest.update(data)


def _system_user() -> str:
    """The system account that ran the export (a shell has no till login)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _publish(sealer: Any, user_id: int | None, details: dict, moves: tuple[tuple[Path, Path], ...]) -> None:
    """Give the written files their names; with ``sealer``, in the transaction that seals the
    FEC_EXPORTED event, so a failed rename leaves neither event nor file behind."""
    done: list[Path] = []
    try:
        if sealer is None:
            for source, name in moves:
                os.replace(source, name)
                done.append(name)
            return
        with current_database().atomic():
            record_event(sealer, FEC_EXPORTED, "FEC exported", user_id=user_id, details=details)
            for source, name in moves:
                os.replace(source, name)
                done.append(name)
    except BaseException:
        for name in done:
            name.unlink(missing_ok=True)
        raise


class _Layout:
    """Lays out the lines of each entry as they stream by, numbering entries per journal and
    gathering what the notice lists (journals, accounts with their labels, auxiliary accounts)."""

    def __init__(self, accounts: Any, days: dict[str, _Sealed], notes: dict[int, list[tuple[str, int]]]):
        self.accounts = accounts
        self.days = days
        self.notes = notes
        self.labels: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.aux_numbers: set[str] = set()
        self.lines = self.entries = self.debit = self.credit = self.documents = 0

    def label(self, account: str) -> str:
        label = self.labels.get(account)
        if label is None:
            label = self.labels[account] = _clean(
                account_label(account, self.accounts.sales_prefix, self.accounts.vat_prefix))
        return label

    def entry(self, entry: list[tuple], buffer: list[str]) -> None:
        """One ticket's or chain P document's lines of one journal as one balanced entry with the
        next number."""
        ticket_id, till_id, code, kind, created, journal = entry[0][:6]
        document = entry[0][12] == DOCUMENT
        debit = sum(int(row[8]) for row in entry)
        credit = sum(int(row[9]) for row in entry)
        if debit != credit:
            raise ReportError(DOCUMENT_UNBALANCED if document else UNBALANCED, code=code, debit=cents_text(debit),
                              credit=cents_text(credit))
        created = _stamp(created)
        date = _date_text(entry[0][6])
        valid = self.days[till_id].find(created, document) if till_id in self.days else None
        if valid is None:
            raise ReportError(DOCUMENT_NOT_CLOSED if document else DAY_NOT_CLOSED, code=code, day=created[:10])
        valid = max(valid, date)
        if document:
            postings = [(row[7], "", "", int(row[8]), int(row[9])) for row in entry]
            label = _move_label(kind, code, entry[0][10], entry[0][11])
            self.documents += 1
        else:
            postings = self._by_note(ticket_id, code, entry)
            label = f"{KIND_LABELS.get(kind, kind.capitalize())} {_clean(code)}"
        number = self.counters.get(journal, 0) + 1
        self.counters[journal] = number
        head = f"\n{_clean(journal)}\t{journal_label(journal)}\t{number}\t{date}\t"
        middle = f"\t{_clean(code)}\t{date}\t{label}\t"
        tail = f"\t\t\t{valid}\t\t"
        for account, aux_num, aux_lib, line_debit, line_credit in postings:
            account = _clean(account)
            buffer.append(f"{head}{account}\t{self.label(account)}\t{aux_num}\t{aux_lib}{middle}"
                          f"{cents_text(line_debit)}\t{cents_text(line_credit)}{tail}")
            self.debit += line_debit
            self.credit += line_credit
        self.lines += len(postings)
        self.entries += 1

    def _by_note(self, ticket_id: int, code: str, entry: list[tuple]) -> list[tuple[str, str, str, int, int]]:
        """The entry's postings as ``(account, CompAuxNum, CompAuxLib, debit, credit)``: lines on
        the credit-note account are replaced, where the first of them was (else at the end), by
        one line per note the ticket moved, once sure these add up to them. The stored line is
        the net of the ticket's notes; the file shows each note, so a ticket that spends one
        note and issues another shows both, even when they cancel out in the stored line."""
        credit_account = self.accounts.credit_note
        notes = self.notes.get(ticket_id, [])
        on_notes = [row for row in entry if row[7] == credit_account]
        if not on_notes and (not notes or entry[0][5] != self.accounts.journal):
            return [(row[7], "", "", int(row[8]), int(row[9])) for row in entry]
        if sum(cents for _, cents in notes) != sum(int(row[8]) - int(row[9]) for row in on_notes):
            raise ReportError(NOTES_DIFFER, code=code)
        by_note = []
        for note_code, cents in notes:
            aux = aux_number(note_code)
            self.aux_numbers.add(aux)
            by_note.append((credit_account, aux, _clean(aux_label(note_code)), max(cents, 0), max(-cents, 0)))
        postings: list[tuple[str, str, str, int, int]] = []
        for row in entry:
            if row[7] != credit_account:
                postings.append((row[7], "", "", int(row[8]), int(row[9])))
            elif row is on_notes[0]:
                postings.extend(by_note)
        return postings if on_notes else postings + by_note
