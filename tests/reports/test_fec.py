"""The FEC export (reports/fec.py, `till export fec`) on a real shop, checked by an independent
checker written from the specification (fec_checker.py) and, when it installs, by the public
``accounting_fr.fec_check`` of django-accounting-fr (a test-only dependency, never vendored)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

import pytest
from peewee import fn

from tests.support import fec as fec_checker
from tests.support.reports import DAYS, at, history, sell_at
from tests.support.fec import public_check
from reports.base import ReportError
from reports.fec import export_fec
from store.models import AccountingLine, Ticket
from till.fiscal.closures import close_year, closures
from till.i18n import _catalogue

SIRET = "73282932000074"


def identified(shop):
    """The shop's configuration with a real SIRET (the FEC file is named after its SIREN)."""
    return dataclasses.replace(shop.config, shop=dataclasses.replace(shop.config.shop, siret=SIRET))


@pytest.fixture
def out(tmp_path):
    """An empty folder for the export (the shop itself lives in ``tmp_path / "shop"``)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def closed_year(shop):
    tickets = history(shop)
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    return shop, tickets


def test_fec_of_a_closed_year_passes_the_independent_checker(closed_year, tmp_path):
    shop, tickets = closed_year
    result = export_fec(identified(shop), 2025, tmp_path)
    assert result.path.name == "732829320FEC20251231.txt"
    content = result.path.read_bytes()
    problems, stats = fec_checker.check(content, result.path.name, 2025)
    assert problems == []
    # every posting of the year, and nothing else: same count, same totals as the store
    postings = AccountingLine.select(fn.COUNT(AccountingLine.id), fn.SUM(AccountingLine.debit_cents),
                                     fn.SUM(AccountingLine.credit_cents)).tuples().first()
    assert (stats["lines"], stats["debit_cents"], stats["credit_cents"]) == tuple(postings)
    assert (result.lines, result.debit_cents, result.credit_cents) == tuple(postings)
    # one entry per ticket, numbered 1..n in the order of the tickets
    assert stats["entries"] == result.entries == len(tickets) == stats["journals"]["VT"]
    text = content.decode("iso-8859-15")
    rows = [line.split("\t") for line in text.split("\n")[1:]]
    in_order = sorted(tickets.values(), key=lambda t: (t.created_at, t.id))
    assert [r[8] for r in rows if r[2] != (rows[rows.index(r) - 1][2] if rows.index(r) else "")] == [
        t.code for t in in_order]
    # labels, dates and amounts as the specification writes them
    first = rows[0]
    assert first[:6] == ["VT", "Ventes", "1", "20250310", "531", "Caisse siège social"]
    assert (first[9], first[10], first[11], first[12]) == ("20250310", f"Vente {tickets['a'].code}", "29,25", "0,00")
    assert any(r[4] == "4197" and r[5] == "Clients - Autres avoirs" and r[12] == "2,40" for r in rows)
    # ValidDate: the day the daily closure sealed the ticket's day
    sealed = {c.period.first_day: c.payload["closed_at"][:10].replace("-", "") for c in closures("01", "day")}
    assert {r[15] for r in rows} <= set(sealed.values())
    assert not text.endswith("\n") and "\r" not in text


def test_fec_passes_the_public_checker(closed_year, tmp_path):
    shop, _ = closed_year
    result = export_fec(identified(shop), 2025, tmp_path)
    report = public_check(result)
    assert report.stats["ecritures"] == result.entries


def test_utf8_option_and_labels_one_per_account(closed_year, tmp_path):
    shop, _ = closed_year
    result = export_fec(identified(shop), 2025, tmp_path, encoding="utf-8")
    text = result.path.read_text(encoding="utf-8")
    assert "TVA collectée 5,5 %" in text and "Retour " in text
    assert fec_checker.check(result.path.read_bytes(), result.path.name, 2025)[0] == []


def _assert_nothing_written(folder):
    assert [p.name for p in folder.iterdir()] == []


def test_a_year_not_wholly_closed_is_refused_and_nothing_is_written(shop, tmp_path):
    history(shop)  # days of March 2025 closed, the rest of 2025 not
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2025, out)
    assert error.value.message == "Year {year} is not closed on till {till_id}: it is closed up to {closed_until} " \
                                  "only; close the remaining days first (`till close day`, `till close year --year " \
                                  "{year}`)"
    assert "2025-03-13" in error.value.text("en") and "2025-03-13" in error.value.text("fr")
    _assert_nothing_written(out)
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2027, out)
    assert error.value.message.startswith("No closure covers {year}")
    _assert_nothing_written(out)


def test_a_shop_with_no_closure_is_refused(shop, out):
    sell_at(shop, [("BAG", 1)], at(DAYS[0]))
    with pytest.raises(ReportError) as error:
        export_fec(identified(shop), 2025, out)
    assert "Aucune clôture" in error.value.text("fr")
    _assert_nothing_written(out)


def test_bad_year_folder_siret_and_existing_file(closed_year, out):
    tmp_path = out
    shop, _ = closed_year
    for year in ("26", "year", "20255"):
        with pytest.raises(ReportError) as error:
            export_fec(identified(shop), year, tmp_path)
        assert error.value.message == "{text} is not a fiscal year: write it as YYYY"
    with pytest.raises(ReportError):
        export_fec(identified(shop), 2025, out / "missing")
    with pytest.raises(ReportError) as error:
        export_fec(shop.config, 2025, tmp_path)  # the example configuration's SIRET is all zeros
    assert "SIRET" in error.value.text("fr")
    _assert_nothing_written(tmp_path)
    first = export_fec(identified(shop), 2025, tmp_path)
    before = first.path.read_bytes()
    with pytest.raises(ReportError):
        export_fec(identified(shop), 2025, tmp_path)
    assert first.path.read_bytes() == before and len(list(tmp_path.iterdir())) == 2  # the FEC and its notice


def test_training_tickets_are_left_out(closed_year, tmp_path):
    shop, tickets = closed_year
    assert Ticket.select().where(Ticket.training == True).count() == 0  # noqa: E712
    result = export_fec(identified(shop), 2025, tmp_path)
    assert result.entries == len(tickets)


def test_messages_have_french(tmp_path):
    from reports import base, fec, labels, render

    french = _catalogue("fr")
    for message in (*fec.MESSAGES, *base.MESSAGES, *labels.MESSAGES, render.EMPTY, render.EMPTY_NOW):
        assert message in french, message


def test_cli_export_fec(closed_year, tmp_path, capsys):
    from till.cli import export as cli_export

    shop, _ = closed_year
    config_path = shop.config.path
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace('siret = "00000000000000"', f'siret = "{SIRET}"'), encoding="utf-8")
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    cli_export.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "fec"
    out.mkdir()
    args = parser.parse_args(["--config", str(config_path), "export", "fec", "--year", "2025", "--out", str(out)])
    assert args.func(args) == 0
    assert "732829320FEC20251231.txt" in capsys.readouterr().out
    assert fec_checker.check((out / "732829320FEC20251231.txt").read_bytes(), "732829320FEC20251231.txt",
                             2025)[0] == []
    args = parser.parse_args(["--config", str(config_path), "export", "fec", "--year", "2026", "--out", str(out)])
    with pytest.raises(ReportError):
        args.func(args)


def test_fec_on_both_engines(any_shop, tmp_path):
    shop = any_shop
    tickets = history(shop)
    close_year(shop.ctx.sealer, dt.date(2025, 1, 1))
    result = export_fec(identified(shop), 2025, tmp_path)
    problems, stats = fec_checker.check(result.path.read_bytes(), result.path.name, 2025)
    assert problems == [] and stats["entries"] == len(tickets)
    assert stats["debit_cents"] == AccountingLine.select(fn.SUM(AccountingLine.debit_cents)).scalar()
