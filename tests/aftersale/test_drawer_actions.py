"""Opening the drawer without a sale: a manager or technician may, a cashier needs a manager's
approval, and every opening (or failed attempt) is a DRAWER_OPENED event in chain L."""

from __future__ import annotations

import json

import pytest

from store.models import FiscalRecord
from till.people.auth import authorize_manager, create_user
from till.aftersale.drawer import DRAWER_OPENED, DrawerActionError, open_drawer_without_sale

from devices.drawer import LoggingDrawer, make_drawer
from devices.errors import DrawerError
from devices.settings import DrawerSettings


def drawer_events():
    return [json.loads(r.payload) for r in FiscalRecord.select()
            .where((FiscalRecord.chain == "L") & (FiscalRecord.kind == DRAWER_OPENED)).order_by(FiscalRecord.id)]


def test_a_cashier_alone_is_refused_and_nothing_opens(shop, tmp_path):
    drawer = LoggingDrawer(tmp_path / "drawer.log")
    with pytest.raises(DrawerActionError) as refused:
        open_drawer_without_sale(shop.ctx.sealer, drawer, shop.cashier)
    assert refused.value.text("fr") == "Ouvrir le tiroir sans vente demande le code d'un responsable"
    assert not drawer.path.exists() and drawer_events() == []


def test_a_manager_opens_it_and_it_is_recorded(shop, tmp_path):
    drawer = LoggingDrawer(tmp_path / "drawer.log")
    open_drawer_without_sale(shop.ctx.sealer, drawer, shop.manager, reason="change for the float")
    assert "no sale (manager)" in drawer.path.read_text()
    (event,) = drawer_events()
    assert event["user_id"] == shop.manager.id
    assert event["details"] == {"reason": "change for the float", "drawer": "log", "approved_by": None,
                                "result": "opened"}


def test_a_cashier_with_a_managers_approval(shop, tmp_path):
    approval = authorize_manager(shop.ctx.sealer, "9999", "drawer without sale", asked_by=shop.cashier)
    open_drawer_without_sale(shop.ctx.sealer, LoggingDrawer(tmp_path / "d.log"), shop.cashier, approved_by=approval)
    (event,) = drawer_events()
    assert event["user_id"] == shop.cashier.id and event["details"]["approved_by"] == shop.manager.id


def test_an_approval_by_another_cashier_is_refused(shop, tmp_path):
    other = create_user("alex", "Alex", "cashier", "4321")
    with pytest.raises(DrawerActionError):
        open_drawer_without_sale(shop.ctx.sealer, LoggingDrawer(tmp_path / "d.log"), shop.cashier, approved_by=other)


def test_a_technician_may_and_a_failed_kick_is_recorded_then_reported(shop, tmp_path):
    technician = create_user("tech", "Tech", "technician", "2468")
    unplugged = make_drawer(DrawerSettings(kind="serial", path=str(tmp_path / "ttyUSB0")))
    with pytest.raises(DrawerError, match="ttyUSB0 does not exist"):
        open_drawer_without_sale(shop.ctx.sealer, unplugged, technician)
    (event,) = drawer_events()
    assert event["details"]["result"] == "failed" and "ttyUSB0" in event["details"]["error"]
    with pytest.raises(DrawerActionError):
        open_drawer_without_sale(shop.ctx.sealer, None, technician)
