"""An independent FEC checker, written from the specification (fiscal-fr.md section 3), not from
``reports/fec.py``: it reads a file the way the tax auditor's tools do and lists every breach.

Rules (A47 A-1, DGFiP Test-Compta-Demat, plus the stricter ones section 3.3 asks a generator
to ensure): file name ``<SIREN 9 digits>FEC<AAAAMMJJ>.txt`` with the closing date; ISO-8859-15
or UTF-8; a header line with the 18 column names in order; TAB separator; 18 fields on every
line; no empty line; mandatory fields filled; ``CompteNum`` starting with 3 digits; dates
``AAAAMMJJ``, real calendar days, 1900-2099; amounts in base 10 with a decimal comma, no
thousands separator, never negative, "0,00" on the empty side, not both sides filled; pairs
7/8, 14/15, 17/18 filled together; each entry (JournalCode, EcritureNum) balanced, on one date,
of at least 2 contiguous lines; the file balanced; ``EcritureNum`` continuous per journal
(1..n with no gap) and chronological; ``EcritureDate`` inside the fiscal year; ``ValidDate`` on
or after ``EcritureDate``; one label per journal and per account.
"""

from __future__ import annotations

import datetime as _dt
import re as _re

NAMES = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
         "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
         "ValidDate", "Montantdevise", "Idevise"]
MANDATORY = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15}
PAIRS = ((6, 7), (13, 14), (16, 17))
_FILE = _re.compile(r"^(?P<siren>\d{9})FEC(?P<closing>\d{8})\.txt$")
_AMOUNT = _re.compile(r"^-?\d+,\d{2}$")


def _day(text: str):
    if not _re.fullmatch(r"\d{8}", text or ""):
        return None
    try:
        day = _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2099 else None


def _cents(text: str):
    if not _AMOUNT.match(text or ""):
        return None
    sign = -1 if text.startswith("-") else 1
    units, cents = text.lstrip("-").split(",")
    return sign * (int(units) * 100 + int(cents))


