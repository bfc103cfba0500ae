"""Credit notes across shops through head office: one balance company-wide, never spent twice
online (even by two tills at the same moment), and the offline policy flagged at the next sync."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hokit import free_port, settings_for

from headoffice.store import Alert, CreditNote, proxy
from till.credit_notes import NotEnoughCredit
from till.remote_credit import RemoteCreditRefused, redeem_remote, remote_balance
from till.sync_client import HeadOfficeAnswer, HeadOfficeClient


def _alerts():
    with proxy.obj.connection_context():
        return [a.code for a in Alert.select().order_by(Alert.id)]


@pytest.fixture
def note(shop, headoffice):
    """A 20,00 € note issued by another shop (LYON), registered at head office."""
    with proxy.obj.connection_context():
        CreditNote.create(code="AV-TEST-0001", shop_id="LYON", till_id="L01", amount_cents=2000,
                          balance_cents=2000, expires_on=dt.date.today() + dt.timedelta(days=30))
    return "AV-TEST-0001"


def _client(shop, url):
    return HeadOfficeClient(url, shop.ctx.till_id, shop.ctx.sealer.signer)


def test_redeem_online_then_short_then_retry_counts_once(shop, headoffice, note, tmp_path):
    client, settings = _client(shop, headoffice.url), settings_for(headoffice.url)
    assert remote_balance(client, note)["balance_cents"] == 2000
    first = redeem_remote(client, settings, note, 1500, "01-T1")
    assert (first.offline, first.balance_cents) == (False, 500)
    again = redeem_remote(client, settings, note, 1500, "01-T1")  # the same request, retried
    assert again.balance_cents == 500
    with pytest.raises(NotEnoughCredit):
        redeem_remote(client, settings, note, 600, "01-T2")
    assert remote_balance(client, note)["balance_cents"] == 500


def test_two_tills_at_once_never_spend_it_twice(shop, headoffice, note, tmp_path):
    settings = settings_for(headoffice.url)
    barrier, outcomes = threading.Barrier(4), []

    def spend(index):
        client = _client(shop, headoffice.url)
        barrier.wait()
        try:
            outcomes.append(redeem_remote(client, settings, note, 2000, f"01-T{index}"))
        except NotEnoughCredit as error:
            outcomes.append(error)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 1
    assert remote_balance(_client(shop, headoffice.url), note)["balance_cents"] == 0


def test_offline_policy_refuse_or_accept_up_to_a_limit(shop, note):
    dead = _client(shop, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RemoteCreditRefused):
        redeem_remote(dead, settings_for(dead.host), note, 500, "01-T9")
    accept = settings_for("http://x", offline_credit_policy="accept", offline_credit_max_cents=1000)
    with pytest.raises(RemoteCreditRefused):
        redeem_remote(dead, accept, note, 1500, "01-T10")
    taken = redeem_remote(dead, accept, note, 1000, "01-T11")
    assert taken.offline and taken.balance_cents is None
    # This shop's own note: its ledger has checked it, no offline limit applies.
    assert redeem_remote(dead, settings_for(dead.host), note, 5000, "01-T12", own_note=True).offline


def test_release_gives_back_once_and_only_to_the_till_that_took_it(shop, headoffice, note, tmp_path):
    from headoffice.cli import enroll
    from till.fiscal.keys import Signer

    client = _client(shop, headoffice.url)
    redeem_remote(client, settings_for(headoffice.url), note, 1200, "01-R1")
    other_key = Signer.create(tmp_path / "other.key")
    enroll("02", "LYON", other_key.public_pem)
    other = HeadOfficeClient(headoffice.url, "02", other_key)
    release = f"/v1/credit-notes/{note}/release"
    with pytest.raises(HeadOfficeAnswer) as forbidden:
        other.request("POST", release, {"request_id": "01-R1"})
    assert forbidden.value.status == 403
    assert client.request("POST", release, {"request_id": "01-R1"})["released_cents"] == 1200
    assert client.request("POST", release, {"request_id": "01-R1"})["replayed"] is True
    assert client.request("POST", release, {"request_id": "never-sent"})["released_cents"] == 0
    assert remote_balance(client, note)["balance_cents"] == 2000
    assert _alerts() == []
