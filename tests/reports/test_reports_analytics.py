"""Analytic reports (reports/sales, returns, credit_notes, customers, stock, registry, render)
over a real shop whose history is known to the cent (tests.support.reports.history): sales, returns by
receipt through the real ReturnSession (cash, card and store-credit refunds), closed days."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from tests.support.reports import DAYS, at, close, history, return_at, sell_at
from reports.base import ReportError
from reports.registry import REPORTS, run
from reports.render import render
from store.models import TicketVat
from till.fiscal.closures import closures

FIRST, LAST = DAYS[0], DAYS[-1]


def report(name, by=None, first=FIRST, last=LAST, limit=None):
    """Run a report in the shop's time zone (the example configuration's: Europe/Paris)."""
    from zoneinfo import ZoneInfo

    return run(name, first, last, by, ZoneInfo("Europe/Paris"), limit)


def shop_today() -> dt.date:
    """Today in the shop (Paris), where a sale made now is counted: between midnight in Paris and
    midnight UTC it is already the next day there, which ``date.today()`` on a UTC machine is not."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Europe/Paris")).date()


@pytest.fixture
def known(shop):
    return shop, history(shop)


def test_returns_by_reason_product_category_disposition(known):
    assert report("returns", "reason").rows == [("defective", 1, 1, 895), ("changed_mind", 1, 1, 459),
                                                 ("other", 1, 2, 240)]
    assert report("returns", "product").rows == [("WIN", "Côtes du Rhône 75 cl", 1, 1, 895),
                                                  ("COF", "Café moulu 250 g", 1, 1, 459),
                                                  ("BAG", "Baguette tradition", 1, 2, 240)]
    assert report("returns", "category").rows == [("Épicerie", 3, 4, 1594)]
    assert report("returns", "disposition").rows == [("damaged", 1, 1, 895), ("restock", 2, 3, 699)]
    assert report("returns", "day").rows == [("2025-03-12", 2, 2, 1354), ("2025-03-13", 1, 2, 240)]
    assert report("returns", "month").rows == [("2025-03", 3, 4, 1594)]
    # a period without the returns has none
    assert report("returns", "reason", FIRST, DAYS[1]).rows == []


def test_return_rate_top_returns_and_refunds_by_means(known):
    rate = {row[0]: row[2:] for row in report("return-rate", "product").rows}
    assert rate["WIN"] == (4, 1, 2500)  # 3 + 1 sold, 1 back: 25.00 %
    assert rate["BAG"] == (2, 2, 10000)
    assert rate["SOA"] == (2, 0, 0)
    top = report("top-returns", limit=2).rows
    assert [row[0] for row in top] == ["BAG", "WIN"]  # by quantity returned, then refund
    assert report("refunds", "means").rows == [("cash", 1, 895), ("card", 1, 459), ("credit_note", 1, 240)]
    assert report("refunds", "day").rows == [("2025-03-12", 2, 1354), ("2025-03-13", 1, 240)]


def test_sales_add_up_to_the_closures(known):
    shop, tickets = known
    by_day = report("sales", "day").rows
    sealed = {c.period.label: c.totals.grand_total for c in closures("01", "day")}
    assert [(row[0], row[2]) for row in by_day] == [(day, sealed[day]) for day in sorted(sealed)
                                                    if "2025-03-10" <= day <= "2025-03-13"]
    assert sum(row[2] for row in by_day) == sum(t.total_cents for t in tickets.values())
    assert sum(row[3] + row[4] for row in by_day) == sum(row[2] for row in by_day)
    rates = report("sales", "rate").rows
    assert sum(row[3] for row in rates) == sum(v.ttc_cents for v in TicketVat.select())
    cashiers = {row[0]: row[1:] for row in report("sales", "cashier").rows}
    assert cashiers["Max Durand"] == (1, 1345, 1345)
    means = {row[0]: row[1:] for row in report("sales", "means").rows}
    assert means["card"] == (3, 1200, 459, 741)
    products = {row[0]: row[2:] for row in report("sales", "product").rows}
    assert products["WIN"] == (3, 3580, 895, 2685)  # 4 sold, 1 returned
    assert report("sales", "week").rows[0][0] == "2025-W11"
    assert report("sales", "category").rows[0][0] == "Épicerie"


def test_credit_notes_issued_redeemed_outstanding_expired(known):
    assert report("credit-notes").rows == [("issued", 1, 240), ("redeemed", 0, 0), ("outstanding", 1, 240),
                                           ("expired", 0, 0)]
    # a year later the note (valid a year by default, or less) has expired
    later = dt.date(2026, 6, 1)
    rows = dict((r[0], r[1:]) for r in report("credit-notes", first=dt.date(2025, 3, 14), last=later).rows)
    assert rows["issued"] == (0, 0) and rows["outstanding"] == (0, 0) and rows["expired"] == (1, 240)


