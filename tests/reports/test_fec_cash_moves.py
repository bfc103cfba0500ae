"""Chain P documents in the FEC: cash in and out of the drawer without a sale and means
corrections are entries of the fiscal year's file like the tickets, in the cash journal, with
the document's number as PieceRef, numbered in the order they were made among the others."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from peewee import fn

from tests.reports.test_fec import identified
from tests.reports.test_fec_notice import _rows, shifted
from tests.selling.test_cash_moves import correct, move
from tests.support import fec as fec_checker
from tests.support.reports import at, close, history, sell_at
from tests.support.fec import public_check
from reports.base import ReportError
from reports.fec import export_fec
from store.models import AccountingLine, CashMove, Ticket
from till.fiscal.cash_moves import (
    BANK_DEPOSIT, FLOAT_TOP_UP, OPENING_FLOAT, PETTY_EXPENSE, WITHDRAWAL,
)
from till.fiscal.closures import close_year, closures
from till.selling.cash_moves import CashMoveError

MARCH_14 = dt.date(2025, 3, 14)


@pytest.fixture
def made_at(monkeypatch):
    """``made_at(when, write)``: run the chain P workflow ``write()`` as if the clock read ``when``
    (naive UTC), so a document lands on a known past business day."""

    def made(when: dt.datetime, write):
        monkeypatch.setattr("till.selling.cash_moves.utcnow", lambda: when)
        return write()

    return made


@pytest.fixture
def moved(shop, made_at):
    """Documents around two fiscal years, each of its days closed as the shop does:

    - 2024-12-31 10:00 UTC, an opening float: the fiscal year 2024;
    - 2024-12-31 23:30 UTC, a top-up: 1 January 2025 in Paris, so the fiscal year 2025;
    - the history of March 2025 (tickets only), then on 14 March documents between sales: a
      float (and one refused in training mode), a sale in cash, a withdrawal whose reason has a TAB and a ``|``, the correction
      of that sale to card, a card sale, a petty expense and cash taken to the bank;
    - 1 July 2025, a withdrawal on a day with no ticket and no daily closure of its own (the
      month's closure covers it), then the year 2025 closed.
    """
    docs, tickets = {}, {}
    docs["old"] = made_at(dt.datetime(2024, 12, 31, 10), lambda: move(shop, OPENING_FLOAT, 10000, "fonds"))
    close(shop, dt.datetime(2024, 12, 31, 10))
    docs["new_year"] = made_at(dt.datetime(2024, 12, 31, 23, 30), lambda: move(shop, FLOAT_TOP_UP, 2000, "appoint"))
    close(shop, dt.datetime(2025, 1, 1, 10))  # 1 January in Paris, closed that evening
    tickets.update(history(shop))
    docs["float"] = made_at(at(MARCH_14, 8), lambda: move(shop, OPENING_FLOAT, 15000, "fonds du matin"))
    with pytest.raises(CashMoveError):  # a practice session moves no money: no document, no entry
        made_at(at(MARCH_14, 8), lambda: move(shop, FLOAT_TOP_UP, 500, "formation", training=True))
    tickets["cash"] = sell_at(shop, [("WIN", 1)], at(MARCH_14, 9), cash=895)
    docs["safe"] = made_at(at(MARCH_14, 10), lambda: move(shop, WITHDRAWAL, 5000, "coffre\tdu |soir\n"))
    docs["fix"] = made_at(at(MARCH_14, 11), lambda: correct(shop, tickets["cash"], 895))
    tickets["card"] = sell_at(shop, [("SOA", 1)], at(MARCH_14, 12), card=350)
    docs["stamps"] = made_at(at(MARCH_14, 13), lambda: move(shop, PETTY_EXPENSE, 1250, "timbres"))
    docs["bank"] = made_at(at(MARCH_14, 14), lambda: move(shop, BANK_DEPOSIT, 4000, "remise"))
    close(shop, at(MARCH_14))
    docs["july"] = made_at(at(dt.date(2025, 7, 1)), lambda: move(shop, WITHDRAWAL, 1000, "coffre"))
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    return shop, docs, tickets


def _entries(rows):
    """The file's entries in file order: (journal, number, PieceRef, its rows)."""
    entries: list[tuple[str, str, str, list]] = []
    for row in rows:
        if not entries or (entries[-1][0], entries[-1][1]) != (row[0], row[2]):
            entries.append((row[0], row[2], row[8], []))
        entries[-1][3].append(row)
    return entries


def _lines_between(first: dt.date, last: dt.date):
    return tuple(AccountingLine.select(fn.COUNT(AccountingLine.id), fn.SUM(AccountingLine.debit_cents))
                 .where(AccountingLine.entry_date.between(first, last)).tuples().first())


def test_every_chain_p_document_of_the_year_is_an_entry_of_the_cash_journal(moved, tmp_path):
    shop, docs, tickets = moved
    result = export_fec(identified(shop), 2025, tmp_path)
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025)
    assert problems == []
    # every line of the year's tickets and documents, and nothing else
    assert (stats["lines"], stats["debit_cents"]) == _lines_between(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    in_year = [d for name, d in docs.items() if name != "old"]
    assert CashMove.select().count() == len(docs)
    assert stats["journals"] == {"VT": len(tickets), "CA": len(in_year)}
    entries = _entries(_rows(result.path))
    # one entry per document, numbered 1..n in the cash journal in the order they were made,
    # and the file in the order of all tickets and documents
    cash = [(number, ref) for journal, number, ref, _ in entries if journal == "CA"]
    assert cash == [(str(n), d.code) for n, d in enumerate(in_year, start=1)]
    made = sorted([(t.created_at, t.code) for t in tickets.values()] + [(d.created_at, d.code) for d in in_year])
    assert [ref for _, _, ref, _ in entries] == [code for _, code in made]
    assert docs["old"].code not in result.path.read_text(encoding="iso-8859-15")
    by_ref = {ref: lines for _, _, ref, lines in entries}
    # the top-up of 31 December 23:30 UTC is of 1 January in Paris: its date, its year
    top_up = by_ref[docs["new_year"].code]
    assert [(r[0], r[1], r[3], r[9]) for r in top_up] == [("CA", "Caisse", "20250101", "20250101")] * 2
    assert [(r[4], r[5], r[11], r[12]) for r in top_up] == [
        ("531", "Caisse siège social", "20,00", "0,00"), ("580", "Virements internes", "0,00", "20,00")]
    assert {r[10] for r in top_up} == {f"Complément du fonds de caisse {docs['new_year'].code} : appoint"}
    # kind and reason say what it is, with no TAB, CR, LF or | to split the line
    safe = by_ref[docs["safe"].code]
    assert {r[10] for r in safe} == {f"Retrait vers le coffre {docs['safe'].code} : coffre du /soir"}
    assert [(r[4], r[11], r[12]) for r in safe] == [("580", "50,00", "0,00"), ("531", "0,00", "50,00")]
    fix = by_ref[docs["fix"].code]
    assert {r[10] for r in fix} == {
        f"Correction de moyen de paiement {docs['fix'].code} ({tickets['cash'].code}) : card keyed as cash"}
    assert [(r[4], r[5], r[11], r[12]) for r in fix] == [
        ("5115", "Cartes bancaires à encaisser", "8,95", "0,00"), ("531", "Caisse siège social", "0,00", "8,95")]
    stamps = by_ref[docs["stamps"].code]
    assert [(r[4], r[5], r[11], r[12]) for r in stamps] == [
        ("6068", "Autres matières et fournitures", "12,50", "0,00"), ("531", "Caisse siège social", "0,00", "12,50")]
    assert {r[10] for r in stamps} == {f"Petite dépense {docs['stamps'].code} : timbres"}
    assert {(r[4], r[11], r[12]) for r in by_ref[docs["bank"].code]} == {("580", "40,00", "0,00"),
                                                                         ("531", "0,00", "40,00")}
    # validated by the closure that sealed the document's day; the July withdrawal, on a day no
    # daily (nor monthly: no ticket in July) closure covers, by the year's closure
    sealed = {c.period.first_day: c.payload["closed_at"][:10].replace("-", "") for c in closures("01", "day")}
    assert {r[15] for r in by_ref[docs["float"].code]} == {sealed[MARCH_14]}
    assert dt.date(2025, 7, 1) not in sealed
    (year,) = [c for c in closures("01", "year") if c.period.first_day == dt.date(2025, 1, 1)]
    from zoneinfo import ZoneInfo

    closed = dt.datetime.fromisoformat(year.payload["closed_at"].rstrip("Z")).replace(tzinfo=dt.timezone.utc)
    # validated on the day the year was closed in the shop (Paris), which is not UTC's near midnight
    assert {(r[3], r[15]) for r in by_ref[docs["july"].code]} == {
        ("20250701", closed.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y%m%d"))}


def test_the_notice_lists_the_cash_journal_and_the_new_accounts(moved, tmp_path):
    shop, docs, tickets = moved
    result = export_fec(identified(shop), 2025, tmp_path)
    text = result.notice.read_text(encoding="iso-8859-15")
    journals = text.split("Journaux utilisés")[1].split("\n\n")[0]
    assert "\nVT\tVentes" in journals and "\nCA\tCaisse" in journals
    accounts = text.split("Comptes utilisés")[1].split("\n\n")[0]
    for line in ("580\tVirements internes", "6068\tAutres matières et fournitures", "5115\tCartes bancaires"):
        assert f"\n{line}" in accounts, line
    assert f"Nombre d'écritures : {len(tickets) + len(docs) - 1}" in text
    assert "journal CA, pièce P<caisse>-<numéro>" in text


def test_the_cash_moves_pass_the_public_checker(moved, tmp_path):
    shop, docs, tickets = moved
    result = export_fec(identified(shop), 2025, tmp_path)
    assert result.entries == len(tickets) + len(docs) - 1  # all but the document of 2024
    public_check(result)


def test_a_document_of_another_fiscal_year_is_in_that_year_only(moved, tmp_path):
    shop, docs, _ = moved
    result = export_fec(identified(shop), 2024, tmp_path)
    rows = _rows(result.path)
    assert {r[8] for r in rows} == {docs["old"].code}
    assert [(r[0], r[2], r[3], r[4], r[11], r[12]) for r in rows] == [
        ("CA", "1", "20241231", "531", "100,00", "0,00"), ("CA", "1", "20241231", "580", "0,00", "100,00")]
    assert fec_checker.check(result.path.read_bytes(), result.path.name, 2024)[0] == []


@pytest.mark.parametrize("start, first, last, names", [
    (7, dt.date(2024, 7, 1), dt.date(2025, 6, 30), ("old", "new_year", "float", "safe", "fix", "stamps", "bank")),
    (3, dt.date(2024, 3, 1), dt.date(2025, 2, 28), ("old", "new_year")),
])
def test_a_fiscal_year_starting_in_another_month_holds_its_own_documents(moved, tmp_path, start, first, last, names):
    shop, docs, _ = moved
    result = export_fec(shifted(identified(shop), start), 2025, tmp_path)
    assert result.path.name == f"732829320FEC{last:%Y%m%d}.txt"
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025, first_day=first,
                                        last_day=last)
    assert problems == []
    cash = [(r[2], r[8]) for r in _rows(result.path) if r[0] == "CA"]
    assert list(dict.fromkeys(cash)) == [(str(n), docs[name].code) for n, name in enumerate(names, start=1)]
    assert (stats["lines"], stats["debit_cents"]) == _lines_between(first, last)


def test_documents_in_the_sales_journal_are_numbered_among_the_tickets(moved, tmp_path):
    """A shop whose accountant wants one journal (``accounts.cash_journal`` = ``accounts.journal``)
    gets one sequence, gap-free, in the order tickets and documents were made."""
    shop, docs, tickets = moved
    config = identified(shop)
    config = dataclasses.replace(config, accounts=dataclasses.replace(config.accounts, cash_journal="VT"))
    result = export_fec(config, 2025, tmp_path)
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025)
    assert problems == [] and stats["journals"] == {"VT": len(tickets) + len(docs) - 1}
    made = sorted([(t.created_at, t.code) for t in tickets.values()]
                  + [(d.created_at, d.code) for name, d in docs.items() if name != "old"])
    entries = _entries(_rows(result.path))
    assert [(number, ref) for _, number, ref, _ in entries] == [
        (str(n), code) for n, (_, code) in enumerate(made, start=1)]


def test_a_till_with_documents_only_must_be_closed_too(shop, made_at, tmp_path):
    """A till that sold nothing in the year but moved cash: its documents are books too, so the
    year is exported once that till is closed as well."""
    from till.fiscal.chain import Sealer

    history(shop)
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    sealer = shop.ctx.sealer
    other = dataclasses.replace(shop, ctx=dataclasses.replace(shop.ctx, sealer=Sealer("02", sealer.signer, None,
                                                                                       sealer.zone)))
    made_at(at(MARCH_14), lambda: move(other, OPENING_FLOAT, 5000, "fonds"))
    assert CashMove.select().where(CashMove.till_id == "02").count() == 1
    assert Ticket.select().where(Ticket.till_id == "02").count() == 0
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2025, out)
    assert error.value.message.startswith("No closure covers {year}") and "till 02" in error.value.text("en")
    assert list(out.iterdir()) == []


