"""Credit notes across shops through head office: one balance company-wide, never spent twice
online (even by two tills at the same moment), and the offline policy flagged at the next sync."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from tests.support.headoffice import settings_for, alerts
from tests.support.net import free_port

from headoffice.store import CreditNote, proxy
from till.credit.notes import NotEnoughCredit
from till.credit.remote import RemoteCreditRefused, redeem_remote, remote_balance
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient


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
    assert alerts() == []


def test_a_redeem_replayed_with_another_amount_note_or_till_is_a_409(shop, headoffice, note, tmp_path):
    from headoffice.cli import enroll
    from tests.support.headoffice import note_of_another_shop, office_balance
    from till.fiscal.keys import Signer

    client = _client(shop, headoffice.url)
    redeem = f"/v1/credit-notes/{note}/redeem"
    first = client.request("POST", redeem, {"amount_cents": 500, "request_id": "01-X1"})
    assert (first["balance_cents"], first["replayed"]) == (1500, False)
    again = client.request("POST", redeem, {"amount_cents": 500, "request_id": "01-X1"})  # a retry: counted once
    assert (again["balance_cents"], again["replayed"]) == (1500, True)
    with pytest.raises(HeadOfficeAnswer) as other_amount:
        client.request("POST", redeem, {"amount_cents": 900, "request_id": "01-X1"})
    assert (other_amount.value.status, other_amount.value.body["error"]) == (409, "conflict")
    other_note = note_of_another_shop(3000)
    with pytest.raises(HeadOfficeAnswer) as other_code:
        client.request("POST", f"/v1/credit-notes/{other_note}/redeem", {"amount_cents": 500, "request_id": "01-X1"})
    assert other_code.value.status == 409
    other_key = Signer.create(tmp_path / "other.key")
    enroll("02", "LYON", other_key.public_pem)
    with pytest.raises(HeadOfficeAnswer) as other_till:
        HeadOfficeClient(headoffice.url, "02", other_key).request("POST", redeem,
                                                                  {"amount_cents": 500, "request_id": "01-X1"})
    assert other_till.value.status == 409
    with pytest.raises(HeadOfficeAnswer) as offline_other_amount:  # reported offline later: still no retry
        client.request("POST", redeem, {"amount_cents": 700, "request_id": "01-X1", "offline": True})
    assert offline_other_amount.value.status == 409
    assert (office_balance(note), office_balance(other_note)) == (1500, 3000)
    assert alerts() == []


def test_out_of_range_amounts_and_ids_are_a_400_before_the_database(shop, headoffice, note):
    client = _client(shop, headoffice.url)
    refusals = [
        ("POST", f"/v1/credit-notes/{note}/redeem", {"amount_cents": 2**63, "request_id": "01-Y1"}),
        ("POST", f"/v1/credit-notes/{note}/redeem", {"amount_cents": 2**64, "request_id": "01-Y2", "offline": True}),
        ("POST", f"/v1/credit-notes/{note}/redeem", {"amount_cents": 100, "request_id": "0" * 64}),
        ("POST", f"/v1/credit-notes/{note}/release", {"request_id": "0" * 64}),
        ("POST", f"/v1/credit-notes/{'A' * 41}/redeem", {"amount_cents": 100, "request_id": "01-Y3"}),
        ("POST", "/v1/credit-notes", {"notes": [{"code": "AV-BIG", "amount_cents": 2**70,
                                                  "expires_on": dt.date.today().isoformat()}]}),
        ("POST", "/v1/credit-notes", {"notes": [{"code": "A" * 41, "amount_cents": 100,
                                                  "expires_on": dt.date.today().isoformat()}]}),
        ("GET", f"/v1/orders?after={2**70}", None),
        ("GET", f"/v1/catalogue?since={-2**40}", None),
    ]
    for method, path, data in refusals:
        with pytest.raises(HeadOfficeAnswer) as refused:
            client.request(method, path, data)
        assert (refused.value.status, refused.value.body["error"]) == (400, "malformed"), (path, refused.value.body)
        assert "out of range" in refused.value.body["message"] or "longer than" in refused.value.body["message"]
    with proxy.obj.connection_context():
        assert CreditNote.select().count() == 1
        assert CreditNote.get(CreditNote.code == note).balance_cents == 2000
    assert client.request("GET", "/v1/orders?after=0")["orders"] == []
