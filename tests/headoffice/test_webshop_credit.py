"""Credit notes spent on the web shop: a note issued at a real till, registered by ``till sync``,
half spent online (hold then commit), the rest at another shop's till; holds released, by the
web shop or when their time is up; a race for the last euros; keys revoked or without the scope.

A real head office on loopback (SQLite and PostgreSQL), called over HTTP with the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from tests.credit.test_credit_notes import issued_note, refund_into_credit
from tests.headoffice.test_webshop_auth import call
from tests.support.headoffice import HeadOffice, alerts, note_of_another_shop, office_balance, settings_for

from headoffice.cli import enroll, main as headoffice_main
from headoffice.store import CreditNote, CreditRedemption, WebShopHold, open_database, proxy, utcnow
from headoffice.webshop_auth import add_webshop, revoke_webshop
from headoffice.webshop_credit import MAX_TTL_S, sweep_expired_holds
from till.credit.notes import NotEnoughCredit
from till.credit.remote import redeem_remote
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync

NOTES = "/webshop/v1/credit-notes"


def _key(name: str = "boutique", scopes: tuple[str, ...] = ("credit",)) -> str:
    with proxy.obj.connection_context():
        return add_webshop(name, scopes)[0]


def _hold_state(hold_id: str) -> str:
    with proxy.obj.connection_context():
        return WebShopHold.get(WebShopHold.hold_id == hold_id).state


def _report(database_url: str, tmp_path, capsys, *extra: str) -> str:
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{database_url}"\n', encoding="utf-8")
    capsys.readouterr()
    assert headoffice_main(["--config", str(config), "report", *extra]) == 0
    return capsys.readouterr().out


def test_a_note_issued_at_a_till_is_half_spent_online_and_the_rest_in_another_shop(shop, headoffice, tmp_path,
                                                                                    capsys):
    code = issued_note(refund_into_credit(shop, 2000)).code
    key = _key()
    status, answer, _ = call(headoffice, "GET", f"{NOTES}/{code}", key)
    assert (status, answer["error"]) == (404, "unknown") and "synced" in answer["message"]  # not yet registered
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK

    status, answer, _ = call(headoffice, "GET", f"{NOTES}/{code}", key)
    assert status == 200
    assert (answer["amount_cents"], answer["balance_cents"], answer["spendable"], answer["expired"]) == \
        (2000, 2000, True, False)
    assert [(m["kind"], m["amount_cents"], m["channel"]) for m in answer["history"]] == [("issued", 2000,
                                                                                         "shop PARIS")]

    hold = {"hold_id": "order-1001", "amount_cents": 1000}
    status, held, _ = call(headoffice, "POST", f"{NOTES}/{code}/holds", key, hold)
    assert status == 201 and (held["amount_cents"], held["balance_cents"], held["state"]) == (1000, 1000, "held")
    assert call(headoffice, "POST", f"{NOTES}/{code}/holds", key, hold)[:2] == (201, held)  # re-sent: taken once
    assert office_balance(code) == 1000
    status, answer, _ = call(headoffice, "POST", f"{NOTES}/{code}/holds", key, {**hold, "amount_cents": 900})
    assert (status, answer["error"]) == (409, "conflict") and office_balance(code) == 1000

    status, committed, _ = call(headoffice, "POST", f"{NOTES}/{code}/holds/order-1001/commit", key)
    assert status == 200 and (committed["state"], committed["balance_cents"]) == ("committed", 1000)
    assert call(headoffice, "POST", f"{NOTES}/{code}/holds/order-1001/commit", key)[0] == 200  # a retry
    status, answer, _ = call(headoffice, "POST", f"{NOTES}/{code}/holds/order-1001/release", key)
    assert (status, answer["error"]) == (409, "committed") and office_balance(code) == 1000

    lyon_key = Signer.create(tmp_path / "lyon.key")
    enroll("L01", "LYON", lyon_key.public_pem)
    lyon = HeadOfficeClient(headoffice.url, "L01", lyon_key)
    assert redeem_remote(lyon, settings_for(headoffice.url), code, 1000, "L01-T1").balance_cents == 0
    with pytest.raises(NotEnoughCredit):
        redeem_remote(lyon, settings_for(headoffice.url), code, 1, "L01-T2")
    status, answer, _ = call(headoffice, "POST", f"{NOTES}/{code}/holds", key, {"hold_id": "order-1002",
                                                                              "amount_cents": 1})
    assert (status, answer["error"]) == (409, "short")

    status, answer, _ = call(headoffice, "GET", f"{NOTES}/{code}", key)
    assert (answer["balance_cents"], answer["spendable"]) == (0, False)
    assert [(m["kind"], m["amount_cents"], m["channel"]) for m in answer["history"]] == [
        ("issued", 2000, "shop PARIS"), ("spent", 1000, "web shop boutique"), ("spent", 1000, "shop LYON")]
    text = json.dumps(answer)
    with proxy.obj.connection_context():
        request_ids = [r.request_id for r in CreditRedemption.select()]
    assert all(set(movement) == {"date", "kind", "amount_cents", "channel"} for movement in answer["history"])
    assert "L01" not in text and not any(request_id in text for request_id in request_ids)

    report = json.loads(_report(headoffice.database_url, tmp_path, capsys, "--json"))
    assert report["credit_notes_by_issuing_shop"] == [{
        "shop_id": "PARIS", "notes": 1, "issued_cents": 2000, "spent_in_shops_cents": 1000,
        "spent_online_cents": 1000, "held_online_cents": 0, "outstanding_cents": 0, "expired_cents": 0}]
    table = _report(headoffice.database_url, tmp_path, capsys)
    assert "credit notes by issuing shop" in table
    assert [line.split() for line in table.splitlines() if line.startswith("PARIS ") and "10.00" in line] == [
        ["PARIS", "1", "20.00", "10.00", "10.00", "0.00", "0.00", "0.00"]]
    assert alerts() == []


@pytest.fixture
def office(ho_url):
    office = HeadOffice(ho_url).start()
    yield office
    office.stop()


def test_a_hold_released_or_left_to_expire_gives_the_amount_back(office):
    code, key = note_of_another_shop(1500), _key()
    path = f"{NOTES}/{code}/holds"
    assert call(office, "POST", path, key, {"hold_id": "a", "amount_cents": 500})[0] == 201
    status, answer, _ = call(office, "POST", f"{path}/a/release", _key("another"))  # not another web shop's hold
    assert (status, answer["error"]) == (404, "unknown_hold") and office_balance(code) == 1000
    status, released, _ = call(office, "POST", f"{path}/a/release", key)
    assert status == 200 and (released["state"], released["balance_cents"]) == ("released", 1500)
    assert call(office, "POST", f"{path}/a/release", key)[0] == 200  # a retry: given back once
    assert office_balance(code) == 1500
    status, answer, _ = call(office, "POST", f"{path}/a/commit", key)
    assert (status, answer["error"]) == (409, "released")

    # Left to expire: the next request about the note gives it back before anything else.
    status, held, _ = call(office, "POST", path, key, {"hold_id": "b", "amount_cents": 400, "ttl_s": 1})
    assert status == 201 and office_balance(code) == 1100
    time.sleep(1)
    status, answer, _ = call(office, "POST", f"{path}/b/commit", key)
    assert (status, answer["error"]) == (409, "released") and office_balance(code) == 1500

    # Left to expire, no request after: head office's sweep gives it back.
    assert call(office, "POST", path, key, {"hold_id": "c", "amount_cents": 300, "ttl_s": 1})[0] == 201
    with proxy.obj.connection_context():
        assert sweep_expired_holds(utcnow()) == 0  # not yet
        assert sweep_expired_holds(utcnow() + dt.timedelta(seconds=2)) == 1
        assert sweep_expired_holds(utcnow() + dt.timedelta(seconds=2)) == 0
    assert _hold_state("c") == "released" and office_balance(code) == 1500
    status, answer, _ = call(office, "GET", f"{NOTES}/{code}", key)
    assert [(m["kind"], m["amount_cents"]) for m in answer["history"][1:]] == [
        ("spent", 500), ("given_back", 500), ("spent", 400), ("given_back", 400), ("spent", 300), ("given_back", 300)]
    assert alerts() == []


def test_holds_follow_the_rules_of_a_tills_redemption(office):
    code, key = note_of_another_shop(1000), _key()
    path = f"{NOTES}/{code}/holds"
    for body in ({"hold_id": "x", "amount_cents": 0}, {"hold_id": "", "amount_cents": 10},
                 {"hold_id": "x", "amount_cents": 10, "ttl_s": MAX_TTL_S + 1}, {"hold_id": "x" * 65, "amount_cents": 1},
                 {"hold_id": "x", "amount_cents": 2**63}, [1]):
        status, answer, _ = call(office, "POST", path, key, body)
        assert (status, answer["error"]) == (400, "malformed"), body
    status, answer, _ = call(office, "POST", path, key, {"hold_id": "x", "amount_cents": 1001})
    assert (status, answer["error"]) == (409, "short") and "1000" in answer["message"]
    status, answer, _ = call(office, "POST", f"{NOTES}/AV-NOPE/holds", key, {"hold_id": "y", "amount_cents": 1})
    assert (status, answer["error"]) == (404, "unknown")
    assert call(office, "POST", f"{path}/never/commit", key)[0] == 404
    with proxy.obj.connection_context():
        CreditNote.update(expires_on=dt.date.today() - dt.timedelta(days=1)).where(CreditNote.code == code).execute()
    status, answer, _ = call(office, "POST", path, key, {"hold_id": "z", "amount_cents": 1})
    assert (status, answer["error"]) == (409, "expired")
    status, answer, _ = call(office, "GET", f"{NOTES}/{code}", key)
    assert (answer["expired"], answer["spendable"]) == (True, False)
    assert office_balance(code) == 1000


@pytest.mark.postgres
def test_two_web_checkouts_racing_for_the_last_euros_one_wins(pg_url):
    office = HeadOffice(pg_url).start()
    try:
        code, keys = note_of_another_shop(1000), [_key("boutique"), _key("marketplace")]
        barrier, outcomes = threading.Barrier(4), []

        def checkout(index: int) -> None:
            barrier.wait()
            outcomes.append(call(office, "POST", f"{NOTES}/{code}/holds", keys[index % 2],
                                 {"hold_id": f"order-{index}", "amount_cents": 800})[:2])

        threads = [threading.Thread(target=checkout, args=(index,)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(status for status, _answer in outcomes) == [201, 409, 409, 409]
        assert all(answer["error"] == "short" for status, answer in outcomes if status == 409)
        assert office_balance(code) == 200
    finally:
        office.stop()


def test_a_revoked_key_or_one_without_the_credit_scope_is_refused(office):
    code = note_of_another_shop(1000)
    revoked, orders_only = _key("gone"), _key("orders-only", ("orders",))
    with proxy.obj.connection_context():
        assert revoke_webshop("gone")
    for key, expected in ((revoked, (401, "revoked")), (orders_only, (403, "forbidden"))):
        for method, path, body in (("GET", f"{NOTES}/{code}", None),
                                   ("POST", f"{NOTES}/{code}/holds", {"hold_id": "h", "amount_cents": 100})):
            status, answer, _ = call(office, method, path, key, body)
            assert (status, answer["error"]) == expected
    assert office_balance(code) == 1000


def test_the_served_head_office_gives_back_expired_holds_by_itself(ho_url, tmp_path):
    from tests.support.headoffice import serve_process
    from tests.support.net import free_port

    port = free_port()
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{ho_url}"\nhost = "127.0.0.1"\nport = {port}\nhold_sweep_s = 0.2\n',
                      encoding="utf-8")
    process = serve_process(config)
    try:
        open_database(ho_url)
        code, key = note_of_another_shop(1000), _key()
        served = HeadOffice(ho_url, port=port)  # only its url: the server is the process
        assert call(served, "POST", f"{NOTES}/{code}/holds", key, {"hold_id": "left", "amount_cents": 600,
                                                                  "ttl_s": 1})[0] == 201
        deadline = time.monotonic() + 20
        while _hold_state("left") == "held" and time.monotonic() < deadline:  # no request about the note meanwhile
            time.sleep(0.1)
        assert _hold_state("left") == "released" and office_balance(code) == 1000
    finally:
        process.kill()
        process.wait()


def test_the_report_counts_open_holds_and_expired_notes_apart(office, tmp_path, capsys):
    valid, expired = note_of_another_shop(1000), note_of_another_shop(500)
    key = _key()
    assert call(office, "POST", f"{NOTES}/{valid}/holds", key, {"hold_id": "open", "amount_cents": 300})[0] == 201
    with proxy.obj.connection_context():
        CreditNote.update(expires_on=dt.date.today() - dt.timedelta(days=1)).where(CreditNote.code == expired).execute()
    report = json.loads(_report(office.database_url, tmp_path, capsys, "--json"))
    assert report["credit_notes_by_issuing_shop"] == [{
        "shop_id": "LYON", "notes": 2, "issued_cents": 1500, "spent_in_shops_cents": 0, "spent_online_cents": 0,
        "held_online_cents": 300, "outstanding_cents": 700, "expired_cents": 500}]


@pytest.mark.postgres
def test_a_web_checkout_and_tills_racing_for_the_last_euros_one_wins(pg_url, tmp_path):
    office = HeadOffice(pg_url).start()
    try:
        code, key = note_of_another_shop(1000), _key()
        till_key = Signer.create(tmp_path / "lyon.key")
        enroll("L01", "LYON", till_key.public_pem)
        barrier, won = threading.Barrier(4), []

        def web(index: int) -> None:
            barrier.wait()
            status, _answer, _ = call(office, "POST", f"{NOTES}/{code}/holds", key,
                                      {"hold_id": f"order-{index}", "amount_cents": 800})
            won.extend(["web"] if status == 201 else [])

        def till(index: int) -> None:
            client = HeadOfficeClient(office.url, "L01", till_key)
            barrier.wait()
            try:
                redeem_remote(client, settings_for(office.url), code, 800, f"L01-T{index}")
                won.append("till")
            except NotEnoughCredit:
                pass

        threads = [threading.Thread(target=work, args=(index,)) for index, work in enumerate((web, till, web, till))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1 and office_balance(code) == 200
    finally:
        office.stop()
