"""The Z holds the non-sale movements (R-CON-03): chain P documents, cash in and out of the drawer
without a sale and means corrections, counted by number like the Z's other records (from the
previous closure's last up to the chain's tail), so none is counted twice or lost; and none
is made on a day already closed."""

from __future__ import annotations

import pytest

from store.models import CashMove
from reports.xz import z_report
from till.fiscal.cash_moves import MEANS_CORRECTION, OPENING_FLOAT, WITHDRAWAL
from till.fiscal.closure_check import check_closures
from till.fiscal.closures import DayAlreadyClosed, close_day

from tests.selling.test_cash_moves import correct, move
from tests.support.shop import sell


def test_the_z_seals_and_prints_the_day_s_cash_moves_and_means_corrections(shop):
    ticket = sell(shop, [("WIN", 1)], card=895)
    move(shop, OPENING_FLOAT, 10000, "float")
    move(shop, WITHDRAWAL, 3000, "to the safe")
    correct(shop, ticket, 895, source="card", target="cash")
    (closure,) = close_day(shop.ctx.sealer)
    assert closure.payload["non_sale"] == {
        "count": 3, "first_number": 1, "last_number": 3, "drawer_cents": 10000 - 3000 + 895,
        "kinds": {OPENING_FLOAT: {"count": 1, "amount_cents": 10000}, WITHDRAWAL: {"count": 1, "amount_cents": 3000},
                  MEANS_CORRECTION: {"count": 1, "amount_cents": 895}},
        "corrections": {"card": -895, "cash": 895},
    }
    assert closure.payload["activity"]["through"]["P"] == 3
    text = "\n".join(z_report(shop.config, closure, width=42))  # the shop speaks French
    assert "Pièces hors vente n° 1 à 3" in text and "Variation du tiroir hors vente" in text
    assert "Moyen corrigé : Carte" in text and "Moyen corrigé : Espèces" in text
    assert check_closures() == []


def test_no_cash_move_on_a_closed_day_so_none_escapes_its_z(shop):
    move(shop, OPENING_FLOAT, 10000, "float")
    (today,) = close_day(shop.ctx.sealer)
    with pytest.raises(DayAlreadyClosed):
        move(shop, WITHDRAWAL, 4000, "evening: to the safe after the Z")
    assert CashMove.select().count() == 1 and today.payload["non_sale"]["count"] == 1
    assert check_closures() == []
