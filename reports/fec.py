"""The FEC (Fichier des Écritures Comptables) of a fiscal year, written in one streaming pass.

French law (LPF L47 A-I, A47 A-1; fiscal-fr.md section 3) asks every company keeping its books
by computer to hand the tax auditor one file per fiscal year with every accounting line: 18
columns in a fixed order under a header line, TAB-separated, dates ``AAAAMMJJ``, amounts with
a decimal comma, named ``<SIREN>FEC<closing date>.txt``. The till's books are the double-entry
lines written with every ticket (``accounting_line``, by ``till.selling.accounting``); this module only
lays them out:

- one entry (``EcritureNum``) per ticket and journal, numbered 1, 2, 3... per journal over the
  year with no gap, in the order the tickets were made (so numbering is chronological);
- ``EcritureDate`` and ``PieceDate`` are the lines' accounting date, ``PieceRef`` the ticket's
  printed code, ``ValidDate`` the day the till's daily closure (chain G) sealed that ticket's
  day: an entry is validated when its day is closed, never before;
- ``CompteNum`` is the posted account, ``CompteLib`` its PCG label (``reports.pcg``), so each
  account has one label in the whole file; debit and credit are both filled, "0,00" on the
  empty side, formatted from integer cents (no float anywhere).

A year is exported only once all of it is closed on every till that sold in it: a FEC is the
final books, and an open day could still take tickets. Otherwise the export is refused with
the reason and nothing is written. Memory stays flat: the lines are read through a cursor
(a server-side one on PostgreSQL) in the order of the indexed ticket time, written as they
come, and the file appears under its name only when complete (written aside, fsynced, renamed).
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from reports.base import ReportError
from reports.pcg import account_label, journal_label
from store.db import is_postgres
from store.models import AccountingLine, Ticket
from till.fiscal.closure_totals import DAY, YEAR, business_zone, period_of
from till.fiscal.closures import KINDS, closures, last_closure
from till.i18n import N_

__all__ = ["COLUMNS", "FecResult", "export_fec", "fec_name", "parse_year", "MESSAGES", "cents_text"]

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
MESSAGES = (BAD_YEAR, NO_SIREN, NO_FOLDER, EXISTS, NO_CLOSURE, NOT_CLOSED, DAY_NOT_CLOSED, UNBALANCED, BAD_ENCODING)


@dataclass(frozen=True)
class FecResult:
    """What was written: the file, its line and entry counts, and the totals (cents)."""

    path: Path
    lines: int
    entries: int
    debit_cents: int
    credit_cents: int


def cents_text(cents: int) -> str:
    """Integer cents as the FEC writes an amount: ``123456`` -> ``1234,56``, no thousands separator."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def _clean(text: str) -> str:
    """A label as a FEC field: no TAB, CR, LF or ``|`` (they would split the line or the field)."""
    return " ".join(str(text).replace("|", "/").split())


def fec_name(siren: str, year: int) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the fiscal year's closing day (31 December)."""
    return f"{siren}FEC{year:04d}1231.txt"


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


def _day_closures(till_id: str, zone: dt.tzinfo) -> _Days:
    starts, ends, valid = [], [], []
    for closure in closures(till_id, DAY):
        closed = dt.datetime.fromisoformat(closure.payload["closed_at"].removesuffix("Z"))
        local = closed.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
        starts.append(_stamp(closure.period.start))
        ends.append(_stamp(closure.period.end))
        valid.append(max(local, closure.period.last_day).strftime("%Y%m%d"))
    return _Days(starts, ends, valid)


def _tills(start: dt.datetime, end: dt.datetime, default: str) -> list[str]:
    """Tills with counted tickets in ``[start, end)`` (the configured one when none)."""
    found = [t for (t,) in Ticket.select(Ticket.till_id).distinct()
             .where((Ticket.training == False) & (Ticket.created_at >= start)  # noqa: E712
                    & (Ticket.created_at < end)).tuples()]
    return sorted(found) or [default]


def _require_closed(year: int, tills: list[str], zone: dt.tzinfo) -> dict[str, _Days]:
    """Each till's daily closures, once sure its closures (of any kind: a day, a month, the year)
    reach the end of the fiscal year; refused otherwise, naming the till and how far it is closed."""

    period = period_of(YEAR, dt.date(year, 1, 1), zone)
    days = {}
    for till_id in tills:
        latest = [c for c in (last_closure(till_id, kind) for kind in KINDS) if c is not None]
        if not latest:
            raise ReportError(NO_CLOSURE, year=year, till_id=till_id)
        covered = max(latest, key=lambda c: c.period.end)
        if covered.period.end < period.end:
            if covered.period.last_day < period.first_day:
                raise ReportError(NO_CLOSURE, year=year, till_id=till_id)
            raise ReportError(NOT_CLOSED, year=year, till_id=till_id,
                              closed_until=covered.period.last_day.isoformat())
        days[till_id] = _day_closures(till_id, zone)
    return days