def check(content: bytes, filename: str, year: int, first_day: _dt.date | None = None,
          last_day: _dt.date | None = None) -> tuple[list[str], dict]:
    """Every breach found in a FEC file's ``content`` (empty when compliant), and its totals.
    The fiscal year is the calendar ``year`` unless ``first_day`` and ``last_day`` say otherwise."""
    first_day = first_day or _dt.date(year, 1, 1)
    last_day = last_day or _dt.date(year, 12, 31)
    problems: list[str] = []
    named = _FILE.match(filename)
    if not named:
        problems.append(f"file name {filename!r} is not <SIREN>FEC<AAAAMMJJ>.txt")
    elif _day(named["closing"]) != last_day:
        problems.append(f"closing date of the name {named['closing']} is not the end of the fiscal year {last_day}")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("iso-8859-15")
    if text.startswith("\ufeff"):
        problems.append("byte order mark")
    lines = _re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()  # a final line end is allowed
    if not lines or lines[0].split("\t") != NAMES:
        return problems + ["header line is not the 18 column names separated by TAB"], {}
    entries: dict[tuple[str, str], dict] = {}
    journal_labels: dict[str, set] = {}
    account_labels: dict[str, set] = {}
    debit_total = credit_total = 0
    order: list[tuple[str, str]] = []
    for index, line in enumerate(lines[1:], start=2):
        if not line.strip():
            problems.append(f"line {index}: empty")
            continue
        fields = line.split("\t")
        if len(fields) != 18:
            problems.append(f"line {index}: {len(fields)} fields")
            continue
        for position in MANDATORY:
            if not fields[position].strip():
                problems.append(f"line {index}: {NAMES[position]} empty")
        if not _re.match(r"^\d{3}", fields[4]):
            problems.append(f"line {index}: CompteNum {fields[4]!r} does not start with 3 digits")
        days = {}
        for position in (3, 9, 15):
            days[position] = _day(fields[position])
            if days[position] is None:
                problems.append(f"line {index}: {NAMES[position]} {fields[position]!r} is not AAAAMMJJ")
        if fields[14] and _day(fields[14]) is None:
            problems.append(f"line {index}: DateLet is not a date")
        debit, credit = _cents(fields[11]), _cents(fields[12])
        if debit is None or credit is None:
            problems.append(f"line {index}: amounts {fields[11]!r}/{fields[12]!r} are not like 1234,56")
            debit, credit = debit or 0, credit or 0
        if debit < 0 or credit < 0:
            problems.append(f"line {index}: negative amount")
        if debit and credit:
            problems.append(f"line {index}: both debit and credit")
        if not debit and not credit:
            problems.append(f"line {index}: zero line")
        for a, b in PAIRS:
            if bool(fields[a]) != bool(fields[b]):
                problems.append(f"line {index}: {NAMES[a]} and {NAMES[b]} not filled together")
        entry_day, valid_day = days[3], days[15]
        if entry_day and not first_day <= entry_day <= last_day:
            problems.append(f"line {index}: EcritureDate outside fiscal year {year}")
        if entry_day and valid_day and valid_day < entry_day:
            problems.append(f"line {index}: ValidDate before EcritureDate")
        journal_labels.setdefault(fields[0], set()).add(fields[1])
        account_labels.setdefault(fields[4], set()).add(fields[5])
        key = (fields[0], fields[2])
        if key not in entries:
            entries[key] = {"debit": 0, "credit": 0, "dates": set(), "lines": []}
            order.append(key)
        entry = entries[key]
        entry["debit"] += debit
        entry["credit"] += credit
        entry["dates"].add(fields[3])
        entry["lines"].append(index)
        debit_total += debit
        credit_total += credit
    for key, entry in entries.items():
        if entry["debit"] != entry["credit"]:
            problems.append(f"entry {key}: unbalanced {entry['debit']} / {entry['credit']}")
        if len(entry["dates"]) != 1:
            problems.append(f"entry {key}: several dates")
        if len(entry["lines"]) < 2:
            problems.append(f"entry {key}: a single line")
        if entry["lines"] != list(range(entry["lines"][0], entry["lines"][0] + len(entry["lines"]))):
            problems.append(f"entry {key}: lines not contiguous")
    if debit_total != credit_total:
        problems.append(f"file unbalanced: {debit_total} / {credit_total}")
    per_journal: dict[str, list] = {}
    for journal, number in order:
        per_journal.setdefault(journal, []).append((number, min(entries[(journal, number)]["dates"])))
    for journal, numbers in per_journal.items():
        if not all(n.isdigit() for n, _ in numbers):
            problems.append(f"journal {journal}: EcritureNum not numeric")
            continue
        values = [int(n) for n, _ in numbers]
        if sorted(values) != list(range(1, len(values) + 1)):
            problems.append(f"journal {journal}: numbering is not continuous from 1")
        dated = sorted((int(n), d) for n, d in numbers)
        if any(later[1] < earlier[1] for earlier, later in zip(dated, dated[1:])):
            problems.append(f"journal {journal}: numbering is not chronological")
    for label_map, what in ((journal_labels, "journal"), (account_labels, "account")):
        for code, labels in label_map.items():
            if len(labels) != 1:
                problems.append(f"{what} {code}: several labels {sorted(labels)}")
    return problems, {"lines": len(lines) - 1, "entries": len(entries), "debit_cents": debit_total,
                      "credit_cents": credit_total, "journals": {j: len(n) for j, n in per_journal.items()}}


def public_check(result, first_day: _dt.date = _dt.date(2025, 1, 1), last_day: _dt.date = _dt.date(2025, 12, 31)):
    """The FEC of ``result`` (an ``export_fec`` result) through the independent public checker
    (django-accounting-fr's ``fec_check``, a test-only dependency), asserted clean: errors and
    warnings alike. Skips the test where the checker is not installed; returns its report."""
    import pytest

    fec_check = pytest.importorskip("accounting_fr.fec_check")
    report = fec_check.check_fec(result.path.read_bytes(), result.path.name, first_day, last_day)
    assert report.ok, report.errors
    assert report.warnings == []
    return report
