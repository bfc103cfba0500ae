"""Technical events (JET) in chain L: sealed, linked, verified like tickets."""

from __future__ import annotations

import json

import pytest

from store.models import FiscalRecord
from till.fiscal import events, record_event
from till.fiscal.chain import flush_anchors

TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)


def _chain_l():
    return list(FiscalRecord.select().where(FiscalRecord.chain == "L").order_by(FiscalRecord.sequence))


def test_events_are_sealed_in_chain_l_and_verify(shop):
    record_event(shop.sealer, events.APP_START, "Démarrage de la caisse", details={"version": "0.1.0"})
    record_event(shop.sealer, events.LOGIN, "Connexion", user_id=shop.user.id)
    shop.sale()
    record_event(shop.sealer, events.LOGOUT, "Déconnexion", user_id=shop.user.id)
    records = _chain_l()
    assert [(r.sequence, r.kind) for r in records] == [(1, "APP_START"), (2, "LOGIN"), (3, "LOGOUT")]
    assert records[1].previous_signature == records[0].signature and records[0].ticket_id is None
    assert json.loads(records[1].payload) == {
        "code": "LOGIN", "description": "Connexion", "user_id": shop.user.id, "details": {}}
    report = shop.verify()
    assert report.ok, report.lines()
    assert report.counts == {(TILL, "L"): 3, (TILL, "T"): 1}
    assert shop.anchors.read(TILL, "L").sequence == 3  # verify waited for the anchor writer


def test_an_event_joins_the_open_transaction_and_rolls_back_with_it(shop):
    record_event(shop.sealer, events.LOGIN, "Connexion", user_id=shop.user.id)
    with pytest.raises(ZeroDivisionError):
        with shop.database.atomic():
            record_event(shop.sealer, events.LINE_VOID, "Ligne annulée", user_id=shop.user.id,
                         details={"sku": "PAIN", "quantity": 1, "amount_cents": 215})
            1 / 0
    assert [r.kind for r in _chain_l()] == ["LOGIN"]
    flush_anchors()
    anchor = shop.anchors.read(TILL, "L")  # written ahead, then left an intent that never committed
    assert (anchor.state, anchor.sequence, anchor.base_sequence) == ("intent", 2, 1)
    record_event(shop.sealer, events.MANAGER_OVERRIDE, "Retour sans ticket autorisé", user_id=shop.user.id)
    assert [r.sequence for r in _chain_l()] == [1, 2]
    assert shop.verify().ok


def test_an_altered_event_is_detected_at_its_sequence(shop):
    for code in (events.APP_START, events.LOGIN_FAILED, events.USER_LOCKED, events.APP_STOP):
        record_event(shop.sealer, code, code.lower())
    shop.unprotect()
    target = _chain_l()[1]
    FiscalRecord.update(payload=target.payload.replace("login_failed", "login")).where(
        FiscalRecord.id == target.id).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence) == ("L", 2)


def test_a_deleted_event_is_detected(shop):
    for code in (events.APP_START, events.KEY_CREATED, events.INTEGRITY_CHECK):
        record_event(shop.sealer, code, code.lower())
    shop.unprotect()
    FiscalRecord.delete().where((FiscalRecord.chain == "L") & (FiscalRecord.sequence == 2)).execute()
    report = shop.verify()
    assert (report.first_problem.chain, report.first_problem.sequence, report.first_problem.what) == (
        "L", 2, "record 2 is missing")


def test_event_codes_and_details_are_checked(sqlite_shop):
    with pytest.raises(ValueError):
        record_event(sqlite_shop.sealer, "not a code", "x")
    with pytest.raises(TypeError, match="floats"):
        record_event(sqlite_shop.sealer, events.INTEGRITY_CHECK, "x", details={"seconds": 1.5})
    assert _chain_l() == []
    assert set(events.EVENT_CODES) == {
        "APP_START", "APP_STOP", "LOGIN", "LOGOUT", "LOGIN_FAILED", "USER_LOCKED", "LINE_VOID",
        "MANAGER_OVERRIDE", "KEY_CREATED", "INTEGRITY_CHECK", "PAYMENT_CANCELLED", "CARD_REFUND_UNRECORDED",
        "TRAINING_START", "TRAINING_END", "USER_CHANGED", "QUANTITY_LOWERED", "SIGNAL_DISMISSED",
        "LOSS_SIGNALS"}
