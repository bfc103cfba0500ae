"""The Alerts page without a browser: alerts raised by head office's own checks when a till
sends what contradicts what it holds, listed open first with their evidence, filtered, and
acknowledged by a manager with a note that is kept (and audited); a viewer sees, never acts."""

from __future__ import annotations

import re

from headoffice.cli import enroll
from headoffice.ingest import raise_alert
from headoffice.store import Alert, AlertAcknowledgement, proxy
from headoffice.web.audit import entries
from till.fiscal import Signer
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync
from tests.support.headoffice import HeadOffice, settings_for
from tests.support.ho_web import USERS, csrf_of, post_form
from tests.support.shop import sell

import pytest


def _conflict(ho_web, shop) -> int:
    """A till's ticket record sent again altered: refused by ingest, raised as CONFLICT; its id."""
    from store.models import FiscalRecord
    from till.fiscal.chain import iso_utc

    office = HeadOffice(ho_web.database_url).start()
    try:
        with proxy.obj.connection_context():
            enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
        sell(shop, [("BAG", 1)])
        assert run_sync(shop.ctx, settings_for(office.url)).exit_code == EXIT_OK
        record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.sequence == 1))
        sent = {name: getattr(record, name) for name in ("till_id", "chain", "sequence", "kind", "ticket_id",
                                                         "format_version", "payload", "previous_signature",
                                                         "signature", "key_id")}
        sent.update(created_at=iso_utc(record.created_at), hash="f" * 64)
        client = HeadOfficeClient(office.url, shop.ctx.till_id, shop.ctx.sealer.signer)
        with pytest.raises(HeadOfficeAnswer):
            client.request("POST", "/v1/records", {"till_id": shop.ctx.till_id, "chain": "T", "records": [sent]})
        client.close()
    finally:
        office.stop()
    with proxy.obj.connection_context():
        return Alert.get(Alert.code == "CONFLICT").id


def test_open_alerts_come_first_with_their_evidence_and_filter_by_code_and_shop(ho_web, shop, tmp_path):
    conflict = _conflict(ho_web, shop)
    with proxy.obj.connection_context():
        enroll("L01", "LYON", Signer.create(tmp_path / "L01.pem").public_pem)
        # what the credit-note check raises for a note overdrawn offline (headoffice.credit)
        raise_alert("CREDIT_OVERDRAWN", "credit note ABCD redeemed offline for 2500 cents by till L01: more than "
                    "its balance", "L01", request_id="L01-7", balance_cents=-1250, redemptions=[1, 2], offline=True)
        overdrawn = Alert.get(Alert.code == "CREDIT_OVERDRAWN").id
    client = ho_web.logged_in("manager")
    post_form(client, f"/alerts/{overdrawn}/acknowledge", {"note": "seen"}, page=f"/alerts/{overdrawn}")
    page = client.get("/alerts").text
    ids = [int(found) for found in re.findall(r'<tr id="alert-(\d+)"', page)]
    assert ids == [conflict, overdrawn]  # the open one first, though older
    assert "held hash" in page and "sent hash" in page and "f" * 64 in page
    assert "-12,50 €" in page and "1, 2" in page and "yes" in page  # amounts in euros, lists joined
    assert [int(i) for i in re.findall(r'<tr id="alert-(\d+)"', client.get("/alerts?code=CONFLICT").text)] \
        == [conflict]
    assert [int(i) for i in re.findall(r'<tr id="alert-(\d+)"', client.get("/alerts?shop=LYON").text)] \
        == [overdrawn]
    assert "No alert matches" in client.get("/alerts?shop=NOWHERE").text


def test_a_manager_acknowledges_with_a_note_kept_in_history_and_audit(ho_web, shop):
    alert = _conflict(ho_web, shop)
    client = ho_web.logged_in("manager")
    empty = post_form(client, f"/alerts/{alert}/acknowledge", {"note": "  "}, page=f"/alerts/{alert}")
    assert empty.status_code == 400 and "write a note" in empty.text
    done = post_form(client, f"/alerts/{alert}/acknowledge", {"note": "Till restored <b>by</b> Max"},
                     page=f"/alerts/{alert}")
    assert done.status_code == 303 and done.headers["location"] == f"/alerts/{alert}"
    again = post_form(client, f"/alerts/{alert}/acknowledge", {"note": "Checked the Z: fine"},
                      page=f"/alerts/{alert}")
    assert again.status_code == 303
    page = client.get(f"/alerts/{alert}").text
    assert "<strong>Acknowledged</strong>" in page
    assert "Till restored &lt;b&gt;by&lt;/b&gt; Max" in page and "Checked the Z: fine" in page  # escaped
    with proxy.obj.connection_context():
        kept = [(a.username, a.note) for a in AlertAcknowledgement.select().order_by(AlertAcknowledgement.id)]
        assert Alert.get_by_id(alert).acknowledged is True
        audited = [(e.username, e.action, e.details) for e in entries(username=USERS["manager"])
                   if e.action == "acknowledge"]
    assert kept == [(USERS["manager"], "Till restored <b>by</b> Max"), (USERS["manager"], "Checked the Z: fine")]
    assert len(audited) == 2 and f"alert {alert} CONFLICT" in audited[-1][2]
    assert "Add a note" in page  # acknowledged: a further note is one more row


def test_a_viewer_sees_an_alert_and_its_evidence_but_no_form_and_cannot_post(ho_web, shop):
    alert = _conflict(ho_web, shop)
    viewer = ho_web.logged_in("viewer")
    page = viewer.get(f"/alerts/{alert}")
    assert page.status_code == 200 and "held hash" in page.text
    assert 'id="acknowledge"' not in page.text and "for a manager" in page.text
    refused = viewer.post(f"/alerts/{alert}/acknowledge", data={"csrf": csrf_of(viewer.get("/").text),
                                                               "note": "not mine to do"})
    assert refused.status_code == 403
    with proxy.obj.connection_context():
        assert AlertAcknowledgement.select().count() == 0 and Alert.get_by_id(alert).acknowledged is False
    assert viewer.get("/alerts/999999").status_code == 404


def test_the_alerts_download_as_csv_with_their_evidence(ho_web, shop):
    alert = _conflict(ho_web, shop)
    answer = ho_web.logged_in("viewer").get("/alerts/export.csv?code=CONFLICT")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,raised (Paris),code,shop,till")
    assert lines[1].startswith(f"{alert},") and ",CONFLICT,PARIS," in lines[1] and "held hash:" in lines[1]