def test_credit_note_redeemed_today(shop):
    sale = sell_at(shop, [("WIN", 2)], at(shop_today() - dt.timedelta(days=2)), cash=1790)
    close(shop, at(shop_today() - dt.timedelta(days=2)))
    ticket = return_at(shop, sale, [("WIN", 1, "changed_mind", "restock")], refund=[("credit_note", 895)])
    from store.models.credit import CreditNote
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    code = CreditNote.get(CreditNote.issued_ticket == ticket.id).code
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["SOA"], 1)
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_credit_note(code, 350)
    checkout.complete()
    today = shop_today()
    rows = dict((r[0], r[1:]) for r in report("credit-notes", first=today - dt.timedelta(days=3), last=today).rows)
    assert rows == {"issued": (1, 895), "redeemed": (1, 350), "outstanding": (1, 545), "expired": (0, 0)}


def test_customer_360(known):
    shop, tickets = known
    (row,) = report("customers").rows
    assert row[1] == "Hélène Dupré"
    visits, average, spent, returned, rate, lifetime = row[2:]
    assert (visits, spent, returned) == (2, 2925 + 1238, 895 + 459 + 240)
    assert average == (2925 + 1238 + 1) // 2
    assert rate == round(10000 * returned / spent)
    assert lifetime == spent - returned


def test_stock_levels_and_movements_with_damaged(known):
    levels = {row[0]: row[2:] for row in report("stock", "product", None, None).rows}
    assert levels["WIN"] == (50 - 4 + 0, 1, 0, 50 - 3)  # one bottle back as damaged
    assert levels["BAG"] == (50, 0, 0, 50)  # two sold, two restocked
    locations = dict((row[0], row[2]) for row in report("stock", "location", None, None).rows)
    assert locations["damaged"] == 1
    moves = {row[0]: row[1:] for row in report("stock-movements", "reason").rows}
    assert moves["sale"][1] == 3 + 2 + 2 + 2 + 1 + 1 + 1  # pieces out on the four sales
    assert moves["return"][0] == 4
    by_location = {row[0]: row[1:] for row in report("stock-movements", "location").rows}
    assert by_location["damaged"] == (1, 0, 1)


def test_training_tickets_never_count(known):
    shop, _ = known
    from till.selling.basket import Basket
    from till.selling.checkout import Checkout

    before = report("sales", "day", first=shop_today(), last=shop_today()).rows
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier, training=True)
    basket.add_product(shop.products["WIN"], 2)
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_cash(2000)
    checkout.complete()
    today = shop_today()
    assert report("sales", "day", first=today, last=today).rows == before == []
    assert report("sales", "means", first=today, last=today).rows == []


def test_bad_input_is_refused_with_a_clear_message(known):
    with pytest.raises(ReportError) as error:
        report("returns", "reason", LAST, FIRST)
    assert error.value.text("fr") == "La période est inversée : le 2025-03-13 est après le 2025-03-10"
    with pytest.raises(ReportError) as error:
        report("nope")
    assert "sales" in error.value.text("en") and "Rapport nope inconnu" in error.value.text("fr")
    with pytest.raises(ReportError) as error:
        report("returns", "colour")
    assert "reason, product" in error.value.text("en")
    with pytest.raises(ReportError):
        report("sales", "day", None, LAST)
    with pytest.raises(ReportError):
        report("sales", "day", limit=0)


def test_formats_table_csv_json(known):
    table = report("returns", "reason")
    text = render(table, "table", "fr")
    assert "Défectueux" in text and "8,95" in text and "Remboursé" in text and "refunded" not in text
    rows = list(csv.reader(io.StringIO(render(table, "csv"))))
    assert rows[0] == ["reason", "lines", "quantity", "refunded_cents"] and rows[1] == ["defective", "1", "1", "895"]
    document = json.loads(render(table, "json"))
    assert document["from"] == "2025-03-10" and document["rows"][0]["refunded_cents"] == 895
    empty = report("returns", "reason", FIRST, FIRST)
    assert "Rien à signaler" in render(empty, "table", "fr")
    assert render(empty, "csv") == "reason,lines,quantity,refunded_cents"
    assert json.loads(render(empty, "json"))["rows"] == []


