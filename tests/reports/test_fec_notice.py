"""What goes with a FEC file and around it: its description file (notice), the auxiliary
account of each credit note on 4197, the name dated by the fiscal year's closing day (also for
a fiscal year that does not start in January) and the chain L event sealing the export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import types

import pytest

from tests.reports.test_fec import SIRET, identified
from tests.support.clock import sealing_at
from tests.support import fec as fec_checker
from tests.support.reports import at, close, history
from reports.base import ReportError
from reports.fec import export_fec
from store.models import AccountingLine, CreditNote, FiscalRecord
from till.fiscal.closures import close_year
from till.selling.ticket_writer import DraftPayment, write_ticket
from tests.support.shop import paid_draft
from tests.support.fec import public_check

SPENT_ON = dt.date(2025, 3, 14)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _spend_note(shop, code: str, amount: int):
    """A sale on ``SPENT_ON`` paid ``amount`` with the credit note ``code`` and the rest in cash."""
    draft = paid_draft(shop, [("WIN", 1)], cash=None)
    total = sum(line.total_cents for line in draft.lines)
    draft = dataclasses.replace(draft, created_at=at(SPENT_ON), payments=(
        DraftPayment("credit_note", amount, code), DraftPayment("cash", total - amount)))
    with sealing_at(at(SPENT_ON)):  # signed that day
        ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    close(shop, at(SPENT_ON))
    return ticket


@pytest.fixture
def with_notes(shop):
    """The history (a return refunded as a 2,40 credit note), then 1,00 of that note spent."""
    tickets = history(shop)
    note = CreditNote.get()
    tickets["spend"] = _spend_note(shop, note.code, 100)
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    return shop, tickets, note


def _rows(path, encoding="iso-8859-15"):
    return [line.split("\t") for line in path.read_text(encoding=encoding).split("\n")[1:]]


def shifted(config, month: int):
    """``config`` whose fiscal year starts in ``month`` (``shop.fiscal_year_start``)."""
    shop = types.SimpleNamespace(**{f.name: getattr(config.shop, f.name) for f in dataclasses.fields(config.shop)})
    shop.fiscal_year_start = month
    return dataclasses.replace(config, shop=shop)


# --- 4197: one auxiliary account per credit note ------------------------------------------


def test_every_4197_line_names_its_credit_note_and_no_other_line_has_an_auxiliary(with_notes, out):
    shop, tickets, note = with_notes
    result = export_fec(identified(shop), 2025, out)
    rows = _rows(result.path)
    on_4197 = [r for r in rows if r[4] == "4197"]
    # the note's number: AV and 12 hexadecimal digits of the SHA-256 of its code; its label: the
    # code masked as in the logs. The code itself, a bearer voucher, is never in the file.
    number = "AV" + hashlib.sha256(note.code.replace("-", "").encode()).hexdigest()[:12].upper()
    label = "Avoir AV-****-****-****-*" + note.code[-5:]
    assert [(r[6], r[7], r[11], r[12]) for r in on_4197] == [
        (number, label, "0,00", "2,40"),  # issued by the return
        (number, label, "1,00", "0,00"),  # spent on the sale
    ]
    assert note.code not in result.path.read_text(encoding="iso-8859-15")
    assert all(r[6] == r[7] == "" for r in rows if r[4] != "4197")
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025)
    assert problems == [] and stats["entries"] == len(tickets)


def _aux(code: str) -> str:
    return "AV" + hashlib.sha256(code.replace("-", "").encode()).hexdigest()[:12].upper()


def test_a_ticket_spending_one_note_and_issuing_another_shows_both_notes(shop, out):
    history(shop)
    old = CreditNote.get()
    draft = paid_draft(shop, [("WIN", 1)], cash=None)
    total = sum(line.total_cents for line in draft.lines)
    draft = dataclasses.replace(draft, created_at=at(SPENT_ON), payments=(  # the change as a new note
        DraftPayment("credit_note", 240, old.code), DraftPayment("cash", total), DraftPayment("credit_note", -240)))
    with sealing_at(at(SPENT_ON)):  # signed that day
        write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    close(shop, at(SPENT_ON))
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    new = CreditNote.select().order_by(CreditNote.id.desc()).get()
    result = export_fec(identified(shop), 2025, out)
    rows = _rows(result.path)
    spent = [(r[6], r[11], r[12]) for r in rows if r[4] == "4197" and r[10].startswith("Vente")]
    assert spent == [(_aux(old.code), "2,40", "0,00"), (_aux(new.code), "0,00", "2,40")]
    assert fec_checker.check(result.path.read_bytes(), result.path.name, 2025)[0] == []
    assert "2 comptes auxiliaires" in result.notice.read_text(encoding="iso-8859-15")


def test_a_loyalty_reward_voucher_has_its_auxiliary_account(shop, out):
    from till.credit.loyalty import LoyaltySettings

    history(shop)
    rewarding = LoyaltySettings(enabled=True, points_per_euro=100, reward_threshold_points=100, reward_cents=500)
    draft = paid_draft(shop, [("WIN", 1)], customer=shop.customer)
    with sealing_at(at(SPENT_ON)):  # signed that day
        sale = write_ticket(shop.ctx.sealer, shop.config.accounts, dataclasses.replace(draft, created_at=at(SPENT_ON)),
                            loyalty=rewarding)
    close(shop, at(SPENT_ON))
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    rewards = list(CreditNote.select().where(CreditNote.issued_ticket == sale.id).order_by(CreditNote.id))
    assert len(rewards) > 1  # one line each, each with its own auxiliary account
    rows = [r for r in _rows(export_fec(identified(shop), 2025, out).path) if r[8] == sale.code]
    assert [(r[6], r[11], r[12]) for r in rows if r[4] == "4197"] == [(_aux(n.code), "0,00", "5,00") for n in rewards]
    assert all(r[6] == r[7] == "" for r in rows if r[4] != "4197")


def test_credit_note_lines_that_match_no_note_are_refused_and_nothing_is_written(with_notes, out):
    shop, tickets, _ = with_notes
    sale = tickets["b"]  # a card sale: no credit note
    AccountingLine.insert_many([
        {"ticket": sale.id, "journal": "VT", "entry_date": dt.date(2025, 3, 10), "account": account, "label": "x",
         "debit_cents": debit, "credit_cents": credit} for account, debit, credit in (("4197", 500, 0), ("531", 0, 500))
    ]).execute()
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2025, out, sealer=shop.ctx.sealer)
    assert sale.code in error.value.text("fr") and "avoirs" in error.value.text("fr")
    assert list(out.iterdir()) == [] and _events() == []


def test_auxiliary_accounts_pass_the_public_checker(with_notes, out):
    shop, _, _ = with_notes
    result = export_fec(identified(shop), 2025, out)
    public_check(result)


# --- The notice --------------------------------------------------------------------------


def test_the_notice_describes_the_file_beside_it(with_notes, out):
    shop, tickets, note = with_notes
    config = identified(shop)
    result = export_fec(config, 2025, out)
    notice = out / "732829320FEC20251231_notice.txt"
    assert result.notice == notice
    assert sorted(p.name for p in out.iterdir()) == ["732829320FEC20251231.txt", "732829320FEC20251231_notice.txt"]
    text = notice.read_text(encoding="iso-8859-15")
    rows = _rows(result.path)
    digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
    for expected in (config.shop.name, "SIREN : 732829320", "Exercice : du 01/01/2025 au 31/12/2025",
                     "till 0.1.0", "ISO-8859-15", "tabulation", "LF", "virgule", "AAAAMMJJ",
                     f"Nombre de lignes : {len(rows)}", f"Nombre d'écritures : {len(tickets)}",
                     f"SHA-256 du fichier : {digest}", "VT\tVentes", "732829320FEC20251231.txt"):
        assert expected in text, expected
    for column in fec_checker.NAMES:
        assert f"\n{column}\t" in text, column
    accounts = {r[4]: r[5] for r in rows}
    listed = text.split("Comptes utilisés")[1]
    for account, label in accounts.items():
        assert f"\n{account}\t{label}\n" in listed + "\n", account
    assert "4197" in accounts and "CompAuxNum" in listed


def test_the_notice_follows_the_chosen_encoding(with_notes, out):
    shop, _, _ = with_notes
    result = export_fec(identified(shop), 2025, out, encoding="utf-8")
    assert "UTF-8" in result.notice.read_text(encoding="utf-8")


def test_an_existing_notice_is_never_overwritten(with_notes, out):
    shop, _, _ = with_notes
    (out / "732829320FEC20251231_notice.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ReportError):
        export_fec(identified(shop), 2025, out)
    assert [p.name for p in out.iterdir()] == ["732829320FEC20251231_notice.txt"]


# --- The name: the fiscal year's closing day ---------------------------------------------


def test_a_fiscal_year_starting_in_july_is_named_by_its_closing_day(shop, out):
    tickets = history(shop)  # March 2025: in the fiscal year 2024-07-01 .. 2025-06-30
    # closed on 2 January 2026: the months after it are not over yet, so none closes by itself
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1), now=dt.datetime(2026, 1, 2, 8))
    config = shifted(identified(shop), 7)
    result = export_fec(config, 2025, out)
    assert result.path.name == "732829320FEC20250630.txt"
    assert result.entries == len(tickets)
    problems, _ = fec_checker.check(result.path.read_bytes(), result.path.name, 2025,
                                    first_day=dt.date(2024, 7, 1), last_day=dt.date(2025, 6, 30))
    assert problems == []
    assert "du 01/07/2024 au 30/06/2025" in result.notice.read_text(encoding="iso-8859-15")
    # the fiscal year 2026 (July 2025 .. June 2026) is closed up to 31 December 2025 only
    with pytest.raises(ReportError) as error:
        export_fec(config, 2026, out)
    assert "2025-12-31" in error.value.text("en")


def test_a_shifted_fiscal_year_leaves_out_the_lines_of_the_next_one(shop, out):
    history(shop)  # March 2025: after the fiscal year 2024-03-01 .. 2025-02-28
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    result = export_fec(shifted(identified(shop), 3), 2025, out)  # 2024-03-01 .. 2025-02-28
    assert result.path.name == "732829320FEC20250228.txt"
    assert (result.lines, result.entries) == (0, 0)


# --- The chain L event -------------------------------------------------------------------


def _events():
    return [json.loads(r.payload) for r in FiscalRecord.select().where(
        (FiscalRecord.chain == "L") & (FiscalRecord.kind == "FEC_EXPORTED")).order_by(FiscalRecord.id)]


def test_an_export_is_sealed_in_chain_l(with_notes, out):
    shop, _, _ = with_notes
    result = export_fec(identified(shop), 2025, out, sealer=shop.ctx.sealer, user_id=shop.manager.id)
    [event] = _events()
    assert event["code"] == "FEC_EXPORTED" and event["user_id"] == shop.manager.id
    details = event["details"]
    assert details["fiscal_year"] == {"first_day": "2025-01-01", "last_day": "2025-12-31"}
    assert details["file"] == "732829320FEC20251231.txt"
    assert details["sha256"] == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert (details["lines"], details["entries"]) == (result.lines, result.entries)
    assert details["notice"] == "732829320FEC20251231_notice.txt"
    assert details["system_user"]


def test_a_refused_export_seals_nothing(shop, out):
    history(shop)
    with pytest.raises(ReportError):
        export_fec(identified(shop), 2025, out, sealer=shop.ctx.sealer)
    assert _events() == []


def test_the_command_writes_the_notice_and_seals_its_export(with_notes, tmp_path, capsys):
    import argparse

    from till.cli import export as cli_export

    shop, _, _ = with_notes
    path = shop.config.path
    text = path.read_text(encoding="utf-8").replace('siret = "00000000000000"', f'siret = "{SIRET}"')
    path.write_text(text, encoding="utf-8")
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    cli_export.register(parser.add_subparsers(dest="command"))
    folder = tmp_path / "fec"
    folder.mkdir()
    args = parser.parse_args(["--config", str(path), "export", "fec", "--year", "2025", "--out", str(folder)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "732829320FEC20251231.txt" in printed and "732829320FEC20251231_notice.txt" in printed
    [event] = _events()
    assert event["details"]["file"] == "732829320FEC20251231.txt"
