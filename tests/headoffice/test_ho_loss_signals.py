"""Loss-prevention signals at head office (SQLite and PostgreSQL), from real tills syncing to the
real head office: every shop's signals as its tills sealed them (each raising an alert with its
evidence, a dismissal marking it), the card and the receipts seen across shops, and
``till-headoffice report signals``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from headoffice.cli import enroll, main as ho_main
from headoffice.signals import signal_rows
from headoffice.signals_cross_shop import CrossShopThresholds
from headoffice.verify import verify_all
from headoffice.store import Alert, ShopSignal, SignalDismissal, proxy
from store.models import utcnow
from till.aftersale.receipt_proofs import proof_text
from till.fiscal.closure_totals import business_day
from till.loss.dismissal import dismiss
from till.returns.session import ReturnSession
from till.sync.push import EXIT_OK, run_sync
from tests.support.headoffice import settings_for
from tests.support.loss import bought_before, close_today_and_seal_signals, return_all, terminal_gives_card_digits
from tests.support.shop import build_shop, open_shop, sell

PARIS = ZoneInfo("Europe/Paris")


def _today() -> dt.date:
    return business_day(utcnow(), PARIS)


def _sync(shop, office) -> None:
    result = run_sync(shop.ctx, settings_for(office.url))
    assert result.exit_code == EXIT_OK, result.message


def _rows(**thresholds) -> list[dict]:
    with proxy.obj.connection_context():
        return signal_rows(_today() - dt.timedelta(days=1), _today(), PARIS, CrossShopThresholds(**thresholds))


def _loss_alerts() -> list[Alert]:
    with proxy.obj.connection_context():
        return list(Alert.select().where(Alert.code == "LOSS_SIGNAL").order_by(Alert.id))


def _refunded_to_card(shop, digits: str, count: int, sku: str = "WIN") -> list:
    """``count`` sales paid by the card ending ``digits``, each refunded to it by the manager."""
    terminal_gives_card_digits(shop, digits)
    sales = [sell(shop, [(sku, 1)], card=shop.products[sku].price_cents) for _ in range(count)]
    return [return_all(shop, sale, user=shop.manager) for sale in sales]


def test_a_shops_signals_reach_head_office_raise_alerts_and_a_dismissal_marks_them(shop, headoffice, tmp_path,
                                                                                   capsys):
    refunds = _refunded_to_card(shop, "4242", 3)
    close_today_and_seal_signals(shop)
    _sync(shop, headoffice)

    rows = [r for r in _rows() if r["signal"] == "Card refunded many times"]
    assert [(r["shop"], r["till"], r["who"], r["value"], r["threshold"], r["dismissed"]) for r in rows] == [
        ("PARIS", shop.ctx.till_id, "****4242", "3", "2", "")]
    assert rows[0]["evidence"] == " ".join(r.code for r in refunds)
    assert rows[0]["how"].startswith("3 refunds to this card in the period")
    with proxy.obj.connection_context():
        assert verify_all() == []  # the chain carrying the signals verifies at head office too
    [alert] = [a for a in _loss_alerts() if json.loads(a.details)["signal"] == "means_card_refunds"]
    details = json.loads(alert.details)
    assert details["evidence"] == [r.code for r in refunds] and details["shop_id"] == "PARIS"
    assert (alert.till_id, alert.chain) == (shop.ctx.till_id, "L")
    assert alert.message.startswith(f"Shop PARIS, till {shop.ctx.till_id}: Card refunded many times (Card ****4242)")
    alerts_before = len(_loss_alerts())

    dismiss(shop.ctx.sealer, rows[0]["key"], shop.manager.id, "the same customer, an order cancelled")
    _sync(shop, headoffice)
    [row] = [r for r in _rows() if r["key"] == rows[0]["key"]]  # dismissed, still listed
    assert row["dismissed"].startswith(f"by Max Durand on {_today().isoformat()}: the same customer, an order "
                                       f"cancelled (L{shop.ctx.till_id}-")
    assert len(_loss_alerts()) == alerts_before  # a dismissal raises nothing new
    with proxy.obj.connection_context():
        assert SignalDismissal.select().count() == 1

    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    day = _today().isoformat()
    assert ho_main(["--config", str(config), "report", "signals", "--from", day, "--to", day,
                    "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in printed if r["dismissed"]] == [rows[0]["key"]]
    assert ho_main(["--config", str(config), "report", "signals", "--from", day, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "shop,till,day,signal,subject,who,value,threshold,how,evidence,dismissed,key"
    assert any("****4242" in line and "Max Durand" in line for line in lines[1:])
    assert ho_main(["--config", str(config), "report", "signals", "--from", day]) == 0
    assert "Card refunded many times" in capsys.readouterr().out


def test_a_day_without_a_signal_sends_none_and_raises_no_alert(shop, headoffice):
    sell(shop, [("WIN", 1)], card=895)
    close_today_and_seal_signals(shop)
    _sync(shop, headoffice)
    assert _rows() == [] and _loss_alerts() == []
    with proxy.obj.connection_context():
        assert ShopSignal.select().count() == 0


def _lyon(tmp_path):
    """Till L01 of shop LYON, a real till of its own, enrolled at head office."""
    lyon = build_shop(tmp_path / "lyon", till_id="L01")
    enroll("L01", "LYON", lyon.ctx.sealer.signer.public_pem)
    return lyon


def test_one_card_refunded_in_two_shops_beyond_the_threshold_is_seen_across_shops(shop, headoffice, tmp_path):
    paris_refunds = _refunded_to_card(shop, "4242", 2)  # two in each shop: under each shop's own threshold
    _refunded_to_card(shop, "1111", 1, "SOA")
    _sync(shop, headoffice)
    lyon = _lyon(tmp_path)
    try:
        lyon_refunds = _refunded_to_card(lyon, "4242", 2)
        _refunded_to_card(lyon, "1111", 1, "SOA")  # twice in all: not beyond the threshold
        _sync(lyon, headoffice)
    finally:
        lyon.ctx.close()

    [row] = _rows()
    assert (row["shop"], row["signal"], row["subject"], row["who"], row["value"], row["threshold"]) == (
        "*", "Card refunded in several shops", "Card", "****4242", "4", "2")
    assert row["evidence"] == " ".join([*(f"{r.code} (PARIS)" for r in paris_refunds),
                                        *(f"{r.code} (LYON)" for r in lyon_refunds)])
    assert "in 2 shops (LYON, PARIS)" in row["how"]
    assert _rows(card_max_refunds=4) == []


def test_receipts_of_one_shop_returned_soon_in_another_are_seen_for_the_till_and_the_cashier(shop, headoffice,
                                                                                             tmp_path):
    lyon = _lyon(tmp_path)
    try:
        # an hour before their return: "within 0 days" is then not quick, whatever the second
        sales = [bought_before(lyon, [("WIN", 1)], 1 / 24) for _ in range(3)]
        texts = [proof_text(lyon.config, sale, lyon.ctx.sealer.signer) for sale in sales]
        _sync(lyon, headoffice)
    finally:
        lyon.ctx.close()
    paris = open_shop(shop.config.path.parent)
    try:
        _sync(paris, headoffice)  # brings LYON's keys
        config = dataclasses.replace(paris.config, sync=settings_for(headoffice.url))
        returns = []
        for text in texts:
            session = ReturnSession(config, paris.ctx.sealer, paris.cashier)
            session.find(text)
            assert session.receipt.ask_head_office() is True
            session.pick(session.lines[0].line_id, 1)
            returns.append(session.complete())
        _sync(paris, headoffice)
    finally:
        paris.ctx.close()

    rows = {r["subject"]: r for r in _rows()}
    assert set(rows) == {"Till", "Cashier"}
    assert (rows["Till"]["who"], rows["Till"]["value"], rows["Till"]["threshold"]) == ("L01", "3", "3")
    assert (rows["Cashier"]["who"], rows["Cashier"]["value"]) == ("Camille Martin (PARIS)", "3")
    assert rows["Till"]["evidence"] == " ".join(
        text for sale, back in zip(sales, returns) for text in (f"{sale.code} (LYON)", f"{back.code} (PARIS)"))
    assert rows["Cashier"]["shop"] == "*" and "within 2 days of their sale" in rows["Till"]["how"]
    assert _rows(quick_return_min=4) == []  # two returns are no pattern
    assert _rows(quick_return_days=0) == []  # returned later than the window: not quick


@pytest.mark.parametrize("text", ['[loss_prevention]\ncard_max_refunds = "two"\n',
                                  "[loss_prevention]\nquick_days = 2\n"])
def test_wrong_thresholds_are_refused_with_a_clear_line(headoffice, tmp_path, capsys, text):
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n' + text, encoding="utf-8")
    assert ho_main(["--config", str(config), "report", "signals", "--from", "2026-12-01"]) == 2
    assert "[loss_prevention]" in capsys.readouterr().err


def test_a_signal_sealed_by_two_tills_of_one_shop_is_listed_and_raised_once(shop, headoffice, tmp_path):
    _refunded_to_card(shop, "4242", 3)
    close_today_and_seal_signals(shop)
    _sync(shop, headoffice)
    second = build_shop(tmp_path / "second", till_id="02")  # another till of PARIS, sealing the same signal
    enroll("02", "PARIS", second.ctx.sealer.signer.public_pem)
    try:
        _refunded_to_card(second, "4242", 3)
        close_today_and_seal_signals(second)
        _sync(second, headoffice)
    finally:
        second.ctx.close()

    with proxy.obj.connection_context():
        assert sorted(ShopSignal.select(ShopSignal.till_id).where(ShopSignal.code == "means_card_refunds")
                      .tuples()) == [("01",), ("02",)]
    assert [r["till"] for r in _rows() if r["who"] == "****4242"] == ["01"]
    assert [json.loads(a.details)["subject_id"] for a in _loss_alerts()].count("****4242") == 1