def _rows(start: dt.datetime, end: dt.datetime) -> Iterator[tuple]:
    """The accounting lines of counted tickets made in ``[start, end)``, ticket by ticket, in the
    order of the (indexed) ticket time; a server-side cursor on PostgreSQL so rows stream."""

    database = AccountingLine._meta.database
    t, a = Ticket._meta.table_name, AccountingLine._meta.table_name
    p = database.param
    sql = (f'SELECT t."id", t."till_id", t."code", t."kind", t."created_at", a."journal", a."entry_date", '
           f'a."account", a."debit_cents", a."credit_cents" FROM "{t}" t JOIN "{a}" a ON a."ticket_id" = t."id" '
           f'WHERE t."training" = {p} AND t."created_at" >= {p} AND t."created_at" < {p} '
           f'ORDER BY t."created_at", t."id", a."journal", a."id"')
    params = (False, start, end)
    if is_postgres():
        cursor = database.connection().cursor(name="till_fec_export", withhold=True)
        cursor.itersize = 20_000
    else:
        cursor = database.cursor()
        params = (0, _stamp(start)[:19], _stamp(end)[:19])
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(20_000):
            yield from batch
    finally:
        cursor.close()


def _date_text(value: Any) -> str:
    return (value if isinstance(value, str) else value.isoformat())[:10].replace("-", "")


def export_fec(config: Any, year: Any, folder: Path | str, encoding: str = "iso-8859-15") -> FecResult:
    """Write the FEC of fiscal ``year`` (calendar year) into ``folder``; refused, with nothing
    written, when the year is not wholly closed, the SIRET is missing or the file exists."""
    year = parse_year(year)
    if encoding not in ENCODINGS:
        raise ReportError(BAD_ENCODING, encoding=encoding, encodings=", ".join(ENCODINGS))
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(NO_FOLDER, folder=str(folder))
    siren = _siren(config)
    target = folder / fec_name(siren, year)
    if target.exists():
        raise ReportError(EXISTS, file=str(target))
    zone = business_zone(config)
    # Accounting dates are the UTC dates of the tickets (``till.selling.ticket_writer``): the year's lines
    # are those of tickets made in its UTC bounds; the day on each side is read and filtered out
    # by date, so a different convention would still put each line in its own year.
    first_utc, end_utc = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    margin = dt.timedelta(days=1)
    tills = _tills(first_utc - margin, end_utc + margin, config.till.id)
    days = _require_closed(year, tills, zone)
    accounts = config.accounts
    labels: dict[str, str] = {}
    year_text = f"{year:04d}"
    counters: dict[str, int] = {}
    partial = folder / f".{target.name}.partial"
    totals = [0, 0, 0, 0]  # lines, entries, debit, credit
    try:
        with open(partial, "w", encoding=encoding, errors="replace", newline="") as out:
            out.write("\t".join(COLUMNS))
            buffer: list[str] = []
            entry: list[tuple] = []
            key = None
            for row in _rows(first_utc - margin, end_utc + margin):
                if _date_text(row[6])[:4] != year_text:
                    continue
                if (row[0], row[5]) != key:
                    if entry:
                        _flush(entry, counters, labels, accounts, days, buffer, totals)
                    entry, key = [], (row[0], row[5])
                entry.append(row)
                if len(buffer) >= WRITE_EVERY:
                    out.write("".join(buffer))
                    buffer.clear()
            if entry:
                _flush(entry, counters, labels, accounts, days, buffer, totals)
            out.write("".join(buffer))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return FecResult(target, totals[0], totals[1], totals[2], totals[3])


def _flush(entry: list[tuple], counters: dict[str, int], labels: dict[str, str], accounts: Any,
           days: dict[str, _Days], buffer: list[str], totals: list[int]) -> None:
    """Lay out one ticket's lines of one journal as one balanced entry with the next number."""
    ticket_id, till_id, code, kind, created, journal = entry[0][:6]
    debit = sum(int(row[8]) for row in entry)
    credit = sum(int(row[9]) for row in entry)
    if debit != credit:
        raise ReportError(UNBALANCED, code=code, debit=cents_text(debit), credit=cents_text(credit))
    created = _stamp(created)
    date = _date_text(entry[0][6])
    valid = days[till_id].find(created) if till_id in days else None
    if valid is None:
        raise ReportError(DAY_NOT_CLOSED, code=code, day=created[:10])
    valid = max(valid, date)
    number = counters.get(journal, 0) + 1
    counters[journal] = number
    head = f"\n{_clean(journal)}\t{journal_label(journal)}\t{number}\t{date}\t"
    middle = f"\t\t\t{_clean(code)}\t{date}\t{KIND_LABELS.get(kind, kind.capitalize())} {_clean(code)}\t"
    tail = f"\t\t\t{valid}\t\t"
    for row in entry:
        account = _clean(row[7])
        label = labels.get(account)
        if label is None:
            label = labels[account] = _clean(account_label(account, accounts.sales_prefix, accounts.vat_prefix))
        buffer.append(f"{head}{account}\t{label}{middle}{cents_text(int(row[8]))}\t{cents_text(int(row[9]))}{tail}")
    totals[0] += len(entry)
    totals[1] += 1
    totals[2] += debit
    totals[3] += credit