def test_people_read_codes_as_words_scripts_keep_the_codes(known):
    """A reason, a means, a destination, a credit note's status and a stock location are stored
    as codes; the table people read says them in their language, CSV and JSON keep the codes."""
    by_reason = render(report("returns", "reason"), "table", "fr")
    assert "Défectueux" in by_reason and "Changement d'avis" in by_reason
    assert "defective" not in by_reason and "changed_mind" not in by_reason
    by_means = render(report("refunds", "means"), "table", "fr")
    assert "Espèces" in by_means and "Carte" in by_means and "Avoir" in by_means
    assert "cash" not in by_means and "credit_note" not in by_means
    by_destination = render(report("returns", "disposition"), "table", "fr")
    assert "Remise en rayon" in by_destination and "Abîmé" in by_destination
    assert "restock" not in by_destination
    notes = render(report("credit-notes"), "table", "fr")
    assert "Émis" in notes and "issued" not in notes and "outstanding" not in notes
    stock = render(report("stock", "location"), "table", "fr")
    assert "Vendable" in stock and "sellable" not in stock
    assert render(report("returns", "reason"), "csv").splitlines()[1].startswith("defective,")
    assert render(report("refunds", "means"), "table", "en").split("\n")[2].lstrip().startswith("Cash")


def test_every_report_and_field_runs(known):
    for name, spec in REPORTS.items():
        for by in spec.by:
            table = report(name, by)
            for row in table.rows:
                assert len(row) == len(table.columns)
                for value, column in zip(row, table.columns):
                    if column.kind in ("cents", "bp", "int"):
                        assert isinstance(value, int), (name, by, column.name, value)


def _cli(shop, *words):
    from till.cli.main import main

    return main(["--config", str(shop.config.path), *words])


def test_cli_report(known, capsys):
    shop, _ = known
    assert _cli(shop, "report", "returns", "--from", "2025-03-10", "--to", "2025-03-13", "--by", "product",
                "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines()[1] == "WIN,Côtes du Rhône 75 cl,1,1,895"
    assert _cli(shop, "report", "returns", "--from", "2025-03-13", "--to", "2025-03-10") == 2
    assert "2025-03-13" in capsys.readouterr().err
    assert _cli(shop, "report", "returns", "--from", "2025-03-10", "--to", "2025-03-13", "--by", "colour") == 2
    assert "colour" in capsys.readouterr().err
    assert _cli(shop, "report", "nope") == 2
    capsys.readouterr()
    assert _cli(shop, "report", "sales", "--from", "13/03/2025", "--to", "2025-03-13") == 2
    assert "13/03/2025" in capsys.readouterr().err
    assert _cli(shop, "report", "stock", "--by", "location", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["report"] == "stock"
    assert _cli(shop, "report", "x") == 0  # the receipt reports still work
    assert "X" in capsys.readouterr().out


def test_same_figures_on_both_engines(any_shop):
    shop = any_shop
    history(shop)
    assert report("returns", "reason").rows == [("defective", 1, 1, 895), ("changed_mind", 1, 1, 459),
                                                 ("other", 1, 2, 240)]
    assert report("refunds", "means").rows == [("cash", 1, 895), ("card", 1, 459), ("credit_note", 1, 240)]
    assert report("returns", "day").rows == [("2025-03-12", 2, 2, 1354), ("2025-03-13", 1, 2, 240)]
    assert report("credit-notes").rows[0] == ("issued", 1, 240)
    assert report("customers").rows[0][2:5] == (2, 2082, 4163)
    for name, spec in REPORTS.items():
        for by in spec.by:
            report(name, by)


def test_returns_without_receipt_count_too(known):
    """A return without receipt (no origin line to find it by) is in every view."""
    shop, tickets = known
    from till.returns.session import ReturnSession

    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.without_receipt()
    session.pick_product(shop.products["COF"], 1, reason="changed_mind", disposition="damaged")
    ticket = session.complete()
    today = shop_today()
    assert report("returns", "reason", today, today).rows == [("changed_mind", 1, 1, -ticket.total_cents)]
    assert report("returns", "disposition", today, today).rows == [("damaged", 1, 1, -ticket.total_cents)]
    assert report("refunds", "means", today, today).rows == [("credit_note", 1, -ticket.total_cents)]
    everything = {row[0]: row[2:] for row in report("returns", "product", FIRST, today).rows}
    assert everything == {"WIN": (1, 1, 895), "COF": (2, 2, 459 - ticket.total_cents), "BAG": (1, 2, 240)}


def test_an_exchange_paid_in_cash_counts_its_change_as_no_refund(shop):
    """The customer brings back a baguette, takes a bottle and pays the difference with a 10 €
    note: the 2,25 € handed back is change, and the refunds report said it was a refund."""
    from till.returns.session import ReturnSession
    from till.selling.basket import Basket
    from tests.support.shop import sell

    sale = sell(shop, [("BAG", 1)])
    session = ReturnSession(shop.config, shop.ctx.sealer, shop.cashier, shop.ctx.terminal)
    session.open(sale)
    session.pick(session.lines[0].line_id, 1, reason="changed_mind")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    session.exchange_with(basket)
    session.pay("cash", 1000)
    session.complete()
    today = shop_today()
    assert report("refunds", "means", today - dt.timedelta(days=1), today + dt.timedelta(days=1)).rows == []
