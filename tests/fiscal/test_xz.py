"""The X and Z reports (reports/xz.py) and the `till close` / `till report` commands (till/cli/fiscal.py)."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from store.models import FiscalRecord, TicketVat
from reports.xz import x_report, z_report, z_report_for
from till.cli import fiscal as cli_fiscal
from till.errors import TillError
from till.fiscal.closures import ClosureError, PeriodAlreadyClosed, close_day

from tests.support.closures import at, busy_day, sale
from tests.support.journal import unprotect

D = dt.date.fromisoformat


def g_count() -> int:
    return FiscalRecord.select().where(FiscalRecord.chain == "G").count()


def test_the_z_report_prints_the_sealed_figures_in_the_shop_language(till_shop):
    """R-CON-03: the Z shows period, closure number, counts, VAT per rate, means, sales,
    returns, grand and perpetual totals, the store credit movements and signature extracts."""
    shop = till_shop
    busy_day(shop, "2026-10-05")
    (closure,) = close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    lines = z_report(shop.config, closure)
    text = "\n".join(lines)
    assert shop.config.shop.locale == "fr"
    assert "TICKET Z - CLÔTURE JOURNALIÈRE" in text
    assert "Caisse 01  Clôture N° 1" in lines and "Période : 05/10/2026" in lines
    assert any(line.startswith("Tickets") and line.endswith(" 5") for line in lines)
    assert any(line.startswith("20 %") and line.endswith("12,45") for line in lines)
    assert any(line.startswith("  Espèces") and line.endswith("24,80") for line in lines)
    assert any(line.startswith("  Avoir") and line.endswith("-5,45") for line in lines)
    assert any(line.startswith("GRAND TOTAL") and line.endswith("22,55 €") for line in lines)
    assert any(line.startswith("Retours") and line.endswith("-10,15") for line in lines)
    assert any(line.startswith("Grand total perpétuel") and line.endswith("22,55") for line in lines)
    assert any(line.startswith("Avoirs émis") and line.endswith("8,95") for line in lines)
    assert all(len(line) <= shop.config.printer.width for line in lines)
    narrow = z_report(shop.config, closure, width=32)
    assert all(len(line) <= 32 for line in narrow)


def test_the_z_report_is_never_recomputed_from_tickets(till_shop):
    """R-CON-04: altering the tickets afterwards (triggers dropped) leaves the Z as sealed."""
    shop = till_shop
    busy_day(shop, "2026-10-05")
    close_day(shop.ctx.sealer, D("2026-10-05"), now=at("2026-10-05", 20))
    before = z_report_for(shop.config, "day", "2026-10-05")
    unprotect(shop.ctx.database)
    TicketVat.update(ttc_cents=TicketVat.ttc_cents * 2).execute()
    assert z_report_for(shop.config, "day", "2026-10-05") == before


def test_a_z_report_for_a_period_not_closed_says_so(lite_shop):
    with pytest.raises(ClosureError) as refused:
        z_report_for(lite_shop.config, "day", "2026-10-05")
    assert refused.value.text("en") == "Till 01 has no closure of the day 2026-10-05"


def test_the_x_report_shows_the_open_day_live_and_closes_nothing(lite_shop):
    """R-CON-01: the X report (mid-day) adds up today's tickets so far; no record is written.
    Yesterday was sold and closed in the evening, as the till requires before today's sales."""
    shop = lite_shop
    sale(shop, at("2026-10-04", 18), [("SOA", 1)])  # yesterday: not in today's X
    close_day(shop.ctx.sealer, D("2026-10-04"), now=at("2026-10-04", 20))
    sale(shop, at("2026-10-05", 9), [("WIN", 1)])
    sale(shop, at("2026-10-05", 16), [("BAG", 1)])  # after the X is printed
    before = FiscalRecord.select().count()
    lines = x_report(shop.config, now=at("2026-10-05", 12))
    assert FiscalRecord.select().count() == before and g_count() == 1  # yesterday's closure only
    assert "TICKET X - SANS CLÔTURE" in "\n".join(lines)
    assert "Journée du 05/10/2026" in lines
    assert any(line.startswith("GRAND TOTAL") and line.endswith("8,95 €") for line in lines)
    later = x_report(shop.config, now=at("2026-10-05", 17))
    assert any(line.startswith("GRAND TOTAL") and line.endswith("10,15 €") for line in later)


# --- The commands --------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """A parser like till.cli.main's, with only what cli_fiscal registers."""
    main = argparse.ArgumentParser(prog="till")
    main.add_argument("--config")
    cli_fiscal.register(main.add_subparsers(dest="command"))
    return main


def run(shop, *argv: str) -> int:
    args = parser().parse_args(["--config", str(shop.config.path), *argv])
    return args.func(args)


def test_till_close_day_month_and_report_z_from_the_command_line(lite_shop, capsys):
    """R-CON-01, R-CON-04: `till close day --date`, `till close month --period`, `till report z`;
    a second closure of the same day is refused with a TillError (exit 2 in till.cli.main). The
    month closure closes its open day first, then (the commands run today) every month over
    since closes by itself."""
    shop = lite_shop
    sale(shop, at("2026-10-05"), [("WIN", 1)])
    assert run(shop, "close", "month", "--period", "2026-10") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("Clôture journée 2026-10-05 de la caisse 01 : 1 ticket, grand total 8,95 € "
                      "(enregistrement 1 de la chaîne G)")
    assert out[1].startswith("Clôture mois 2026-10 de la caisse 01 : 1 ticket, grand total 8,95 €")
    assert all(line.startswith("Clôture mois ") for line in out[2:])  # those after it, empty
    with pytest.raises(PeriodAlreadyClosed):
        run(shop, "close", "day", "--date", "2026-10-05")
    assert run(shop, "report", "z", "--date", "2026-10-05") == 0
    z = capsys.readouterr().out
    assert "TICKET Z - CLÔTURE JOURNALIÈRE" in z and "8,95 €" in z
    assert run(shop, "report", "z", "--period", "2026-10") == 0
    assert "CLÔTURE MENSUELLE" in capsys.readouterr().out
    assert run(shop, "report", "x") == 0
    assert "TICKET X" in capsys.readouterr().out
    with pytest.raises(TillError):
        run(shop, "close", "month", "--period", "octobre")


def test_till_close_day_without_a_date_closes_today(lite_shop, capsys):
    shop = lite_shop
    assert run(shop, "close", "day") == 0
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()  # the shop's today, not UTC's
    assert capsys.readouterr().out.startswith(f"Clôture journée {today} de la caisse 01 : 0 ticket,")


@pytest.mark.parametrize("module", ["reports.xz", "till.fiscal.closures", "till.fiscal.closure_check",
                                    "till.cli.fiscal"])
def test_closures_and_reports_do_not_import_textual(module):
    """design.md section 1: reports and workflows never import the UI (checked in a clean process)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (f"import sys; import {module}; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports {result.stdout.strip() or result.stderr.strip()}"