def test_documents_are_in_the_fec_on_both_engines(any_shop, made_at, tmp_path):
    shop = any_shop
    tickets = history(shop)
    float_in = made_at(at(MARCH_14, 8), lambda: move(shop, OPENING_FLOAT, 15000, "fonds"))
    sale = sell_at(shop, [("WIN", 1)], at(MARCH_14, 9), cash=895)
    fix = made_at(at(MARCH_14, 11), lambda: correct(shop, sale, 895))
    close(shop, at(MARCH_14))
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    result = export_fec(identified(shop), 2025, tmp_path)
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025)
    assert problems == [] and stats["journals"] == {"VT": len(tickets) + 1, "CA": 2}
    assert (stats["lines"], stats["debit_cents"]) == _lines_between(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    entries = _entries(_rows(result.path))
    assert [(journal, ref) for journal, _, ref, _ in entries[-3:]] == [
        ("CA", float_in.code), ("VT", sale.code), ("CA", fix.code)]


def test_an_unbalanced_document_stops_the_export_and_nothing_is_written(moved, tmp_path):
    shop, docs, _ = moved
    AccountingLine.create(cash_move=docs["stamps"].id, journal="VT", entry_date=MARCH_14, account="531",
                          label="x", debit_cents=100, credit_cents=0)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2025, out)
    assert error.value.message.startswith("Entry of document {code} is not balanced")
    assert f"mouvement de caisse {docs['stamps'].code}" in error.value.text("fr")
    assert list(out.iterdir()) == []
